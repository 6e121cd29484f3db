"""hpf demo-logins [--json]: print the demo's staff logins (one per role, with TOTP secrets),
the administrator, a few demo depositors, and the demo kiosk client with the kiosk page.

Demo only (refuses unless DEBUG): the depositors are synthetic, and their full ID numbers are
printed because the portal's real-name registration will ask for them. Every run makes sure
the demo kiosk client exists with the secret kept in ``var/secrets/HPF_DEMO_KIOSK_SECRET``
(idempotent), so the kiosk page's stand-in bridge can sign as it.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.db.models import QuerySet

from hpf.audit.services import Actor, record_event
from hpf.calc.accounts import missing_periods
from hpf.calc.money import format_yuan, format_yuan_grouped
from hpf.calc.periods import period_add, period_of
from hpf.common import clock
from hpf.common.crypto import decrypt
from hpf.common.envconfig import env_int, env_secret
from hpf.ledger.summary import PERIOD_REASONS
from hpf.loans.models import Loan
from hpf.partners.services import partner_client_ensure
from hpf.registry.models import AccountStatus, FundAccount
from hpf.seeding.hotline import demo_hotline_password
from hpf.seeding.portal import demo_portal_login
from hpf.seeding.staff import demo_staff
from hpf.withdrawals.models import WithdrawalState

DEMO_KIOSK_NAME = "中国建设银行昆明分行（演示）"
# What a listed depositor shows (the JSON's "marks"; the text prints the label): each chosen
# from the seeded city, the first account by id that has it (``marked_accounts``).
MARKS = {
    "loan-active": "贷款还款中 loan being repaid",
    "loan-paid-off": "贷款已结清 loan paid off (结清证明)",
    "sealed": "封存 sealed",
    "frozen": "冻结 frozen",
    "missing-months": "有缺缴月份 missing months",
    "withdrawal-pending": "提取审批中 withdrawal pending",
}


class Command(BaseCommand):
    help = "Print demo logins (DEBUG only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print the logins as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("demo-logins prints demo credentials and runs only with DEBUG=1")
        password = env_secret(
            "HPF_DEMO_ADMIN_PASSWORD", settings.VAR_DIR, generate=True, nbytes=12, min_length=12
        )
        staff_password = env_secret(
            "HPF_DEMO_STAFF_PASSWORD", settings.VAR_DIR, generate=True, nbytes=12, min_length=12
        )
        depositor_password = env_secret(
            "HPF_DEMO_DEPOSITOR_PASSWORD", settings.VAR_DIR, generate=True, nbytes=12, min_length=12
        )
        kiosk_secret = env_secret(
            "HPF_DEMO_KIOSK_SECRET", settings.VAR_DIR, generate=True, nbytes=32
        )
        partner_client_ensure(
            kind="kiosk",
            client_id=settings.HPF_KIOSK_DEMO_CLIENT,
            name=DEMO_KIOSK_NAME,
            secret=kiosk_secret,
            actor=Actor.cli("demo-logins"),
        )
        staff = demo_staff(password=staff_password, admin_password=password)
        depositors = self._depositors(depositor_password)
        port = settings.HPF_PORT
        kiosk = {
            "client_id": settings.HPF_KIOSK_DEMO_CLIENT,
            "secret": kiosk_secret,
            "page": f"http://localhost:{port}/kiosk/",
        }
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "staff": [
                            {
                                "username": m.username,
                                "role": m.role,
                                "password": m.password,
                                "totp_secret": m.totp_secret,
                            }
                            for m in staff
                        ],
                        "depositors": [
                            {k: v for k, v in d.items() if k != "_text"} for d in depositors
                        ],
                        "kiosk": kiosk,
                    },
                    ensure_ascii=False,
                    indent=2,
                )
            )
            return
        self.stdout.write("")
        self.stdout.write(f"HPF demo is at http://localhost:{port}/")
        self.stdout.write(
            f"  staff login (password, then a TOTP code)  http://localhost:{port}/staff/login/"
        )
        self.stdout.write(
            "    a code: `.venv/bin/hpf demo-totp USER`, or add the secret to an authenticator app"
        )
        for member in staff:
            self.stdout.write(
                f"    {member.role_label:<5} {member.username:<9} {member.hall:<6} "
                f"password {member.password}  TOTP secret {member.totp_secret}"
            )
        self.stdout.write(
            f"  counter (clerks)  http://localhost:{port}/counter/   "
            f"approvals (supervisors)  http://localhost:{port}/counter/approvals/"
        )
        self.stdout.write(f"  centre administration (admin)  http://localhost:{port}/admin/")
        self.stdout.write(
            f"  back office (batch runs, remittance upload)  http://localhost:{port}/backoffice/runs/"
        )
        self.stdout.write(
            "  batch jobs (this month's lists from the intake folder, month-end, settlement)"
            f"  http://localhost:{port}/backoffice/start/"
        )
        self.stdout.write(f"  public certificate verification  http://localhost:{port}/verify/")
        self.stdout.write(
            f"  bank kiosk page (1080×1920, stand-in card reader)  {kiosk['page']}   "
            f"demo kiosk client {kiosk['client_id']}  secret {kiosk_secret}  "
            "(docs/partner-api.md)"
        )
        self.stdout.write(
            f"  depositor portal  http://localhost:{port}/portal/login/  (ID number or mobile + "
            f"password, then the SMS code: read it in the demo outbox "
            f"http://localhost:{port}/portal/dev/outbox/)"
        )
        self.stdout.write(
            "  demo depositors (synthetic people; the portal registers them by these; the first "
            f"two and every marked one are registered with password {depositor_password}, the "
            "third can register at /portal/register/ with ID, name and bank card):"
        )
        for d in depositors:
            self.stdout.write(d["_text"])
        if not depositors:
            self.stdout.write("    (none yet: run `hpf seed`)")
        else:
            ivr_port = env_int("HPF_IVR_PORT", default=4573, low=1, high=65535)
            call = "HPF_GENERATE_SECRETS=1 .venv/bin/hpf ivr-call" + (
                f" --port {ivr_port}" if ivr_port != 4573 else ""
            )
            first = depositors[0]
            keys = f"1,{first['id_number'].replace('X', '*')},{first['hotline_password']}"
            self.stdout.write(
                f"  12329 hotline (FastAGI agi://127.0.0.1:{ivr_port}/12329, started by "
                f"`make demo`): call it with `{call}` (keys from the keyboard) or "
                f"`{call} --keys {keys}` (1 balance, the ID number with X as *, "
                "the hotline password)"
            )
        self.stdout.write("")

    def _depositors(self, depositor_password: str) -> list[dict[str, Any]]:
        """The first three active accounts (the first two registered, the third left to try
        the registration with), then one account for each mark in ``MARKS`` (registered), an
        account met again gathering its marks on one line."""
        picks: list[tuple[FundAccount, list[str]]] = []
        for account in self._accounts().filter(status=AccountStatus.ACTIVE)[:3]:
            picks.append((account, []))
        for mark, account in marked_accounts():
            for shown, marks in picks:
                if shown.pk == account.pk:
                    marks.append(mark)
                    break
            else:
                picks.append((account, [mark]))
        shown_rows: list[dict[str, Any]] = []
        for i, (account, marks) in enumerate(picks):
            dep = account.depositor
            id_number = decrypt(dep.id_number_enc, context=b"id_number")
            registered = (i < 2 or bool(marks)) and demo_portal_login(dep, depositor_password)
            # Demo data, but a read of a full ID number all the same: it is recorded.
            record_event(
                Actor.cli("demo-logins"),
                "account.read",
                subject_account_id=account.pk,
                purpose="演示登录信息",
                details={"view": "demo-logins"},
            )
            card = decrypt(dep.bank_card_enc, context=b"bank_card")
            pin = demo_hotline_password(dep)
            labels = "".join(f"  [{MARKS[m]}]" for m in marks)
            shown_rows.append(
                {
                    "name": dep.name,
                    "id_number": id_number,
                    "account_no": account.account_no,
                    "mobile": dep.mobile,
                    "card": card,
                    "registered": registered,
                    "password": depositor_password if registered else None,
                    "hotline_password": pin,
                    "balance": format_yuan(account.balance_fen),
                    "marks": marks,
                    "_text": (
                        f"    {dep.name:<6} ID {id_number}  account {account.account_no}  "
                        f"{account.get_status_display()}  "
                        f"balance {format_yuan_grouped(account.balance_fen)} 元  "
                        f"mobile {dep.mobile}  card {card}  ({account.employer.name})"
                        + ("  [portal: registered]" if registered else "")
                        + f"  hotline password {pin}"
                        + labels
                    ),
                }
            )
        return shown_rows

    @staticmethod
    def _accounts() -> QuerySet[FundAccount]:
        return FundAccount.objects.select_related("depositor", "employer").order_by("pk")


def marked_accounts() -> list[tuple[str, FundAccount]]:
    """One account for each mark the seeded city has, in ``MARKS`` order, each the first by
    account id (deterministic for a given seed); a mark the city lacks is left out."""
    accounts = FundAccount.objects.select_related("depositor", "employer").order_by("pk")
    found: list[tuple[str, FundAccount]] = []
    usable = accounts.exclude(status=AccountStatus.CLOSED)
    repaying = usable.filter(status=AccountStatus.ACTIVE, loans__status=Loan.Status.ACTIVE)
    paid_off = usable.filter(loans__status=Loan.Status.PAID_OFF)
    pending = accounts.filter(
        status=AccountStatus.ACTIVE,
        withdrawals__state__in=[
            WithdrawalState.SUBMITTED,
            WithdrawalState.UNDER_REVIEW,
            WithdrawalState.APPROVED,
        ],
    )
    for mark, queryset in (
        ("loan-active", repaying),
        ("loan-paid-off", paid_off),
        ("sealed", accounts.filter(status=AccountStatus.SEALED)),
        ("frozen", accounts.filter(status=AccountStatus.FROZEN)),
    ):
        account = queryset.first()
        if account is not None:
            found.append((mark, account))
    gap = first_with_missing_months()
    if gap is not None:
        found.append(("missing-months", gap))
    account = pending.first()
    if account is not None:
        found.append(("withdrawal-pending", account))
    return found


def first_with_missing_months(batch: int = 500) -> FundAccount | None:
    """The first active account (by id, among the first ``batch``) with a month from its
    opening to last month that holds no standing deposit — what the portal lists as missing
    (``hpf.ledger.summary``): one grouped query over the batch, not one per account."""
    accounts = list(
        FundAccount.objects.filter(status=AccountStatus.ACTIVE)
        .select_related("depositor", "employer")
        .order_by("pk")[:batch]
    )
    if not accounts:
        return None
    reasons = [str(r) for r in PERIOD_REASONS]
    ids = [a.pk for a in accounts]
    paid: dict[int, set[int]] = {}
    with connection.cursor() as cur:
        cur.execute(
            "SELECT fund_account_id, period FROM ledger_posting"
            f" WHERE fund_account_id IN ({', '.join(['%s'] * len(ids))}) AND period IS NOT NULL"
            f" AND reason IN ({', '.join(['%s'] * len(reasons))})"
            " GROUP BY fund_account_id, period HAVING SUM(amount_fen) > 0",
            [*ids, *reasons],
        )
        for account_id, period in cur.fetchall():
            paid.setdefault(int(account_id), set()).add(int(period))
    last = period_add(clock.current_period(), -1)
    for account in accounts:
        if missing_periods(paid.get(account.pk, set()), period_of(account.opened_on), last):
            return account
    return None
