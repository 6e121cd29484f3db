"""Checking a remittance list against the registry and the policy, collecting every problem.

Pure Python over plain data: the service loads the employer, its accounts (one query) and,
for back payments and corrections, the standing deposits of the periods in the list (one
query) into a ``Context``; nothing here touches the database, which is what lets a list of
200 000 rows be checked in about a second (see ``tests/test_speed.py``).

Each problem is a ``RowProblem`` naming the file's row, the column, a stable upper-snake
code and a Chinese message. Codes:

file / header   EMPTY_FILE FILE_FORMAT FILE_TOO_LARGE LAYOUT MISSING_COLUMN UNKNOWN_COLUMN
                DUPLICATE_COLUMN MISSING_COLUMN_NAME EXTRA_CELLS DUPLICATE_FILE
                EMPLOYER_REQUIRED EMPLOYER_NOT_FOUND EMPLOYER_INCONSISTENT EMPLOYER_CLOSED
                LIST_TYPE_INVALID PERIOD_REQUIRED PERIOD_FORMAT FUTURE_PERIOD
                PERIOD_ALREADY_PAID PERIOD_GAP PERIOD_BEFORE_OPENING NO_ROWS
                COUNT_MISMATCH HEADER_TOTAL_MISMATCH
row             ID_REQUIRED ID_INVALID ID_MISMATCH NAME_REQUIRED NAME_MISMATCH
                ACCOUNT_NOT_FOUND EMPLOYER_MISMATCH ACCOUNT_CLOSED ACCOUNT_FROZEN
                ACCOUNT_SEALED DUPLICATE_ROW PERIOD_REQUIRED PERIOD_FORMAT PERIOD_MISMATCH
                FUTURE_PERIOD PERIOD_BEFORE_OPENING PERIOD_ALREADY_PAID PERIOD_NOT_DUE
                NOTHING_TO_CORRECT CORRECTION_NO_CHANGE BALANCE_NEGATIVE MONEY_FORMAT
                RATIO_FORMAT RATIO_NOT_AGREED RATIO_OUT_OF_RANGE BASE_BELOW_FLOOR
                BASE_ABOVE_CAP AMOUNT_MISMATCH TOTAL_MISMATCH POLICY_NOT_IN_FORCE
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from hpf.calc.deposits import DepositRules, check_ratio, monthly_deposit, share_rounder
from hpf.calc.eligibility import base_refusal, deposit_refusal
from hpf.calc.errors import CalcError
from hpf.calc.idnumbers import parse_resident_id
from hpf.calc.money import format_yuan
from hpf.calc.periods import format_period, parse_period, period_add
from hpf.remittance.parse import (
    C_ACCOUNT_NO,
    C_BASE,
    C_EMPLOYEE_FEN,
    C_EMPLOYEE_RATIO,
    C_EMPLOYER_FEN,
    C_EMPLOYER_RATIO,
    C_ID_NUMBER,
    C_NAME,
    C_PERIOD,
    C_TOTAL,
    H_COUNT,
    H_EMPLOYEE_TOTAL,
    H_EMPLOYER_TOTAL,
    H_KIND,
    H_PERIOD,
    H_TOTAL,
    H_UNIT_NO,
    H_USCC,
    KIND_BACK_PAYMENT,
    KIND_CORRECTION,
    KIND_REMITTANCE,
    KINDS,
    ParsedList,
    ProblemList,
    RowProblem,
    parse_ratio_text,
)


@dataclass(slots=True)
class Header:
    unit_no: str
    uscc: str
    kind: str
    period: int | None
    count: int | None
    employer_fen: int | None
    employee_fen: int | None
    total_fen: int | None
    row: int


class Row(NamedTuple):
    """One detail row, read (a tuple: a list of 200 000 is built and unpacked fast)."""

    row: int
    account_no: str
    id_number: str
    name: str
    period: int
    base_fen: int
    employer_ratio: Decimal
    employee_ratio: Decimal
    employer_fen: int
    employee_fen: int
    total_fen: int


_new_row = tuple.__new__  # Row(...) without the Python-level __new__ of NamedTuple


@dataclass(frozen=True, slots=True)
class EmployerInfo:
    pk: int
    unit_no: str
    uscc: str
    active: bool
    paid_through: int | None
    employer_ratio: Decimal
    employee_ratio: Decimal


class AccountInfo(NamedTuple):
    """An account as the checks need it (a tuple: the batch path builds 1.5 million)."""

    pk: int
    account_no: str
    status: str
    freeze_mode: str
    status_before_freeze: str
    paid_through: int | None
    opened_period: int
    balance_fen: int
    name: str
    id_hash: str


@dataclass(frozen=True, slots=True)
class Standing:
    """A deposit posting that stands (not reversed) for an account and period."""

    posting_id: int
    entry_id: int
    account_id: int
    period: int
    amount_fen: int
    employer_fen: int | None
    base_fen: int | None
    employer_ratio: Decimal | None
    employee_ratio: Decimal | None
    employer_id: int | None


@dataclass(slots=True)
class Context:
    employer: EmployerInfo
    accounts_by_no: dict[str, AccountInfo]
    accounts_by_hash: dict[str, AccountInfo]
    current_period: int
    rules_for: Callable[[int], DepositRules]
    id_hash: Callable[[str], str]
    standing: dict[tuple[int, int], list[Standing]] = field(default_factory=dict)

    @property
    def first_period(self) -> int | None:
        opened = [a.opened_period for a in self.accounts_by_no.values()]
        return min(opened) if opened else None


def _p(row: int, column: str, code: str, message: str) -> RowProblem:
    return RowProblem(row, column, code, message)


def to_fen(text: str) -> int | None:
    """A non-negative amount in yuan with at most two decimals (``1234``, ``1234.5``,
    ``1234.56``) as fen; None for anything else (separators, signs, exponents, 3 decimals)."""
    if text[-3:-2] == ".":  # the usual 1234.56, fast
        digits = text[:-3] + text[-2:]
        if digits.isdigit() and digits.isascii():
            return int(digits)
    whole, dot, frac = text.partition(".")
    if not (whole.isascii() and whole.isdigit()):
        return None
    if not dot:
        return int(whole) * 100
    if not (frac.isascii() and frac.isdigit()):
        return None
    if len(frac) > 2:
        if frac[2:].strip("0"):
            return None
        frac = frac[:2]
    return int(whole) * 100 + int(frac.ljust(2, "0"))


def _money_problem(row: int, column: str, text: str) -> RowProblem:
    if not text:
        return _p(row, column, "MONEY_FORMAT", f"“{column}”不能为空")
    return _p(
        row,
        column,
        "MONEY_FORMAT",
        f"“{column}”应为以元为单位、最多两位小数的金额（如 1234.56），当前为“{text}”",
    )


# ---------------------------------------------------------------------------- header


def read_header(parsed: ParsedList, current_period: int) -> tuple[Header, list[RowProblem]]:
    h, row = parsed.header, parsed.header_row
    problems: list[RowProblem] = []
    kind = h[H_KIND]
    if kind not in KINDS:
        problems.append(
            _p(
                row,
                H_KIND,
                "LIST_TYPE_INVALID",
                f"清册类型应为 {'、'.join(KINDS)} 之一，当前为“{kind}”",
            )
        )
    unit_no, uscc = h[H_UNIT_NO], h[H_USCC].upper()
    if not unit_no and not uscc:
        problems.append(_p(row, H_UNIT_NO, "EMPLOYER_REQUIRED", "请填写单位账号或统一社会信用代码"))
    period: int | None = None
    if h[H_PERIOD]:
        try:
            period = parse_period(h[H_PERIOD])
        except CalcError as exc:
            problems.append(_p(row, H_PERIOD, "PERIOD_FORMAT", exc.message))
    elif kind == KIND_REMITTANCE:
        problems.append(_p(row, H_PERIOD, "PERIOD_REQUIRED", "汇缴清册必须填写所属年月"))
    if period is not None and period > current_period:
        problems.append(
            _p(
                row,
                H_PERIOD,
                "FUTURE_PERIOD",
                f"所属年月 {format_period(period)} 晚于本月 {format_period(current_period)}，不能预缴",
            )
        )
    count: int | None = None
    text = h[H_COUNT]
    if text.isascii() and text.isdigit():
        count = int(text)
    else:
        problems.append(_p(row, H_COUNT, "COUNT_MISMATCH", f"人数应为整数，当前为“{text}”"))
    totals: list[int | None] = []
    for column in (H_EMPLOYER_TOTAL, H_EMPLOYEE_TOTAL, H_TOTAL):
        fen = to_fen(h[column])
        if fen is None:
            problems.append(_money_problem(row, column, h[column]))
        totals.append(fen)
    header = Header(unit_no, uscc, kind, period, count, totals[0], totals[1], totals[2], row)
    return header, problems


def check_employer(
    header: Header, ctx: Context, *, already_paid_message: str | None = None
) -> list[RowProblem]:
    """The employer is active and, for 汇缴, the period is its next due month."""
    problems: list[RowProblem] = []
    e, row = ctx.employer, header.row
    if header.unit_no and header.uscc and (e.unit_no, e.uscc) != (header.unit_no, header.uscc):
        problems.append(
            _p(
                row,
                H_USCC,
                "EMPLOYER_INCONSISTENT",
                "单位账号与统一社会信用代码不是同一个单位，请核对",
            )
        )
    if not e.active:
        problems.append(_p(row, H_UNIT_NO, "EMPLOYER_CLOSED", f"单位 {e.unit_no} 已注销，不能缴存"))
    if header.kind != KIND_REMITTANCE or header.period is None:
        return problems
    period = header.period
    if header.period > ctx.current_period:
        return problems  # FUTURE_PERIOD already said
    if e.paid_through is not None:
        due = period_add(e.paid_through, 1)
        if period <= e.paid_through:
            problems.append(
                _p(
                    row,
                    H_PERIOD,
                    "PERIOD_ALREADY_PAID",
                    already_paid_message
                    or f"{format_period(period)} 已汇缴（单位缴至 {format_period(e.paid_through)}），"
                    "一个月只能汇缴一次；如需更正请提交错缴更正清册",
                )
            )
        elif period != due:
            problems.append(
                _p(
                    row,
                    H_PERIOD,
                    "PERIOD_GAP",
                    f"应缴月份为 {format_period(due)}，不能跳月汇缴 {format_period(period)}；"
                    "中间月份请先汇缴或补缴",
                )
            )
    else:
        first = ctx.first_period
        if first is not None and period < first:
            problems.append(
                _p(
                    row,
                    H_PERIOD,
                    "PERIOD_BEFORE_OPENING",
                    f"所属年月 {format_period(period)} 早于本单位职工最早开户月份 {format_period(first)}",
                )
            )
    return problems


# ---------------------------------------------------------------------------- rows


def read_rows(
    parsed: ParsedList, header: Header, current_period: int
) -> tuple[list[Row], list[RowProblem]]:
    """Read every detail row's values; rows with unreadable values are reported and left out."""
    cols = parsed.columns
    i_no, i_id, i_name = cols[C_ACCOUNT_NO], cols[C_ID_NUMBER], cols[C_NAME]
    i_base, i_er, i_ee = cols[C_BASE], cols[C_EMPLOYER_RATIO], cols[C_EMPLOYEE_RATIO]
    i_erf, i_eef, i_tot = cols[C_EMPLOYER_FEN], cols[C_EMPLOYEE_FEN], cols[C_TOTAL]
    i_period = cols.get(C_PERIOD)
    kind = header.kind
    per_row_period = kind in (KIND_BACK_PAYMENT, KIND_CORRECTION)
    if per_row_period and i_period is None:
        return [], [
            _p(
                parsed.header_row,
                C_PERIOD,
                "MISSING_COLUMN",
                f"{kind}清册的明细必须有“所属年月”列",
            )
        ]
    list_period = header.period or 0
    ratios: dict[str, Decimal | None] = {}
    fens: dict[str, int | None] = {}
    fens_get = fens.get
    periods: dict[str, int | str] = {}
    rows: list[Row] = []
    problems: list[RowProblem] = ProblemList()
    add = problems.append
    for number, cells in parsed.rows:
        bad = False
        id_number = cells[i_id]
        if " " in id_number or id_number.endswith("x"):
            id_number = id_number.replace(" ", "").upper()
        if not id_number:
            add(_p(number, C_ID_NUMBER, "ID_REQUIRED", "请填写身份证号"))
            bad = True
        name = cells[i_name]
        if not name:
            add(_p(number, C_NAME, "NAME_REQUIRED", "请填写姓名"))
            bad = True
        period = list_period
        if i_period is not None:
            text = cells[i_period]
            if text:
                found = periods.get(text)
                if found is None:
                    try:
                        found = parse_period(text)
                    except CalcError as exc:
                        found = exc.message
                    periods[text] = found
                if isinstance(found, str):
                    add(_p(number, C_PERIOD, "PERIOD_FORMAT", found))
                    bad = True
                elif per_row_period:
                    period = found
                    if found > current_period:
                        add(
                            _p(
                                number,
                                C_PERIOD,
                                "FUTURE_PERIOD",
                                f"所属年月 {format_period(found)} 晚于本月，不能预缴",
                            )
                        )
                        bad = True
                elif found != list_period:
                    add(
                        _p(
                            number,
                            C_PERIOD,
                            "PERIOD_MISMATCH",
                            f"明细所属年月 {format_period(found)} 与表头 {format_period(list_period) if list_period else '（空）'} 不一致",
                        )
                    )
                    bad = True
            elif per_row_period:
                add(_p(number, C_PERIOD, "PERIOD_REQUIRED", f"{kind}清册每行必须填写所属年月"))
                bad = True
        # Amounts repeat within a list (equal shares at equal ratios, common bases): each
        # distinct text is converted once.
        text = cells[i_base]
        base = fens_get(text)
        if base is None:
            base = fens[text] = to_fen(text)
        text = cells[i_erf]
        erf = fens_get(text)
        if erf is None:
            erf = fens[text] = to_fen(text)
        text = cells[i_eef]
        eef = fens_get(text)
        if eef is None:
            eef = fens[text] = to_fen(text)
        text = cells[i_tot]
        total = fens_get(text)
        if total is None:
            total = fens[text] = to_fen(text)
        if base is None or erf is None or eef is None or total is None:
            for index, column, fen in (
                (i_base, C_BASE, base),
                (i_erf, C_EMPLOYER_FEN, erf),
                (i_eef, C_EMPLOYEE_FEN, eef),
                (i_tot, C_TOTAL, total),
            ):
                if fen is None:
                    add(_money_problem(number, column, cells[index]))
            bad = True
        text = cells[i_er]
        er = ratios[text] if text in ratios else ratios.setdefault(text, parse_ratio_text(text))
        text = cells[i_ee]
        ee = ratios[text] if text in ratios else ratios.setdefault(text, parse_ratio_text(text))
        if er is None or ee is None:
            for index, column, ratio in (
                (i_er, C_EMPLOYER_RATIO, er),
                (i_ee, C_EMPLOYEE_RATIO, ee),
            ):
                if ratio is None:
                    add(
                        _p(
                            number,
                            column,
                            "RATIO_FORMAT",
                            f"“{column}”应写作小数（0.12）或百分数（12%），当前为“{cells[index]}”",
                        )
                    )
            bad = True
        if bad:
            continue
        assert base is not None
        assert erf is not None
        assert eef is not None
        assert total is not None
        assert er is not None
        assert ee is not None
        if erf + eef != total:
            add(
                _p(
                    number,
                    C_TOTAL,
                    "TOTAL_MISMATCH",
                    f"缴存额 {format_yuan(total)} 不等于单位缴存额 {format_yuan(erf)} + 个人缴存额 {format_yuan(eef)}",
                )
            )
        rows.append(
            _new_row(
                Row, (number, cells[i_no], id_number, name, period, base, er, ee, erf, eef, total)
            )
        )
    return rows, problems


def check_totals(header: Header, rows: list[Row], n_rows: int, complete: bool) -> list[RowProblem]:
    """人数 and the three header totals equal the rows (totals only when every row was read)."""
    problems: list[RowProblem] = []
    row = header.row
    if n_rows == 0:
        problems.append(_p(row, H_COUNT, "NO_ROWS", "清册没有明细行"))
    if header.count is not None and header.count != n_rows:
        problems.append(
            _p(
                row,
                H_COUNT,
                "COUNT_MISMATCH",
                f"表头人数 {header.count} 与明细行数 {n_rows} 不一致",
            )
        )
    if not complete:
        return problems
    sums = (
        (H_EMPLOYER_TOTAL, header.employer_fen, sum(r.employer_fen for r in rows)),
        (H_EMPLOYEE_TOTAL, header.employee_fen, sum(r.employee_fen for r in rows)),
        (H_TOTAL, header.total_fen, sum(r.total_fen for r in rows)),
    )
    for column, stated, actual in sums:
        if stated is not None and stated != actual:
            problems.append(
                _p(
                    row,
                    column,
                    "HEADER_TOTAL_MISMATCH",
                    f"表头{column} {format_yuan(stated)} 与明细合计 {format_yuan(actual)} 不一致（相差 {format_yuan(stated - actual)}）",
                )
            )
    return problems


@dataclass(slots=True)
class _Terms:
    """What one (period, employer ratio, employee ratio) allows, worked out once."""

    rules: DepositRules | None
    problems: list[tuple[str, str, str]]  # (column, code, message) for every row using them
    # The two shares' rounding (hpf.calc.deposits.share_rounder), built once per terms.
    shares: tuple[Callable[[int], int], Callable[[int], int]] | None


def _terms(period: int, er: Decimal, ee: Decimal, ctx: Context) -> _Terms:
    try:
        rules = ctx.rules_for(period)
    except CalcError as exc:
        return _Terms(None, [(C_BASE, "POLICY_NOT_IN_FORCE", exc.message)], None)
    problems: list[tuple[str, str, str]] = []
    e = ctx.employer
    for column, ratio, agreed, who in (
        (C_EMPLOYER_RATIO, er, e.employer_ratio, "employer"),
        (C_EMPLOYEE_RATIO, ee, e.employee_ratio, "employee"),
    ):
        try:
            check_ratio(ratio, rules, who=who)  # type: ignore[arg-type]
        except CalcError as exc:
            problems.append((column, "RATIO_OUT_OF_RANGE", exc.message))
            continue
        if ratio != agreed:
            problems.append(
                (
                    column,
                    "RATIO_NOT_AGREED",
                    f"{column} {_pct(ratio)} 与单位登记的缴存比例 {_pct(agreed)} 不一致；比例调整请先办理变更",
                )
            )
    shares = (
        share_rounder(er, unit=rules.rounding_unit, rounding=rules.rounding),
        share_rounder(ee, unit=rules.rounding_unit, rounding=rules.rounding),
    )
    return _Terms(rules, problems, shares)


def _pct(ratio: Decimal) -> str:
    return f"{(ratio * 100).normalize():f}%"


def expected_shares(base_fen: int, terms: _Terms, er: Decimal, ee: Decimal) -> tuple[int, int]:
    """base × ratio for both shares, each rounded on its own as the policy says, by the one
    deposit rounding (``hpf.calc.deposits.share_rounder``, as the ledger's postings)."""
    assert terms.shares is not None
    return terms.shares[0](base_fen), terms.shares[1](base_fen)


def policy_screen(
    rows: list[Row], rules_for: Callable[[int], DepositRules]
) -> tuple[bool, set[tuple[Decimal, Decimal]]]:
    """Whether ``check_rows`` would find no policy or arithmetic problem in ``rows`` (ratios
    in range, bases within the floor and cap, both shares equal to base × ratio rounded as the
    policy says), given that the employer agreed the ratios; and the (employer, employee)
    ratios the rows use, which the caller compares with the employer's. A screen, not a
    report: a list it does not pass is checked by ``check_rows``, which words the problems."""
    cache: dict[
        tuple[int, Decimal, Decimal],
        tuple[DepositRules, Callable[[int], int], Callable[[int], int]] | None,
    ] = {}
    ratios: set[tuple[Decimal, Decimal]] = set()
    for r in rows:
        key = (r.period, r.employer_ratio, r.employee_ratio)
        if key in cache:
            terms = cache[key]
        else:
            terms = cache[key] = _screen_terms(*key, rules_for)
            ratios.add((r.employer_ratio, r.employee_ratio))
        if terms is None:
            return False, ratios
        rules, employer_share, employee_share = terms
        base = r.base_fen
        if base_refusal_screen(base, rules):
            return False, ratios
        if employer_share(base) != r.employer_fen or employee_share(base) != r.employee_fen:
            return False, ratios
    return True, ratios


def _screen_terms(
    period: int, er: Decimal, ee: Decimal, rules_for: Callable[[int], DepositRules]
) -> tuple[DepositRules, Callable[[int], int], Callable[[int], int]] | None:
    try:
        rules = rules_for(period)
        check_ratio(er, rules, who="employer")
        check_ratio(ee, rules, who="employee")
        return (
            rules,
            share_rounder(er, unit=rules.rounding_unit, rounding=rules.rounding),
            share_rounder(ee, unit=rules.rounding_unit, rounding=rules.rounding),
        )
    except CalcError:
        return None


def base_refusal_screen(base_fen: int, rules: DepositRules) -> bool:
    """Whether ``base_refusal`` refuses the base (without wording why)."""
    return base_fen < rules.base_floor_fen or base_fen > rules.base_cap_fen


@dataclass(slots=True)
class RowCheck:
    problems: list[RowProblem]
    unresolved: list[tuple[Row, str]]  # rows whose account is not this employer's
    account_ids: list[int]  # per row, the account found (0 if none)


def check_rows(header: Header, rows: list[Row], ctx: Context) -> RowCheck:
    """Every row against its account, the period rules, the policy and the arithmetic."""
    problems: list[RowProblem] = ProblemList()
    add = problems.append
    unresolved: list[tuple[Row, str]] = []
    kind = header.kind
    remittance = kind == KIND_REMITTANCE
    by_no, by_hash, id_hash = ctx.accounts_by_no, ctx.accounts_by_hash, ctx.id_hash
    terms_cache: dict[tuple[int, Decimal, Decimal], _Terms] = {}
    seen: dict[object, int] = {}
    employer_pk = ctx.employer.pk
    account_ids: list[int] = []
    for r in rows:
        number, account_no, id_number, name, period, base, er, ee, erf_given, eef_given, _ = r
        hashed = id_hash(id_number)
        account = by_no.get(account_no) if account_no else by_hash.get(hashed)
        if account is None:
            account_ids.append(0)
            unresolved.append((r, hashed))
            key: object = ("no", account_no) if account_no else ("id", hashed)
        else:
            account_ids.append(account.pk)
            key = account.pk
            if account.id_hash != hashed:
                try:
                    parse_resident_id(id_number)
                except CalcError as exc:
                    add(_p(number, C_ID_NUMBER, "ID_INVALID", exc.message))
                else:
                    add(
                        _p(
                            number,
                            C_ID_NUMBER,
                            "ID_MISMATCH",
                            f"身份证号不是个人账号 {account.account_no} 的持有人",
                        )
                    )
            elif account.name != name:
                add(_p(number, C_NAME, "NAME_MISMATCH", "姓名与登记的账户姓名不一致"))
            refusal = deposit_refusal(
                account.status,
                account.freeze_mode,
                account.status_before_freeze,
                remittance=remittance,
            )
            if refusal is not None:
                add(_p(number, C_ACCOUNT_NO, refusal.code, refusal.message))
            if period < account.opened_period:
                add(
                    _p(
                        number,
                        C_PERIOD,
                        "PERIOD_BEFORE_OPENING",
                        f"所属年月 {format_period(period)} 早于该账户开户月份",
                    )
                )
            elif remittance:
                paid = account.paid_through
                if paid is not None and period <= paid:
                    add(
                        _p(
                            number,
                            C_ACCOUNT_NO,
                            "PERIOD_ALREADY_PAID",
                            f"该职工 {format_period(period)} 已缴存（缴至 {format_period(paid)}）",
                        )
                    )
            else:
                _check_past_period(r, account, kind, ctx, employer_pk, add)
        dup_key = key if remittance else (key, period)
        first = seen.get(dup_key)
        if first is not None:
            add(
                _p(
                    number,
                    C_ACCOUNT_NO,
                    "DUPLICATE_ROW",
                    f"与第 {first} 行是同一职工{'' if remittance else '的同一月份'}，不能重复缴存",
                )
            )
        else:
            seen[dup_key] = number
        tkey = (period, er, ee)
        terms = terms_cache.get(tkey)
        if terms is None:
            terms = terms_cache[tkey] = _terms(*tkey, ctx)
        for column, code, message in terms.problems:
            add(_p(number, column, code, message))
        rules = terms.rules
        if rules is None or terms.problems:
            continue
        refusal = base_refusal(base, rules, period)
        if refusal is not None:
            add(_p(number, C_BASE, refusal.code, refusal.message))
            continue
        assert terms.shares is not None
        erf, eef = terms.shares[0](base), terms.shares[1](base)
        if erf != erf_given or eef != eef_given:
            split = monthly_deposit(base, er, ee, rules)
            for column, want, got in (
                (C_EMPLOYER_FEN, split.employer_fen, erf_given),
                (C_EMPLOYEE_FEN, split.employee_fen, eef_given),
            ):
                if want != got:
                    add(
                        _p(
                            number,
                            column,
                            "AMOUNT_MISMATCH",
                            f"{column}应为 {format_yuan(want)}（缴存基数 × 比例，按政策舍入），当前为 {format_yuan(got)}",
                        )
                    )
    return RowCheck(problems, unresolved, account_ids)


def _check_past_period(
    r: Row,
    account: AccountInfo,
    kind: str,
    ctx: Context,
    employer_pk: int,
    add: Callable[[RowProblem], None],
) -> None:
    period, number = r.period, r.row
    standing = ctx.standing.get((account.pk, period), [])
    if kind == KIND_BACK_PAYMENT:
        paid = account.paid_through
        if paid is None or period > paid:
            add(
                _p(
                    number,
                    C_PERIOD,
                    "PERIOD_NOT_DUE",
                    f"{format_period(period)} 尚未到补缴范围（该职工缴至 {format_period(paid) if paid else '无'}），应随汇缴清册缴存",
                )
            )
        elif standing:
            add(
                _p(
                    number,
                    C_PERIOD,
                    "PERIOD_ALREADY_PAID",
                    f"该职工 {format_period(period)} 已有缴存记录，不能重复补缴",
                )
            )
        return
    # 错缴更正: the standing deposit of this employer for the month is replaced.
    if not standing or any(s.employer_id != employer_pk for s in standing):
        add(
            _p(
                number,
                C_PERIOD,
                "NOTHING_TO_CORRECT",
                f"该职工 {format_period(period)} 没有本单位的缴存记录可更正",
            )
        )
        return
    if len(standing) == 1:
        s = standing[0]
        if (
            s.base_fen == r.base_fen
            and s.employer_fen == r.employer_fen
            and s.amount_fen == r.total_fen
            and s.employer_ratio == r.employer_ratio
            and s.employee_ratio == r.employee_ratio
        ):
            add(
                _p(
                    number,
                    C_BASE,
                    "CORRECTION_NO_CHANGE",
                    f"更正后的金额与 {format_period(period)} 原缴存记录完全相同，无需更正",
                )
            )
            return
    delta = r.total_fen - sum(s.amount_fen for s in standing)
    if account.balance_fen + delta < 0:
        add(
            _p(
                number,
                C_TOTAL,
                "BALANCE_NEGATIVE",
                "更正后账户余额将为负数（原缴存额已被提取），请先到柜台办理",
            )
        )


def not_here_problems(
    unresolved: list[tuple[Row, str]], elsewhere_nos: set[str], elsewhere_hashes: set[str]
) -> list[RowProblem]:
    """Rows whose account is not among this employer's: another employer's, or none at all."""
    problems = []
    for r, hashed in unresolved:
        found = (r.account_no in elsewhere_nos) if r.account_no else (hashed in elsewhere_hashes)
        if found:
            problems.append(
                _p(
                    r.row,
                    C_ACCOUNT_NO if r.account_no else C_ID_NUMBER,
                    "EMPLOYER_MISMATCH",
                    "该职工的公积金账户不属于本单位，请先办理单位变更（转移）",
                )
            )
        else:
            try:
                parse_resident_id(r.id_number)
            except CalcError as exc:
                problems.append(_p(r.row, C_ID_NUMBER, "ID_INVALID", exc.message))
                continue
            problems.append(
                _p(
                    r.row,
                    C_ACCOUNT_NO if r.account_no else C_ID_NUMBER,
                    "ACCOUNT_NOT_FOUND",
                    "没有找到该职工的公积金账户，请先办理开户",
                )
            )
    return problems
