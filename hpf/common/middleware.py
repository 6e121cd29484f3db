"""Request guards that must run before anything reads the request body.

``UploadLimitMiddleware`` refuses an upload whose declared ``Content-Length`` is over the
limit of its page before the body is read: Django's CSRF check reads ``request.POST`` — and so
the whole multipart body — before any view could look at the file's size. A POST to such a page
without a length (chunked) is refused too. The pages and their limits are settings
(``HPF_UPLOAD_LIMITS``: URL name → setting name of the limit in bytes).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import NoReverseMatch, reverse

# Room for the multipart envelope and the other form fields around the file.
ENVELOPE_BYTES = 64 * 1024


@cache
def _limits() -> dict[str, str]:
    paths = {}
    for name, setting in settings.HPF_UPLOAD_LIMITS.items():
        try:
            paths[reverse(name)] = setting
        except NoReverseMatch:
            continue
    return paths


class UploadLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST":
            setting = _limits().get(request.path)
            if setting is not None:
                limit = int(getattr(settings, setting)) + ENVELOPE_BYTES
                raw = str(request.META.get("CONTENT_LENGTH") or "").strip()
                if not raw.isdigit():
                    return _refuse(411, "请求缺少长度（Content-Length），无法上传。")
                if int(raw) > limit:
                    mb = int(getattr(settings, setting)) / 2**20
                    return _refuse(
                        413, f"上传的文件超过 {mb:g} MB 的上限，未读取。请分拆或压缩后再上传。"
                    )
        return self.get_response(request)


def _refuse(status: int, message: str) -> HttpResponse:
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
