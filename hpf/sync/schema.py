"""The sync API's request and response bodies, as ninja schemas (the OpenAPI document is
generated from them), and the typed items the service posts.

Amounts and ratios travel as strings ("10000.00", "0.12"), never JSON numbers, so no float
ever stands between the core system and the ledger; ``period`` is a JSON integer (a string is
refused, nothing is coerced); unknown fields are refused so a typo in a field name is an
error, not a silently ignored value.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Schema
from pydantic import AfterValidator, ConfigDict, Field, StrictInt, StrictStr

from hpf.calc.errors import CalcError
from hpf.calc.periods import format_period
from hpf.common import clock
from hpf.common.amounts import amount_to_fen
from hpf.common.api import Matches, Money
from hpf.common.errors import DomainError, InvalidInput

MAX_ITEMS = 1000
REMITTANCE = "REMITTANCE"
BACK_PAYMENT = "BACK_PAYMENT"

IdempotencyKey = Annotated[
    StrictStr, Matches(r"[\x21-\x7e]{8,100}", "缺失或格式不符（8–100 个可见 ASCII 字符）")
]
_AccountNo = Annotated[StrictStr, Matches(r"[0-9A-Za-z]{1,20}", "须为个人账号字符串")]
_Amount = Annotated[
    StrictStr,
    Matches(r"\d{1,12}(\.\d{1,2})?", '须为以元为单位、最多两位小数的字符串，如 "10000.00"'),
]
_Ratio = Annotated[
    StrictStr,
    Matches(r"0(\.\d{1,4})?|1(\.0{1,4})?", '须为 0–1 之间、最多四位小数的字符串，如 "0.12"'),
]


def _period(value: int) -> int:
    try:
        format_period(value)
    except CalcError as exc:
        raise ValueError(f"无效：{exc}") from exc
    return value


def _value_date(value: str) -> str:
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError("须为 YYYY-MM-DD 格式的日期") from None
    if day > clock.today():
        raise ValueError("不能晚于今天")
    return value


_Period = Annotated[
    StrictInt, AfterValidator(_period), Field(description="所属年月 YYYYMM，如 202611")
]
_ValueDate = Annotated[
    Annotated[StrictStr, Matches(r"\d{4}-\d{2}-\d{2}", "须为 YYYY-MM-DD 格式的日期")],
    AfterValidator(_value_date),
    Field(description="起息日，不晚于今天"),
]


class _Item(Schema):
    model_config = ConfigDict(extra="forbid")


class RemittanceIn(_Item):
    """汇缴: the account's next due month on its current base and ratios."""

    type: Literal["REMITTANCE"]
    account_no: _AccountNo
    period: _Period
    value_date: _ValueDate


class BackPaymentIn(_Item):
    """补缴: a past month with no standing deposit, at the base and ratios given."""

    type: Literal["BACK_PAYMENT"]
    account_no: _AccountNo
    period: _Period
    value_date: _ValueDate
    base: Annotated[_Amount, Field(description="缴存基数（元）")]
    employer_ratio: _Ratio
    employee_ratio: _Ratio


class BatchIn(Schema):
    model_config = ConfigDict(extra="forbid")

    transactions: Annotated[
        list[Annotated[RemittanceIn | BackPaymentIn, Field(discriminator="type")]],
        Field(min_length=1, max_length=MAX_ITEMS),
    ]


class ItemResult(Schema):
    index: int
    entry_id: int
    account_no: str
    balance: Money


class PostedOut(Schema):
    """``201``: posted; ``200`` with ``Idempotent-Replayed: true``: the first answer again."""

    status: Literal["posted"]
    results: list[ItemResult]
    run_id: int = Field(description="批量作业记录号（后台 /backoffice/runs/<id>/）")


class SyncErrorOut(Schema):
    code: str
    message: str
    index: int | None = Field(None, description="出错交易在 transactions 中的序号")


@dataclass(frozen=True, slots=True)
class SyncItem:
    type: str
    account_no: str
    period: int
    value_date: dt.date
    base_fen: int | None = None
    employer_ratio: Decimal | None = None
    employee_ratio: Decimal | None = None


def batch_items(batch: BatchIn) -> list[SyncItem]:
    """The typed items of a validated body (amounts in fen, ratios as Decimal)."""
    items = []
    for index, raw in enumerate(batch.transactions):
        value_date = dt.date.fromisoformat(raw.value_date)
        if isinstance(raw, RemittanceIn):
            items.append(SyncItem(REMITTANCE, raw.account_no, raw.period, value_date))
            continue
        try:
            base_fen = amount_to_fen(raw.base)
        except DomainError as exc:  # e.g. a zero base
            raise InvalidInput(f"第 {index} 笔交易：base 无效：{exc.message}", index=index) from exc
        items.append(
            SyncItem(
                BACK_PAYMENT,
                raw.account_no,
                raw.period,
                value_date,
                base_fen,
                Decimal(raw.employer_ratio),
                Decimal(raw.employee_ratio),
            )
        )
    return items
