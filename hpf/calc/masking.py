"""The one masking helper for personal data shown on screens, receipts, logs and exports.

Every channel masks through these functions so that a number is never shown more openly in
one place than in another.  Each returns ``""`` for ``None`` or empty input, preserves the
length of what it hides where the brief demands it, and never reveals more than the fixed
head and tail, even for input too short to mask normally (then everything is hidden).
"""

from __future__ import annotations

import re

__all__ = ["mask_bank_card", "mask_id_number", "mask_mobile", "mask_name"]

_SEPARATORS_RE = re.compile(r"[\s\-]+")


def mask_id_number(number: str | None) -> str:
    """An 18-character ID number → ``"5301**********001X"``: first 4, last 4, stars between.

    Length is preserved.  Input of 8 characters or fewer is hidden entirely.
    """
    text = _compact(number)
    if len(text) <= 8:
        return "*" * len(text)
    return text[:4] + "*" * (len(text) - 8) + text[-4:]


def mask_bank_card(number: str | None) -> str:
    """``"6222021234567891234"`` → ``"6222 **** **** 1234"``: first 4 and last 4 digits.

    Blanks and hyphens in the input are ignored.  The middle is always shown as two groups of
    four stars, whatever the length, so the display does not leak the card's length.  Input
    shorter than 12 characters is hidden entirely.
    """
    text = _SEPARATORS_RE.sub("", number or "")
    if len(text) < 12:
        return "*" * len(text)
    return f"{text[:4]} **** **** {text[-4:]}"


def mask_mobile(number: str | None) -> str:
    """``"13812345678"`` → ``"138****5678"``: first 3, last 4, stars between.

    Length is preserved; input of 7 characters or fewer is hidden entirely.
    """
    text = _compact(number)
    if len(text) <= 7:
        return "*" * len(text)
    return text[:3] + "*" * (len(text) - 7) + text[-4:]


def mask_email(address: str | None) -> str:
    """``"zhang.san@example.cn"`` → ``"z***@example.cn"``: the first character of the local
    part and the domain (for logs). Without an ``@`` the whole is hidden."""
    text = _compact(address)
    local, at, domain = text.rpartition("@")
    if not at or not local:
        return "*" * len(text)
    return f"{local[0]}***@{domain}"


def mask_name(name: str | None) -> str:
    """``"张三"`` → ``"张*"``, ``"欧阳娜娜"`` → ``"欧***"``: keep the first character only.

    A one-character name is hidden entirely (keeping it would show it all).
    """
    text = (name or "").strip()
    if len(text) <= 1:
        return "*" * len(text)
    return text[0] + "*" * (len(text) - 1)


def _compact(value: str | None) -> str:
    return re.sub(r"\s+", "", value or "")
