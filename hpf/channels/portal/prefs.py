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
    lang = translation.get_language() or settings.LANGUAGE_CODE
    return {
        "large": large_text(request),
        "lang": lang,
        "html_lang": "en" if lang.startswith("en") else "zh-Hans",
        "other_lang": "zh-hans" if lang.startswith("en") else "en",
    }
