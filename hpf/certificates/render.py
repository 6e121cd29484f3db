"""The certificate as an A4 PDF page: the centre's red header, the title, a ruled table of the
certified facts, the issuing hall's red business seal (业务专用章) drawn as vectors, the serial,
issue time, validity and a QR code to the public verification page.

Rendering is a pure function of the stored row (snapshot, serial, times, hall, code) and is
byte-for-byte deterministic (ReportLab's invariant mode): a re-download prints the same facts.
Signing happens afterwards (hpf.certificates.pdf).
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import segno
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from hpf.calc.money import format_yuan_grouped
from hpf.certificates.codes import display_code
from hpf.certificates.fonts import Fonts, certificate_fonts
from hpf.certificates.formatting import cn_date, cn_period, cn_time, percent, yuan
from hpf.common.clock import BUSINESS_TZ

SEAL_RED = colors.Color(0.84, 0.06, 0.08)
HEADER_RED = colors.Color(0.75, 0.0, 0.0)
GRID = colors.Color(0.25, 0.25, 0.25)
LABEL_BG = colors.Color(0.95, 0.95, 0.95)
PAGE_W, PAGE_H = A4
MARGIN_X = 22 * mm


Story = Callable[["RenderInput", dict[str, ParagraphStyle], float], list[Any]]


@dataclass(frozen=True, slots=True)
class RenderInput:
    """Everything the page shows, as stored on the certificate row."""

    serial: str
    kind: str
    kind_label: str
    snapshot: dict[str, Any]
    issued_at: dt.datetime
    valid_until: dt.date
    hall: str
    code: str
    verify_url: str
    verify_page: str
    # The kind's page body (its entry in hpf.certificates.kinds): title and seal are common.
    story: Story


# -- drawing -----------------------------------------------------------------------------------


def draw_seal(canvas: Canvas, fonts: Fonts, cx: float, cy: float, r: float, ring: str) -> None:
    """The round business seal: a thick red ring, the centre and hall name on the upper arc,
    a five-pointed star, and 业务专用章 across the lower half — all vectors, slightly
    translucent so the text under it stays legible, as ink would."""
    canvas.saveState()
    canvas.setStrokeColor(SEAL_RED)
    canvas.setFillColor(SEAL_RED)
    canvas.setStrokeAlpha(0.88)
    canvas.setFillAlpha(0.88)
    canvas.setLineWidth(r * 0.055)
    canvas.circle(cx, cy, r, stroke=1, fill=0)
    # Star: outer radius r*0.27, inner radius r*0.27*0.382 (a regular pentagram).
    outer, inner = r * 0.3, r * 0.3 * 0.382
    path = canvas.beginPath()
    for i in range(10):
        rad = outer if i % 2 == 0 else inner
        angle = math.radians(90 + i * 36)
        x, y = cx + rad * math.cos(angle), cy + rad * math.sin(angle)
        if i == 0:
            path.moveTo(x, y)
        else:
            path.lineTo(x, y)
    path.close()
    canvas.drawPath(path, stroke=0, fill=1)
    # Ring text from the lower left, over the top, to the lower right, in characters
    # condensed to 80 % of their width as seal engravers do, so a long name still fits.
    n = len(ring)
    size = r * (0.22 if n <= 12 else 0.2)
    baseline = r - r * 0.11 - size * 0.86
    span = min(232.0, 18.0 * n)
    canvas.setFont(fonts.hei, size)
    for i, ch in enumerate(ring):
        angle = 90 + span / 2 - (span * i / (n - 1) if n > 1 else 0)
        rad = math.radians(angle)
        canvas.saveState()
        canvas.translate(cx + baseline * math.cos(rad), cy + baseline * math.sin(rad))
        canvas.rotate(angle - 90)
        canvas.scale(0.8, 1)
        canvas.drawCentredString(0, 0, ch)
        canvas.restoreState()
    canvas.setFont(fonts.hei, r * 0.17)
    canvas.drawCentredString(cx, cy - r * 0.56, "业务专用章")
    canvas.restoreState()


def draw_qr(canvas: Canvas, data: str, x: float, y: float, size: float) -> None:
    """The QR code as black rectangles (one per run of dark modules in a row), quiet zone
    included; vectors print sharp at any resolution and need no image library."""
    qr = segno.make_qr(data, error="m")
    matrix = qr.matrix
    n = len(matrix)
    border = 4
    module = size / (n + 2 * border)
    canvas.saveState()
    canvas.setFillColor(colors.white)
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    canvas.setFillColor(colors.black)
    for row_no, row in enumerate(matrix):
        top = y + size - (border + row_no + 1) * module
        col = 0
        while col < n:
            if row[col]:
                start = col
                while col < n and row[col]:
                    col += 1
                canvas.rect(
                    x + (border + start) * module, top, (col - start) * module, module, 0, 1
                )
            else:
                col += 1
    canvas.restoreState()


class SealBlock(Flowable):
    """The closing block: QR and verification details on the left, issuing office, date and
    the seal over them on the right."""

    def __init__(self, data: RenderInput, fonts: Fonts, width: float) -> None:
        super().__init__()
        self.data, self.fonts = data, fonts
        self.width, self.height = width, 46 * mm

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        c, d, f = self.canv, self.data, self.fonts
        qr_size = 30 * mm
        draw_qr(c, d.verify_url, 0, self.height - qr_size - 2 * mm, qr_size)
        c.setFont(f.song, 8.5)
        c.setFillColor(colors.black)
        tx = qr_size + 3 * mm
        lines = [
            "扫描二维码核验本证明",
            f"证明编号：{d.serial}",
            f"核验码：{display_code(d.code)}",
            f"核验网址：{d.verify_page}",
        ]
        for i, text in enumerate(lines):
            c.drawString(tx, self.height - 9 * mm - i * 5.2 * mm, text)
        right = self.width
        c.setFont(f.song, 11.5)
        office = f"{d.snapshot['centre']}{d.hall}"
        issue_date = cn_date(d.issued_at.astimezone(BUSINESS_TZ).date())
        c.drawRightString(right - 2 * mm, 20 * mm, office)
        c.drawRightString(right - 2 * mm, 13 * mm, issue_date)
        seal_r = 21 * mm
        draw_seal(c, f, right - 2 * mm - 36 * mm, 19 * mm, seal_r, office)


def _styles(fonts: Fonts) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle(
        "body", fontName=fonts.song, fontSize=11.5, leading=20, wordWrap="CJK", alignment=TA_LEFT
    )
    return {
        "body": base,
        "indent": ParagraphStyle("indent", parent=base, firstLineIndent=23),
        "cell": ParagraphStyle("cell", parent=base, fontSize=10.5, leading=15),
        "label": ParagraphStyle(
            "label", parent=base, fontName=fonts.hei, fontSize=10.5, leading=15, alignment=TA_CENTER
        ),
        "num": ParagraphStyle("num", parent=base, fontSize=9.5, leading=13, alignment=TA_RIGHT),
        "small": ParagraphStyle(
            "small", parent=base, fontSize=9, leading=14, textColor=colors.Color(0.2, 0.2, 0.2)
        ),
        "meta_l": ParagraphStyle("meta_l", parent=base, fontSize=10, leading=14),
        "meta_r": ParagraphStyle(
            "meta_r", parent=base, fontSize=10, leading=14, alignment=TA_RIGHT
        ),
        "title": ParagraphStyle(
            "title",
            parent=base,
            fontName=fonts.hei,
            fontSize=19,
            leading=26,
            alignment=TA_CENTER,
            spaceBefore=4,
            spaceAfter=8,
        ),
    }


def _grid(
    rows: list[list[Any]], widths: list[float], spans: list[Any], wide_rows: set[int]
) -> Table:
    table = Table(rows, colWidths=widths, hAlign="CENTER")
    style: list[Any] = [
        ("BOX", (0, 0), (-1, -1), 1.0, GRID),
        ("INNERGRID", (0, 0), (-1, -1), 0.5, GRID),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
        ("BACKGROUND", (0, 0), (0, -1), LABEL_BG),
        *spans,
    ]
    for row in range(len(rows)):
        if row not in wide_rows and rows[row][2] != "":
            style.append(("BACKGROUND", (2, row), (2, row), LABEL_BG))
    table.setStyle(TableStyle(style))
    return table


def _pairs_table(
    pairs: list[tuple[str, str]], wide: set[str], st: dict[str, ParagraphStyle], width: float
) -> Table:
    """Label/value pairs two to a row; a label in ``wide`` takes a whole row."""
    rows: list[list[Any]] = []
    spans: list[Any] = []
    wide_rows: set[int] = set()
    pending: list[Any] = []
    for label, value in pairs:
        cells = [Paragraph(label, st["label"]), Paragraph(value, st["cell"])]
        if label in wide:
            if pending:
                rows.append([*pending, "", ""])
                pending = []
            spans.append(("SPAN", (1, len(rows)), (3, len(rows))))
            wide_rows.add(len(rows))
            rows.append([*cells, "", ""])
        else:
            pending.extend(cells)
            if len(pending) == 4:
                rows.append(pending)
                pending = []
    if pending:
        rows.append([*pending, "", ""])
    label_w = 27 * mm
    value_w = (width - 2 * label_w) / 2
    return _grid(rows, [label_w, value_w, label_w, value_w], spans, wide_rows)


def deposit_story(d: RenderInput, st: dict[str, ParagraphStyle], width: float) -> list[Any]:
    h, dep = d.snapshot["holder"], d.snapshot["deposit"]
    as_of = cn_date(d.issued_at.astimezone(BUSINESS_TZ).date())
    intro = (
        f"兹证明 <b>{h['name']}</b>（证件号码：{h['id_masked']}）在我中心缴存住房公积金，"
        f"个人账号 {h['account_no']}。截至 {as_of}，其住房公积金缴存情况如下："
    )
    pairs = [
        ("姓　　名", h["name"]),
        ("证件号码", h["id_masked"]),
        ("个人账号", h["account_no"]),
        ("账户状态", dep["status_label"]),
        ("缴存单位", dep["employer"]),
        ("开户日期", cn_date(dep["opened_on"])),
        ("缴至年月", cn_period(dep["paid_through"])),
        ("缴存基数", yuan(dep["base_fen"])),
        (
            "缴存比例",
            f"单位 {percent(dep['employer_ratio'])}　个人 {percent(dep['employee_ratio'])}",
        ),
        ("单位月缴额", yuan(dep["employer_monthly_fen"])),
        ("个人月缴额", yuan(dep["employee_monthly_fen"])),
        ("月缴存额", yuan(dep["monthly_fen"])),
        ("连续缴存", f"{dep['continuous_months']} 个月"),
        ("账户余额", f"{yuan(dep['balance_fen'])}（截至出具日）"),
    ]
    return [
        Paragraph(intro, st["indent"]),
        Spacer(0, 3 * mm),
        _pairs_table(pairs, {"缴存单位", "账户余额"}, st, width),
        Spacer(0, 4 * mm),
        Paragraph("特此证明。", st["indent"]),
    ]


def statement_story(d: RenderInput, st: dict[str, ParagraphStyle], width: float) -> list[Any]:
    h, s = d.snapshot["holder"], d.snapshot["statement"]
    intro = (
        f"<b>{h['name']}</b>（证件号码：{h['id_masked']}，个人账号 {h['account_no']}，"
        f"缴存单位 {s['employer']}）自 {cn_date(s['date_from'])} 至 {cn_date(s['date_to'])} "
        "的住房公积金账户明细如下（按记账日期排列，金额单位：元）："
    )
    summary = _pairs_table(
        [
            ("期初余额", yuan(s["opening_fen"])),
            ("期末余额", yuan(s["closing_fen"])),
            ("本期收入", yuan(s["credits_fen"])),
            ("本期支出", yuan(s["debits_fen"])),
        ],
        set(),
        st,
        width,
    )
    head = ["序号", "记账日期", "业务类型", "所属年月", "收入", "支出", "余额"]
    rows: list[list[Any]] = [[Paragraph(t, st["label"]) for t in head]]
    rows.append(["", "", Paragraph("期初余额", st["cell"]), "", "", "", _num(s["opening_fen"], st)])
    for i, line in enumerate(s["lines"], start=1):
        label = line["reason_label"] + ("（已冲正）" if line["reversed"] else "")
        if line.get("employer_fen") is not None:  # snapshots before the split lack the keys
            base = f"基数 {yuan(line['base_fen'])}<br/>" if line.get("base_fen") else ""
            label += (
                f"<br/><font size=7>{base}单位 {yuan(line['employer_fen'])}"
                f"<br/>个人 {yuan(line['employee_fen'])}</font>"
            )
        amount = line["amount_fen"]
        rows.append(
            [
                Paragraph(str(i), st["num"]),
                Paragraph(line["date"], st["cell"]),
                Paragraph(label, st["cell"]),
                Paragraph(cn_period(line["period"]) if line["period"] else "—", st["cell"]),
                _num(amount, st) if amount > 0 else "",
                _num(-amount, st) if amount < 0 else "",
                _num(line["balance_fen"], st),
            ]
        )
    rows.append(["", "", Paragraph("期末余额", st["cell"]), "", "", "", _num(s["closing_fen"], st)])
    widths = [13 * mm, 25 * mm, 32 * mm, 25 * mm]
    rest = (width - sum(widths)) / 3
    table = Table(rows, colWidths=[*widths, rest, rest, rest], repeatRows=1, hAlign="CENTER")
    table.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 1.0, GRID),
                ("INNERGRID", (0, 0), (-1, -1), 0.4, GRID),
                ("BACKGROUND", (0, 0), (-1, 0), LABEL_BG),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return [
        Paragraph(intro, st["indent"]),
        Spacer(0, 3 * mm),
        summary,
        Spacer(0, 4 * mm),
        table,
        Spacer(0, 3 * mm),
        Paragraph(f"本明细单共 {len(s['lines'])} 笔。特此证明。", st["indent"]),
    ]


def _num(fen: int, st: dict[str, ParagraphStyle]) -> Paragraph:
    return Paragraph(format_yuan_grouped(fen), st["num"])


def loan_payoff_story(d: RenderInput, st: dict[str, ParagraphStyle], width: float) -> list[Any]:
    h, loan = d.snapshot["holder"], d.snapshot["loan"]
    intro = (
        f"兹证明 <b>{h['name']}</b>（证件号码：{h['id_masked']}）在我中心办理的住房公积金个人住房贷款"
        f"（合同号 {loan['contract_no']}）已于 {cn_date(loan['paid_off_on'])} 全部结清，"
        "本息已还清，无逾期欠款。贷款情况如下："
    )
    pairs = [
        ("借 款 人", h["name"]),
        ("证件号码", h["id_masked"]),
        ("贷款合同号", loan["contract_no"]),
        ("个人账号", h["account_no"]),
        ("贷款金额", yuan(loan["principal_fen"])),
        ("贷款期限", f"{loan['term_months']} 个月"),
        ("还款方式", loan["method_label"]),
        ("放款日期", cn_date(loan["disbursed_on"])),
        ("结清日期", cn_date(loan["paid_off_on"])),
        ("已还期数", f"{loan['instalments_paid']} 期"),
        ("归还本金", yuan(loan["repaid_principal_fen"])),
        ("支付利息", yuan(loan["repaid_interest_fen"])),
        ("支付罚息", yuan(loan["repaid_penalty_fen"])),
        ("剩余本金", yuan(loan["remaining_principal_fen"])),
    ]
    return [
        Paragraph(intro, st["indent"]),
        Spacer(0, 3 * mm),
        _pairs_table(pairs, set(), st, width),
        Spacer(0, 4 * mm),
        Paragraph("特此证明。", st["indent"]),
    ]


def render_pdf(d: RenderInput) -> bytes:
    """The unsigned PDF of one certificate (deterministic bytes for the same input)."""
    fonts = certificate_fonts()
    st = _styles(fonts)
    width = PAGE_W - 2 * MARGIN_X
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=44 * mm,
        bottomMargin=22 * mm,
        title=d.kind_label,
        author=d.snapshot["centre"],
        subject=d.serial,
        keywords=["hpf-certificate", f"serial={d.serial}", f"code={d.code}"],
        creator="HPF 昆明住房公积金个人账户服务",
        producer="HPF",
        invariant=True,
    )
    issued = cn_time(d.issued_at)
    # Invariant mode would date the file 2000-01-01; the document's date is its issue time,
    # which keeps the bytes deterministic too.
    local = d.issued_at.astimezone(BUSINESS_TZ)
    pdf_date = f"D:{local:%Y%m%d%H%M%S}+08'00'"

    def page(canvas: Canvas, doc: Any) -> None:
        canvas.setDateFormatter(lambda *_: pdf_date)
        canvas.saveState()
        top = PAGE_H - 18 * mm
        canvas.setFillColor(HEADER_RED)
        canvas.setFont(fonts.hei, 24)
        canvas.drawCentredString(PAGE_W / 2, top - 6 * mm, d.snapshot["centre"])
        canvas.setStrokeColor(HEADER_RED)
        canvas.setLineWidth(2.2)
        canvas.line(MARGIN_X, top - 11 * mm, PAGE_W - MARGIN_X, top - 11 * mm)
        canvas.setLineWidth(0.6)
        canvas.line(MARGIN_X, top - 12.2 * mm, PAGE_W - MARGIN_X, top - 12.2 * mm)
        canvas.setFillColor(colors.black)
        canvas.setFont(fonts.song, 10)
        canvas.drawString(MARGIN_X, top - 18 * mm, f"证明编号：{d.serial}")
        canvas.drawRightString(PAGE_W - MARGIN_X, top - 18 * mm, f"出具时间：{issued}")
        canvas.setStrokeColor(colors.Color(0.6, 0.6, 0.6))
        canvas.setLineWidth(0.4)
        canvas.line(MARGIN_X, 16 * mm, PAGE_W - MARGIN_X, 16 * mm)
        canvas.setFont(fonts.song, 8)
        canvas.setFillColor(colors.Color(0.35, 0.35, 0.35))
        canvas.drawString(
            MARGIN_X,
            11 * mm,
            f"本证明经{d.snapshot['centre']}数字签名，任何改动都会使签名失效；请以核验结果为准。",
        )
        canvas.drawRightString(PAGE_W - MARGIN_X, 11 * mm, f"第 {doc.page} 页")
        canvas.restoreState()

    days = (d.valid_until - d.issued_at.astimezone(BUSINESS_TZ).date()).days
    story: list[Any] = [Paragraph(d.kind_label, st["title"])]
    story += d.story(d, st, width)
    closing = [
        Spacer(0, 3 * mm),
        Paragraph(
            f"本证明自出具之日起 {days} 日内有效（有效期至 {cn_date(d.valid_until)}）。"
            "如需核实，请扫描下方二维码，或登录核验网址输入证明编号和核验码；"
            "核验结果显示“有效”方可使用。本证明仅用于证明上述事项，不作其他用途。",
            st["small"],
        ),
        Spacer(0, 4 * mm),
        SealBlock(d, fonts, width),
    ]
    story.append(KeepTogether(closing))
    doc.build(story, onFirstPage=page, onLaterPages=page)
    return buf.getvalue()
