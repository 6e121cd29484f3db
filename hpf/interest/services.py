"""The 30 June interest settlement (年终结息), set-based.

For one settlement date D (the end of the interest year that began on 1 July), every account
that is not closed gets one ``InterestSettlement`` row and, when the interest is not zero, one
interest posting, by a handful of SQL statements per chunk of accounts — never a Python loop
over accounts. For each account:

* carried-over balance (上年结转) = balance at the end of the previous 30 June, taken as the
  proven cached balance less every posting valued after that day;
* balance-days (积数) = Σ amount × days over this year's postings, days per the policy's
  day-count switch (default D − value date);
* interest = carried × rate + balance-days × rate / 360, in integer arithmetic, rounded once,
  half up (hpf.calc.interest.interest_fen_integer is the same formula and the tests hold the
  SQL to it).

Idempotent and crash-safe: each chunk is one transaction, and an account already settled for
the year is skipped (and the database refuses a second row for it), so a rerun after a crash
finishes the job and a second run posts nothing. Years with a rate change inside them (the
2015/16 year's split rates) go through hpf.calc.interest per account in the same chunks.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction

from hpf.audit.services import Actor
from hpf.calc.interest import (
    DayCount,
    RatePeriod,
    accrue_interest,
    interest_fen_integer,
    interest_year_start,
    settle_interest_year,
)
from hpf.common import clock
from hpf.common.dbguards import plan_for_keyed_batches
from hpf.common.errors import InvalidInput, InvalidTransition
from hpf.common.pgsettings import set_settings
from hpf.common.policy import get_policy
from hpf.common.timing import PhaseTimer
from hpf.interest.models import InterestSettlement
from hpf.ledger import bulk
from hpf.ledger.checks import sequential_scan
from hpf.ledger.deep import single_rate_interest_sql
from hpf.ledger.models import CentreCode, JournalEntry, Reason
from hpf.ledger.services import Line, entry_post
from hpf.operations.models import BatchRun
from hpf.operations.services import run_fail, run_finish, run_progress, run_start
from hpf.registry.models import FundAccount

CHUNK = 50_000
# Connections posting chunks at once from the command line on PostgreSQL: the posting is the
# database server's work, one core per connection, so two use this machine's two cores.
DEFAULT_WORKERS = 2


@dataclass(frozen=True, slots=True)
class SettlementTotals:
    accounts: int
    interest_fen: int
    skipped: int
    dry_run: bool
    run_id: int


def _days_sql(settlement: dt.date) -> str:
    if connection.vendor == "postgresql":
        return f"(DATE '{settlement.isoformat()}' - p.value_date)"
    return f"CAST(julianday('{settlement.isoformat()}') - julianday(p.value_date) AS INTEGER)"


def _single_rate_sql(rate: Decimal, days_in_year: int) -> str:
    """The interest of a one-rate year from ``carried`` and ``fen_days``, never negative (the
    same SQL as check-ledger --deep recomputes it with)."""
    return single_rate_interest_sql("carried", "fen_days", rate, days_in_year)


def stage_table(year: int) -> str:
    """Where a run stages the year's figures. On PostgreSQL an UNLOGGED table that every worker
    connection can read (not WAL-logged, like a temporary table, and emptied by a crash
    recovery, which is harmless: a rerun stages again); one run per year at a time holds the
    year's advisory lock, so a table left by a killed run is simply dropped by the next. On
    SQLite, with its one writer and one worker, the connection's temporary table."""
    return f"hpf_settle_stage_{year}" if connection.vendor == "postgresql" else "hpf_settle_all"


def _stage_all(settlement: dt.date, year: int, extra_days: int, interest_sql: str) -> str:
    """Aggregate this interest year's postings for every account still to settle, in one
    pass over the postings, into ``stage_table(year)``, whose name is returned;
    ``interest_sql`` (one-rate years) works out the interest in the same statement, "NULL"
    leaves it to ``_compute_per_account``.

    On PostgreSQL the table is made by CREATE TABLE AS, which may run its SELECT in parallel
    (an INSERT … SELECT may not): the scan of the year's postings and the anti-join against
    the year's settlements use both cores (bench/README.md).
    The accounts already settled for the year are taken out by a hash anti-join — one pass
    over the year's settlements — instead of a probe of the unique index per account.
    """
    table = stage_table(year)
    prev = settlement.replace(year=settlement.year - 1)
    days = _days_sql(settlement)
    scan = sequential_scan()
    select = f"""
        SELECT account_id, carried, moves, fen_days, CAST({interest_sql} AS BIGINT) AS interest
          FROM (
        SELECT a.id AS account_id,
               -- PostgreSQL sums bigints as numeric: back to integers, so that the
               -- interest below divides as integers.
               CAST(a.balance_fen - COALESCE(agg.after_prev, 0) AS BIGINT) AS carried,
               CAST(COALESCE(agg.moves, 0) AS BIGINT) AS moves,
               CAST(COALESCE(agg.fen_days, 0) AS BIGINT) AS fen_days
          FROM registry_fundaccount a
          LEFT JOIN (
            SELECT p.fund_account_id AS account_id,
                   SUM(p.amount_fen) AS after_prev,
                   SUM(CASE WHEN p.value_date <= %s THEN p.amount_fen ELSE 0 END) AS moves,
                   SUM(CASE WHEN p.value_date <= %s
                            THEN p.amount_fen * ({days} + {extra_days}) ELSE 0 END) AS fen_days
              FROM ledger_posting p {scan}
             WHERE p.fund_account_id IS NOT NULL AND p.value_date > %s
             GROUP BY p.fund_account_id
          ) agg ON agg.account_id = a.id
         WHERE a.status <> 'CLOSED'
           AND a.opened_on <= %s
           AND NOT EXISTS (
               SELECT 1 FROM interest_interestsettlement s
                WHERE s.fund_account_id = a.id AND s.interest_year = %s)
        ) staged
    """
    params: list[dt.date | int] = [settlement, settlement, prev, settlement, year]
    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {table}")
        if connection.vendor == "postgresql":
            # The aggregate's hash table (one group per account, three sums each) in memory:
            # with the default 4 MB it spills to disk in batches and its merge sorts on disk;
            # and no JIT (its compile alone is a quarter of a second per run). Put back after.
            before = set_settings(cur, {"work_mem": "256MB", "jit": "off"})
            cur.execute(f"CREATE UNLOGGED TABLE {table} AS {select}", params)
            set_settings(cur, before)
            cur.execute(f"ALTER TABLE {table} ADD PRIMARY KEY (account_id)")
        else:
            cur.execute(
                f"CREATE TEMP TABLE {table} ("
                " account_id BIGINT PRIMARY KEY, carried BIGINT NOT NULL, moves BIGINT NOT NULL,"
                " fen_days BIGINT NOT NULL, interest BIGINT)"
            )
            cur.execute(
                f"INSERT INTO {table} (account_id, carried, moves, fen_days, interest) {select}",
                params,
            )
        # The chunks read the table by ranges of its key: with its statistics their joins are
        # planned for the tens of thousands of rows a chunk has, not for a handful.
        cur.execute(f"ANALYZE {table}")
    return table


def _take_chunk(stage: str, lo: int, hi: int) -> None:
    """Rate-change years: copy a chunk into the connection's own table, where
    ``_compute_per_account`` writes each account's interest."""
    with connection.cursor() as cur:
        cur.execute(
            "CREATE TEMP TABLE IF NOT EXISTS hpf_settle_chunk ("
            " account_id BIGINT PRIMARY KEY, carried BIGINT NOT NULL, moves BIGINT NOT NULL,"
            " fen_days BIGINT NOT NULL, interest BIGINT)"
        )
        cur.execute("DELETE FROM hpf_settle_chunk")
        cur.execute(
            f"INSERT INTO hpf_settle_chunk SELECT * FROM {stage}"
            " WHERE account_id BETWEEN %s AND %s",
            [lo, hi],
        )
        # Fresh temporary rows have no statistics: without them the joins that post the
        # chunk would be planned for a handful of rows.
        cur.execute("ANALYZE hpf_settle_chunk")


def _compute_per_account(
    settlement: dt.date, policy_rates: Sequence[RatePeriod], day_count: DayCount, days_in_year: int
) -> None:
    """Rate-change years: each account through hpf.calc.interest (a few thousand a chunk)."""
    prev = settlement.replace(year=settlement.year - 1)
    with connection.cursor() as cur:
        cur.execute("SELECT account_id, carried FROM hpf_settle_chunk ORDER BY account_id")
        carried = dict(cur.fetchall())
        cur.execute(
            "SELECT p.fund_account_id, p.value_date, p.amount_fen FROM ledger_posting p"
            " JOIN hpf_settle_chunk c ON c.account_id = p.fund_account_id"
            " WHERE p.value_date > %s AND p.value_date <= %s",
            [prev, settlement],
        )
        movements: dict[int, list[tuple[dt.date, int]]] = {}
        for account_id, value_date, amount in cur.fetchall():
            if isinstance(value_date, str):
                value_date = dt.date.fromisoformat(value_date)
            movements.setdefault(account_id, []).append((value_date, amount))
        updates = []
        for account_id, carried_fen in carried.items():
            result = settle_interest_year(
                settlement_date=settlement,
                carried_balance_fen=carried_fen,
                movements=movements.get(account_id, []),
                rates=policy_rates,
                day_count=day_count,
                days_in_year=days_in_year,
            )
            updates.append((max(result.interest_fen, 0), account_id))
        cur.executemany("UPDATE hpf_settle_chunk SET interest = %s WHERE account_id = %s", updates)


def interest_settle(
    *,
    settlement_date: dt.date,
    actor: Actor,
    dry_run: bool = False,
    chunk: int = CHUNK,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
    pause_s: float = 0.0,
) -> SettlementTotals:
    """Settle the interest year ending ``settlement_date`` for every account not yet settled.

    ``workers`` > 1 posts the chunks over that many database connections at once (PostgreSQL;
    SQLite has one writer and runs one). ``pause_s`` sleeps between chunks (each chunk is
    committed by then), to spread a run over time on a database that is serving depositors."""
    if workers < 1:
        raise InvalidInput("并行数至少为 1")
    policy = get_policy()
    if (settlement_date.month, settlement_date.day) != (6, 30):
        raise InvalidInput("结息日必须为 6 月 30 日")
    if settlement_date > clock.today():
        raise InvalidInput("不能对未来日期结息")
    rates = policy.interest_rates_for_year(settlement_date)
    day_count = policy.interest.day_count
    days_in_year = policy.interest.days_in_year
    extra_days = 1 if day_count == "both_inclusive" else 0
    single = len(rates) == 1 and rates[0].current_rate is None
    rate_label = rates[-1].rate

    with _one_run_at_a_time(settlement_date):
        return _settle(
            settlement_date=settlement_date,
            actor=actor,
            dry_run=dry_run,
            chunk=chunk,
            workers=workers,
            progress=progress,
            pause_s=pause_s,
            plan=(rates, day_count, days_in_year, extra_days, single, rate_label),
        )


@contextlib.contextmanager
def _one_run_at_a_time(settlement_date: dt.date) -> Iterator[None]:
    """Two runs for one date would only race for the same accounts (the unique key would
    fail one of them part-way); on PostgreSQL a session advisory lock turns the second into
    a clear refusal. On SQLite the database's single writer already serialises the chunks."""
    if connection.vendor != "postgresql":
        yield
        return
    if settings.HPF_DB_POOLED:
        # A transaction pool hands each transaction another server session: the lock would
        # be taken on one and released (or not) on another, and the workers' staged table
        # would outlive nothing. Batch runs connect to the primary directly.
        raise InvalidTransition(
            "年度结息须直连主库运行：DATABASE_URL 不能指向事务连接池（HPF_DB_POOLED=1）"
        )
    key = 0x48504600 + settlement_date.year  # "HPF\0" + year
    with connection.cursor() as cur:
        cur.execute("SELECT pg_try_advisory_lock(%s)", [key])
        (locked,) = cur.fetchone()
    if not locked:
        raise InvalidTransition(f"{settlement_date.year} 年度结息正在另一进程中进行")
    try:
        yield
    finally:
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_unlock(%s)", [key])


@dataclass(frozen=True, slots=True)
class _Plan:
    settlement: dt.date
    actor: Actor
    dry_run: bool
    rates: Sequence[RatePeriod]
    day_count: DayCount
    days_in_year: int
    single: bool
    rate_label: Decimal
    stage: str
    run: BatchRun


def _settle(
    *,
    settlement_date: dt.date,
    actor: Actor,
    dry_run: bool,
    chunk: int,
    workers: int,
    progress: Callable[[int, int], None] | None,
    pause_s: float,
    plan: tuple[Sequence[RatePeriod], DayCount, int, int, bool, Decimal],
) -> SettlementTotals:
    rates, day_count, days_in_year, extra_days, single, rate_label = plan
    year = settlement_date.year
    skipped = InterestSettlement.objects.filter(interest_year=year).count()
    run = run_start(BatchRun.Kind.SETTLEMENT, settlement_date.isoformat(), actor, dry_run=dry_run)
    total_accounts = total_interest = 0
    phases = PhaseTimer()
    try:
        with phases.timed("stage"):
            stage = _stage_all(
                settlement_date,
                year,
                extra_days,
                _single_rate_sql(rate_label, days_in_year) if single else "NULL",
            )
        with connection.cursor() as cur:
            cur.execute(f"SELECT MIN(account_id), MAX(account_id), COUNT(*) FROM {stage}")
            low, high, staged = cur.fetchone()
        run_progress(run, 0, staged)
        ranges = (
            [(lo, min(lo + chunk - 1, high)) for lo in range(low, high + 1, chunk)]
            if low is not None
            else []
        )
        how = _Plan(
            settlement_date,
            actor,
            dry_run,
            rates,
            day_count,
            days_in_year,
            single,
            rate_label,
            stage,
            run,
        )

        def done(n: int, interest: int) -> None:
            nonlocal total_accounts, total_interest
            total_accounts += n
            total_interest += interest
            run_progress(run, total_accounts)
            if progress:
                progress(total_accounts, staged)

        # SQLite has one writer: its chunks go one after another whatever was asked. Inside a
        # caller's transaction the staged table is not yet visible to other connections, so
        # the chunks go one after another there too.
        alone = connection.vendor != "postgresql" or connection.in_atomic_block
        workers = 1 if alone else max(1, min(workers, len(ranges)))
        with phases.timed("chunks"):
            if workers > 1:
                phases.add(_post_in_parallel(ranges, how, workers, pause_s, done))
            else:
                for lo, hi in ranges:
                    done(*_post_range(lo, hi, how, phases))
                    if pause_s:
                        time.sleep(pause_s)
        with connection.cursor() as cur:
            cur.execute(f"DROP TABLE IF EXISTS {stage}")
    except BaseException as exc:
        run_fail(run, exc, done=f"failed after {total_accounts} accounts: ")
        raise
    with phases.timed("reconciliation"):
        reconciliation = {} if dry_run else settlement_reconciliation(settlement_date)
    # "commit" is each chunk's whole transaction; the phases inside it are also listed, so
    # commit minus them is the commit itself (the WAL flush and the deferred entry checks).
    # With several workers the per-chunk phases add up the workers' time; "chunks" is the
    # wall-clock time of them all.
    run_finish(
        run,
        actor,
        accounts=total_accounts,
        total_fen=total_interest,
        skipped=skipped,
        reconciliation={**reconciliation, "workers": workers, "seconds": phases.rounded()},
    )
    return SettlementTotals(total_accounts, total_interest, skipped, dry_run, run.pk)


def _post_range(lo: int, hi: int, how: _Plan, phases: PhaseTimer) -> tuple[int, int]:
    """Settle the staged accounts with ids in [lo, hi] in one transaction: (accounts, fen)."""
    with phases.timed("commit"), transaction.atomic():
        plan_for_keyed_batches()
        source = how.stage
        if not how.single:
            with phases.timed("take chunk"):
                _take_chunk(how.stage, lo, hi)
            with phases.timed("per-account rates"):
                _compute_per_account(how.settlement, how.rates, how.day_count, how.days_in_year)
            source = "hpf_settle_chunk"
        with connection.cursor() as cur:
            cur.execute(
                f"SELECT COUNT(*), COALESCE(SUM(interest), 0) FROM {source}"
                " WHERE account_id BETWEEN %s AND %s",
                [lo, hi],
            )
            n, interest = cur.fetchone()
        if not how.dry_run and n:
            _post_chunk(lo, hi, source, how, int(interest), phases)
        if how.dry_run:
            transaction.set_rollback(True)
    return int(n), int(interest)


def _post_in_parallel(
    ranges: Sequence[tuple[int, int]],
    how: _Plan,
    workers: int,
    pause_s: float,
    done: Callable[[int, int], None],
) -> dict[str, float]:
    """The chunks shared out to ``workers`` threads, each with its own database connection
    (PostgreSQL only). The chunks hold disjoint accounts and each is its own transaction, so
    they need no order between them; the threads only wait on the server, so the interpreter
    lock costs nothing. The first failure stops the others after their current chunk and is
    raised here; what was committed stays, and a rerun settles the rest as after a crash.
    Progress is reported from this (the calling) thread."""
    pending = iter(ranges)
    take = threading.Lock()
    stop = threading.Event()
    # A chunk's (accounts, fen), a worker's failure, or a finished worker's phase seconds.
    results: queue.Queue[tuple[int, int] | BaseException | dict[str, float]] = queue.Queue()

    def work() -> None:
        timer = PhaseTimer()
        try:
            while not stop.is_set():
                with take:
                    span = next(pending, None)
                if span is None:
                    break
                results.put(_post_range(span[0], span[1], how, timer))
                if pause_s:
                    time.sleep(pause_s)
        except BaseException as exc:  # handed to the calling thread, which raises it
            stop.set()
            results.put(exc)
        finally:
            connection.close()
            results.put(dict(timer.seconds))

    threads = [
        threading.Thread(target=work, name=f"settle-{number}", daemon=True)
        for number in range(workers)
    ]
    for thread in threads:
        thread.start()
    failure: BaseException | None = None
    spent = PhaseTimer()
    running = len(threads)
    try:
        while running:
            result = results.get()
            if isinstance(result, tuple):
                done(*result)
            elif isinstance(result, BaseException):
                failure = failure or result
            else:
                spent.add(result)
                running -= 1
    except BaseException:
        stop.set()
        raise
    finally:
        for thread in threads:
            thread.join()
    if failure is not None:
        raise failure
    return dict(spent.seconds)


def settlement_reconciliation(settlement_date: dt.date) -> dict[str, object]:
    """After a run: the year's settlement records against what was posted for them, and
    which open accounts (opened by the date) still have no settlement for the year."""
    year = settlement_date.year
    with connection.cursor() as cur:
        cur.execute(
            "SELECT COUNT(*), COALESCE(SUM(interest_fen), 0) FROM interest_interestsettlement"
            " WHERE interest_year = %s AND settlement_date = %s",
            [year, settlement_date],
        )
        settled, recorded = cur.fetchone()
        cur.execute(
            "SELECT COALESCE(-SUM(p.amount_fen), 0) FROM ledger_posting p"
            " JOIN ledger_journalentry e ON e.id = p.entry_id"
            " WHERE p.centre_account_id = %s AND e.reason = %s AND e.value_date = %s"
            " AND e.source_key LIKE %s",
            [CentreCode.INTEREST_EXPENSE, Reason.INTEREST, settlement_date, f"interest:{year}:%"],
        )
        (posted,) = cur.fetchone()
        cur.execute(
            "SELECT COUNT(*) FROM registry_fundaccount a WHERE a.status <> 'CLOSED'"
            " AND a.opened_on <= %s AND NOT EXISTS (SELECT 1 FROM interest_interestsettlement s"
            " WHERE s.fund_account_id = a.id AND s.interest_year = %s)",
            [settlement_date, year],
        )
        (unsettled,) = cur.fetchone()
    return {
        "settlements": int(settled),
        "recorded_interest_fen": int(recorded),
        "posted_interest_fen": int(posted),
        "unsettled_open_accounts": int(unsettled),
        "balanced": int(recorded) == int(posted) and int(unsettled) == 0,
    }


def _post_chunk(
    lo: int, hi: int, source: str, how: _Plan, interest: int, phases: PhaseTimer
) -> None:
    """One chunk's settlement rows, interest postings (with the interest expense's opposite
    posting in one journal entry) and balances, from ``source``'s rows with ids in [lo, hi]."""
    year = how.settlement.year
    entry_id = None
    if interest:
        entry = JournalEntry.objects.create(
            reason=Reason.INTEREST,
            value_date=how.settlement,
            period=None,
            source_key=f"interest:{year}:{lo}-{hi}:run{how.run.pk}",
            description=f"{year} 年度结息",
            posted_at=clock.now(),
            actor=how.actor.ident,
        )
        entry_id = entry.pk
    chunk = f"{source} WHERE account_id BETWEEN %s AND %s"
    with connection.cursor() as cur, phases.timed("settlement rows"):
        cur.execute(
            "INSERT INTO interest_interestsettlement (fund_account_id, interest_year,"
            " settlement_date, carried_balance_fen, movements_fen, balance_days_fen, annual_rate,"
            " interest_fen, entry_id)"
            f" SELECT account_id, %s, %s, carried, moves, fen_days, %s, interest, %s FROM {chunk}",
            [year, how.settlement, how.rate_label, entry_id, lo, hi],
        )
    if not interest:
        return
    with phases.timed("postings"):
        bulk.insert_postings(
            "SELECT %s, account_id, NULL, interest, %s, NULL, %s, NULL, NULL, NULL, NULL, NULL,"
            f" NULL FROM {chunk} AND interest > 0",
            [entry_id, how.settlement, Reason.INTEREST, lo, hi],
        )
        expense = (entry_id, None, CentreCode.INTEREST_EXPENSE, -interest, how.settlement, None)
        bulk.write_postings([(*expense, Reason.INTEREST, *(None,) * 6)])
    with phases.timed("balances"):
        # The chunk's id range bounds the accounts side too: without it the merge join walks
        # the accounts' primary key from the first account up to the chunk, so the later
        # chunks read nearly the whole table (several times a plain UPDATE of every account;
        # bench/README.md).
        bulk.move_balances(
            f"(SELECT account_id, interest AS delta FROM {chunk} AND interest > 0)",
            [lo, hi],
            guard_sql="AND a.id BETWEEN %s AND %s",
            guard_params=[lo, hi],
        )


@dataclass(frozen=True, slots=True)
class ClosingInterest:
    interest_year: int
    carried_balance_fen: int
    movements_fen: int
    balance_days_fen: int
    annual_rate: Decimal
    interest_fen: int


def closing_interest(postings: Sequence[tuple[dt.date, int]], on: dt.date) -> ClosingInterest:
    """This interest year's interest up to ``on`` from an account's (value date, amount)
    postings, by the rule of the 30 June settlement (hpf.calc.interest.accrue_interest): the
    balance carried into the year earns whole months at rate / 12 and the odd days at the daily
    rate (银发〔2005〕129号), each later movement its balance-days per the policy's day-count
    switch, rounded once.  Closing on 30 June pays exactly what the settlement would."""
    policy = get_policy()
    settlement = policy.interest.settlement_ending(on)
    year_start = interest_year_start(settlement)
    rows = [(d, a) for d, a in postings if d <= on]
    carried = sum(a for d, a in rows if d < year_start)
    movements = [(d, a) for d, a in rows if d >= year_start]
    rates = policy.interest_rates_for_year(settlement)
    result = accrue_interest(
        settlement_date=settlement,
        on=on,
        carried_balance_fen=carried,
        movements=movements,
        rates=rates,
        day_count=policy.interest.day_count,
        days_in_year=policy.interest.days_in_year,
        rounding=policy.interest.rounding,
    )
    return ClosingInterest(
        interest_year=settlement.year,
        carried_balance_fen=carried,
        movements_fen=sum(a for _, a in movements),
        balance_days_fen=result.balance_days_fen,
        annual_rate=rates[-1].rate,
        interest_fen=max(result.interest_fen, 0),
    )


def interest_accrue_on_closing(*, account: FundAccount, on: dt.date, actor: Actor) -> int:
    """Post this interest year's interest up to ``on`` for an account being closed (销户结息).

    The result is the year's one ``InterestSettlement`` (settlement date ``on``), so the
    30 June run skips the account and check-ledger still finds one settlement per account and
    year. Runs inside the caller's transaction, which holds the account's lock.
    """
    rows = list(account.postings.values_list("value_date", "amount_fen"))
    due = closing_interest(rows, on)
    if InterestSettlement.objects.filter(
        fund_account=account, interest_year=due.interest_year
    ).exists():
        return 0
    entry = None
    if due.interest_fen:
        entry = entry_post(
            reason=Reason.INTEREST,
            value_date=on,
            source_key=f"interest:closing:{account.pk}:{due.interest_year}",
            actor=actor,
            lines=[
                Line(due.interest_fen, fund_account_id=account.pk),
                Line(-due.interest_fen, centre=CentreCode.INTEREST_EXPENSE),
            ],
            description=f"{due.interest_year} 年度销户结息",
        )
    InterestSettlement.objects.create(
        fund_account=account,
        interest_year=due.interest_year,
        settlement_date=on,
        carried_balance_fen=due.carried_balance_fen,
        movements_fen=due.movements_fen,
        balance_days_fen=due.balance_days_fen,
        annual_rate=due.annual_rate,
        interest_fen=due.interest_fen,
        entry=entry,
    )
    return due.interest_fen


def interest_reference(account_id: int, settlement_date: dt.date) -> int:
    """The same account's interest by hpf.calc.interest from its postings (for tests and
    for explaining a figure to a depositor): the fast path must always agree with it."""
    policy = get_policy()
    prev = settlement_date.replace(year=settlement_date.year - 1)
    from hpf.ledger.models import Posting

    rows = (
        Posting.objects.filter(fund_account_id=account_id, value_date__lte=settlement_date)
        .exclude(reason=Reason.INTEREST, value_date=settlement_date)
        .values_list("value_date", "amount_fen")
    )
    carried = sum(a for d, a in rows if d <= prev)
    movements = [(d, a) for d, a in rows if d > prev]
    result = settle_interest_year(
        settlement_date=settlement_date,
        carried_balance_fen=carried,
        movements=movements,
        rates=policy.interest_rates_for_year(settlement_date),
        day_count=policy.interest.day_count,
        days_in_year=policy.interest.days_in_year,
    )
    return max(result.interest_fen, 0)


__all__ = ["SettlementTotals", "interest_fen_integer", "interest_reference", "interest_settle"]
