"""The pure validation core: integer share arithmetic equals monthly_deposit, and speed."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from hpf.calc.deposits import DepositRules, monthly_deposit
from hpf.calc.idnumbers import make_resident_id
from hpf.common.policy import get_policy
from hpf.registry.services import id_lookup
from hpf.remittance.parse import DETAIL_COLUMNS, ParsedList
from hpf.remittance.services import id_hasher
from hpf.remittance.validate import (
    AccountInfo,
    Context,
    EmployerInfo,
    _terms,
    check_rows,
    check_totals,
    expected_shares,
    read_header,
    read_rows,
    to_fen,
)

RATIOS = st.integers(min_value=500, max_value=1200).map(lambda n: Decimal(n).scaleb(-4))


def _ctx(er: Decimal, ee: Decimal, rules: DepositRules, **kw) -> Context:
    employer = EmployerInfo(1, "8000000011", "X", True, None, er, ee)
    return Context(employer, {}, {}, 202611, lambda p: rules, id_lookup, **kw)


@settings(max_examples=400, deadline=None)
@given(
    base=st.integers(min_value=100_000, max_value=4_000_000),
    er=RATIOS,
    ee=RATIOS,
    unit=st.sampled_from(["fen", "yuan"]),
)
def test_integer_shares_equal_monthly_deposit(base, er, ee, unit):
    """The fast path is exactly hpf.calc.deposits.monthly_deposit, for both rounding units."""
    rules = DepositRules(
        100_000, 4_000_000, Decimal("0.05"), Decimal("0.12"), unit, "ROUND_HALF_UP"
    )
    terms = _terms(202611, er, ee, _ctx(er, ee, rules))
    split = monthly_deposit(base, er, ee, rules)
    assert expected_shares(base, terms, er, ee) == (split.employer_fen, split.employee_fen)


def test_to_fen():
    assert [to_fen(t) for t in ("12", "12.3", "12.34", "12.340", "0.05")] == [
        1200,
        1230,
        1234,
        1234,
        5,
    ]
    assert [to_fen(t) for t in ("", "1,234.00", "-1", "1e3", "12.345", "12.", "１２")] == [None] * 7


def test_validation_speed(capsys):
    """Pure Python validation of 100 000 clean rows (read, check, totals, including one
    keyed hash per ID number) — the import's per-row cost, in CPU time. Prints rows/s; the
    assertion only guards against a gross regression on a busy machine."""
    n = 100_000
    rules = get_policy().deposit_rules(202611)
    er = ee = Decimal("0.12")
    by_no, by_hash, rows = {}, {}, []
    columns = [c for c in DETAIL_COLUMNS if c != "所属年月"]
    for i in range(n):
        id_number = make_resident_id(
            "530102",
            __import__("datetime").date(1960, 1, 1)
            + __import__("datetime").timedelta(days=i % 15000),
            i % 1000,
        )
        no = f"{i:012d}"
        hashed = id_lookup(id_number)
        info = AccountInfo(i + 1, no, "ACTIVE", "", "", 202610, 202001, 0, f"职工{i}", hashed)
        by_no[no], by_hash[hashed] = info, info
        base = 300_000 + (i * 7919) % 2_900_000
        part = (base * 12 + 50) // 100
        y = lambda f: f"{f // 100}.{f % 100:02d}"  # noqa: E731
        rows.append(
            (
                i + 5,
                [
                    str(i + 1),
                    no,
                    id_number,
                    f"职工{i}",
                    y(base),
                    "0.12",
                    y(part),
                    "0.12",
                    y(part),
                    y(2 * part),
                ],
            )
        )
    emp_total = sum(int(r[1][6].replace(".", "")) for r in rows)
    header = {
        "单位账号": "8000000011",
        "统一社会信用代码": "X",
        "清册类型": "汇缴",
        "所属年月": "202611",
        "人数": str(n),
        "单位缴存额合计": f"{emp_total // 100}.{emp_total % 100:02d}",
        "个人缴存额合计": f"{emp_total // 100}.{emp_total % 100:02d}",
        "缴存额合计": f"{2 * emp_total // 100}.{2 * emp_total % 100:02d}",
    }
    parsed = ParsedList(header, 2, {c: i for i, c in enumerate(columns)}, rows, "csv-utf8")
    ctx = Context(
        EmployerInfo(1, "8000000011", "X", True, 202610, er, ee),
        by_no,
        by_hash,
        202611,
        lambda p: rules,
        id_hasher(),
    )
    started = time.process_time()
    head, problems = read_header(parsed, 202611)
    read, row_problems = read_rows(parsed, head, 202611)
    checked = check_rows(head, read, ctx)
    totals = check_totals(head, read, n, True)
    elapsed = time.process_time() - started
    assert problems == row_problems == checked.problems == totals == []
    assert checked.unresolved == []
    with capsys.disabled():
        print(f"\nvalidation: {n} rows in {elapsed:.3f}s = {n / elapsed:,.0f} rows/s")
    assert n / elapsed > 20_000


def test_id_hasher_equals_id_lookup():
    hasher = id_hasher()
    for n in range(50):
        number = make_resident_id("530102", dt.date(1980, 1, 1) + dt.timedelta(days=n), n)
        assert hasher(number) == id_lookup(number)
