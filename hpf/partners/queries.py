"""What the partner channels may tell about a depositor, read through the audited road.

``kiosk_inquiry`` answers a bank kiosk after the person put their ID card on its reader and
passed its face check; ``sms_query`` answers an SMS sent from the mobile on record. Each finds
the person, asks the depositor's channel switch, then reads through one grant of
``hpf.registry.access`` with a channel actor (``kiosk:<depositor>``, ``sms:<depositor>``), so
the read is one ``account.read`` event naming the partner and the terminal — and the figures
are the account row's (balance, status, paid-through month, as the portal's overview takes
them), the ledger's ``recent_deposits`` and the portal's ``loan_list`` (SMS: also
``account_overview``). The kiosk finds the person, their account, their switch and whether
they borrowed in one statement, so an inquiry is a few statements and one commit
(``tests/test_kiosk_cost.py``; bench/README.md has the figures). A refusal raises a ``DomainError`` whose details carry what the refusal's
audit event should name (the account, when the person was identified); the partner API
records it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import connection

from hpf.audit.models import Channel
from hpf.audit.services import Actor
from hpf.calc.errors import CalcError
from hpf.calc.idnumbers import parse_resident_id
from hpf.calc.masking import mask_name
from hpf.calc.money import format_yuan
from hpf.calc.periods import format_period
from hpf.common import clock
from hpf.common.errors import DomainError, NotFound
from hpf.ledger.models import Reason
from hpf.ledger.selectors import account_overview, recent_deposits
from hpf.loans.selectors import loan_list
from hpf.partners.models import PartnerClient, QueryChannel
from hpf.partners.switches import DEFAULTS, ChannelDisabled
from hpf.registry.access import AccountGrant, grant_own_account
from hpf.registry.models import AccountStatus, FundAccount
from hpf.registry.services import id_lookup

DEPOSIT_REASONS = (Reason.REMITTANCE, Reason.BACK_PAYMENT)


class FaceMatchRequired(DomainError):
    code = "FACE_MATCH_REQUIRED"
    default_message = "人脸核验未通过，不能查询；请重新核验或到服务大厅办理"


@dataclass(frozen=True, slots=True)
class Terminal:
    """The kiosk a request came from, as the bank names it."""

    id: str
    branch: str


def mask_account_no(account_no: str) -> str:
    """``000000000034`` → ``0000****0034``: enough for the person to recognise it."""
    if len(account_no) <= 8:
        return account_no[:2] + "*" * max(len(account_no) - 2, 0)
    return account_no[:4] + "*" * (len(account_no) - 8) + account_no[-4:]


def _deposits(actor: Actor, grant: AccountGrant, count: int) -> list[dict[str, Any]]:
    """The last ``count`` deposits (汇缴 / 补缴) that stand (a reversed line is left out)."""
    return [
        {
            "period": format_period(d.period) if d.period else None,
            "employer_part": format_yuan(d.employer_fen or 0),
            "personal_part": format_yuan(d.employee_fen or 0),
            "total": format_yuan(d.amount_fen),
            "posted_on": d.value_date.isoformat(),
        }
        for d in recent_deposits(
            actor=actor,
            account_id=grant.account.pk,
            reasons=DEPOSIT_REASONS,
            count=count,
            grant=grant,
        )
    ]


def _loan(actor: Actor, grant: AccountGrant) -> dict[str, Any] | None:
    """The current HPF loan (the newest with instalments left), or None."""
    for loan in loan_list(
        actor=actor, account_id=grant.account.pk, grant=grant, schedules=False, repayments=False
    ):
        if loan.remaining_instalments > 0 and loan.next_due_date is not None:
            return {
                "remaining_principal": format_yuan(loan.remaining_principal_fen),
                "next_due_date": loan.next_due_date.isoformat(),
                "next_payment": format_yuan(loan.next_payment_fen or 0),
            }
    return None


# The person by the ID number's hash (unique index), their account, their switch for the
# channel and whether they borrowed: one statement, before anything is granted. What of the
# account it fetches is what the kiosk shows from the account row.
_PERSON_SQL = """
    SELECT d.id, d.name, a.id, a.account_no, a.status, a.balance_fen, a.paid_through,
           (SELECT s.enabled FROM partners_channelswitch s
             WHERE s.depositor_id = d.id AND s.channel = %s),
           EXISTS (SELECT 1 FROM loans_loan l WHERE l.borrower_id = a.id)
      FROM registry_depositor d LEFT JOIN registry_fundaccount a ON a.depositor_id = d.id
     WHERE d.id_number_hash = %s
     ORDER BY d.id, a.id
     LIMIT 1"""
_ACCOUNT_FIELDS = ["id", "depositor_id", "account_no", "status", "balance_fen", "paid_through"]


@dataclass(frozen=True, slots=True)
class _Person:
    depositor_id: int
    account: FundAccount | None
    channel_on: bool
    borrower: bool


def _person(id_number: str, name: str, channel: str) -> _Person:
    """The depositor with this ID number and exactly this name; one ``NotFound`` whichever
    part is wrong (a malformed number too), with the account named for the audit when the
    number was right."""
    try:
        parsed = parse_resident_id(id_number, today=clock.today())
    except CalcError:
        raise NotFound("未查询到与身份证件相符的公积金账户") from None
    with connection.cursor() as cur:
        cur.execute(_PERSON_SQL, [channel, id_lookup(parsed.number)])
        row = cur.fetchone()
    if row is None:
        raise NotFound("未查询到与身份证件相符的公积金账户")
    depositor_id, real_name, account_id, *fields, switch, borrower = row
    if real_name != name.strip():
        raise NotFound("未查询到与身份证件相符的公积金账户", account=account_id)
    account: FundAccount | None = None
    if account_id is not None:
        read = dict(zip(_ACCOUNT_FIELDS, [account_id, depositor_id, *fields], strict=True))
        # ``from_db`` takes the values in the model's field order; the others stay deferred.
        names = [f.attname for f in FundAccount._meta.concrete_fields if f.attname in read]
        account = FundAccount.from_db(connection.alias, names, [read[n] for n in names])
    return _Person(
        depositor_id=int(depositor_id),
        account=account,
        channel_on=DEFAULTS[channel] if switch is None else bool(switch),
        borrower=bool(borrower),
    )


def kiosk_inquiry(
    *,
    client: PartnerClient,
    id_number: str,
    name: str,
    face_passed: bool,
    terminal: Terminal,
    client_addr: str | None,
    view: str = "kiosk-inquiry",
) -> dict[str, Any]:
    """The kiosk's answer for the person whose card is on the reader: masked name and
    account number, status, balance, paid-through month, the last six deposits and the
    current loan — nothing else; amounts as yuan strings.

    Queries: the person (with the account, the kiosk switch and whether they borrowed), the
    read's audit event, the last deposits, and only for a borrower the loans."""
    if not face_passed:
        raise FaceMatchRequired()
    person = _person(id_number, name, QueryChannel.KIOSK)
    account = person.account
    if not person.channel_on:
        raise ChannelDisabled(account=account.pk if account else None)
    actor = Actor(f"kiosk:{person.depositor_id}", Channel.KIOSK, client_addr)
    grant = grant_own_account(
        actor,
        view=view,
        sections=("overview", "movements", "loans"),
        purpose="自助终端本人查询",
        details={
            "partner": client.client_id,
            "partner_name": client.name,
            "terminal": terminal.id,
            "branch": terminal.branch,
        },
        account=account,
    )
    granted = grant.covers(actor, grant.account.pk, "overview")
    return {
        "name": mask_name(name.strip()),
        "account_no": mask_account_no(granted.account_no),
        "status_label": str(AccountStatus(granted.status).label),
        "balance": format_yuan(granted.balance_fen),
        "paid_through": format_period(granted.paid_through) if granted.paid_through else None,
        "deposits": _deposits(actor, grant, 6),
        "loan": _loan(actor, grant) if person.borrower else None,
    }


# --- SMS -----------------------------------------------------------------------------------

SMS_SIGNATURE = "【昆明公积金】"
HELP_TEXT = (
    f"{SMS_SIGNATURE}短信查询：发送 YE 或“余额”查余额，MX 或“明细”查最近三笔缴存，"
    "DK 或“贷款”查下期还款。须本人在网上业务大厅开启短信查询。咨询请拨 12329。"
)
COMMANDS = {
    "YE": "balance",
    "余额": "balance",
    "MX": "deposits",
    "明细": "deposits",
    "DK": "loan",
    "贷款": "loan",
}


def sms_command(text: str) -> str | None:
    """ "balance", "deposits", "loan" or None (anything else gets the help text)."""
    return COMMANDS.get("".join(text.split()).upper())


def sms_reply(
    *,
    client: PartnerClient,
    depositor_id: int,
    command: str,
    client_addr: str | None,
    caller: str = "",
) -> str:
    """The reply text for a query from the depositor's own mobile (their switch already
    asked); one audited read naming the gateway and the caller's number (masked)."""
    actor = Actor(f"sms:{depositor_id}", Channel.SMS, client_addr)
    sections = {"balance": ("overview",), "deposits": ("movements",), "loan": ("loans",)}
    grant = grant_own_account(
        actor,
        view=f"sms-{command}",
        sections=sections[command],
        purpose="短信本人查询",
        details={"partner": client.client_id, "partner_name": client.name, "caller": caller},
    )
    if command == "balance":
        v = account_overview(actor=actor, account_id=grant.account.pk, grant=grant)
        through = f"，已缴至 {format_period(v.paid_through)}" if v.paid_through else ""
        return f"{SMS_SIGNATURE}您的住房公积金账户余额 {format_yuan(v.balance_fen)} 元{through}。"
    if command == "deposits":
        items = _deposits(actor, grant, 3)
        if not items:
            return f"{SMS_SIGNATURE}您的住房公积金账户暂无缴存记录。"
        lines = "；".join(f"{d['period']} {d['total']} 元（{d['posted_on']} 入账）" for d in items)
        return f"{SMS_SIGNATURE}最近缴存：{lines}。"
    loan = _loan(actor, grant)
    if loan is None:
        return f"{SMS_SIGNATURE}您目前没有正在还款的住房公积金贷款。"
    due = dt.date.fromisoformat(loan["next_due_date"])
    return (
        f"{SMS_SIGNATURE}您的公积金贷款下期还款日 {due:%Y-%m-%d}，应还 {loan['next_payment']} 元，"
        f"剩余本金 {loan['remaining_principal']} 元。"
    )
