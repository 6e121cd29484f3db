"""A deterministic, realistic city for demos, tests and benchmarks (``hpf seed``).

Employers with valid credit codes; depositors with valid Kunming ID numbers (some carrying
district codes that were since retired or renamed), Chinese names, mobiles and bank cards;
monthly remittances from a start month with a yearly base change each July inside the
policy's limits; job changes with sealed spells, people who leave, deferred months paid back
later, reversals with their corrections, withdrawals of every type and state (closing ones
close the account), loans of both methods with repayments (some paid off, some overdue),
frozen accounts; and interest settled each 30 June by the production settlement service.

It streams: per-depositor state lives in flat arrays, rows go to the database in bulk (COPY on
PostgreSQL, executemany on SQLite) one month per transaction, so memory stays bounded at a
million and a half depositors. Every row it writes obeys the same rules as the services, and
``hpf check-ledger`` proves the result.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from functools import lru_cache
from typing import Any

from django.db import DatabaseError, connection, transaction
from faker import Faker

from hpf.audit.services import Actor, record_event
from hpf.calc.deposits import monthly_deposit
from hpf.calc.entitlement import max_loan_for_price
from hpf.calc.idnumbers import make_bank_card, make_credit_code_from_seed, make_resident_id
from hpf.calc.loans import Method, RateChange, due_date_of, loan_instalments
from hpf.calc.masking import mask_bank_card, mask_id_number
from hpf.calc.periods import period_add, period_first_day, period_range
from hpf.common import clock
from hpf.common.chinese import chinese
from hpf.common.crypto import encrypt, lookup_hash
from hpf.common.policy import get_policy
from hpf.interest.services import closing_interest, interest_settle
from hpf.ledger import bulk
from hpf.ledger.bulk import ENTRY_COLUMNS, POSTING_COLUMNS_WITH_ID, BulkWriter
from hpf.ledger.models import CentreCode, Reason
from hpf.loans.services import loan_rates
from hpf.registry.services import account_no_for, unit_no_for
from hpf.withdrawals.models import WithdrawalMethod, WithdrawalState, WithdrawalType

# Kunming districts. 530121 (呈贡县) became 530114 (呈贡区) in 2011 and 530181 安宁 was a
# county before: numbers issued under an old code stay valid for life.
REGIONS = (
    "530102",
    "530103",
    "530111",
    "530112",
    "530113",
    "530114",
    "530115",
    "530124",
    "530125",
    "530126",
    "530127",
    "530128",
    "530129",
    "530181",
    "530121",
    "530122",
)
OFFICES = (
    "五华管理部",
    "盘龙管理部",
    "官渡管理部",
    "西山管理部",
    "呈贡管理部",
    "安宁管理部",
    "晋宁管理部",
    "宜良管理部",
    "嵩明管理部",
    "东川管理部",
)
EMPLOYER_KINDS = (
    "有限公司",
    "股份有限公司",
    "医院",
    "学校",
    "研究院",
    "集团有限公司",
    "商贸有限公司",
)
PLACES = ("昆明", "云南", "滇池", "春城", "翠湖", "金马", "碧鸡", "呈贡", "官渡", "螺蛳湾")
TRADES = (
    "建设",
    "科技",
    "物流",
    "能源",
    "医药",
    "旅游",
    "食品",
    "电力",
    "烟草",
    "教育",
    "信息",
    "环保",
)
RATIOS = (Decimal("0.05"), Decimal("0.07"), Decimal("0.08"), Decimal("0.10"), Decimal("0.12"))
ORDINARY_WITHDRAWALS = (
    WithdrawalType.PURCHASE,
    WithdrawalType.RENT,
    WithdrawalType.BUILD_RENOVATE,
    WithdrawalType.LOAN_REPAYMENT,
    WithdrawalType.ILLNESS,
    WithdrawalType.OTHER,
)
CLOSING_WITHDRAWALS = (
    WithdrawalType.RETIREMENT,
    WithdrawalType.LEFT_CITY,
    WithdrawalType.INCAPACITY,
    WithdrawalType.DEATH,
)
# Why a withdrawal on each ground is turned down: a reason that fits the ground's papers
# (never a purchase contract for a medical withdrawal).
REJECT_REASONS = {
    WithdrawalType.PURCHASE: (
        "提供的购房合同未备案，请补充材料后重新申请",
        "购房发票与合同金额不一致，请补充材料",
    ),
    WithdrawalType.RENT: (
        "租赁合同未办理登记备案，请补充材料后重新申请",
        "名下已有住房，不符合租房提取条件",
    ),
    WithdrawalType.BUILD_RENOVATE: (
        "未提供规划许可证或房屋安全鉴定报告，请补充材料",
        "翻建、大修费用凭证不全，请补充材料后重新申请",
    ),
    WithdrawalType.LOAN_REPAYMENT: (
        "申请金额超过当年应还贷款本息，请按还款计划重新申请",
        "贷款逾期未还，须先归还逾期本息",
    ),
    WithdrawalType.ILLNESS: (
        "未提供二级以上医院的诊断证明，请补充材料",
        "医疗费用票据不全，请补充医保结算单后重新申请",
    ),
    WithdrawalType.OTHER: ("申请事由不属于规定的提取情形",),
}
PENDING_STATES = (
    WithdrawalState.SUBMITTED,
    WithdrawalState.UNDER_REVIEW,
    WithdrawalState.APPROVED,
)
SEED_ACTOR = Actor.system("seed")
NONE = -1


@dataclass(frozen=True)
class SeedReport:
    employers: int
    depositors: int
    entries: int
    postings: int
    withdrawals: int
    loans: int
    repayments: int
    settlements: int
    start_period: int
    end_period: int


POSTING_COLS = POSTING_COLUMNS_WITH_ID
ENTRY_COLS = ("id", *ENTRY_COLUMNS, "reverses_id")


def _permute(i: int, modulus: int, multiplier: int) -> int:
    """A bijection on [0, modulus): spreads sequential indices without collisions."""
    return (i * multiplier + 7919) % modulus


class CityBuilder:
    def __init__(
        self,
        *,
        depositors: int,
        years: int,
        seed: int,
        end_period: int | None = None,
        progress: Callable[[str, int, int], None] | None = None,
    ) -> None:
        self.n = depositors
        self.years = years
        self.rng = random.Random(seed)
        self.seed = seed
        self.progress = progress or (lambda stage, done, total: None)
        self.policy = get_policy()
        self.writer = BulkWriter()
        self.end_period = end_period or period_add(clock.current_period(), -1)
        self.start_period = period_add(self.end_period, -12 * years + 1)
        self.periods = list(period_range(self.start_period, self.end_period))
        self.n_employers = max(3, depositors // 37)
        self.next_entry = 1
        self.next_posting = 1
        self.counts = dict(entries=0, postings=0, withdrawals=0, loans=0, repayments=0)
        self.now = clock.now()
        # Small writes (single entries, withdrawals, loans) wait here and go out in one bulk
        # write per table at the end of the month: thousands of tiny COPYs would dominate.
        self.buffers: dict[str, tuple[Sequence[str], list[Sequence[Any]]]] = {}

    def _buffer(self, table: str, columns: Sequence[str], row: Sequence[Any]) -> None:
        self.buffers.setdefault(table, (columns, []))[1].append(row)

    def flush(self) -> None:
        for table in (
            "interest_interestsettlement",
            "ledger_journalentry",
            "ledger_posting",
            "withdrawals_withdrawal",
            "loans_loan",
            "loans_loanrate",
            "loans_loanrepayment",
        ):
            if table in self.buffers:
                columns, rows = self.buffers.pop(table)
                if table == "ledger_posting":
                    bulk.write_postings(rows, with_ids=True)
                else:
                    self.writer.write(table, columns, rows)

    # ---- ids -------------------------------------------------------------------------
    def _entry_id(self) -> int:
        self.next_entry += 1
        return self.next_entry - 1

    def _posting_id(self) -> int:
        self.next_posting += 1
        return self.next_posting - 1

    # ---- registry --------------------------------------------------------------------
    def build_registry(self) -> None:
        rng = self.rng
        self.emp_er = []
        self.emp_ee = []
        rows = []
        for e in range(self.n_employers):
            ratio = rng.choice(RATIOS)
            self.emp_er.append(ratio)
            self.emp_ee.append(ratio)
            name = f"{rng.choice(PLACES)}{rng.choice(TRADES)}{rng.choice(EMPLOYER_KINDS)}"
            if e >= len(PLACES) * len(TRADES):
                name = f"{name}（{e}）"
            region = REGIONS[e % 14]
            opened = period_first_day(self.start_period) - dt.timedelta(days=rng.randint(30, 3000))
            rows.append(
                (
                    e + 1,
                    unit_no_for(e + 1),
                    make_credit_code_from_seed(e + 1, region),
                    name,
                    OFFICES[e % len(OFFICES)],
                    ratio,
                    ratio,
                    None,
                    "ACTIVE",
                    opened,
                )
            )
        self.writer.write(
            "registry_employer",
            (
                "id",
                "unit_no",
                "uscc",
                "name",
                "office",
                "employer_ratio",
                "employee_ratio",
                "paid_through",
                "status",
                "opened_on",
            ),
            rows,
        )
        fake = Faker("zh_CN")
        fake.seed_instance(self.seed)
        surnames = [fake.last_name() for _ in range(400)]
        given = [fake.first_name() for _ in range(600)]
        n, months = self.n, len(self.periods)
        self.emp = array("i", [0]) * n
        self.join = array("i", [0]) * n
        self.base = array("q", [0]) * n
        self.leave_at = array("i", [NONE]) * n  # month index the job ends
        self.gap = array("i", [0]) * n  # sealed months before the next job (-1: never)
        self.next_emp = array("i", [0]) * n
        self.skip = array("i", [NONE]) * n  # a deferred month, paid back later …
        self.owed = array("b", [0]) * n  # … or never: a real missing month (欠缴)
        self.reverse_at = array("i", [NONE]) * n  # a remittance reversed and corrected
        self.close_at = array("i", [NONE]) * n  # closing withdrawal
        self.withdraw_at = array("i", [NONE]) * n
        self.loan_at = array("i", [NONE]) * n
        self.paid_through = array("i", [0]) * n
        # Months of continuous deposits up to the last month paid (``last_paid``), so that a
        # withdrawal or loan is drawn only for someone the rules would let through.
        self.streak = array("i", [0]) * n
        self.last_paid = array("i", [NONE]) * n
        # The business date a depositor's loan is paid off (or a day past the end), for the
        # loan repayment withdrawal (only while a loan is being repaid).
        self.loan_until: dict[int, dt.date] = {}
        # Each depositor's monthly amounts, recomputed by hpf.calc only when the base or the
        # employer changes (``dirty``), not for every month.
        self.employer_part = array("q", [0]) * n
        self.total_part = array("q", [0]) * n
        self.dirty = array("b", [1]) * n
        self.deposited = array("q", [0]) * n  # running deposits − payouts (≤ balance)
        self.closed = array("b", [0]) * n
        # Accounts with an application still on its way (submitted, under review, approved):
        # one at a time, as withdrawal_submit allows.
        self.pending: set[int] = set()
        self.paid_off_loans = 0
        rules_of = lru_cache(maxsize=None)(self.policy.deposit_rules)
        id_space = len(REGIONS) * 14_600 * 1000
        dep_rows = []
        acc_rows = []
        for d in range(n):
            e = (d * self.n_employers) // n
            self.emp[d] = e
            new_hire = rng.random() < 0.15 and months > 2
            self.join[d] = rng.randrange(1, months) if new_hire else 0
            rules = rules_of(self.periods[self.join[d]])
            floor, cap = rules.base_floor_fen, rules.base_cap_fen
            base = int(min(cap, max(floor, rng.lognormvariate(8.6, 0.45) * 100)))
            self.base[d] = max(floor, min(cap, (base // 1000) * 1000))
            r = rng.random()
            if r < 0.10 and months > 6:
                self.leave_at[d] = (
                    rng.randrange(self.join[d] + 1, months) if self.join[d] + 1 < months else NONE
                )
                self.gap[d] = rng.choice((0, 0, 1, 2, 3, 6))
                self.next_emp[d] = rng.randrange(self.n_employers)
            elif r < 0.13 and months > 3 and self.join[d] + 1 < months:
                self.leave_at[d] = rng.randrange(self.join[d] + 1, months)
                self.gap[d] = NONE
            if rng.random() < 0.02 and months > 8 and self.join[d] + 1 < months - 7:
                self.skip[d] = rng.randrange(self.join[d] + 1, months - 7)
                self.owed[d] = rng.random() < 0.3
            if rng.random() < 0.006 and self.join[d] + 1 < months:
                self.reverse_at[d] = rng.randrange(self.join[d] + 1, months)
            if rng.random() < 0.10 and self.join[d] + 12 < months:
                self.withdraw_at[d] = rng.randrange(self.join[d] + 12, months)
            if rng.random() < 0.04 and self.join[d] + 6 < months:
                self.loan_at[d] = rng.randrange(self.join[d] + 6, months)
            # Closing (retirement, leaving the city …) in the last year, for people without
            # a loan or a job change, and not in the month they joined.
            close_from = max(self.join[d] + 1, months - 12)
            if (
                rng.random() < 0.006
                and close_from < months
                and self.leave_at[d] == NONE
                and self.loan_at[d] == NONE
            ):
                self.close_at[d] = rng.randrange(close_from, months)
            # Unique, scattered ID numbers: a bijection of d onto (region, birthday, sequence).
            k = _permute(d, id_space, 2_654_435_761 % id_space | 1)
            region = REGIONS[k % len(REGIONS)]
            birth = dt.date(1962, 1, 1) + dt.timedelta(days=(k // len(REGIONS)) % 14_600)
            if region in ("530121", "530122") and birth.year > 2005:
                region = "530114"
            id_number = make_resident_id(region, birth, (k // (len(REGIONS) * 14_600)) % 1000)
            card = make_bank_card(
                rng.choice(("622202", "621700", "622848", "621226", "623058")),
                _permute(d, 10**12, 1_000_003),
                19,
            )
            mobile = f"1{rng.choice('3456789')}{_permute(d, 10**9, 999_999_937):09d}"
            gender = "M" if int(id_number[16]) % 2 else "F"
            dep_rows.append(
                (
                    d + 1,
                    rng.choice(surnames) + rng.choice(given),
                    encrypt(id_number, context=b"id_number"),
                    lookup_hash(id_number, context="id_number"),
                    mask_id_number(id_number),
                    birth,
                    gender,
                    mobile,
                    encrypt(card, context=b"bank_card"),
                    lookup_hash(card, context="bank_card"),
                    mask_bank_card(card),
                    self.now,
                )
            )
            # Every account opens inside the seeded history (the month of its first
            # remittance, before that remittance's value date), so the months the portal
            # lists as missing are only those the seed leaves unpaid, and each interest year
            # starts from the balance the seed built: an account opened years before the
            # history would show every earlier month missing and a carried balance of 0.00.
            opened = period_first_day(self.periods[self.join[d]]) + dt.timedelta(
                days=rng.randint(0, 8) if not self.join[d] else 0
            )
            acc_rows.append(
                (
                    d + 1,
                    account_no_for(d + 1),
                    d + 1,
                    e + 1,
                    "ACTIVE",
                    "",
                    "",
                    "",
                    "",
                    "",
                    None,
                    self.base[d],
                    self.emp_er[e],
                    self.emp_ee[e],
                    None,
                    opened,
                    0,
                )
            )
            if len(dep_rows) >= 20_000 or d == n - 1:
                with transaction.atomic():
                    self._write_people(dep_rows, acc_rows)
                dep_rows.clear()
                acc_rows.clear()
                self.progress("registry", d + 1, n)

    def _write_people(
        self, dep_rows: list[tuple[Any, ...]], acc_rows: list[tuple[Any, ...]]
    ) -> None:
        self.writer.write(
            "registry_depositor",
            (
                "id",
                "name",
                "id_number_enc",
                "id_number_hash",
                "id_number_masked",
                "birth_date",
                "gender",
                "mobile",
                "bank_card_enc",
                "bank_card_hash",
                "bank_card_masked",
                "created_at",
            ),
            dep_rows,
        )
        self.writer.write(
            "registry_fundaccount",
            (
                "id",
                "account_no",
                "depositor_id",
                "employer_id",
                "status",
                "freeze_mode",
                "status_before_freeze",
                "status_reason",
                "freeze_reason",
                "closing_reason",
                "closed_on",
                "deposit_base_fen",
                "employer_ratio",
                "employee_ratio",
                "paid_through",
                "opened_on",
                "balance_fen",
            ),
            acc_rows,
        )

    # ---- months ----------------------------------------------------------------------
    def run_months(self) -> None:
        sync_from = self.next_posting
        for m, period in enumerate(self.periods):
            with transaction.atomic():
                self._month(m, period)
            if period % 100 == 6:
                sync_from = self._settle(period, sync_from)
            self.progress("months", m + 1, len(self.periods))
        self._sync_balances(sync_from)
        self._sync_sequences()

    def _month(self, m: int, period: int) -> None:
        rng = self.rng
        policy = self.policy
        rules = policy.deposit_rules(period)
        july = period % 100 == 7
        entry_base = self.next_entry
        self.next_entry += self.n_employers
        totals = [0] * self.n_employers
        value_dates = [
            period_first_day(period) + dt.timedelta(days=9 + e % 10)
            for e in range(self.n_employers)
        ]
        reversals: list[tuple[int, int, int, int, int]] = []
        backpays: list[int] = []
        events: list[int] = []

        pg = self.writer.vendor == "postgresql"
        # COPY text for PostgreSQL, built from per-employer constant pieces: formatting rows
        # here is several times faster than handing psycopg a tuple per row.
        heads = [f"\t{entry_base + e}\t" for e in range(self.n_employers)]
        mids = [
            f"\t{value_dates[e].isoformat()}\t{period}\t{Reason.REMITTANCE}\t{e + 1}\t"
            for e in range(self.n_employers)
        ]
        tails = [f"\t{self.emp_er[e]}\t{self.emp_ee[e]}\t" for e in range(self.n_employers)]
        emp, base, dirty = self.emp, self.base, self.dirty
        employer_part, total_part = self.employer_part, self.total_part
        floor, cap = rules.base_floor_fen, rules.base_cap_fen
        n_rows = 0

        def remittances() -> Iterable[Any]:
            nonlocal n_rows
            lines: list[str] = []
            for d in range(self.n):
                if self.closed[d] or m < self.join[d]:
                    continue
                leave = self.leave_at[d]
                if leave != NONE and m >= leave:
                    gap = self.gap[d]
                    if gap == NONE or m < leave + gap:
                        continue
                    if m == leave + gap:
                        emp[d] = self.next_emp[d]
                        dirty[d] = 1
                if july and m > self.join[d]:
                    grown = int(base[d] * (1 + rng.random() * 0.08))
                    base[d] = max(floor, min(cap, grown // 1000 * 1000))
                    dirty[d] = 1
                if self.skip[d] == m:
                    continue
                if self.skip[d] != NONE and m == self.skip[d] + 4 and not self.owed[d]:
                    backpays.append(d)
                e = emp[d]
                if dirty[d]:
                    employer_part[d], total_part[d], base[d] = _split(
                        base[d], self.emp_er[e], self.emp_ee[e], rules
                    )
                    dirty[d] = 0
                total = total_part[d]
                pid = self.next_posting
                self.next_posting += 1
                if self.reverse_at[d] == m:
                    reversals.append((d, pid, total, entry_base + e, employer_part[d]))
                totals[e] += total
                self.deposited[d] += total
                self.paid_through[d] = period
                self.streak[d] = self.streak[d] + 1 if self.last_paid[d] == m - 1 else 1
                self.last_paid[d] = m
                if self.withdraw_at[d] == m or self.close_at[d] == m or self.loan_at[d] == m:
                    events.append(d)
                n_rows += 1
                if pg:
                    lines.append(
                        f"{pid}{heads[e]}{d + 1}\t\\N\t{total}{mids[e]}{base[d]}{tails[e]}"
                        f"{employer_part[d]}\t\\N\n"
                    )
                    if len(lines) >= 5000:
                        yield "".join(lines)
                        lines.clear()
                else:
                    yield (
                        pid,
                        entry_base + e,
                        d + 1,
                        None,
                        total,
                        value_dates[e],
                        period,
                        Reason.REMITTANCE,
                        e + 1,
                        base[d],
                        self.emp_er[e],
                        self.emp_ee[e],
                        employer_part[d],
                        None,
                    )
            if lines:
                yield "".join(lines)

        if pg:
            bulk.write_postings_text(remittances())
        else:
            bulk.write_postings(remittances(), with_ids=True)
        self.counts["postings"] += n_rows
        entries = []
        centre = []
        for e, total in enumerate(totals):
            if total:
                entries.append(
                    (
                        entry_base + e,
                        Reason.REMITTANCE,
                        value_dates[e],
                        period,
                        f"seed:remit:{unit_no_for(e + 1)}:{period}",
                        f"{period} 汇缴",
                        self.now,
                        SEED_ACTOR.ident,
                        None,
                    )
                )
                centre.append(
                    (
                        self._posting_id(),
                        entry_base + e,
                        None,
                        CentreCode.REMITTANCE_CLEARING,
                        -total,
                        value_dates[e],
                        period,
                        Reason.REMITTANCE,
                        None,
                        None,
                        None,
                        None,
                        None,
                        None,
                    )
                )
        self.writer.write("ledger_journalentry", ENTRY_COLS, entries)
        bulk.write_postings(centre, with_ids=True)
        self.counts["entries"] += len(entries)
        self.counts["postings"] += len(centre)
        day = period_first_day(period) + dt.timedelta(days=20)
        for d, pid, amount, entry_id, _employer_fen in reversals:
            self._reverse_and_correct(d, pid, amount, entry_id, period, day, rules)
        for d in backpays:
            self._back_payment(d, self.periods[self.skip[d]], day)
        for d in events:
            if self.withdraw_at[d] == m:
                self._withdrawal(d, day, m)
            if self.loan_at[d] == m:
                self._loan(d, period, m)
            if self.close_at[d] == m:
                self._closing_withdrawal(d, day)
        self.flush()

    def _simple_entry(
        self,
        reason: str,
        day: dt.date,
        period: int | None,
        key: str,
        text: str,
        lines: Sequence[tuple[int | None, str | None, int, int | None]],
        reverses_entry: int | None = None,
        deposit: tuple[int, int, Decimal, Decimal, int] | None = None,
    ) -> int:
        entry_id = self._entry_id()
        self._buffer(
            "ledger_journalentry",
            ENTRY_COLS,
            (entry_id, reason, day, period, key, text, self.now, SEED_ACTOR.ident, reverses_entry),
        )
        for account, centre, amount, reverses in lines:
            detail: tuple[Any, ...] = (None, None, None, None, None)
            if deposit is not None and account is not None:
                detail = deposit
            self._buffer(
                "ledger_posting",
                POSTING_COLS,
                (
                    self._posting_id(),
                    entry_id,
                    account,
                    centre,
                    amount,
                    day,
                    period,
                    reason,
                    *detail,
                    reverses,
                ),
            )
        self.counts["entries"] += 1
        self.counts["postings"] += len(lines)
        return entry_id

    def _reverse_and_correct(
        self, d: int, pid: int, amount: int, entry_id: int, period: int, day: dt.date, rules: Any
    ) -> None:
        self._simple_entry(
            Reason.REVERSAL,
            day,
            period,
            f"reverse:{entry_id}:{d + 1}",
            "冲正：基数报错",
            [(d + 1, None, -amount, pid), (None, CentreCode.REMITTANCE_CLEARING, amount, None)],
            reverses_entry=entry_id,
        )
        e = self.emp[d]
        base = min(rules.base_cap_fen, self.base[d] + 50_000)
        employer_fen, total, base = _split(base, self.emp_er[e], self.emp_ee[e], rules)
        self._simple_entry(
            Reason.CORRECTION,
            day,
            period,
            f"seed:correct:{d + 1}:{period}",
            "错缴更正",
            [(d + 1, None, total, None), (None, CentreCode.REMITTANCE_CLEARING, -total, None)],
            deposit=(e + 1, base, self.emp_er[e], self.emp_ee[e], employer_fen),
        )
        self.deposited[d] += total - amount

    def _back_payment(self, d: int, period: int, day: dt.date) -> None:
        rules = self.policy.deposit_rules(period)
        e = self.emp[d]
        employer_fen, total, base = _split(self.base[d], self.emp_er[e], self.emp_ee[e], rules)
        self._simple_entry(
            Reason.BACK_PAYMENT,
            day,
            period,
            f"seed:backpay:{d + 1}:{period}",
            "缓缴后补缴",
            [(d + 1, None, total, None), (None, CentreCode.REMITTANCE_CLEARING, -total, None)],
            deposit=(e + 1, base, self.emp_er[e], self.emp_ee[e], employer_fen),
        )
        self.deposited[d] += total

    def _continuous(self, d: int, m: int) -> int:
        """Months of continuous deposits up to month ``m`` (0 unless ``m`` itself was paid)."""
        return self.streak[d] if self.last_paid[d] == m else 0

    def _withdrawal(self, d: int, day: dt.date, m: int) -> None:
        """An ordinary withdrawal the policy's rules allow (``hpf.calc.entitlement``): only for
        someone with the rent ground's continuous months (so never a one-month account), rent
        within 1,700 a month of the year so far, loan repayment only while a loan is repaid."""
        rng = self.rng
        kind = rng.choice(ORDINARY_WITHDRAWALS)
        rules = self.policy.withdrawal
        if self._continuous(d, m) < rules.rent_required_continuous_months:
            return
        if kind == WithdrawalType.LOAN_REPAYMENT and not (
            d in self.loan_until and day < self.loan_until[d]
        ):
            kind = WithdrawalType.PURCHASE
        available = self.deposited[d]
        amount = (available * rng.randint(20, 80) // 100) // 100 * 100
        if kind == WithdrawalType.RENT:
            amount = min(amount, rules.rent_monthly_cap_fen * day.month // 100 * 100)
        if amount <= 0:
            return
        recent = m >= len(self.periods) - 2
        state = rng.choices(
            [
                WithdrawalState.PAID,
                WithdrawalState.SUBMITTED,
                WithdrawalState.UNDER_REVIEW,
                WithdrawalState.APPROVED,
                WithdrawalState.REJECTED,
                WithdrawalState.CANCELLED,
                WithdrawalState.FAILED,
            ],
            weights=[80, 5, 4, 3, 4, 2, 2] if recent else [85, 0, 0, 0, 9, 4, 2],
        )[0]
        method = WithdrawalMethod.BANK_TRANSFER
        if kind == WithdrawalType.LOAN_REPAYMENT:
            method = WithdrawalMethod.LOAN_OFFSET
        elif rng.random() < 0.03:
            method = WithdrawalMethod.CASH
        self._write_withdrawal(d, kind, method, amount, state, day)

    def _write_withdrawal(
        self, d: int, kind: str, method: str, amount: int, state: str, day: dt.date
    ) -> None:
        submitted = dt.datetime.combine(day - dt.timedelta(days=6), dt.time(9, 30), tzinfo=dt.UTC)
        reviewed = (
            submitted + dt.timedelta(days=1) if state not in ("SUBMITTED", "CANCELLED") else None
        )
        decided = (
            submitted + dt.timedelta(days=3)
            if state in ("APPROVED", "PAID", "REJECTED", "FAILED", "CANCELLED")
            else None
        )
        if state == WithdrawalState.REJECTED and reviewed is None:
            reviewed = submitted + dt.timedelta(days=1)
        entry_id = paid = None
        if state in PENDING_STATES:
            self.pending.add(d)
        if state == WithdrawalState.PAID:
            reason = Reason.CLOSING_WITHDRAWAL if kind in CLOSING_WITHDRAWALS else Reason.WITHDRAWAL
            wid_key = f"seed:withdrawal:{d + 1}:{self.counts['withdrawals'] + 1}"
            entry_id = self._simple_entry(
                reason,
                day,
                None,
                wid_key,
                "提取",
                [(d + 1, None, -amount, None), (None, CentreCode.WITHDRAWAL_PAYOUT, amount, None)],
            )
            # Paid on the day the ledger posts it, in business time (withdrawal_pay posts
            # with today's business date and stamps now).
            paid = dt.datetime.combine(day, dt.time(10, 0), tzinfo=clock.BUSINESS_TZ)
            self.deposited[d] -= amount
        reject = ""
        if state == WithdrawalState.REJECTED:
            reject = self.rng.choice(REJECT_REASONS[WithdrawalType(kind)])
        elif state == WithdrawalState.FAILED:
            reject = "收款银行卡状态异常，退回"
        self._buffer(
            "withdrawals_withdrawal",
            (
                "fund_account_id",
                "type",
                "method",
                "amount_fen",
                "state",
                "bank_card_masked",
                "submitted_at",
                "reviewed_at",
                "decided_at",
                "paid_at",
                "reject_reason",
                "entry_id",
            ),
            (
                d + 1,
                kind,
                method,
                amount,
                state,
                "",
                submitted,
                reviewed,
                decided,
                paid,
                reject,
                entry_id,
            ),
        )
        self.counts["withdrawals"] += 1

    def _closing_withdrawal(self, d: int, day: dt.date) -> None:
        """Like withdrawal_pay for a closing ground: interest to the day, then everything."""
        self.flush()
        with connection.cursor() as cur:
            cur.execute(
                "SELECT value_date, amount_fen FROM ledger_posting WHERE fund_account_id = %s",
                [d + 1],
            )
            rows = [
                (v if isinstance(v, dt.date) else dt.date.fromisoformat(v), int(a))
                for v, a in cur.fetchall()
            ]
        due = closing_interest(rows, day)
        entry_id = None
        if due.interest_fen:
            entry_id = self._simple_entry(
                Reason.INTEREST,
                day,
                None,
                f"interest:closing:{d + 1}:{due.interest_year}",
                f"{due.interest_year} 年度销户结息",
                [
                    (d + 1, None, due.interest_fen, None),
                    (None, CentreCode.INTEREST_EXPENSE, -due.interest_fen, None),
                ],
            )
        self._buffer(
            "interest_interestsettlement",
            (
                "fund_account_id",
                "interest_year",
                "settlement_date",
                "carried_balance_fen",
                "movements_fen",
                "balance_days_fen",
                "annual_rate",
                "interest_fen",
                "entry_id",
            ),
            (
                d + 1,
                due.interest_year,
                day,
                due.carried_balance_fen,
                due.movements_fen,
                due.balance_days_fen,
                due.annual_rate,
                due.interest_fen,
                entry_id,
            ),
        )
        balance = sum(a for _, a in rows) + due.interest_fen
        if balance <= 0:
            return
        kind = self.rng.choice(CLOSING_WITHDRAWALS)
        self._write_withdrawal(
            d, kind, WithdrawalMethod.BANK_TRANSFER, balance, WithdrawalState.PAID, day
        )
        self.closed[d] = 1
        with connection.cursor() as cur:
            cur.execute(
                "UPDATE registry_fundaccount SET status = 'CLOSED', closing_reason = '05', closed_on = %s,"
                " status_reason = %s WHERE id = %s",
                [day, f"提取销户：{chinese(WithdrawalType(kind).label)}", d + 1],
            )

    def pending_applications(self) -> None:
        """Withdrawals still on their way today, at each step of the approval (已提交, 审核中,
        已审批，待入账): about one account in 200 (at least two per step), spread over the city
        from its first account on, each an active account paying last month with the rent
        ground's continuous months, nothing else pending, and loan repayment only while its
        loan is being repaid. Days ago submitted: 1, 3 and 4 (reviewed the next day,
        approved two days after that)."""
        rules = self.policy.withdrawal
        last = len(self.periods) - 1
        today = clock.today()
        per_state = max(2, self.n // 200)
        # 审核中 first: the first account the demo lists with an application shows it.
        order = (WithdrawalState.UNDER_REVIEW, WithdrawalState.SUBMITTED, WithdrawalState.APPROVED)
        wanted = [state for _ in range(per_state) for state in order]
        step = max(1, self.n // len(wanted))
        ago = {
            WithdrawalState.SUBMITTED: 1,
            WithdrawalState.UNDER_REVIEW: 3,
            WithdrawalState.APPROVED: 4,
        }
        d = 0
        for i, state in enumerate(wanted):
            d = max(d, i * step)
            while d < self.n and not self._may_apply(d, last):
                d += 1
            if d >= self.n:
                break
            kind = self.rng.choice(ORDINARY_WITHDRAWALS)
            if kind == WithdrawalType.LOAN_REPAYMENT and not today < self.loan_until.get(
                d, dt.date.min
            ):
                kind = WithdrawalType.PURCHASE
            submitted = today - dt.timedelta(days=ago[state])
            amount = (self.deposited[d] * self.rng.randint(20, 60) // 100) // 100 * 100
            if kind == WithdrawalType.RENT:
                amount = min(amount, rules.rent_monthly_cap_fen * submitted.month // 100 * 100)
            method = (
                WithdrawalMethod.LOAN_OFFSET
                if kind == WithdrawalType.LOAN_REPAYMENT
                else WithdrawalMethod.BANK_TRANSFER
            )
            if amount > 0:
                # _write_withdrawal dates the application six days before ``day``.
                day = submitted + dt.timedelta(days=6)
                self._write_withdrawal(d, kind, method, amount, state, day)
            d += 1
        self.flush()

    def _may_apply(self, d: int, last: int) -> bool:
        leave = self.leave_at[d]
        sealed = leave != NONE and (self.gap[d] == NONE or last < leave + self.gap[d])
        return (
            not self.closed[d]
            and not sealed
            and d not in self.pending
            and self._continuous(d, last) >= self.policy.withdrawal.rent_required_continuous_months
        )

    # ---- loans -----------------------------------------------------------------------
    def _loan(self, d: int, period: int, m: int) -> None:
        """Disburse a loan and write every repayment due inside the history window now.

        Repayments dated in later months are written at once (value dates carry the time),
        so no schedule is held in memory. Fund offsets (冲还贷) are taken only while the
        deposits made so far cover them, so the balance is never negative on any day."""
        rng = self.rng
        if self._continuous(d, m) < self.policy.loan.required_continuous_months:
            return  # not eligible (a gap, a sealed spell): no loan, as loan_create would refuse
        disbursed = period_first_day(period) + dt.timedelta(days=rng.randint(3, 20))
        first_due = period_first_day(period_add(period, 1)) + dt.timedelta(days=disbursed.day - 1)
        term = rng.choice((12, 24, 120, 180, 240, 300, 360))
        if not self.paid_off_loans and m < len(self.periods) - 26:
            # Every city, however small, has a loan paid off (the payoff certificate's page).
            term = 24
        loan_rules = self.policy.loan
        principal = min(rng.randint(15, 70) * 1_000_000, loan_rules.max_single_fen)
        # A house price that leaves at least the policy's down payment, in whole yuan.
        least = int(
            (Decimal(principal) / (1 - loan_rules.min_down_payment)).to_integral_value(
                ROUND_CEILING
            )
        )
        house_price = max(principal * rng.randint(125, 250) // 100, -(-least // 100) * 100)
        house_price = -(-house_price // 100) * 100
        if principal > max_loan_for_price(house_price, loan_rules.min_down_payment):
            raise RuntimeError("seed: a loan above the down-payment rule")  # construction bug
        method: Method = "ANNUITY" if rng.random() < 0.7 else "EQUAL_PRINCIPAL"
        first_home = rng.random() < 0.85
        offset = rng.random() < 0.3
        rates = loan_rates(disbursed, first_home=first_home, term_months=term)
        # Banks collect instalments up to today, past the end of the deposit history;
        # some borrowers fall behind and stop paying one to three months before the end.
        stop = clock.today() + dt.timedelta(days=1)
        if rng.random() < 0.08:
            stop = period_first_day(period_add(self.end_period, -rng.randint(0, 2)))
        due = sum(1 for k in range(1, term + 1) if due_date_of(first_due, k) < stop)
        instalments = loan_instalments(
            principal_fen=principal,
            annual_rate=rates[0][1],
            months=term,
            method=method,
            first_due_date=first_due,
            rate_changes=[RateChange(e, r) for e, r in rates[1:]],
            upto=due,
        )
        loan_id = self.counts["loans"] + 1
        contract = f"KM{disbursed.year}{loan_id:08d}"
        self._simple_entry(
            Reason.LOAN_DISBURSEMENT,
            disbursed,
            None,
            f"loan:{contract}:disburse",
            f"贷款发放 {contract}",
            [
                (None, CentreCode.LOAN_RECEIVABLE, -principal, None),
                (None, CentreCode.BANK_SETTLEMENT, principal, None),
            ],
        )
        paid_off = len(instalments) == term
        self.paid_off_loans += paid_off
        self.loan_until[d] = instalments[-1].due_date if paid_off else dt.date.max
        self._buffer(
            "loans_loan",
            (
                "id",
                "contract_no",
                "borrower_id",
                "co_borrower_id",
                "principal_fen",
                "house_price_fen",
                "term_months",
                "method",
                "first_home",
                "disbursed_on",
                "first_due_date",
                "offset_from_fund",
                "status",
                "paid_off_on",
            ),
            (
                loan_id,
                contract,
                d + 1,
                None,
                principal,
                house_price,
                term,
                method,
                first_home,
                disbursed,
                first_due,
                offset,
                "PAID_OFF" if paid_off else "ACTIVE",
                instalments[-1].due_date if paid_off else None,
            ),
        )
        for eff, rate in rates:
            self._buffer(
                "loans_loanrate", ("loan_id", "effective", "annual_rate"), (loan_id, eff, rate)
            )
        self.counts["loans"] += 1
        for inst in instalments:
            total = inst.payment_fen
            from_fund = offset and self.deposited[d] >= total
            lines: list[tuple[int | None, str | None, int, int | None]] = [
                (None, CentreCode.LOAN_RECEIVABLE, inst.principal_fen, None),
                (None, CentreCode.LOAN_INTEREST_INCOME, inst.interest_fen, None),
                (d + 1, None, -total, None)
                if from_fund
                else (None, CentreCode.BANK_SETTLEMENT, -total, None),
            ]
            entry_id = self._simple_entry(
                Reason.LOAN_OFFSET if from_fund else Reason.LOAN_REPAYMENT,
                inst.due_date,
                None,
                f"loan:{loan_id}:{inst.no}",
                f"贷款第 {inst.no} 期还款",
                [line for line in lines if line[2] != 0],
            )
            if from_fund:
                self.deposited[d] -= total
            self._buffer(
                "loans_loanrepayment",
                (
                    "loan_id",
                    "instalment_no",
                    "due_date",
                    "paid_on",
                    "principal_fen",
                    "interest_fen",
                    "penalty_fen",
                    "source",
                    "entry_id",
                ),
                (
                    loan_id,
                    inst.no,
                    inst.due_date,
                    inst.due_date,
                    inst.principal_fen,
                    inst.interest_fen,
                    0,
                    "FUND_OFFSET" if from_fund else "BANK",
                    entry_id,
                ),
            )
            self.counts["repayments"] += 1

    # ---- balances, settlement, final state -------------------------------------------
    def _sync_balances(self, since_posting: int) -> None:
        """Move cached balances by the postings this builder wrote since the last sync."""
        with transaction.atomic():
            bulk.move_balances(
                "(SELECT fund_account_id AS account_id, SUM(amount_fen) AS delta"
                " FROM ledger_posting WHERE id >= %s AND fund_account_id IS NOT NULL"
                " GROUP BY fund_account_id)",
                [since_posting],
            )

    def _sync_sequences(self) -> None:
        if connection.vendor != "postgresql":
            return
        with connection.cursor() as cur:
            for table in (
                "ledger_journalentry",
                "ledger_posting",
                "registry_employer",
                "registry_depositor",
                "registry_fundaccount",
                "loans_loan",
            ):
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                    f" COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
                )

    def _analyze(self) -> None:
        # Fresh bulk-loaded tables have no statistics; without them the planner picks
        # nested loops over millions of rows for the settlement's set-based statements.
        with connection.cursor() as cur:
            if connection.vendor == "postgresql":
                cur.execute(
                    "ANALYZE ledger_posting, ledger_journalentry, registry_fundaccount,"
                    " interest_interestsettlement"
                )
            else:
                cur.execute("ANALYZE")

    def _settle(self, period: int, sync_from: int) -> int:
        settlement = dt.date(period // 100, 6, 30)
        self._sync_balances(sync_from)
        self._sync_sequences()
        self._analyze()
        interest_settle(settlement_date=settlement, actor=SEED_ACTOR)
        with connection.cursor() as cur:
            cur.execute("SELECT COALESCE(MAX(id), 0) FROM ledger_posting")
            self.next_posting = int(cur.fetchone()[0]) + 1
            cur.execute("SELECT COALESCE(MAX(id), 0) FROM ledger_journalentry")
            self.next_entry = max(self.next_entry, int(cur.fetchone()[0]) + 1)
        return self.next_posting

    def finish(self) -> None:
        """Final account state: employer, base, paid-through, sealed and frozen accounts."""
        last = len(self.periods) - 1
        rows = []
        for d in range(self.n):
            if self.closed[d]:
                continue
            status, reason = "ACTIVE", ""
            leave = self.leave_at[d]
            if leave != NONE and (self.gap[d] == NONE or last < leave + self.gap[d]):
                status, reason = "SEALED", "与单位终止劳动关系，账户封存"
            e = self.emp[d]
            paid = self.paid_through[d] or None
            rows.append(
                (d + 1, e + 1, status, reason, self.base[d], self.emp_er[e], self.emp_ee[e], paid)
            )
        with transaction.atomic():
            with connection.cursor() as cur:
                cur.execute("DROP TABLE IF EXISTS hpf_seed_final")
                cur.execute(
                    "CREATE TEMP TABLE hpf_seed_final (id BIGINT PRIMARY KEY, employer_id BIGINT,"
                    " status VARCHAR(8), reason VARCHAR(200), base BIGINT, er NUMERIC(5,4),"
                    " ee NUMERIC(5,4), paid INTEGER)"
                )
            self.writer.write(
                "hpf_seed_final",
                ("id", "employer_id", "status", "reason", "base", "er", "ee", "paid"),
                rows,
            )
            with connection.cursor() as cur:
                cur.execute(
                    "UPDATE registry_fundaccount SET employer_id = f.employer_id, status = f.status,"
                    " status_reason = f.reason, deposit_base_fen = f.base, employer_ratio = f.er,"
                    " employee_ratio = f.ee, paid_through = f.paid FROM hpf_seed_final f"
                    " WHERE f.id = registry_fundaccount.id"
                )
                cur.execute(
                    "UPDATE registry_employer SET paid_through = %s WHERE id IN"
                    " (SELECT DISTINCT employer_id FROM registry_fundaccount WHERE status = 'ACTIVE')",
                    [self.end_period],
                )
                # A few accounts end frozen: judicial (no movement) or suspected fraud (receive only).
                # (Not one with an application on its way: it would be paid from a frozen account.)
                frozen = [
                    d + 1
                    for d in range(self.n)
                    if not self.closed[d] and self.rng.random() < 0.003 and d not in self.pending
                ]
                if not frozen:  # a small city still shows one (the demo lists it)
                    frozen = [
                        next(
                            d + 1
                            for d in range(self.n - 1, -1, -1)
                            if not self.closed[d] and d not in self.pending
                        )
                    ]
                for account_id in frozen:
                    mode = "NO_MOVEMENT" if account_id % 2 else "RECEIVE_ONLY"
                    why = (
                        "司法冻结：昆明市官渡区人民法院协助执行通知书"
                        if mode == "NO_MOVEMENT"
                        else "疑似冒名提取，中心风控冻结待核查"
                    )
                    cur.execute(
                        "UPDATE registry_fundaccount SET status_before_freeze = status, status = 'FROZEN',"
                        " freeze_mode = %s, freeze_reason = %s WHERE id = %s",
                        [mode, why, account_id],
                    )
                cur.execute("DROP TABLE IF EXISTS hpf_seed_final")
            record_event(
                SEED_ACTOR,
                "seed.city",
                details={
                    "depositors": self.n,
                    "years": self.years,
                    "seed": self.seed,
                    "entries": self.counts["entries"],
                    "postings": self.counts["postings"],
                },
            )

    def report(self) -> SeedReport:
        with connection.cursor() as cur:
            cur.execute("SELECT COUNT(*) FROM interest_interestsettlement")
            settlements = int(cur.fetchone()[0])
            cur.execute("SELECT COUNT(*) FROM ledger_posting")
            postings = int(cur.fetchone()[0])
            cur.execute("SELECT COUNT(*) FROM ledger_journalentry")
            entries = int(cur.fetchone()[0])
        return SeedReport(
            self.n_employers,
            self.n,
            entries,
            postings,
            self.counts["withdrawals"],
            self.counts["loans"],
            self.counts["repayments"],
            settlements,
            self.start_period,
            self.end_period,
        )


@lru_cache(maxsize=65_536)
def _split(base_fen: int, er: Decimal, ee: Decimal, rules: Any) -> tuple[int, int, int]:
    """(employer part, total, base used): a base the year's limits moved is stored as used,
    so that every posting's parts equal its recorded base × ratios (check-ledger --deep)."""
    s = monthly_deposit(base_fen, er, ee, rules)
    return s.employer_fen, s.total_fen, s.base_fen


def build_city(
    *,
    depositors: int,
    years: int,
    seed: int,
    end_period: int | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> SeedReport:
    builder = CityBuilder(
        depositors=depositors, years=years, seed=seed, end_period=end_period, progress=progress
    )
    with _bulk_load_mode():
        builder.build_registry()
        builder.run_months()
        builder.pending_applications()
        builder.finish()
    return builder.report()


@contextlib.contextmanager
def _bulk_load_mode() -> Iterator[None]:
    """On PostgreSQL, load as pg_restore does: with triggers and deferred foreign-key checks
    off for this session (``session_replication_role = replica``, a superuser setting), which
    otherwise cost more than the COPY itself. What they would have checked — every entry
    balances, every posting has its entry and account — ``hpf seed`` proves afterwards with
    ``check-ledger``. Without the privilege the load simply runs with every check on."""
    if connection.vendor != "postgresql":
        yield
        return
    try:
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("SET session_replication_role = replica")
            # A seed that dies is simply run again on an empty database: no need to wait
            # for each month's commit to reach the disk.
            cur.execute("SET synchronous_commit = off")
    except DatabaseError:
        yield
        return
    try:
        yield
    finally:
        with connection.cursor() as cur:
            cur.execute("SET session_replication_role = origin")
            cur.execute("SET synchronous_commit = on")
