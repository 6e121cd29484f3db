"""Deep reconciliation (``hpf check-ledger --deep``): the money itself recomputed from its inputs.

The ordinary checks prove that entries balance and that cached balances equal the postings; an
alteration that keeps an entry balanced passes them.  These checks recompute every figure from
what it was made of and name each row that disagrees:

* ``deposit-parts``: every deposit posting's employer and employee parts from its base and
  ratios, by the policy's rounding (``hpf.calc.deposits.deposit_share``);
* ``interest-recomputed``: every interest settlement from the account's postings — the carried
  balance and the balance-days (积数) of its year, by ``hpf.calc.interest`` (the integer formula
  of the 30 June run, ``accrue_interest`` for closings and years with a rate change);
* ``loan-repayments``: every loan repayment against the loan's schedule (``hpf.calc.loans``):
  due date, principal and interest of its instalment, the penalty for its days late, and its
  journal entry's receivable and income postings.

Set-based where the volume is: the deposits are one scan of the postings with the rounding in
integer SQL; the settlements are one aggregate of the postings by account and interest year
(amount and amount × day number, from which the balance-days to any day of the year follow),
compared in SQL for one-rate 30 June settlements.  Only closings, rate-change years and the
loans (thousands, not millions) go through Python.  The interest and loan tables sit above the
ledger, so they are read by name, as ``hpf.ledger.checks`` reads the settlements.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from itertools import groupby
from typing import Any

from django.db import connection

from hpf.calc.deposits import deposit_share
from hpf.calc.errors import CalcError
from hpf.calc.interest import (
    accrue_interest,
    interest_from_figures,
    interest_year_start,
    rate_as_fraction,
)
from hpf.calc.loans import RateChange, loan_instalments, penalty_fen
from hpf.calc.money import format_yuan
from hpf.common.pgsettings import set_settings
from hpf.common.policy import get_policy
from hpf.ledger.checks import (
    LIMIT,
    Check,
    Scratch,
    Violation,
    _rows,
    _with_scratch,
    sequential_scan,
)
from hpf.ledger.models import DEPOSIT_REASONS, CentreCode, Reason

_EPOCH = dt.date(2000, 1, 1)
_DEPOSITS = ", ".join(f"'{r}'" for r in DEPOSIT_REASONS)
# Valued on a settlement's own date and not movements of its year: the interest itself and the
# closing withdrawal that pays the account out on its closing settlement's date.
_NOT_MOVES = f"'{Reason.INTEREST}', '{Reason.CLOSING_WITHDRAWAL}'"


def _date(value: Any) -> dt.date:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def _ratio_int(column: str) -> str:
    """A ratio column (4 decimal places) as an exact integer of ten-thousandths (SQLite stores
    it as a float; rounding ×10⁴ gives the exact integer back)."""
    return f"CAST(ROUND({column} * 10000) AS BIGINT)"


def _share_sql(ratio: str, unit: str) -> str:
    """``deposit_share`` under ROUND_HALF_UP in integer SQL (bases are positive)."""
    product = f"p.deposit_base_fen * {_ratio_int(ratio)}"
    if unit == "yuan":
        return f"(({product} + 500000) / 1000000 * 100)"
    return f"(({product} + 5000) / 10000)"


@_with_scratch
def deposit_parts(scratch: Scratch) -> Iterator[Violation]:
    """Every deposit's parts equal base × ratio, each rounded as the policy says."""
    d = get_policy().deposit
    scan = sequential_scan()
    where = f"""p.fund_account_id IS NOT NULL AND p.reason IN ({_DEPOSITS})"""
    missing = """(p.deposit_base_fen IS NULL OR p.employer_ratio IS NULL
                  OR p.employee_ratio IS NULL OR p.employer_fen IS NULL)"""
    columns = """p.id, p.entry_id, p.fund_account_id, p.period, p.deposit_base_fen,
                 p.employer_ratio, p.employee_ratio, p.employer_fen, p.amount_fen"""
    if d.rounding == ROUND_HALF_UP:
        er, ee = (
            _share_sql("p.employer_ratio", d.rounding_unit),
            _share_sql("p.employee_ratio", d.rounding_unit),
        )
        wrong = f"""{where} AND ({missing} OR p.employer_fen <> {er}
                                 OR p.amount_fen - p.employer_fen <> {ee})"""
        found = 1
        if connection.vendor == "postgresql":
            # Counted first: an aggregate is one parallel scan, where the LIMIT below (which
            # the planner expects to reach early) is planned as a scan by one process.
            [(found,)] = _rows(f"SELECT COUNT(*) FROM ledger_posting p WHERE {wrong}")
        rows = (
            _rows(f"SELECT {columns} FROM ledger_posting p {scan} WHERE {wrong} LIMIT {LIMIT}")
            if found
            else []
        )
    else:  # another rounding mode: every deposit through calc, streamed
        rows = []
        with connection.cursor() as cur:
            cur.execute(f"SELECT {columns} FROM ledger_posting p {scan} WHERE {where}")
            for row in cur:
                if len(rows) >= LIMIT:
                    break
                if None in row[4:8] or _parts(row, d.rounding_unit, d.rounding) != (
                    row[7],
                    row[8] - row[7],
                ):
                    rows.append(row)
    for pid, entry_id, account_id, period, base, er_, ee_, employer, amount in rows:
        if None in (base, er_, ee_, employer):
            yield Violation(
                "deposit-parts",
                f"posting {pid} (entry {entry_id}, account id {account_id})",
                "deposit without its base, ratios or employer part",
            )
            continue
        want_er, want_ee = _parts(
            (pid, entry_id, account_id, period, base, er_, ee_), d.rounding_unit, d.rounding
        )
        yield Violation(
            "deposit-parts",
            f"posting {pid} (entry {entry_id}, account id {account_id}, period {period})",
            f"parts {format_yuan(employer)} + {format_yuan(amount - employer)} ≠ base "
            f"{format_yuan(base)} × {Decimal(er_):.4f} / {Decimal(ee_):.4f} = "
            f"{format_yuan(want_er)} + {format_yuan(want_ee)}",
        )


def _parts(row: tuple[Any, ...], unit: Any, rounding: str) -> tuple[int, int]:
    base = int(row[4])
    er = Decimal(str(row[5])).quantize(Decimal("0.0001"))
    ee = Decimal(str(row[6])).quantize(Decimal("0.0001"))
    return (
        deposit_share(base, er, unit=unit, rounding=rounding),
        deposit_share(base, ee, unit=unit, rounding=rounding),
    )


def _sql_interest_year(column: str, shift: int) -> str:
    """The interest year a value date falls in: the calendar year of the date ``shift`` days
    later, ``shift`` being the days from the settlement day to 31 December (184 for 30 June),
    so 1 July moves into the next year and 30 June stays — cheaper than comparing month-days."""
    if connection.vendor == "postgresql":
        # date_part (a float) rather than EXTRACT (a numeric): half the cost per posting.
        return f"CAST(date_part('year', {column} + {shift}) AS INTEGER)"
    return f"CAST(strftime('%Y', {column}, '+{shift} days') AS INTEGER)"


def _sql_ordinal(column: str) -> str:
    """Days since 2000-01-01, as an integer."""
    if connection.vendor == "postgresql":
        return f"({column} - DATE '{_EPOCH.isoformat()}')"
    return f"CAST(julianday({column}) - julianday('{_EPOCH.isoformat()}') AS INTEGER)"


def single_rate_interest_sql(carried: str, fen_days: str, rate: Decimal, days_in_year: int) -> str:
    """SQL for a one-rate year's interest from two integer expressions, never negative: the
    integer formula of ``hpf.calc.interest.interest_fen_integer`` — round half up of
    (carried × num × days + fen-days × num) / (days × den), rate = num / den — shared by the
    30 June settlement and this recomputation of it."""
    num, den = rate_as_fraction(rate)
    total = f"{carried} * {num * days_in_year} + {fen_days} * {num}"
    divisor = days_in_year * den
    expr = (
        f"(CASE WHEN ({total}) >= 0 THEN (2 * ({total}) + {divisor}) / {2 * divisor} "
        f"ELSE -((-2 * ({total}) + {divisor}) / {2 * divisor}) END)"
    )
    return f"CASE WHEN {expr} < 0 THEN 0 ELSE {expr} END"


def _build_year_figures() -> None:
    """chk_deep_year: per account and interest year, the sum of the year's movements, the sum
    of amount × day number over them, and the carried balance at the year's start — one pass
    over the postings.  Every settlement's (account, year) gets a row, postings or not.

    On PostgreSQL its hash table is given room in memory: with the default 4 MB it spills
    to disk in dozens of batches (a city's accounts times its years of groups)."""
    settlement = get_policy().interest.settlement_date(2001)  # not a leap year: fixed shift
    year = _sql_interest_year("p.value_date", (dt.date(2001, 12, 31) - settlement).days)
    ordinal = _sql_ordinal("p.value_date")
    scan = sequential_scan()
    with connection.cursor() as cur:
        restore: dict[str, str] = {}
        if connection.vendor == "postgresql":
            restore = set_settings(cur, {"work_mem": "256MB", "jit": "off"})
        cur.execute("DROP TABLE IF EXISTS chk_deep_year")
        cur.execute(
            f"""CREATE TEMP TABLE chk_deep_year AS
            SELECT account_id, iy,
                   CAST(moves AS BIGINT) AS moves, CAST(mv AS BIGINT) AS mv,
                   CAST(COALESCE(SUM(total) OVER (PARTITION BY account_id ORDER BY iy
                        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS BIGINT) AS carried
              FROM (
                SELECT account_id, iy, SUM(moves) AS moves, SUM(mv) AS mv, SUM(total) AS total
                  FROM (
                    SELECT p.fund_account_id AS account_id, {year} AS iy,
                           CASE WHEN p.reason IN ({_NOT_MOVES}) THEN 0 ELSE p.amount_fen END
                               AS moves,
                           CASE WHEN p.reason IN ({_NOT_MOVES}) THEN 0
                                ELSE p.amount_fen * {ordinal} END AS mv,
                           p.amount_fen AS total
                      FROM ledger_posting p {scan}
                     WHERE p.fund_account_id IS NOT NULL
                    UNION ALL
                    SELECT fund_account_id, interest_year, 0, 0, 0
                      FROM interest_interestsettlement
                  ) x
                 GROUP BY account_id, iy
              ) y"""
        )
        set_settings(cur, restore)
        cur.execute("CREATE INDEX chk_deep_year_key ON chk_deep_year (account_id, iy)")
        cur.execute("ANALYZE chk_deep_year")


@_with_scratch
def settlements_recomputed(scratch: Scratch) -> Iterator[Violation]:
    """Every interest settlement equals the interest recomputed from the account's postings."""
    policy = get_policy()
    interest = policy.interest
    extra = 1 if interest.day_count == "both_inclusive" else 0
    diy = interest.days_in_year
    years = [
        int(y) for (y,) in _rows("SELECT DISTINCT interest_year FROM interest_interestsettlement")
    ]
    if not years:
        return
    _build_year_figures()
    try:
        fast_cases: list[str] = []
        slow_years: list[int] = []
        for year in sorted(years):
            june = interest.settlement_date(year)
            try:
                rates = policy.interest_rates_for_year(june)
            except CalcError:
                slow_years.append(year)
                continue
            if len(rates) == 1 and not rates[0].is_split:
                s_ord = (june - _EPOCH).days
                fen_days = f"(c.moves * {s_ord + extra} - c.mv)"
                expr = single_rate_interest_sql("c.carried", fen_days, rates[0].rate, diy)
                fast_cases.append(
                    f"WHEN s.interest_year = {year} AND s.settlement_date = "
                    f"'{june.isoformat()}' THEN ({expr})"
                )
            else:
                slow_years.append(year)
        expected = f"(CASE {' '.join(fast_cases)} ELSE NULL END)" if fast_cases else "NULL"
        found = 0
        for sid, account_id, year, on, fen, want in _rows(
            f"""SELECT s.id, s.fund_account_id, s.interest_year, s.settlement_date, s.interest_fen,
                       {expected}
                  FROM interest_interestsettlement s
                  JOIN chk_deep_year c ON c.account_id = s.fund_account_id
                   AND c.iy = s.interest_year
                 WHERE {expected} IS NOT NULL AND {expected} <> s.interest_fen
                 LIMIT {LIMIT}"""
        ):
            found += 1
            yield _settlement_violation(sid, account_id, year, _date(on), fen, int(want))
        # Closings (dated before 30 June) and rate-change years: through hpf.calc.
        june_of = {y: interest.settlement_date(y) for y in years}
        others = _rows(
            f"""SELECT s.id, s.fund_account_id, s.interest_year, s.settlement_date,
                       s.interest_fen, c.carried, c.moves, c.mv
                  FROM interest_interestsettlement s
                  JOIN chk_deep_year c ON c.account_id = s.fund_account_id
                   AND c.iy = s.interest_year
                 WHERE NOT ({expected} IS NOT NULL)
                 ORDER BY s.interest_year, s.fund_account_id"""
        )
        by_year = {y: list(rows) for y, rows in groupby(others, key=lambda r: int(r[2]))}
        for year, rows in by_year.items():
            june = june_of[year]
            if year in slow_years:
                movements = _year_movements(june)
            for sid, account_id, _, on, fen, carried, moves, mv in rows:
                if found >= LIMIT:
                    return
                on = _date(on)
                try:
                    rates = policy.interest_rates_for_year(june)
                    if year in slow_years:
                        want = accrue_interest(
                            settlement_date=june,
                            on=on,
                            carried_balance_fen=int(carried),
                            movements=[m for m in movements.get(account_id, []) if m[0] <= on],
                            rates=rates,
                            day_count=interest.day_count,
                            days_in_year=diy,
                        ).interest_fen
                    else:
                        on_ord = (on - _EPOCH).days
                        want = interest_from_figures(
                            settlement_date=june,
                            on=on,
                            carried_balance_fen=int(carried),
                            balance_days_fen=int(moves) * (on_ord + extra) - int(mv),
                            rate=rates[0].rate,
                            days_in_year=diy,
                        )
                except CalcError as exc:
                    found += 1
                    yield Violation(
                        "interest-recomputed",
                        f"settlement {sid} (account id {account_id}, {year})",
                        f"cannot be recomputed: {exc.message}",
                    )
                    continue
                want = max(want, 0)
                if want != int(fen):
                    found += 1
                    yield _settlement_violation(sid, account_id, year, on, int(fen), want)
    finally:
        with connection.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS chk_deep_year")


def _year_movements(june: dt.date) -> dict[int, list[tuple[dt.date, int]]]:
    """Every account's movements of the interest year ending ``june`` (rate-change years)."""
    out: dict[int, list[tuple[dt.date, int]]] = {}
    for account_id, value_date, amount in _rows_params(
        f"""SELECT fund_account_id, value_date, amount_fen FROM ledger_posting
             WHERE fund_account_id IS NOT NULL AND value_date >= %s AND value_date <= %s
               AND reason NOT IN ({_NOT_MOVES})""",
        [interest_year_start(june), june],
    ):
        out.setdefault(account_id, []).append((_date(value_date), int(amount)))
    return out


def _rows_params(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return list(cur.fetchall())


def _settlement_violation(
    sid: int, account_id: int, year: int, on: dt.date, fen: int, want: int
) -> Violation:
    return Violation(
        "interest-recomputed",
        f"settlement {sid} (account id {account_id}, {year}, {on.isoformat()})",
        f"records and posts {format_yuan(fen)} but the postings give {format_yuan(want)}",
    )


@_with_scratch
def repayments_against_schedule(scratch: Scratch) -> Iterator[Violation]:
    """Every loan repayment equals its instalment of the loan's schedule, its penalty the
    policy's for its days late, and its entry posts exactly those amounts."""
    factor = get_policy().loan.penalty_daily_factor
    rates: dict[int, list[tuple[dt.date, Decimal]]] = {}
    for loan_id, effective, rate in _rows(
        "SELECT loan_id, effective, annual_rate FROM loans_loanrate ORDER BY loan_id, effective"
    ):
        rates.setdefault(loan_id, []).append((_date(effective), Decimal(str(rate))))
    loans = {
        row[0]: row
        for row in _rows(
            "SELECT id, contract_no, principal_fen, term_months, method, first_due_date"
            " FROM loans_loan WHERE id IN (SELECT DISTINCT loan_id FROM loans_loanrepayment)"
        )
    }
    repayments = _rows(
        f"""SELECT r.id, r.loan_id, r.instalment_no, r.due_date, r.paid_on, r.principal_fen,
                   r.interest_fen, r.penalty_fen,
                   COALESCE(SUM(CASE WHEN p.centre_account_id = '{CentreCode.LOAN_RECEIVABLE}'
                                     THEN p.amount_fen END), 0),
                   COALESCE(SUM(CASE WHEN p.centre_account_id = '{CentreCode.LOAN_INTEREST_INCOME}'
                                     THEN p.amount_fen END), 0)
              FROM loans_loanrepayment r LEFT JOIN ledger_posting p ON p.entry_id = r.entry_id
             GROUP BY r.id, r.loan_id, r.instalment_no, r.due_date, r.paid_on, r.principal_fen,
                      r.interest_fen, r.penalty_fen
             ORDER BY r.loan_id, r.instalment_no"""
    )
    found = 0
    for loan_id, group in groupby(repayments, key=lambda r: r[1]):
        items = list(group)
        _, contract_no, principal, months, method, first_due = loans[loan_id]
        history = rates.get(loan_id, [])
        try:
            if not history:
                raise CalcError("LOAN_RATES_MISSING", "贷款缺少合同利率")
            schedule = loan_instalments(
                principal_fen=int(principal),
                annual_rate=history[0][1],
                months=int(months),
                method=method,
                first_due_date=_date(first_due),
                rate_changes=[RateChange(e, r) for e, r in history[1:]],
                upto=max(int(r[2]) for r in items),
            )
        except CalcError as exc:
            found += 1
            yield Violation("loan-repayments", f"loan {contract_no}", exc.message)
            continue
        for rid, _, no, due, paid_on, p_fen, i_fen, pen, receivable, income in items:
            if found >= LIMIT:
                return
            no = int(no)
            if not 1 <= no <= len(schedule):
                problems = [f"instalment {no} is not in the {months}-month schedule"]
            else:
                inst = schedule[no - 1]
                late = (_date(paid_on) - inst.due_date).days
                want_pen = penalty_fen(inst.payment_fen, inst.annual_rate, late, factor)
                due_d, p_fen, i_fen, pen = _date(due), int(p_fen), int(i_fen), int(pen)
                receivable, income = int(receivable), int(income)
                if (
                    due_d == inst.due_date
                    and p_fen == inst.principal_fen
                    and i_fen == inst.interest_fen
                    and pen == want_pen
                    and receivable == p_fen
                    and income == i_fen + pen
                ):
                    continue  # the usual case: no text is built for it
                problems = [
                    text
                    for bad, text in (
                        (due_d != inst.due_date, f"due {due} ≠ schedule {inst.due_date}"),
                        (
                            p_fen != inst.principal_fen,
                            f"principal {format_yuan(p_fen)} ≠ schedule "
                            f"{format_yuan(inst.principal_fen)}",
                        ),
                        (
                            i_fen != inst.interest_fen,
                            f"interest {format_yuan(i_fen)} ≠ schedule "
                            f"{format_yuan(inst.interest_fen)}",
                        ),
                        (
                            pen != want_pen,
                            f"penalty {format_yuan(pen)} ≠ {format_yuan(want_pen)} for "
                            f"{max(late, 0)} days late",
                        ),
                        (
                            receivable != p_fen,
                            f"entry posts {format_yuan(receivable)} of principal",
                        ),
                        (
                            income != i_fen + pen,
                            f"entry posts {format_yuan(income)} of interest and penalty",
                        ),
                    )
                    if bad
                ]
            if problems:
                found += 1
                yield Violation(
                    "loan-repayments",
                    f"repayment {rid} (loan {contract_no}, instalment {no})",
                    "; ".join(problems),
                )


DEEP_CHECKS: dict[str, Check] = {
    "deposit-parts": deposit_parts,
    "interest-recomputed": settlements_recomputed,
    "loan-repayments": repayments_against_schedule,
}
