"""Display preferences kept in cookies (no personal data): the elder-friendly large-text,
high-contrast mode (适老化) and the language (Chinese first, English on request)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation

LARGE_COOKIE = "hpf_large"
ONE_YEAR = 365 * 24 * 3600


def large_text(request: HttpRequest) -> bool:
    return request.COOKIES.get(LARGE_COOKIE) == "1"


def page_context(request: HttpRequest) -> dict[str, Any]:
    """What the portal's frame (base.html) needs: the display preferences, and whether a
    depositor is signed in (the account tabs and links; a public page such as the calculators
    shows them too, the offline page never: the service worker keeps it for anyone)."""
    from hpf.channels.portal.auth import SESSION_KEY

    lang = translation.get_language() or settings.LANGUAGE_CODE
    return {
        "signed_in": bool(request.session.get(SESSION_KEY)),
        "large": large_text(request),
        "lang": lang,
        "html_lang": "en" if lang.startswith("en") else "zh-Hans",
        "other_lang": "zh-hans" if lang.startswith("en") else "en",
    }
