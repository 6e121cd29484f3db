"""One month's remittance lists (汇缴清册) for every employer of a seeded city, as CSV files.

What an employer's payroll system would hand in: one file per active employer whose next due
month is ``period``, a row per employee whose account takes that month's deposit (active, or
frozen receive-only), with the amounts worked out by ``hpf.calc.deposits.monthly_deposit``.
Used by the demo (files to try in the back office), the batch tests and the benchmarks. The
full ID numbers are written into the files (the format asks for them), so every call is one
audited read of all of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.db import connection, transaction

from hpf.audit.services import Actor, record_event
from hpf.calc.deposits import monthly_deposit
from hpf.calc.money import format_yuan
from hpf.calc.periods import period_add
from hpf.common.crypto import decrypt
from hpf.common.exports import SafeCsvWriter
from hpf.common.policy import get_policy
from hpf.remittance.parse import DETAIL_COLUMNS, HEADER_COLUMNS, KIND_REMITTANCE

DETAIL = [c for c in DETAIL_COLUMNS if c != "所属年月"]


@dataclass
class Written:
    lists: int = 0
    rows: int = 0
    total_fen: int = 0


def write_month_lists(outdir: Path, period: int, actor: Actor, *, limit: int = 0) -> Written:
    """Write ``{unit_no}-{period}.csv`` for every employer due for ``period`` (at most
    ``limit`` employers when given); returns how many lists and rows were written."""
    outdir.mkdir(parents=True, exist_ok=True)
    rules = get_policy().deposit_rules(period)
    due = period_add(period, -1)
    written = Written()

    def flush(unit: str, uscc: str, people: list[list[str]], sums: list[int]) -> None:
        with (outdir / f"{unit}-{period}.csv").open("w", encoding="utf-8", newline="") as fh:
            w = SafeCsvWriter(fh)
            w.writerow(HEADER_COLUMNS)
            w.writerow(
                [unit, uscc, KIND_REMITTANCE, period, len(people)] + [format_yuan(x) for x in sums]
            )
            w.writerow([])
            w.writerow(DETAIL)
            w.writerows(people)
        written.lists += 1
        written.rows += len(people)
        written.total_fen += sums[2]

    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            """SELECT e.unit_no, e.uscc, a.account_no, d.id_number_enc, d.name,
                      a.deposit_base_fen, a.employer_ratio, a.employee_ratio
                 FROM registry_fundaccount a
                 JOIN registry_employer e ON e.id = a.employer_id
                 JOIN registry_depositor d ON d.id = a.depositor_id
                WHERE e.status = 'ACTIVE' AND e.paid_through = %s AND a.paid_through = %s
                  AND (a.status = 'ACTIVE' OR (a.status = 'FROZEN'
                       AND a.freeze_mode = 'RECEIVE_ONLY' AND a.status_before_freeze = 'ACTIVE'))
                ORDER BY e.unit_no, a.id""",
            [due, due],
        )
        unit = uscc = ""
        people: list[list[str]] = []
        sums = [0, 0, 0]
        employers = 0
        for unit_no, code, account_no, enc, name, base, er, ee in cur:
            if unit_no != unit:
                if people:
                    flush(unit, uscc, people, sums)
                    people, sums = [], [0, 0, 0]
                employers += 1
                if limit and employers > limit:
                    break
            unit, uscc = unit_no, code
            # SQLite hands decimals back as floats; their shortest text is the stored value.
            er, ee = Decimal(str(er)), Decimal(str(ee))
            split = monthly_deposit(base, er, ee, rules)
            people.append(
                [
                    str(len(people) + 1),
                    account_no,
                    decrypt(bytes(enc), context=b"id_number"),
                    name,
                    format_yuan(split.base_fen),
                    str(er),
                    format_yuan(split.employer_fen),
                    str(ee),
                    format_yuan(split.employee_fen),
                    format_yuan(split.total_fen),
                ]
            )
            sums[0] += split.employer_fen
            sums[1] += split.employee_fen
            sums[2] += split.total_fen
        if people:
            flush(unit, uscc, people, sums)
        record_event(
            actor,
            "seeding.demo_lists",
            purpose="模拟单位报送汇缴清册（含完整身份证号）",
            details={"period": period, "lists": written.lists, "rows": written.rows},
        )
    return written
