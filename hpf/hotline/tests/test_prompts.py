"""The prompt catalogue in code and in docs/ivr-prompts.md say the same, and every prompt the
flow plays is in it."""

import re
from pathlib import Path

from hpf.hotline.prompts import PROMPTS, prompt_file
from hpf.hotline.queries import money, spoken_date

DOC = Path(__file__).resolve().parents[3] / "docs" / "ivr-prompts.md"
FLOW = Path(__file__).resolve().parents[1]


def test_doc_and_code_agree():
    rows = re.findall(r"^\| `([a-z-]+)` \| (.+) \|$", DOC.read_text(encoding="utf-8"), re.M)
    assert dict(rows) == PROMPTS
    assert len(rows) == len(PROMPTS)


def test_every_prompt_named_in_the_code_is_catalogued():
    named = set()
    for path in ("flow.py", "queries.py"):
        text = (FLOW / path).read_text(encoding="utf-8")
        named |= set(re.findall(r'(?:play|ask)\("([a-z-]+)"', text))
        named |= set(re.findall(r'\("prompt", "([a-z-]+)"\)', text))
        named |= set(re.findall(r'"(status-[a-z]+)"', text))
    assert named, "the pattern found nothing"
    assert named <= set(PROMPTS), named - set(PROMPTS)
    assert prompt_file("welcome") == "hpf/welcome"


def test_amounts_are_yuan_then_fen():
    assert money(1_234_505) == [
        ("number", "12345"),
        ("prompt", "yuan"),
        ("number", "5"),
        ("prompt", "fen"),
    ]
    assert money(240_000) == [("number", "2400"), ("prompt", "yuan")]
    assert money(7) == [("number", "0"), ("prompt", "yuan"), ("number", "7"), ("prompt", "fen")]


def test_dates_are_year_digits_then_month_and_day():
    import datetime as dt

    assert [v for _, v in spoken_date(dt.date(2026, 3, 9))] == [
        "2026",
        "year",
        "3",
        "month",
        "9",
        "day",
    ]
