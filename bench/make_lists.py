"""Write one month's remittance lists (汇缴清册, CSV) for every employer of a seeded city.

Run inside the project's settings (it reads the registry and decrypts ID numbers, as an
employer's payroll system would hold them):

    DATABASE_URL=… .venv/bin/python -m bench.make_lists OUTDIR --period 202606
"""

from __future__ import annotations

import argparse
import csv
import os
from decimal import Decimal
from pathlib import Path


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hpf.settings")
    import django

    django.setup()
    from django.db import connection

    from hpf.calc.deposits import monthly_deposit
    from hpf.calc.money import format_yuan
    from hpf.common.crypto import decrypt
    from hpf.common.policy import get_policy

    parser = argparse.ArgumentParser()
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--period", type=int, required=True)
    args = parser.parse_args()
    args.outdir.mkdir(parents=True, exist_ok=True)
    rules = get_policy().deposit_rules(args.period)
    due = args.period - 1 if args.period % 100 != 1 else args.period - 89
    header = [
        "单位账号",
        "统一社会信用代码",
        "清册类型",
        "所属年月",
        "人数",
        "单位缴存额合计",
        "个人缴存额合计",
        "缴存额合计",
    ]
    detail = [
        "序号",
        "个人账号",
        "身份证号",
        "姓名",
        "缴存基数",
        "单位比例",
        "单位缴存额",
        "个人比例",
        "个人缴存额",
        "缴存额",
    ]
    lists = rows = 0

    def flush(unit: str, uscc: str, people: list[list[str]], sums: list[int]) -> None:
        nonlocal lists, rows
        with (args.outdir / f"{unit}-{args.period}.csv").open(
            "w", encoding="utf-8", newline=""
        ) as fh:
            w = csv.writer(fh)
            w.writerow(header)
            w.writerow(
                [unit, uscc, "汇缴", args.period, len(people), *(format_yuan(x) for x in sums)]
            )
            w.writerow([])
            w.writerow(detail)
            w.writerows(people)
        lists += 1
        rows += len(people)

    with connection.cursor() as cur:
        cur.execute(
            """SELECT e.unit_no, e.uscc, a.account_no, d.id_number_enc, d.name, a.deposit_base_fen,
                      a.employer_ratio, a.employee_ratio
                 FROM registry_fundaccount a
                 JOIN registry_employer e ON e.id = a.employer_id
                 JOIN registry_depositor d ON d.id = a.depositor_id
                WHERE e.status = 'ACTIVE' AND e.paid_through = %s AND a.paid_through = %s
                  AND (a.status = 'ACTIVE' OR (a.status = 'FROZEN' AND a.freeze_mode = 'RECEIVE_ONLY'
                       AND a.status_before_freeze = 'ACTIVE'))
                ORDER BY e.unit_no, a.id""",
            [due, due],
        )
        unit = uscc = ""
        people: list[list[str]] = []
        sums = [0, 0, 0]
        for unit_no, code, account_no, enc, name, base, er, ee in cur:
            if unit_no != unit and people:
                flush(unit, uscc, people, sums)
                people, sums = [], [0, 0, 0]
            unit, uscc = unit_no, code
            # SQLite hands decimals back as floats; their shortest text is the stored value.
            er, ee = Decimal(str(er)), Decimal(str(ee))
            split = monthly_deposit(base, er, ee, rules)
            people.append(
                [
                    str(len(people) + 1),
                    account_no,
                    decrypt(enc, context=b"id_number"),
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
    print(f"lists {lists} rows {rows}")


if __name__ == "__main__":
    main()
