"""Server-rendered inline SVG charts (no JavaScript, no chart library, nothing fetched from a
CDN). Each chart carries a <title> and <desc> for screen readers, and the page shows the same
figures as a table beside it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import lru_cache

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from hpf.calc.money import format_yuan_grouped

WIDTH = 320
HEIGHT = 160
PAD_LEFT = 8
PAD_RIGHT = 8
PAD_TOP = 14
PAD_BOTTOM = 22


def _frame(chart_id: str, title: str, desc: str, body: str) -> SafeString:
    return mark_safe(  # noqa: S308 - every text below is escaped, numbers are formatted here
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{chart_id}-t {chart_id}-d" focusable="false">'
        f'<title id="{chart_id}-t">{escape(title)}</title>'
        f'<desc id="{chart_id}-d">{escape(desc)}</desc>{body}</svg>'
    )


# One template per history length in months: fifty years of them, about 2 MB at most, so
# that a city's accounts of every length find theirs.
@lru_cache(maxsize=600)
def _line_template(n: int) -> str:
    """The points of an ``n``-month line with each x written out and each y a ``%.1f`` slot:
    ``"8.0,%.1f 8.8,%.1f …"``. The xs depend only on ``n``, so a thirty-year line formats its
    360 ys alone, writing exactly what ``f"{x:.1f},{y:.1f}"`` per point writes."""
    step = (WIDTH - PAD_LEFT - PAD_RIGHT) / max(n - 1, 1)
    return " ".join([f"{PAD_LEFT + i * step:.1f},%.1f" for i in range(n)])


def balance_chart(
    series: Sequence[tuple[dt.date, int]], *, title: str, desc: str, chart_id: str = "balance"
) -> SafeString:
    """A line of the month-end balance (fen) with the first and last month labelled."""
    if not series:
        return _frame(chart_id, title, desc, "")
    values = [v for _, v in series]
    top = max(max(values), 1)
    low = min(0, min(values))
    span = top - low or 1
    inner_w = WIDTH - PAD_LEFT - PAD_RIGHT
    inner_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    step = inner_w / max(len(series) - 1, 1)
    base_y = PAD_TOP + inner_h
    points = _line_template(len(values)) % tuple(
        [base_y - (v - low) / span * inner_h for v in values]
    )
    first, last = series[0], series[-1]
    area = f"{PAD_LEFT:.1f},{base_y:.1f} {points} {PAD_LEFT + (len(series) - 1) * step:.1f},{base_y:.1f}"
    body = (
        f'<line class="axis" x1="{PAD_LEFT}" y1="{base_y}" x2="{WIDTH - PAD_RIGHT}" y2="{base_y}"/>'
        f'<polygon class="area" points="{area}"/>'
        f'<polyline class="line" points="{points}"/>'
        f'<text class="lbl" x="{PAD_LEFT}" y="{HEIGHT - 6}">{first[0]:%Y-%m}</text>'
        f'<text class="lbl" x="{WIDTH - PAD_RIGHT}" y="{HEIGHT - 6}" text-anchor="end">'
        f"{last[0]:%Y-%m}</text>"
        f'<text class="lbl" x="{WIDTH - PAD_RIGHT}" y="{PAD_TOP - 3}" text-anchor="end">'
        f"{escape(format_yuan_grouped(last[1]))}</text>"
    )
    return _frame(chart_id, title, desc, body)


def deposits_chart(
    by_year: Sequence[tuple[int, int]], *, title: str, desc: str, chart_id: str = "by-year"
) -> SafeString:
    """Bars of deposits per year (fen), the latest years that fit, each labelled."""
    shown = list(by_year)[-8:]
    if not shown:
        return _frame(chart_id, title, desc, "")
    top = max(max(v for _, v in shown), 1)
    inner_w = WIDTH - PAD_LEFT - PAD_RIGHT
    inner_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    slot = inner_w / len(shown)
    bar = slot * 0.6
    base_y = PAD_TOP + inner_h
    parts = [
        f'<line class="axis" x1="{PAD_LEFT}" y1="{base_y}" x2="{WIDTH - PAD_RIGHT}" y2="{base_y}"/>'
    ]
    for i, (year, fen) in enumerate(shown):
        h = max(fen, 0) / top * (inner_h - 10)
        x = PAD_LEFT + i * slot + (slot - bar) / 2
        parts.append(
            f'<rect class="bar" x="{x:.1f}" y="{base_y - h:.1f}" width="{bar:.1f}" height="{h:.1f}"/>'
            f'<text class="lbl" x="{x + bar / 2:.1f}" y="{HEIGHT - 6}" text-anchor="middle">{year}</text>'
        )
    return _frame(chart_id, title, desc, "".join(parts))
