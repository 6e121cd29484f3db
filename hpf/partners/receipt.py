"""The kiosk's printed receipt: an 80 mm thermal-receipt PDF of the inquiry's answer.

Only what the screen showed, already masked (张*, 0000****0034), in the CJK fonts the
certificates embed (``hpf.certificates.fonts``); 72 mm printable width, the page as long as
its lines.
"""

from __future__ import annotations

import io
from typing import Any

from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from hpf.certificates.fonts import certificate_fonts

WIDTH = 80 * mm
MARGIN = 4 * mm
LINE = 5 * mm
# Right edges of the deposit table's amount and date columns.
COLUMNS = (30 * mm, 43 * mm, 56 * mm, WIDTH - MARGIN)


def receipt_pdf(answer: dict[str, Any], *, branch: str, terminal: str, printed_at: str) -> bytes:
    """The receipt for ``answer`` (``kiosk_inquiry``'s dict)."""
    fonts = certificate_fonts()
    lines: list[tuple[str, float, str | tuple[str, ...]]] = [
        (fonts.hei, 11, "昆明住房公积金 查询回单"),
        (fonts.song, 8, f"{branch} 自助终端 {terminal}"[:40]),
        (fonts.song, 8, f"打印时间 {printed_at}"),
        (fonts.song, 8, "-" * 44),
        (fonts.song, 9, f"姓名 {answer['name']}    账号 {answer['account_no']}"),
        (fonts.song, 9, f"账户状态 {answer['status_label']}"),
        (fonts.hei, 10, f"账户余额 {answer['balance']} 元"),
        (fonts.song, 9, f"缴至年月 {answer['paid_through'] or '—'}"),
        (fonts.song, 8, "-" * 44),
        (fonts.song, 8, "最近缴存"),
        (fonts.song, 7, ("所属年月", "单位", "个人", "合计", "入账日期")),
    ]
    for d in answer["deposits"]:
        row = (d["period"] or "—", d["employer_part"], d["personal_part"], d["total"])
        lines.append((fonts.song, 7, (*row, d["posted_on"])))
    loan = answer.get("loan")
    if loan:
        lines += [
            (fonts.song, 8, "-" * 44),
            (fonts.song, 9, f"贷款剩余本金 {loan['remaining_principal']} 元"),
            (fonts.song, 9, f"下期还款 {loan['next_due_date']} {loan['next_payment']} 元"),
        ]
    lines += [
        (fonts.song, 8, "-" * 44),
        (fonts.song, 7, "本回单仅供本人查询参考，不作为证明使用。咨询 12329"),
    ]
    height = MARGIN * 2 + LINE * len(lines)
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(WIDTH, height))
    canvas.setTitle("住房公积金查询回单")
    y = height - MARGIN - LINE * 0.8
    for font, size, text in lines:
        canvas.setFont(font, size)
        if isinstance(text, tuple):  # a table row: the period left, the rest right-aligned
            canvas.drawString(MARGIN, y, text[0])
            for right, cell in zip(COLUMNS, text[1:], strict=True):
                canvas.drawRightString(right, y, cell)
        else:
            canvas.drawString(MARGIN, y, text)
        y -= LINE
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
