"""The sync API's request body, parsed strictly into typed items.

Amounts and ratios travel as strings ("10000.00", "0.12"), never JSON numbers, so no float
ever stands between the core system and the ledger; unknown fields are refused so a typo in
a field name is an error, not a silently ignored value.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from hpf.calc.errors import CalcError
from hpf.calc.periods import format_period
from hpf.common import clock
from hpf.common.amounts import amount_to_fen
from hpf.common.errors import DomainError, InvalidInput

MAX_ITEMS = 1000
REMITTANCE = "REMITTANCE"
BACK_PAYMENT = "BACK_PAYMENT"

_FIELDS = {
    REMITTANCE: {"type", "account_no", "period", "value_date"},
    BACK_PAYMENT: {
        "type",
        "account_no",
        "period",
        "value_date",
        "base",
        "employer_ratio",
        "employee_ratio",
    },
}
_ACCOUNT_NO = re.compile(r"[0-9A-Za-z]{1,20}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_AMOUNT = re.compile(r"\d{1,12}(\.\d{1,2})?")
_RATIO = re.compile(r"0(\.\d{1,4})?|1(\.0{1,4})?")
_IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{8,100}")


@dataclass(frozen=True, slots=True)
class SyncItem:
    type: str
    account_no: str
    period: int
    value_date: dt.date
    base_fen: int | None = None
    employer_ratio: Decimal | None = None
    employee_ratio: Decimal | None = None


def parse_idempotency_key(raw: str | None) -> str:
    if raw is None or not _IDEMPOTENCY_KEY.fullmatch(raw):
        raise InvalidInput("Idempotency-Key 请求头缺失或格式不符（8–100 个可见 ASCII 字符）")
    return raw


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_batch(body: bytes) -> list[SyncItem]:
    """The items of a request body, or ``InvalidInput`` (with ``details["index"]`` when one
    item is at fault)."""
    try:
        data = json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidInput("请求体不是有效的 UTF-8 JSON") from exc
    if not isinstance(data, dict) or set(data) != {"transactions"}:
        raise InvalidInput('请求体必须是只含 "transactions" 字段的 JSON 对象')
    items = data["transactions"]
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_ITEMS:
        raise InvalidInput(f"transactions 必须是包含 1–{MAX_ITEMS} 笔交易的数组")
    return [_parse_item(i, raw) for i, raw in enumerate(items)]


def _parse_item(index: int, raw: object) -> SyncItem:
    def bad(message: str) -> InvalidInput:
        return InvalidInput(f"第 {index} 笔交易：{message}", index=index)

    if not isinstance(raw, dict):
        raise bad("必须是 JSON 对象")
    kind = raw.get("type")
    if kind not in _FIELDS:
        raise bad("type 必须是 REMITTANCE 或 BACK_PAYMENT")
    missing = _FIELDS[kind] - set(raw)
    if missing:
        raise bad(f"缺少字段 {', '.join(sorted(missing))}")
    unknown = set(raw) - _FIELDS[kind]
    if unknown:
        raise bad(f"不认识的字段 {', '.join(sorted(unknown))}")
    account_no = raw["account_no"]
    if not isinstance(account_no, str) or not _ACCOUNT_NO.fullmatch(account_no):
        raise bad("account_no 必须是个人账号字符串")
    period = raw["period"]
    if isinstance(period, bool) or not isinstance(period, int):
        raise bad("period 必须是整数年月，如 202611")
    try:
        format_period(period)
    except CalcError as exc:
        raise bad(f"period 无效：{exc}") from exc
    value_date = _parse_date(raw["value_date"])
    if value_date is None:
        raise bad("value_date 必须是 YYYY-MM-DD 格式的日期")
    if value_date > clock.today():
        raise bad("value_date 不能晚于今天")
    if kind == REMITTANCE:
        return SyncItem(kind, account_no, period, value_date)
    base = raw["base"]
    if not isinstance(base, str) or not _AMOUNT.fullmatch(base):
        raise bad('base 必须是以元为单位、最多两位小数的字符串，如 "10000.00"')
    try:
        base_fen = amount_to_fen(base)
    except DomainError as exc:
        raise bad(f"base 无效：{exc.message}") from exc
    ratios = []
    for name in ("employer_ratio", "employee_ratio"):
        value = raw[name]
        if not isinstance(value, str) or not _RATIO.fullmatch(value):
            raise bad(f'{name} 必须是 0–1 之间、最多四位小数的字符串，如 "0.12"')
        ratios.append(Decimal(value))
    return SyncItem(kind, account_no, period, value_date, base_fen, ratios[0], ratios[1])


def _parse_date(value: object) -> dt.date | None:
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None
