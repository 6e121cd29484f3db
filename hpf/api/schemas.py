"""Request and response bodies of ``/api/v1/``, defined once: ninja validates with them and
the OpenAPI document is generated from them. Enumerations are the models' own choices
(``TextChoices``); money is yuan as a string with two decimals; dates and times are ISO 8601
strings exactly as the selectors format them."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from ninja import Path, Schema
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    WithJsonSchema,
)

from hpf.appointments.models import AppointmentKind, AppointmentStatus
from hpf.audit.models import Channel
from hpf.certificates.models import CertificateKind
from hpf.certificates.selectors import STATUS_LABELS
from hpf.common.api import DateParam, Matches, Money
from hpf.common.calculators import METHOD_SPELLINGS
from hpf.disputes.models import DisputeKind, DisputeStatus
from hpf.ledger.models import Reason
from hpf.ledger.selectors import MAX_PAGE_SIZE
from hpf.loans.models import LoanMethod
from hpf.registry.models import AccountStatus
from hpf.withdrawals.models import WithdrawalState

# Bounds of every numeric parameter: a page past any account's history, a year of the fund.
MAX_PAGE = 10_000
FIRST_YEAR, LAST_YEAR = 1990, 2100
MAX_LOAN_MONTHS = 600
# A database id (hall, loan): a positive 32-bit integer, so no value overflows a column.
RecordId = Annotated[StrictInt, Field(ge=1, le=2**31 - 1)]

DateText = Annotated[str, WithJsonSchema({"type": "string", "format": "date"})]
DateTimeText = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]
Rate = Annotated[str, Field(description="小数，如 0.031", pattern=r"^\d+(\.\d+)?$")]
MoneyOrNone = Money | None
CertificateStatus = Annotated[str, WithJsonSchema({"type": "string", "enum": list(STATUS_LABELS)})]


def _blank_is_none(value: Any) -> Any:
    return None if value == "" else value


class Input(Schema):
    """A request body: unknown fields are refused, ids are JSON integers (never coerced)."""

    model_config = ConfigDict(extra="forbid")


# --- query parameters ----------------------------------------------------------------------


class DepositQuery(Schema):
    year: Annotated[
        Annotated[int, Field(ge=FIRST_YEAR, le=LAST_YEAR)] | None,
        BeforeValidator(_blank_is_none),
        Field(description="记账年份"),
    ] = None
    type: Annotated[
        Reason | None, BeforeValidator(_blank_is_none), Field(description="业务类型")
    ] = None
    page: Annotated[int, Field(ge=1, le=MAX_PAGE, description="页码")] = 1
    page_size: Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE, description="每页条数")] = 50


def _method(value: str) -> str:
    try:
        return METHOD_SPELLINGS[value]
    except KeyError:
        raise ValueError(
            "须为等额本息 ANNUITY（annuity）或等额本金 EQUAL_PRINCIPAL（equal-principal）"
        ) from None


MethodParam = Annotated[
    str,
    AfterValidator(_method),
    WithJsonSchema({"type": "string", "enum": list(METHOD_SPELLINGS)}),
    Field(
        description="还款方式：ANNUITY 或 annuity（等额本息），EQUAL_PRINCIPAL 或 equal-principal（等额本金）"
    ),
]


class LoanTrialQuery(Schema):
    principal: Annotated[str, Field(max_length=20, description="贷款金额（元）")]
    months: Annotated[int, Field(ge=1, le=MAX_LOAN_MONTHS, description="期限（月）")]
    method: MethodParam = "ANNUITY"
    annual_rate: Annotated[
        str, Field(max_length=12, description="年利率，如 0.031 或 3.1%；缺省取今日执行利率")
    ] = ""
    first_home: Annotated[bool, Field(description="首套住房")] = True


class DepositTrialQuery(Schema):
    base: Annotated[str, Field(max_length=20, description="缴存基数（元）")]
    employer_ratio: Annotated[str, Field(max_length=12, description="单位比例，如 0.12")]
    employee_ratio: Annotated[str, Field(max_length=12, description="个人比例，如 0.12")]


# Path parameters: a loan's contract number, a certificate's serial (as long as the columns).
ContractNo = Annotated[str, Path(max_length=20, description="贷款合同号")]
Serial = Annotated[str, Path(max_length=20, description="证明编号")]


# --- the depositor's account ---------------------------------------------------------------


class AccountOut(Schema):
    account_no: str
    name: str
    id_number_masked: str
    status: AccountStatus
    status_label: str
    status_reason: str
    employer_name: str
    balance: Money
    deposit_base: Money
    employer_ratio: Rate
    employee_ratio: Rate
    employer_monthly: Money
    employee_monthly: Money
    paid_through: str | None = Field(description="已缴至年月 YYYY-MM")
    last_deposit_date: DateText | None
    deposits_this_year: Money
    withdrawals_this_year: Money
    carried_balance: Money
    interest_estimate: Money
    interest_estimate_note: str
    continuous_months: int
    required_continuous_months: int
    missing_periods: list[str]
    as_of: DateTimeText


class DepositItem(Schema):
    period: str | None
    value_date: DateText
    type: Reason
    type_label: str
    deposit_base: MoneyOrNone
    employer_ratio: str | None
    employer_amount: MoneyOrNone
    employee_ratio: str | None
    employee_amount: MoneyOrNone
    amount: Money
    balance_after: Money
    reversed: bool


class DepositPage(Schema):
    page: int
    page_size: int
    total: int
    items: list[DepositItem]


class InterestYear(Schema):
    interest_year: int
    year_start: DateText
    settlement_date: DateText
    carried_balance: Money
    balance_days: Money
    annual_rate: str
    interest: Money
    explanation: str


class InterestOut(Schema):
    items: list[InterestYear]


class TimelineStep(Schema):
    label: str
    at: DateTimeText


class WithdrawalItem(Schema):
    type_label: str
    method_label: str
    amount: Money
    state: WithdrawalState
    state_label: str
    bank_card_masked: str
    reject_reason: str
    timeline: list[TimelineStep]


class WithdrawalsOut(Schema):
    items: list[WithdrawalItem]


class Instalment(Schema):
    no: int
    due_date: DateText
    payment: Money
    principal: Money
    interest: Money
    outstanding: Money
    annual_rate: str


class ScheduleOut(Schema):
    method: LoanMethod
    instalments: list[Instalment]
    total_interest: Money
    total_payment: Money


class RateStep(Schema):
    effective: DateText
    annual_rate: str


class Repayment(Schema):
    instalment_no: int
    due_date: DateText
    paid_on: DateText
    principal: Money
    interest: Money
    penalty: Money
    source_label: str


class LoanOut(Schema):
    contract_no: str
    principal: Money
    term_months: int
    method: LoanMethod
    method_label: str
    status_label: str
    rates: list[RateStep]
    paid_instalments: int
    remaining_instalments: int
    remaining_principal: Money
    next_due_date: DateText | None
    next_payment: MoneyOrNone
    overdue_instalments: list[int]
    overdue_amount: Money
    repayments: list[Repayment]


class LoansOut(Schema):
    items: list[LoanOut]


class LoanDetailOut(LoanOut):
    schedule: ScheduleOut


# --- calculators, tokens, login ------------------------------------------------------------


class LoanTrialOut(Schema):
    principal: Money
    months: int
    annual_rate: str
    rate_from_policy: bool
    first_home: bool
    schedule: ScheduleOut


class DepositTrialOut(Schema):
    base: Money
    base_clamped: Literal["floor", "cap"] | None = Field(
        description="基数按上下限调整：floor 下限，cap 上限"
    )
    employer_amount: Money
    employee_amount: Money
    total: Money


class RevokedOut(Schema):
    revoked: bool


class LoginIn(Input):
    login: Annotated[str, Field(min_length=1, max_length=40, description="身份证号或登记的手机号")]
    password: Annotated[str, Field(min_length=1, max_length=200)]
    factor: Literal["sms", "totp", ""] = Field("", description="第二因素，缺省按已启用的选择")


class LoginChallengeOut(Schema):
    challenge: str = Field(description="一次性登录请求号，5 分钟内有效")
    factor: Literal["sms", "totp"]
    factors: list[Literal["sms", "totp"]]
    sent_to: str | None = Field(description="短信发送到的手机号（脱敏）")
    expires_in: int = Field(description="秒")


class VerifyIn(Input):
    challenge: Annotated[str, Field(min_length=1, max_length=100)]
    code: Annotated[str, Field(max_length=10, description="6 位短信验证码或动态口令")]
    device_id: Annotated[str, Field(max_length=100, description="应用安装标识（新设备提醒）")] = ""


class IssuedTokenOut(Schema):
    token: str = Field(description="访问令牌，仅此一次返回")
    token_type: Literal["Bearer"]
    expires_at: DateTimeText
    scopes: list[str]


# --- self-service --------------------------------------------------------------------------


class DisputeStep(Schema):
    status: DisputeStatus
    label: str
    at: DateTimeText
    by: str


class LeakReportIn(Input):
    statement: Annotated[str, Field(max_length=1000, description="发生了什么（选填）")] = ""


class LeakReportOut(Schema):
    case_number: str
    online_frozen: bool


class DisputeOut(Schema):
    id: int
    kind_label: str
    periods: list[str]
    description: str
    status: DisputeStatus
    status_label: str
    resolution: str
    filed_at: DateTimeText
    timeline: list[DisputeStep]


class DisputesOut(Schema):
    items: list[DisputeOut]


_PeriodText = Annotated[StrictStr, Matches(r"\d{6}", "须为 YYYYMM，如 202609")]


class DisputeIn(Input):
    periods: Annotated[
        list[_PeriodText], Field(min_length=1, max_length=24, description="所属年月 YYYYMM")
    ]
    kind: DisputeKind
    description: Annotated[str, Field(max_length=500)] = ""


class AppointmentOut(Schema):
    id: int
    kind: AppointmentKind
    kind_label: str
    hall: str
    slot_start: DateTimeText
    business: str
    address: str
    status: AppointmentStatus
    status_label: str
    status_note: str


class AppointmentsOut(Schema):
    items: list[AppointmentOut]


class AppointmentIn(Input):
    kind: AppointmentKind
    hall_id: RecordId
    slot_start: AwareDatetime = Field(
        description="带时区的 ISO 8601 时间；柜台预约须为工作日的整时段"
    )
    business: Annotated[str, Field(max_length=100)] = ""
    address: Annotated[str, Field(max_length=200, description="上门服务必填")] = ""
    reason: Annotated[str, Field(max_length=200, description="上门服务必填：不便到厅的原因")] = ""


class CertificateOut(Schema):
    serial: str
    kind: CertificateKind
    kind_label: str
    status: CertificateStatus
    status_label: str
    issued_at: DateTimeText
    valid_until: DateText
    hall: str
    purpose: str
    pdf: str = Field(description="签名 PDF 的下载地址")


class CertificatesOut(Schema):
    items: list[CertificateOut]


_DateIn = Annotated[DateParam | None, BeforeValidator(_blank_is_none)]


class CertificateIn(Input):
    kind: CertificateKind
    purpose: Annotated[str, Field(max_length=200)] = ""
    date_from: _DateIn = Field(None, description="账户明细单的起始日")
    date_to: _DateIn = Field(None, description="账户明细单的截止日")
    loan_id: RecordId | None = Field(None, description="贷款结清证明的贷款")


class Reader(Schema):
    at: DateTimeText
    channel: Channel
    channel_label: str
    who: str = Field(description="工作人员只显示岗位和工号")
    hall: str
    purpose: str
    idcheck: bool


class CertificateLookupOut(Schema):
    at: DateTimeText
    serial: str
    result: str
    via: str


class ReadersOut(Schema):
    readers: list[Reader]
    certificate_lookups: list[CertificateLookupOut]
