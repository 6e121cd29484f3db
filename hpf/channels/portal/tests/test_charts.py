"""The overview's balance chart: its line's points as one formatting of the whole list write
exactly what a formatting per point writes."""

from __future__ import annotations

import datetime as dt
import re

from hypothesis import given
from hypothesis import strategies as st

from hpf.channels.portal.charts import (
    HEIGHT,
    PAD_BOTTOM,
    PAD_LEFT,
    PAD_RIGHT,
    PAD_TOP,
    WIDTH,
    balance_chart,
)


def _points_one_by_one(values: list[int]) -> str:
    """The points as the chart wrote them before: ``f"{x:.1f},{y:.1f}"`` per month."""
    top, low = max(max(values), 1), min(0, min(values))
    span = top - low or 1
    inner_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    step = (WIDTH - PAD_LEFT - PAD_RIGHT) / max(len(values) - 1, 1)
    return " ".join(
        f"{PAD_LEFT + i * step:.1f},{PAD_TOP + inner_h - (v - low) / span * inner_h:.1f}"
        for i, v in enumerate(values)
    )


@given(st.lists(st.integers(-(10**8), 10**10), min_size=1, max_size=400))
def test_the_line_is_every_point_formatted(values: list[int]) -> None:
    series = [(dt.date(2000, 1, 31), v) for v in values]
    svg = str(balance_chart(series, title="t", desc="d"))
    line = re.search(r'<polyline class="line" points="([^"]*)"', svg)
    assert line is not None
    assert line.group(1) == _points_one_by_one(values)
    area = re.search(r'<polygon class="area" points="([^"]*)"', svg)
    assert area is not None and f" {line.group(1)} " in area.group(1)


def test_no_months_no_line() -> None:
    assert "polyline" not in balance_chart([], title="t", desc="d")
