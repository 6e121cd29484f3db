"""What the partner channels may tell about a depositor, read through the audited road.

``kiosk_inquiry`` answers a bank kiosk after the person put their ID card on its reader and
passed its face check; ``sms_query`` answers an SMS sent from the mobile on record. Each finds
the person, asks the depositor's channel switch, then reads through one grant of
``hpf.registry.access`` with a channel actor (``kiosk:<depositor>``, ``sms:<depositor>``), so
the read is one ``account.read`` event naming the partner and the terminal — and the figures
come from the same selectors the portal shows (``account_overview``, ``account_movements``,
``loan_list``). A refusal raises a ``DomainError`` whose details carry what the refusal's
audit event should name (the account, when the person was identified); the partner API
records it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

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
from hpf.ledger.selectors import account_movements, account_overview
from hpf.loans.selectors import loan_list
from hpf.partners.models import PartnerClient
from hpf.partners.switches import ChannelDisabled, channel_enabled
from hpf.registry.access import AccountGrant, grant_own_account
from hpf.registry.models import Depositor, FundAccount
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
    page = account_movements(
        actor=actor,
        account_id=grant.account.pk,
        reasons=DEPOSIT_REASONS,
        page_size=count * 3,
        grant=grant,
    )
    out = []
    for m in page.items:
        if m.reversed:
            continue
        out.append(
            {
                "period": format_period(m.period) if m.period else None,
                "employer_part": format_yuan(m.employer_fen or 0),
                "personal_part": format_yuan(m.employee_fen or 0),
                "total": format_yuan(m.amount_fen),
                "posted_on": m.value_date.isoformat(),
            }
        )
        if len(out) == count:
            break
    return out


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


def _person(id_number: str, name: str) -> Depositor:
    """The depositor with this ID number and exactly this name; one ``NotFound`` whichever
    part is wrong (a malformed number too), with the account named for the audit when the
    number was right."""
    try:
        parsed = parse_resident_id(id_number, today=clock.today())
    except CalcError:
        raise NotFound("未查询到与身份证件相符的公积金账户") from None
    depositor = Depositor.objects.filter(id_number_hash=id_lookup(parsed.number)).first()
    if depositor is None:
        raise NotFound("未查询到与身份证件相符的公积金账户")
    if depositor.name != name.strip():
        account = FundAccount.objects.filter(depositor_id=depositor.pk).values_list("pk", flat=True)
        raise NotFound("未查询到与身份证件相符的公积金账户", account=account.first())
    return depositor


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
    current loan — nothing else; amounts as yuan strings."""
    if not face_passed:
        raise FaceMatchRequired()
    depositor = _person(id_number, name)
    account_id = FundAccount.objects.filter(depositor_id=depositor.pk).values_list("pk", flat=True)
    if not channel_enabled(depositor.pk, "kiosk"):
        raise ChannelDisabled(account=account_id.first())
    actor = Actor(f"kiosk:{depositor.pk}", Channel.KIOSK, client_addr)
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
    )
    overview = account_overview(actor=actor, account_id=grant.account.pk, grant=grant)
    return {
        "name": mask_name(overview.name),
        "account_no": mask_account_no(overview.account_no),
        "status_label": overview.status_label,
        "balance": format_yuan(overview.balance_fen),
        "paid_through": format_period(overview.paid_through) if overview.paid_through else None,
        "deposits": _deposits(actor, grant, 6),
        "loan": _loan(actor, grant),
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
