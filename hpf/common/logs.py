"""Structured logs: one JSON object a line with the request's id, and never a personal number.

``RequestIdMiddleware`` gives every request an id (the reverse proxy's ``X-Request-ID`` if it
is a plain token, else a new one), returns it in the response's ``X-Request-ID`` and puts it
on every log record written while the request runs (``RequestIdFilter``). ``MaskingFilter``
rewrites each record's message — and its exception text — before any handler sees it: an
18-character ID number becomes ``5301**********001X``, a 16–19 digit card number (blanks or
hyphens between groups allowed) ``6222 **** **** 1234``, and a one-time code after a word
such as ``code``/``验证码``/``otp`` six stars, whatever the code that logged them.
``JsonFormatter`` writes the record as JSON (``HPF_LOG_FORMAT=json``; plain text otherwise).
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import re
import uuid
from collections.abc import Callable
from typing import Any

from hpf.calc.masking import mask_bank_card, mask_id_number

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("hpf_request_id", default="-")

# An ID number: 17 digits and a digit or X, not part of a longer run of digits.
_ID_RE = re.compile(r"(?<![0-9])[1-9][0-9]{16}[0-9Xx](?![0-9A-Za-z])")
# A card number: 16 to 19 digits, optionally grouped by single blanks or hyphens.
_CARD_RE = re.compile(r"(?<![0-9])[0-9](?:[ -]?[0-9]){15,18}(?![0-9])")
# A one-time code: 4–8 digits after a word that names one.
_CODE_RE = re.compile(
    r"(?i)((?:code|otp|totp|passcode|验证码|动态码|校验码)[\"']?\s*[:=：]?\s*[\"']?)([0-9]{4,8})(?![0-9])"
)
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def mask_text(text: str) -> str:
    """``text`` with every ID number, card number and one-time code masked."""
    text = _ID_RE.sub(lambda m: mask_id_number(m.group(0)), text)
    text = _CARD_RE.sub(lambda m: mask_bank_card(m.group(0)), text)
    return _CODE_RE.sub(lambda m: m.group(1) + "*" * len(m.group(2)), text)


def current_request_id() -> str:
    return _request_id.get()


class MaskingFilter(logging.Filter):
    """Masks the record's final message (and exception text) in place."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a record whose arguments do not fit its format: keep it, masked
            message = f"{record.msg!r} {record.args!r}"
        record.msg = mask_text(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
            record.exc_info = None  # the masked text is what handlers print
        if record.stack_info:
            record.stack_info = mask_text(record.stack_info)
        return True


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        # django.request logs a 4xx/5xx response after the middleware returned, with the
        # request on the record.
        request = getattr(record, "request", None)
        record.request_id = getattr(request, "request_id", None) or _request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC), level, logger, message, request id, exception."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            "request_id": getattr(record, "request_id", _request_id.get()),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            out["exc"] = mask_text(record.exc_text)
        return json.dumps(out, ensure_ascii=False)


class RequestIdMiddleware:
    """Sets the request's id for its log records and returns it as ``X-Request-ID``."""

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        given = request.META.get("HTTP_X_REQUEST_ID", "")
        rid = given if _REQUEST_ID_RE.match(given) else uuid.uuid4().hex
        request.request_id = rid
        token = _request_id.set(rid)
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
        response["X-Request-ID"] = rid
        return response
