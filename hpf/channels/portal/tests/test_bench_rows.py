"""Goal 3's rows in ``make bench`` (``bench/city.py``): the verdict is the ratio of the medians,
and beside it the range of the same ratio taken round by round, so that a verdict inside the
machine's drift shows as one."""

from __future__ import annotations

import importlib
from typing import Any

# Imported by name: ``mypy hpf`` (``make typecheck``) does not type-check the benchmarks.
city = importlib.import_module("bench.city")


def _scenario(rounds: list[float], p99: float = 20.0) -> dict[str, Any]:
    sat = {"rps": sorted(rounds)[len(rounds) // 2], "p50_ms": 10.0, "p99_ms": 50.0}
    paced = {"rps": 196.0, "p50_ms": 5.0, "p99_ms": p99, "non_200": 0}
    return {"saturated": {**sat, "non_200": 0, "rounds_rps": rounds}, "paced 200/s": paced}


def _row(text: str, name: str) -> list[str]:
    line = next(x for x in text.splitlines() if x.startswith(f"| {name} |"))
    return [cell.strip() for cell in line.strip("|").split("|")]


def test_portal_rows_give_the_rounds_ratio_range_beside_the_medians() -> None:
    run = city.Run(0.0)
    run.fig = {
        "city": "hpf_city20k",
        "portal": {
            "audited read (1 event)": _scenario([600.0, 500.0, 700.0], p99=9.0),
            "overview, 2-year": _scenario([330.0, 240.0, 310.0]),
            "overview, 30-year": _scenario([250.0, 260.0, 280.0], p99=120.0),
        },
    }
    text = city.table(run)
    two = _row(text, "portal overview, 2-year: saturated")
    # Medians 310 ÷ 600; round by round 330/600, 240/500, 310/700.
    assert two[1] == "310 req/s; rounds 0.44–0.55×"
    assert two[3:] == ["0.52×", "≥ 0.5×", "met"]
    thirty = _row(text, "portal overview, 30-year: saturated")
    assert thirty[1] == "260 req/s; rounds 0.40–0.52×"
    assert thirty[3:] == ["0.43×", "≥ 0.5×", "missed"]
    assert _row(text, "portal overview, 30-year: p99 at 200/s offered")[5] == "missed"


def test_portal_row_without_rounds_names_none() -> None:
    run = city.Run(0.0)
    audited, overview = _scenario([600.0]), _scenario([300.0])
    for s in (audited, overview):
        del s["saturated"]["rounds_rps"]
    run.fig = {
        "city": "hpf_city20k",
        "portal": {"audited read (1 event)": audited, "overview, 2-year": overview},
    }
    assert _row(city.table(run), "portal overview, 2-year: saturated")[1] == "300 req/s"


def test_portal_rows_give_the_cpu_a_request_of_page_and_baseline() -> None:
    run = city.Run(0.0)
    audited, overview = _scenario([600.0, 620.0]), _scenario([300.0, 310.0])
    audited["saturated"]["cpu_ms"] = {"server": 1.61, "database": 0.53, "linker": 0.06}
    overview["saturated"]["cpu_ms"] = {"server": 3.64, "database": 0.62, "linker": 0.06}
    run.fig = {
        "city": "hpf_city20k",
        "portal": {"audited read (1 event)": audited, "overview, 2-year": overview},
    }
    row = _row(city.table(run), "portal overview, 2-year: saturated")
    assert row[1] == (
        "310 req/s; rounds 0.50–0.50×; CPU a request: server 3.64 + database 0.62 + linker 0.06 ms"
    )
    assert row[2] == (
        "audited read 620 req/s; CPU a request: server 1.61 + database 0.53 + linker 0.06 ms"
    )


def test_the_signed_in_frame_has_its_own_row_and_each_overview_its_ratio_to_it() -> None:
    run = city.Run(0.0)
    run.fig = {
        "city": "hpf_city20k",
        "portal": {
            "audited read (1 event)": _scenario([600.0, 640.0]),
            "signed-in frame (floor)": _scenario([420.0, 440.0]),
            "overview, 2-year": _scenario([300.0, 320.0]),
        },
    }
    text = city.table(run)
    frame = _row(text, "portal signed-in frame (no figures)")
    # Not a goal: no verdict; the ratio is to the audited read (440 ÷ 640).
    assert frame[1] == "440 req/s; rounds 0.69–0.70×"
    assert frame[2:] == ["audited read 640 req/s", "0.69×", "—", "—"]
    two = _row(text, "portal overview, 2-year: saturated")
    assert two[1] == "320 req/s; rounds 0.50–0.50×; 0.73× the signed-in frame"
    assert two[3:] == ["0.50×", "≥ 0.5×", "met"]


def test_without_the_frame_there_is_no_frame_row() -> None:
    run = city.Run(0.0)
    run.fig = {
        "city": "hpf_city20k",
        "portal": {
            "audited read (1 event)": _scenario([600.0]),
            "overview, 2-year": _scenario([300.0]),
        },
    }
    text = city.table(run)
    assert "signed-in frame" not in text
