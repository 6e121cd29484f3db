"""The one API layer under every JSON API (``/api/v1/``, the sync API, the partner APIs).

``HpfApi`` is a django-ninja ``NinjaAPI`` with the project's rules built in, so an endpoint
holds only its own logic: request and response schemas are pydantic models (the OpenAPI
document is generated from them), every refusal is ``{"code", "message"}`` with a Chinese
message and the HTTP status of ``STATUS`` — the one table from error code to status —, ninja's
own validation errors become 400 ``INVALID_INPUT`` in Chinese, every answer is
``Cache-Control: no-store``, a method the path does not take is a JSON 405, request bodies are
strict JSON objects of bounded size, and the per-minute limits are ninja throttles backed by
Django's cache (``HPF_API_RATE_PER_MINUTE``, read per request).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from typing import Annotated, Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.http.response import HttpResponseBase
from django.urls import URLPattern, URLResolver
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError
from ninja.parser import Parser
from ninja.renderers import JSONRenderer
from ninja.throttling import SimpleRateThrottle
from pydantic import (
    BeforeValidator,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    WithJsonSchema,
)
from pydantic_core import core_schema

from hpf.common.errors import DomainError, InvalidInput
from hpf.common.limits import Window

log = logging.getLogger(__name__)

# The HTTP status of every error code any API answers. A code not listed is a service's refusal
# of a well-formed request and gets the API's ``business_status`` (/api/v1: 400, as it always
# answered; the sync API: 422); an error class may fix its own (``http_status``).
STATUS: dict[str, int] = {
    "INVALID_INPUT": 400,
    "CALC_INPUT_INVALID": 400,
    "CHALLENGE_INVALID": 400,
    "CODE_INVALID": 400,
    "FACTOR_UNAVAILABLE": 400,
    "AUTH_REQUIRED": 401,
    "TOKEN_INVALID": 401,
    "SIGNIN_REFUSED": 401,
    "EXTRA_PROOF_REQUIRED": 401,
    "SIGNATURE_INVALID": 401,
    "TIMESTAMP_SKEW": 401,
    "NONCE_REPLAYED": 401,
    "SCOPE_MISSING": 403,
    "ONLINE_ACCESS_FROZEN": 403,
    "CLIENT_KIND_FORBIDDEN": 403,
    "FACE_MATCH_REQUIRED": 403,
    "CHANNEL_DISABLED": 403,
    "NOT_FOUND": 404,
    "METHOD_NOT_ALLOWED": 405,
    "IDEMPOTENCY_KEY_REUSED": 409,
    "PAYLOAD_TOO_LARGE": 413,
    "UNSUPPORTED_MEDIA_TYPE": 415,
    "RATE_LIMITED": 429,
    "TOO_MANY_ATTEMPTS": 429,
}


# What each refusal status means, for the generated document (the codes are in ``STATUS``).
REFUSALS: dict[int, str] = {
    400: "请求内容不正确，或业务规则不允许（message 说明哪一项）",
    401: "未认证：缺少、无效、过期的令牌或请求签名",
    403: "无权访问：令牌未获此项授权，或已冻结网上业务",
    404: "未找到",
    405: "不支持该请求方法（Allow 列出可用方法）",
    409: "与先前的请求冲突",
    413: "请求体过大",
    415: "Content-Type 不正确",
    422: "业务规则拒绝，整批未入账（index 指出哪一笔）",
    429: "请求过于频繁，请稍后再试",
}


class ErrorOut(Schema):
    """Every refusal: a stable code for programs, a Chinese message for people."""

    code: str
    message: str


class ApiError(DomainError):
    """A refusal raised by the API layer itself, with its code given at the raise."""

    def __init__(self, code: str, message: str, **details: object) -> None:
        super().__init__(message, **details)
        self.code = code  # type: ignore[misc]


class AuthRequired(DomainError):
    code = "AUTH_REQUIRED"
    default_message = "请先登录并携带访问令牌"


class RateLimited(DomainError):
    code = "RATE_LIMITED"
    default_message = "请求过于频繁，请稍后再试"


class PayloadTooLarge(DomainError):
    code = "PAYLOAD_TOO_LARGE"
    default_message = "请求体过大"


def errors(*statuses: int) -> dict[int, type[Schema]]:
    """The ``response=`` entries of an operation's documented refusals."""
    return dict.fromkeys(statuses, ErrorOut)


# --- validation messages -------------------------------------------------------------------

_REASONS: dict[str, str] = {
    "missing": "必须填写",
    "extra_forbidden": "不是可接受的字段",
    "string_type": "须为字符串",
    "int_type": "须为整数",
    "int_parsing": "须为整数",
    "int_from_float": "须为整数",
    "bool_type": "须为 true 或 false",
    "bool_parsing": "须为 true 或 false",
    "list_type": "须为数组",
    "dict_type": "须为 JSON 对象",
    "model_type": "须为 JSON 对象",
    "model_attributes_type": "须为 JSON 对象",
    "date_type": "须为 YYYY-MM-DD 日期",
    "date_parsing": "须为 YYYY-MM-DD 日期",
    "date_from_datetime_parsing": "须为 YYYY-MM-DD 日期",
    "datetime_type": "须为带时区的 ISO 8601 时间，如 2026-11-20T09:30:00+08:00",
    "datetime_parsing": "须为带时区的 ISO 8601 时间，如 2026-11-20T09:30:00+08:00",
    "datetime_from_date_parsing": "须为带时区的 ISO 8601 时间，如 2026-11-20T09:30:00+08:00",
    "timezone_aware": "须带时区，如 2026-11-20T09:30:00+08:00",
    "union_tag_not_found": "缺少 type 字段",
    "json_invalid": "不是有效的 JSON",
}


def _choices(expected: str) -> str:
    """pydantic's "'A', 'B' or 'C'" as "A、B、C"."""
    return expected.replace("'", "").replace(" or ", "、").replace(", ", "、")


def _reason(error: dict[str, Any]) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "value_error":
        return str(ctx.get("error", "不符合要求")).removeprefix("Value error, ")
    if kind == "union_tag_invalid":
        return f"须为 {_choices(str(ctx.get('expected_tags', '')))} 之一"
    if kind in ("enum", "literal_error"):
        return f"须为 {_choices(str(ctx.get('expected', '')))} 之一"
    if kind in ("greater_than_equal", "greater_than"):
        return f"不能小于 {ctx.get('ge', ctx.get('gt'))}"
    if kind in ("less_than_equal", "less_than"):
        return f"不能大于 {ctx.get('le', ctx.get('lt'))}"
    if kind == "too_short":
        return f"至少须有 {ctx.get('min_length')} 项"
    if kind == "too_long":
        return f"最多 {ctx.get('max_length')} 项"
    if kind == "string_too_short":
        return "不能为空" if ctx.get("min_length") == 1 else f"至少 {ctx.get('min_length')} 个字符"
    if kind == "string_too_long":
        return f"不能超过 {ctx.get('max_length')} 个字符"
    if kind == "string_pattern_mismatch":
        return "格式不符合要求"
    return _REASONS.get(kind, "不符合要求")


def _where(loc: Iterable[object]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


# Names that only group the input (ninja's parameter sources and our body parameters).
_WRAPPERS = frozenset({"body", "query", "path", "header", "payload", "params"})


def validation_error(exc: ValidationError, *, item_list: str | None) -> DomainError:
    """The first of ninja's validation errors as INVALID_INPUT in Chinese. With ``item_list``
    (the sync API's "transactions"), an error inside item i names it: ``"index": i``."""
    first = exc.errors[0]
    loc = [p for p in first.get("loc", ()) if p not in _WRAPPERS]
    if first["type"] == "extra_forbidden" and loc:
        message = f"不认识的字段 {loc[-1]}"
        loc = loc[:-1]
    elif first["type"] == "missing" and not loc:
        message = "请求体不能为空"
    else:
        message = _reason(first)
    if item_list and len(loc) >= 2 and loc[0] == item_list and isinstance(loc[1], int):
        # Inside a tagged union pydantic names the tag ("REMITTANCE") in the location.
        index, field = loc[1], [p for p in loc[2:] if not str(p).isupper()]
        where = _where(field) or ("type" if first["type"].startswith("union_tag") else "")
        text = f"第 {index} 笔交易：{where + ' ' if where else ''}{message}"
        return InvalidInput(text, index=index)
    where = _where(loc)
    if where:
        return InvalidInput(f"{where} {message}")
    return InvalidInput(
        message if first["type"] in ("extra_forbidden", "missing") else f"请求内容{message}"
    )


# --- request and response plumbing ---------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


class StrictJsonParser(Parser):
    """Bodies are UTF-8 JSON objects (no NaN or Infinity), at most ``max_bytes``."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        if len(request.body) > self.max_bytes:
            raise PayloadTooLarge(f"请求体不能超过 {self.max_bytes} 字节")
        try:
            data = json.loads(request.body.decode("utf-8"), parse_constant=_reject_constant)
        except (UnicodeDecodeError, ValueError):
            raise InvalidInput("请求体须为 UTF-8 编码的 JSON 对象") from None
        if not isinstance(data, dict):
            raise InvalidInput("请求体须为 JSON 对象")
        return data


class ChineseJsonRenderer(JSONRenderer):
    json_dumps_params = {"ensure_ascii": False}


def error_response(
    api: NinjaAPI, request: HttpRequest, exc: DomainError, status: int
) -> HttpResponse:
    body: dict[str, Any] = {"code": exc.code, "message": exc.message}
    body.update({k: v for k, v in exc.details.items() if k == "index"})
    return api.create_response(request, body, status=status)


class HpfApi(NinjaAPI):
    """A NinjaAPI with the project's error mapping, no-store, JSON 405 and strict bodies.

    ``business_status``: the status of a DomainError whose code ``STATUS`` does not list (the
    sync API answers 422; /api/v1 answers 400 as it always has). ``item_list``: the name of a
    body's list of items whose validation errors carry ``index``. ``bearer_realm``: sent as
    ``WWW-Authenticate`` with a 401.
    """

    def __init__(
        self,
        *,
        business_status: int = 400,
        item_list: str | None = None,
        bearer_realm: str | None = None,
        max_body_bytes: int = 16 * 1024,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("renderer", ChineseJsonRenderer())
        kwargs.setdefault("parser", StrictJsonParser(max_body_bytes))
        super().__init__(**kwargs)
        self.business_status = business_status
        self.item_list = item_list
        self.bearer_realm = bearer_realm

    def set_default_exception_handlers(self) -> None:
        """The exception handlers of every HPF API: each refusal becomes ``{"code",
        "message"}``; anything else propagates (a 500, logged by Django)."""
        handlers: list[tuple[type[Exception], Callable[..., HttpResponse]]] = [
            (DomainError, self._on_domain_error),
            (ValidationError, self._on_validation_error),
            (AuthenticationError, self._on_unauthenticated),
            (Throttled, self._on_throttled),
            (HttpError, self._on_http_error),
            (Http404, self._on_not_found),
        ]
        for exc_class, handler in handlers:
            self.add_exception_handler(exc_class, handler)

    def status_of(self, exc: DomainError) -> int:
        """``STATUS`` by code; an error class may fix its own (``http_status``)."""
        fixed = getattr(exc, "http_status", None)
        return int(fixed) if fixed else STATUS.get(exc.code, self.business_status)

    def _on_domain_error(self, request: HttpRequest, exc: DomainError) -> HttpResponse:
        status = self.status_of(exc)
        response = error_response(self, request, exc, status)
        if status == 401 and self.bearer_realm:
            response["WWW-Authenticate"] = f'Bearer realm="{self.bearer_realm}"'
        return response

    def _on_validation_error(self, request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return self._on_domain_error(request, validation_error(exc, item_list=self.item_list))

    def _on_unauthenticated(self, request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return self._on_domain_error(request, AuthRequired())

    def _on_throttled(self, request: HttpRequest, exc: Throttled) -> HttpResponse:
        return self._on_domain_error(request, RateLimited())

    def _on_http_error(self, request: HttpRequest, exc: HttpError) -> HttpResponse:
        # ninja wraps what the parser raised (a malformed or oversize body) in an HttpError.
        if isinstance(exc.__cause__, DomainError):
            return self._on_domain_error(request, exc.__cause__)
        if exc.status_code == 400:
            return self._on_domain_error(request, InvalidInput("请求内容不符合要求"))
        log.warning("api: unexpected HttpError %s", exc.status_code)
        return self._on_domain_error(request, ApiError("INVALID_INPUT", "请求无法处理"))

    def _on_not_found(self, request: HttpRequest, exc: Http404) -> HttpResponse:
        return self._on_domain_error(request, ApiError("NOT_FOUND", "未找到该记录"))

    def create_response(
        self,
        request: HttpRequest,
        data: Any,
        *,
        status: int | None = None,
        temporal_response: HttpResponse | None = None,
    ) -> HttpResponse:
        response = super().create_response(
            request, data, status=status, temporal_response=temporal_response
        )
        response["Cache-Control"] = "no-store"
        return response

    def not_found_view(self) -> Callable[..., HttpResponse]:
        """A view for every other path under the API's prefix: a JSON 404."""

        def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
            return error_response(
                self, request, ApiError("NOT_FOUND", "没有这个接口"), STATUS["NOT_FOUND"]
            )

        return not_found

    def get_openapi_schema(self, **kwargs: Any) -> Any:
        """The generated document, with each operation's bearer scopes filled in from its
        ``x-scopes`` (ninja documents a security requirement without scopes)."""
        schema = super().get_openapi_schema(**kwargs)
        for item in schema["paths"].values():
            for op in item.values():
                for status, answer in op["responses"].items():
                    if int(status) in REFUSALS and "ErrorOut" in json.dumps(answer):
                        answer["description"] = REFUSALS[int(status)]
                scopes = op.pop("x-scopes", None)
                if scopes is not None and op.get("security"):
                    op["security"] = [
                        {name: list(scopes)} for req in op["security"] for name in req
                    ]
        return schema

    def _get_urls(self) -> list[URLResolver | URLPattern]:
        patterns = super()._get_urls()
        for pattern in patterns:
            if isinstance(pattern, URLPattern):
                pattern.callback = self._wrap(pattern.callback)
        return patterns

    def _wrap(self, view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        """Every answer of the API (a PDF too) is no-store; a method the path does not take
        is a JSON 405 naming the methods it does."""

        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            try:
                response = view(request, *args, **kwargs)
            except Http404:  # ninja's root view, which only names the prefix
                response = self.not_found_view()(request)
            if isinstance(response, HttpResponseNotAllowed):
                allow = response["Allow"]
                response = error_response(
                    self,
                    request,
                    ApiError("METHOD_NOT_ALLOWED", f"不支持该请求方法，可用：{allow}"),
                    405,
                )
                response["Allow"] = allow
            response["Cache-Control"] = "no-store"
            return response

        wrapped.csrf_exempt = True  # type: ignore[attr-defined]  # no cookies, no CSRF
        return wrapped


# --- throttles -----------------------------------------------------------------------------


class PerMinuteThrottle(SimpleRateThrottle):
    """``HPF_API_RATE_PER_MINUTE`` calls a minute per key (read per request, so a changed
    setting applies at once): a fixed one-minute window counted atomically in Django's cache
    (per process with the local-memory cache; a shared cache makes it per deployment).
    Subclasses name the key."""

    def __init__(self) -> None:
        super().__init__(rate="1/min")  # the limit itself is read from settings per request

    def ident_of(self, request: HttpRequest) -> str | None:
        raise NotImplementedError

    def get_cache_key(self, request: HttpRequest) -> str | None:
        key = self.ident_of(request)
        return None if key is None else f"hpf-api-rate:{key}"

    def limit_of(self, request: HttpRequest) -> int:
        """Calls a minute allowed for this request's key (a partner client has its own)."""
        return int(settings.HPF_API_RATE_PER_MINUTE)

    def allow_request(self, request: HttpRequest) -> bool:
        key = self.ident_of(request)
        if key is None:
            return True
        return Window("api-rate", self.limit_of(request), 60).hit(key)

    def wait(self) -> float | None:
        return float(60 - math.floor(time.time()) % 60)


class PerAddressThrottle(PerMinuteThrottle):
    """Per client address (REMOTE_ADDR as the server sees it; a forwarded-for header is not
    trusted, since any caller could set it)."""

    def ident_of(self, request: HttpRequest) -> str | None:
        return f"ip:{request.META.get('REMOTE_ADDR', '')}"


class PerCallerThrottle(PerMinuteThrottle):
    """Per authenticated caller: ``key_of(request.auth)``, e.g. a token's hash prefix."""

    def __init__(self, key_of: Callable[[Any], str]) -> None:
        super().__init__()
        self.key_of = key_of

    def ident_of(self, request: HttpRequest) -> str | None:
        auth = getattr(request, "auth", None)
        return None if auth is None else self.key_of(auth)


# --- field types ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Matches:
    """``Annotated[StrictStr, Matches(regex, message)]``: the whole string must match
    ``regex``, else it is refused with the Chinese ``message``; documented with the same
    pattern."""

    regex: str
    message: str

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        compiled = re.compile(self.regex)
        message = self.message

        def check(value: str) -> str:
            if not compiled.fullmatch(value):
                raise ValueError(message)
            return value

        return core_schema.no_info_after_validator_function(check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> dict[str, Any]:
        json_schema: dict[str, Any] = handler(schema)
        json_schema["pattern"] = f"^(?:{self.regex})$"
        return json_schema


# Money in answers: yuan as a string with two decimals, never a JSON number.
Money = Annotated[str, Field(pattern=r"^-?\d+\.\d{2}$", description="元，两位小数")]


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and _DATE.fullmatch(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError("须为 YYYY-MM-DD 日期")


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# A calendar date given as YYYY-MM-DD (nothing else is coerced into one).
DateParam = Annotated[
    dt.date,
    BeforeValidator(_date),
    WithJsonSchema({"type": "string", "format": "date"}),
]
