"""Reads of one account for every channel: the overview (账户总览) and the movement history
(缴存明细). Selectors take the actor and go through ``access_account`` (or the request's
``AccountGrant``, one audited read for every section of a page), so each read is both
permitted and audited; the portal, the API and the counter call the same functions and cannot
disagree."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import F, Q, Sum, Window

from hpf.audit.services import Actor
from hpf.calc.continuity import continuous_months_to_now
from hpf.calc.periods import period_of, statement_years
from hpf.common import clock
from hpf.common.errors import InvalidInput
from hpf.common.policy import get_policy
from hpf.ledger.digest import account_digest
from hpf.ledger.models import Posting, Reason
from hpf.ledger.standing import monthly_split
from hpf.registry.access import AccountGrant, access_account, read_account
from hpf.registry.models import AccountStatus, FundAccount

MAX_PAGE_SIZE = 200


@dataclass(frozen=True, slots=True)
class AccountOverview:
    account_no: str
    name: str
    id_number_masked: str
    status: str
    status_label: str
    status_reason: str
    freeze_reason: str
    freeze_mode: str
    employer_name: str
    deposit_base_fen: int
    employer_ratio: Decimal
    employee_ratio: Decimal
    employer_monthly_fen: int
    employee_monthly_fen: int
    paid_through: int | None
    last_deposit_date: dt.date | None
    balance_fen: int
    continuous_months: int
    required_continuous_months: int
    as_of: dt.datetime


def account_overview(
    *, actor: Actor, account_id: int, purpose: str = "", grant: AccountGrant | None = None
) -> AccountOverview:
    """The account at a glance. The monthly amounts are the account's current base × ratios
    (``hpf.ledger.standing.monthly_split``), never the last posting, which may be a back
    payment at an old base; continuous months are counted up to this month. With the
    request's ``grant`` (naming "overview") no second read or event, and the figures from the
    whole history come from the account's digest (``hpf.ledger.digest``), which the summary
    shares."""
    account = read_account(actor, account_id, section="overview", purpose=purpose, grant=grant)
    digest = account_digest(account, grant)
    today = clock.today()
    split = monthly_split(account, today)
    continuous = continuous_months_to_now(digest.paid_periods(), period_of(today))
    return AccountOverview(
        account_no=account.account_no,
        name=account.depositor.name,
        id_number_masked=account.depositor.id_number_masked,
        status=account.status,
        status_label=str(AccountStatus(account.status).label),
        status_reason=account.status_reason,
        freeze_reason=account.freeze_reason,
        freeze_mode=account.freeze_mode,
        employer_name=account.employer.name,
        deposit_base_fen=account.deposit_base_fen,
        employer_ratio=account.employer_ratio,
        employee_ratio=account.employee_ratio,
        employer_monthly_fen=split.employer_fen if split else 0,
        employee_monthly_fen=split.employee_fen if split else 0,
        paid_through=account.paid_through,
        last_deposit_date=digest.last_deposit_date,
        balance_fen=account.balance_fen,
        continuous_months=continuous,
        required_continuous_months=get_policy().loan.required_continuous_months,
        as_of=clock.now(),
    )


@dataclass(frozen=True, slots=True)
class Movement:
    posting_id: int
    value_date: dt.date
    posted_at: dt.datetime
    period: int | None
    reason: str
    reason_label: str
    amount_fen: int
    deposit_base_fen: int | None
    employer_ratio: Decimal | None
    employer_fen: int | None
    employee_ratio: Decimal | None
    employee_fen: int | None
    balance_after_fen: int
    reversed: bool


@dataclass(frozen=True, slots=True)
class MovementPage:
    items: tuple[Movement, ...]
    page: int
    page_size: int
    total: int
    # The years the statement covers, newest first (``calc.periods.statement_years``).
    years: tuple[int, ...] = ()


def account_movements(
    *,
    actor: Actor,
    account_id: int,
    year: int | None = None,
    reasons: Sequence[str] = (),
    page: int = 1,
    page_size: int = 50,
    purpose: str = "",
    grant: AccountGrant | None = None,
) -> MovementPage:
    """Every posting of the account, newest first, with the balance after each one.

    The running balance is a window over the account's whole history (a few hundred rows even
    after thirty years), then the filter and the page apply, so a filtered page still shows
    the true balance after each line.
    """
    if not 1 <= page_size <= MAX_PAGE_SIZE or page < 1:
        raise InvalidInput(f"每页条数须在 1–{MAX_PAGE_SIZE} 之间，页码从 1 开始")
    unknown = set(reasons) - set(Reason.values)
    if unknown:
        raise InvalidInput("业务类型不正确")
    account = read_account(actor, account_id, section="movements", purpose=purpose, grant=grant)
    items, total = _movements_page(account, year, reasons, (page - 1) * page_size, page_size)
    # A posting never precedes the opening, so the opening year is where history starts
    # (no extra query: the page's query count is pinned, hpf/channels/portal/tests).
    years = tuple(statement_years(account.opened_on, clock.today()))
    return MovementPage(items, page, page_size, total, years)


def _movements_page(
    account: FundAccount, year: int | None, reasons: Sequence[str], offset: int, limit: int
) -> tuple[tuple[Movement, ...], int]:
    """One page of ``_movements`` with the paging done in the database: the running balance
    is still a window over the whole history, but only the page's rows leave the database
    and become objects, so a deep page of a thirty-year history costs about what the first
    page of a two-year one does (bench/portal.py)."""
    outer: list[str] = []
    params: list[int | str | dt.date] = [account.pk]
    if year is not None:
        outer.append("value_date >= %s AND value_date < %s")
        params.extend([dt.date(year, 1, 1), dt.date(year + 1, 1, 1)])
    if reasons:
        outer.append(f"reason IN ({', '.join(['%s'] * len(reasons))})")
        params.extend(reasons)
    outer_sql = f"WHERE {' AND '.join(outer)}" if outer else ""
    with connection.cursor() as cur:
        cur.execute(
            f"""SELECT id, balance_after, COUNT(*) OVER (),
                       EXISTS (SELECT 1 FROM ledger_posting r WHERE r.reverses_id = h.id)
                  FROM (
                    SELECT id, value_date, reason,
                           SUM(amount_fen) OVER (ORDER BY value_date, id) AS balance_after
                      FROM ledger_posting WHERE fund_account_id = %s) h
                {outer_sql}
                ORDER BY value_date DESC, id DESC LIMIT %s OFFSET %s""",
            [*params, limit, offset],
        )
        found = cur.fetchall()
    if not found:
        total = (
            Posting.objects.filter(fund_account=account)
            .filter(*([Q(value_date__year=year)] if year is not None else []))
            .filter(*([Q(reason__in=reasons)] if reasons else []))
            .count()
        )
        return (), total
    # Whether a reversal points at each line is asked above, for the page's rows only: the
    # same EXISTS as an ORM annotation cost more CPU to build than the page's other work.
    balance = {int(pk): (int(after), bool(rev)) for pk, after, _, rev in found}
    rows = Posting.objects.select_related("entry").in_bulk(list(balance))
    return tuple(_movement(rows[pk], *balance[pk]) for pk in balance), int(found[0][2])


def _movement(r: Posting, balance_after: int, reversed: bool) -> Movement:
    return Movement(
        posting_id=r.pk,
        value_date=r.value_date,
        posted_at=r.entry.posted_at,
        period=r.period,
        reason=r.reason,
        reason_label=str(Reason(r.reason).label),
        amount_fen=r.amount_fen,
        deposit_base_fen=r.deposit_base_fen,
        employer_ratio=r.employer_ratio,
        employer_fen=r.employer_fen,
        employee_ratio=r.employee_ratio,
        employee_fen=r.employee_fen,
        balance_after_fen=balance_after,
        reversed=reversed,
    )


@dataclass(frozen=True, slots=True)
class RecentDeposit:
    value_date: dt.date
    period: int | None
    amount_fen: int
    employer_fen: int | None

    @property
    def employee_fen(self) -> int | None:
        return None if self.employer_fen is None else self.amount_fen - self.employer_fen


_RECENT_SQL = """
    SELECT p.value_date, p.period, p.amount_fen, p.employer_fen
      FROM ledger_posting p
     WHERE p.fund_account_id = %s AND p.reason IN ({reasons}){positive}
       AND NOT EXISTS (SELECT 1 FROM ledger_posting r WHERE r.reverses_id = p.id)
     ORDER BY p.value_date DESC, p.id DESC
     LIMIT %s"""


def recent_deposits(
    *,
    actor: Actor,
    account_id: int,
    reasons: Sequence[str],
    count: int,
    positive: bool = False,
    purpose: str = "",
    grant: AccountGrant | None = None,
) -> tuple[RecentDeposit, ...]:
    """The last ``count`` postings of ``reasons`` that stand (none reverses them), newest
    first: what the partner channels show as "recent deposits". One statement on the
    account's date index, no running balance (the kiosk and SMS answers show none), the
    "movements" section of the read. ``positive``: money in only (the hotline's)."""
    if not 1 <= count <= MAX_PAGE_SIZE or not reasons or set(reasons) - set(Reason.values):
        raise InvalidInput("业务类型或条数不正确")
    account = read_account(actor, account_id, section="movements", purpose=purpose, grant=grant)
    sql = _RECENT_SQL.format(
        reasons=", ".join(["%s"] * len(reasons)),
        positive=" AND p.amount_fen > 0" if positive else "",
    )
    with connection.cursor() as cur:
        cur.execute(sql, [account.pk, *(str(r) for r in reasons), count])
        rows = cur.fetchall()
    return tuple(
        RecentDeposit(
            value_date=day if isinstance(day, dt.date) else dt.date.fromisoformat(day),
            period=period,
            amount_fen=int(amount),
            employer_fen=None if employer is None else int(employer),
        )
        for day, period, amount, employer in rows
    )


# The most lines an export carries: thirty years of a dozen movements a month is about 4,500.
EXPORT_MAX_ROWS = 10_000


def account_movements_export(
    *,
    actor: Actor,
    account_id: int,
    year: int | None = None,
    reasons: Sequence[str] = (),
    fmt: str,
    purpose: str = "",
) -> tuple[Movement, ...]:
    """Every movement the filters select, newest first, for a download (CSV / XLSX). The read
    is audited as ``account.read`` with ``view = export:<fmt>`` and the filters."""
    unknown = set(reasons) - set(Reason.values)
    if unknown:
        raise InvalidInput("业务类型不正确")
    account = access_account(actor, account_id, view=f"export:{fmt}"[:40], purpose=purpose)
    rows = _movements(account, year, reasons)
    if len(rows) > EXPORT_MAX_ROWS:
        raise InvalidInput(f"导出条数超过 {EXPORT_MAX_ROWS} 条，请按年份筛选后分次导出")
    return tuple(rows)


def _movements(account: FundAccount, year: int | None, reasons: Sequence[str]) -> list[Movement]:
    """The account's movements with the balance after each, newest first, filtered.

    The running balance is a window over the account's whole history (a few hundred rows even
    after thirty years), then the filters apply, so a filtered line still shows the true
    balance after it."""
    history = (
        Posting.objects.filter(fund_account=account)
        .annotate(
            balance_after=Window(
                Sum("amount_fen"), order_by=[F("value_date").asc(), F("id").asc()]
            ),
        )
        .select_related("entry")
        .order_by("-value_date", "-id")
    )
    rows = list(history)
    reversed_ids = set(
        Posting.objects.filter(reverses__fund_account=account).values_list("reverses_id", flat=True)
    )
    if year is not None:
        rows = [r for r in rows if r.value_date.year == year]
    if reasons:
        rows = [r for r in rows if r.reason in reasons]
    return [_movement(r, int(r.balance_after), r.pk in reversed_ids) for r in rows]
