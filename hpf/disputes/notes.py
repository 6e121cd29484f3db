"""The notes the dispute service writes on a step itself (kept in Chinese, the record's
language) and their words in the reader's language. A clerk's own words stay as written."""

from __future__ import annotations

from django.utils.translation import gettext, gettext_noop

PROPOSED = gettext_noop("更正方案已提交审核员复核。")
CORRECTED = gettext_noop("更正已经审核员复核并入账。")
PROPOSAL_REJECTED = gettext_noop("更正方案未通过复核，继续核查。")
BACK_PAYMENT_ASKED = gettext_noop("已通知缴存单位补缴：")  # followed by the clerk's note

FIXED = frozenset({PROPOSED, CORRECTED, PROPOSAL_REJECTED})


def note_words(note: str) -> str:
    """A stored step note in the active language: the service's own notes translated, with
    the clerk's words after them as written."""
    if note in FIXED:
        return gettext(note)
    if note.startswith(BACK_PAYMENT_ASKED):
        return gettext(BACK_PAYMENT_ASKED) + note[len(BACK_PAYMENT_ASKED) :]
    return note
