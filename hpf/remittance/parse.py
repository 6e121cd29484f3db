"""Reading a remittance list file (清册文件): bytes → header values and numbered detail rows.

Two containers are accepted: XLSX (recognised by the zip signature; the first worksheet, cell
values not formulas, read in streaming mode) and CSV (UTF-8 with or without BOM, else GBK;
anything that is neither is refused rather than guessed). The layout is the one of
docs/remittance-format.md: header column names, header values, blank row(s), detail column
names, detail rows. Row numbers are the file's own (1-based) so people find them in Excel.

Rows are read one at a time (CSV through the ``csv`` reader, XLSX in openpyxl's read-only
mode) and reading stops at ``max_rows`` detail rows with a clear refusal, so no file the size
limit lets in can fill the memory. Problems are kept in a ``ProblemList``: the first
``MAX_REPORTED_PROBLEMS`` in full and a count of the rest.

Nothing here knows about employers or accounts: a file that cannot be read, or whose columns
are missing or unknown, is refused with problems naming the row and column.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls
# An XLSX expands when unzipped; this many times the size limit is refused as a zip bomb.
MAX_EXPANSION = 20
# Detail rows accepted in one list (HPF_IMPORT_MAX_ROWS overrides it) and problems reported in
# full; the rest are counted.
DEFAULT_MAX_ROWS = 100_000
MAX_REPORTED_PROBLEMS = 1000
# An echoed column name is cut to this many characters.
MAX_ECHOED_NAME = 40

KIND_REMITTANCE = "汇缴"
KIND_BACK_PAYMENT = "补缴"
KIND_CORRECTION = "错缴更正"
KINDS = (KIND_REMITTANCE, KIND_BACK_PAYMENT, KIND_CORRECTION)

# Header (rows 1–2).
H_UNIT_NO = "单位账号"
H_USCC = "统一社会信用代码"
H_KIND = "清册类型"
H_PERIOD = "所属年月"
H_COUNT = "人数"
H_EMPLOYER_TOTAL = "单位缴存额合计"
H_EMPLOYEE_TOTAL = "个人缴存额合计"
H_TOTAL = "缴存额合计"
HEADER_COLUMNS = (
    H_UNIT_NO,
    H_USCC,
    H_KIND,
    H_PERIOD,
    H_COUNT,
    H_EMPLOYER_TOTAL,
    H_EMPLOYEE_TOTAL,
    H_TOTAL,
)

# Detail rows.
C_SEQ = "序号"
C_ACCOUNT_NO = "个人账号"
C_ID_NUMBER = "身份证号"
C_NAME = "姓名"
C_PERIOD = "所属年月"
C_BASE = "缴存基数"
C_EMPLOYER_RATIO = "单位比例"
C_EMPLOYER_FEN = "单位缴存额"
C_EMPLOYEE_RATIO = "个人比例"
C_EMPLOYEE_FEN = "个人缴存额"
C_TOTAL = "缴存额"
DETAIL_REQUIRED = (
    C_ACCOUNT_NO,
    C_ID_NUMBER,
    C_NAME,
    C_BASE,
    C_EMPLOYER_RATIO,
    C_EMPLOYER_FEN,
    C_EMPLOYEE_RATIO,
    C_EMPLOYEE_FEN,
    C_TOTAL,
)
DETAIL_OPTIONAL = (C_SEQ, C_PERIOD)
DETAIL_COLUMNS = (
    C_SEQ,
    C_ACCOUNT_NO,
    C_ID_NUMBER,
    C_NAME,
    C_PERIOD,
    C_BASE,
    C_EMPLOYER_RATIO,
    C_EMPLOYER_FEN,
    C_EMPLOYEE_RATIO,
    C_EMPLOYEE_FEN,
    C_TOTAL,
)


@dataclass(frozen=True, slots=True)
class RowProblem:
    """One problem: ``row`` is the file's row number (0 for the file as a whole), ``column``
    the column name ("" if none), ``code`` a stable upper-snake code for programs and
    ``message`` plain Chinese for people."""

    row: int
    column: str
    code: str
    message: str

    def as_dict(self) -> dict[str, object]:
        return {"row": self.row, "column": self.column, "code": self.code, "message": self.message}


@dataclass(frozen=True, slots=True)
class ParsedList:
    """The header as column name → text, and the detail rows as (row number, cells) with
    ``columns`` giving the position of each detail column."""

    header: dict[str, str]
    header_row: int
    columns: dict[str, int]
    rows: list[tuple[int, list[str]]]
    container: str  # "csv-utf8", "csv-gbk" or "xlsx"


class ProblemList(list[RowProblem]):
    """The problems of one list: the first ``cap`` kept, the rest only counted in
    ``dropped``, so a file with a problem on every cell of every row cannot fill the memory
    or the report page. ``total`` is the true number of problems."""

    def __init__(self, items: Iterable[RowProblem] = (), cap: int = MAX_REPORTED_PROBLEMS) -> None:
        super().__init__()
        self.cap = cap
        self.dropped = 0
        self.extend(items)

    def append(self, problem: RowProblem) -> None:
        if len(self) < self.cap:
            super().append(problem)
        else:
            self.dropped += 1

    def extend(self, items: Iterable[RowProblem]) -> None:
        for problem in items:
            self.append(problem)
        if isinstance(items, ProblemList):
            self.dropped += items.dropped

    def __iadd__(self, items: Iterable[RowProblem]) -> ProblemList:  # type: ignore[override,misc]
        self.extend(items)
        return self

    @property
    def total(self) -> int:
        return len(self) + self.dropped

    def __reduce__(self) -> tuple[object, ...]:
        # Lists cross to and from the batch's worker processes.
        return (_problem_list, (list(self), self.cap, self.dropped))


def _problem_list(items: list[RowProblem], cap: int, dropped: int) -> ProblemList:
    problems = ProblemList(items, cap=cap)
    problems.dropped = dropped
    return problems


def problem_total(problems: Sequence[RowProblem]) -> int:
    """How many problems there were, counting those a ``ProblemList`` did not keep."""
    return problems.total if isinstance(problems, ProblemList) else len(problems)


def not_listed(problems: Iterable[RowProblem]) -> RowProblem | None:
    """The report's last line when problems were left out: how many."""
    dropped = problems.dropped if isinstance(problems, ProblemList) else 0
    if not dropped or not isinstance(problems, ProblemList):
        return None
    return RowProblem(
        0,
        "",
        "MORE_PROBLEMS",
        f"另有 {dropped:,} 个问题未列出（只列出前 {len(problems):,} 个），请先改正以上问题",
    )


def too_many_rows(limit: int) -> RowProblem:
    return RowProblem(
        0,
        "",
        "TOO_MANY_ROWS",
        f"明细超过 {limit:,} 行的上限，已停止读取，请按部门分拆清册后再分别导入",
    )


def _echo(name: str) -> str:
    """A column name from the file as it may be repeated back (cut short)."""
    return name if len(name) <= MAX_ECHOED_NAME else name[:MAX_ECHOED_NAME] + "…"


class ParseFailure(Exception):
    """The file cannot be read as a remittance list; ``problems`` says why."""

    def __init__(self, problems: Sequence[RowProblem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = list(problems)


def _fail(code: str, message: str, row: int = 0, column: str = "") -> ParseFailure:
    return ParseFailure([RowProblem(row, column, code, message)])


def too_large(size: int, limit: int) -> RowProblem:
    return RowProblem(
        0,
        "",
        "FILE_TOO_LARGE",
        f"文件大小 {size:,} 字节超过上限 {limit:,} 字节，请按单位分拆清册后再导入",
    )


def parse_list(content: bytes, *, max_bytes: int, max_rows: int = DEFAULT_MAX_ROWS) -> ParsedList:
    """Read ``content`` as a remittance list or raise ``ParseFailure``.

    The size is checked first, before anything is decoded or unzipped; reading stops at the
    first detail row beyond ``max_rows``.
    """
    if len(content) > max_bytes:
        raise ParseFailure([too_large(len(content), max_bytes)])
    if not content.strip():
        raise _fail("EMPTY_FILE", "文件为空，没有任何内容")
    if content.startswith(ZIP_MAGIC):
        cells = _xlsx_rows(content, max_bytes=max_bytes)
        container = "xlsx"
    elif content.startswith(OLE2_MAGIC):
        raise _fail(
            "FILE_FORMAT", "不支持旧版 Excel（.xls）文件，请另存为 .xlsx 或 CSV（UTF-8）后再导入"
        )
    else:
        text, container = _decode(content)
        cells = _csv_rows(text)
    return _layout(cells, container, max_rows)


def _decode(content: bytes) -> tuple[str, str]:
    try:
        text, container = content.decode("utf-8-sig"), "csv-utf8"
    except UnicodeDecodeError:
        try:
            text, container = content.decode("gbk"), "csv-gbk"
        except UnicodeDecodeError:
            raise _fail(
                "FILE_FORMAT",
                "无法识别的文件：既不是 UTF-8 或 GBK 编码的 CSV，也不是有效的 XLSX 文件",
            ) from None
    if "\x00" in text:
        raise _fail(
            "FILE_FORMAT", "无法识别的文件：含有二进制内容，不是 CSV 文本，也不是有效的 XLSX 文件"
        )
    return text, container


def _csv_rows(text: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for cells in reader:
            yield reader.line_num, [c.strip() for c in cells]
    except csv.Error as exc:
        raise _fail("FILE_FORMAT", f"CSV 格式错误（第 {reader.line_num} 行）：{exc}") from exc


def cell_text(value: object) -> str:
    """An XLSX cell value as the text a person sees: numbers without float noise (15
    significant digits, as Excel shows them), dates in a period column as YYYYMM."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        text = format(value, ".15g")
        if "e" in text:
            text = format(Decimal(text), "f")
        return text
    if isinstance(value, dt.datetime | dt.date):
        return f"{value.year:04d}{value.month:02d}"
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value).strip()


def _xlsx_rows(content: bytes, *, max_bytes: int) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            expanded = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _fail("FILE_FORMAT", "文件不是有效的 XLSX（压缩包已损坏）") from exc
    if expanded > max_bytes * MAX_EXPANSION:
        raise _fail("FILE_TOO_LARGE", f"XLSX 解压后 {expanded:,} 字节，超过上限，请按单位分拆清册")
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged or foreign zip
        raise _fail("FILE_FORMAT", "文件不是有效的 XLSX 工作簿，无法读取") from exc

    def rows() -> Iterator[tuple[int, list[str]]]:
        try:
            if not book.worksheets:
                raise _fail("EMPTY_FILE", "工作簿中没有工作表")
            sheet = book.worksheets[0]
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                yield number, [cell_text(v) for v in values]
        except ParseFailure:
            raise
        except Exception as exc:
            raise _fail("FILE_FORMAT", "XLSX 工作表内容损坏，无法读取") from exc
        finally:
            book.close()

    return rows()


def _trim(cells: list[str]) -> list[str]:
    end = len(cells)
    while end and not cells[end - 1]:
        end -= 1
    return cells[:end] if end != len(cells) else cells


def _columns(
    names: list[str],
    row: int,
    *,
    known: Sequence[str],
    required: Iterable[str],
    what: str,
    problems: list[RowProblem],
) -> dict[str, int]:
    positions: dict[str, int] = {}
    for index, name in enumerate(names):
        if not name:
            problems.append(
                RowProblem(row, "", "MISSING_COLUMN_NAME", f"{what}第 {index + 1} 列没有列名")
            )
        elif name not in known:
            problems.append(
                RowProblem(
                    row,
                    _echo(name),
                    "UNKNOWN_COLUMN",
                    f"{what}中有未知的列“{_echo(name)}”；允许的列：{'、'.join(known)}",
                )
            )
        elif name in positions:
            problems.append(RowProblem(row, name, "DUPLICATE_COLUMN", f"{what}中“{name}”列重复"))
        else:
            positions[name] = index
    for name in required:
        if name not in positions:
            problems.append(
                RowProblem(row, name, "MISSING_COLUMN", f"{what}缺少“{name}”列，请使用标准模板")
            )
    return positions


def _layout(cells: Iterable[tuple[int, list[str]]], container: str, max_rows: int) -> ParsedList:
    problems = ProblemList()
    it = iter(cells)
    header_names: tuple[int, list[str]] | None = None
    header_values: tuple[int, list[str]] | None = None
    detail_names: tuple[int, list[str]] | None = None
    rows: list[tuple[int, list[str]]] = []
    for number, raw in it:
        row = _trim(raw)
        if not row:
            continue
        if header_names is None:
            header_names = (number, row)
        elif header_values is None:
            header_values = (number, row)
        elif detail_names is None:
            detail_names = (number, row)
        elif len(rows) < max_rows:
            rows.append((number, row))
        else:
            raise ParseFailure([too_many_rows(max_rows)])
    if header_names is None:
        raise _fail("EMPTY_FILE", "文件中没有任何内容")
    if header_values is None or detail_names is None:
        raise _fail(
            "LAYOUT",
            "文件格式不符：第1行为表头列名，第2行为表头内容，空一行后为明细列名和明细行（请使用标准模板）",
        )
    h_row, h_names = header_names
    h_positions = _columns(
        h_names,
        h_row,
        known=HEADER_COLUMNS,
        required=HEADER_COLUMNS,
        what="表头",
        problems=problems,
    )
    d_row, d_names = detail_names
    columns = _columns(
        d_names,
        d_row,
        known=DETAIL_COLUMNS,
        required=DETAIL_REQUIRED,
        what="明细表头",
        problems=problems,
    )
    if problems:
        raise ParseFailure(problems)
    v_row, values = header_values
    header = {name: (values[i] if i < len(values) else "") for name, i in h_positions.items()}
    width = len(d_names)
    for number, row in rows:
        if len(row) > width:
            problems.append(
                RowProblem(
                    number,
                    "",
                    "EXTRA_CELLS",
                    f"本行有 {len(row)} 列内容，多于明细表头的 {width} 列",
                )
            )
        elif len(row) < width:
            row.extend([""] * (width - len(row)))
    if problems:
        raise ParseFailure(problems)
    return ParsedList(
        header=header, header_row=v_row, columns=columns, rows=rows, container=container
    )


def parse_ratio_text(text: str) -> Decimal | None:
    """``0.12`` or ``12%`` as a fraction; None if it is neither (a bare ``12`` is refused:
    it could mean 12 % or 1200 %)."""
    try:
        value = Decimal(text[:-1].strip()) / 100 if text.endswith("%") else Decimal(text)
    except (InvalidOperation, ValueError):
        return None
    if not value.is_finite() or not Decimal(0) < value <= Decimal(1):
        return None
    return value
