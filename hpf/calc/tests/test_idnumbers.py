"""idnumbers: resident ID numbers, credit codes, bank cards and mobiles."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError

from hpf.calc.errors import BankCardError, CreditCodeError, IdNumberError, MobileError
from hpf.calc.idnumbers import (
    make_bank_card,
    make_credit_code,
    make_credit_code_from_seed,
    make_resident_id,
    org_code_check_char,
    parse_bank_card,
    parse_credit_code,
    parse_mobile,
    parse_resident_id,
)
from hpf.calc.tests.conftest import load_vectors

IDS: dict[str, Any] = load_vectors()["resident_id_numbers"]
TODAY = date(2025, 6, 30)


@pytest.mark.parametrize("number", IDS["valid"])
def test_published_valid_ids_parse(number: str) -> None:
    """The published valid numbers parse, with birth date and gender from the number."""
    rid = parse_resident_id(number, today=TODAY)
    assert rid.number == number
    assert rid.region_code == number[:6]
    assert rid.birth_date.strftime("%Y%m%d") == number[6:14]
    assert rid.gender == ("M" if int(number[16]) % 2 else "F")


@pytest.mark.parametrize("number", IDS["invalid_check_digit"])
def test_published_bad_check_digits(number: str) -> None:
    """A wrong last character is ID_CHECKSUM."""
    with pytest.raises(IdNumberError) as info:
        parse_resident_id(number, today=TODAY)
    assert info.value.code == "ID_CHECKSUM"
    assert "校验位" in str(info.value)


@pytest.mark.parametrize("number", IDS["invalid_date"])
def test_published_bad_dates(number: str) -> None:
    """30 February is ID_DATE."""
    with pytest.raises(IdNumberError) as info:
        parse_resident_id(number, today=TODAY)
    assert info.value.code == "ID_DATE"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "ID_EMPTY"),
        ("   ", "ID_EMPTY"),
        ("5301021990010100", "ID_LENGTH"),
        ("53010219900101001XX", "ID_LENGTH"),
        ("5301021990010100AX", "ID_FORMAT"),
        ("X3010219900101001X", "ID_FORMAT"),
        (make_resident_id("530102", date(2030, 1, 1), 1), "ID_DATE"),
        ("530102189912310017", "ID_DATE"),
    ],
)
def test_id_refusals(raw: str, code: str) -> None:
    """Each kind of bad input has its own code."""
    with pytest.raises(IdNumberError) as info:
        parse_resident_id(raw, today=TODAY)
    assert info.value.code == code


def test_id_normalises_blanks_and_lower_x() -> None:
    """Blanks are removed and a lower-case x accepted."""
    assert parse_resident_id(" 110105 19491231 002x ", today=TODAY).number == "11010519491231002X"


def test_unknown_or_retired_district_is_not_refused() -> None:
    """A district code unknown to stdnum still parses; region_known says so."""
    number = make_resident_id("539999", date(1990, 1, 1), 12)
    with pytest.raises((ValidationError, LookupError)):  # stdnum's validate refuses it
        ric.validate(number)
    rid = parse_resident_id(number, today=TODAY)
    assert rid.region_known is False
    assert parse_resident_id("53010219900101001X", today=TODAY).region_known is True


@given(
    st.sampled_from(["530102", "530111", "110105", "539999"]),
    st.dates(date(1900, 1, 1), date(2025, 6, 30)),
    st.integers(0, 999),
)
def test_made_ids_parse(region: str, birth: date, seq: int) -> None:
    """Every generated number parses back to its parts."""
    rid = parse_resident_id(make_resident_id(region, birth, seq), today=TODAY)
    assert (rid.region_code, rid.birth_date) == (region, birth)
    assert rid.gender == ("M" if seq % 2 else "F")


def test_credit_codes() -> None:
    """The stdnum example parses; made codes pass stdnum and carry a valid org check char."""
    assert parse_credit_code("91110000600037341L") == "91110000600037341L"
    assert parse_credit_code("9111 0000-6000 3734 1l") == "91110000600037341L"
    assert org_code_check_char("60003734") == "1"
    code = make_credit_code("9", "1", "530102", "MA6K0123")
    assert uscc.is_valid(code)
    assert code[16] == org_code_check_char("MA6K0123")


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("9111000060003734", "USCC_LENGTH"),
        ("91110000600037341I", "USCC_FORMAT"),
        ("9111A000600037341L", "USCC_FORMAT"),
        ("91110000600037341K", "USCC_CHECKSUM"),
    ],
)
def test_credit_code_refusals(raw: str, code: str) -> None:
    """Length, character set and check character are each reported."""
    with pytest.raises(CreditCodeError) as info:
        parse_credit_code(raw)
    assert info.value.code == code


@given(st.integers(0, 10**8 - 1), st.sampled_from(["530102", "530111", "530000"]))
def test_seeded_credit_codes_are_valid(n: int, region: str) -> None:
    """Seeded codes pass stdnum and our parser, and both check characters are right."""
    code = make_credit_code_from_seed(n, region)
    assert uscc.is_valid(code)
    assert parse_credit_code(code) == code
    assert code[16] == org_code_check_char(code[8:16])


def test_bank_cards() -> None:
    """Separators are stripped; a Luhn failure is reported, not refused."""
    good = make_bank_card("622202", 123456789)
    assert len(good) == 19
    assert parse_bank_card(f"{good[:4]} {good[4:8]}-{good[8:]}").luhn_ok is True
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    card = parse_bank_card(bad)
    assert card.number == bad
    assert card.luhn_ok is False
    for raw, code in (("12345678901", "CARD_LENGTH"), ("6222abcd12345678", "CARD_FORMAT")):
        with pytest.raises(BankCardError) as info:
            parse_bank_card(raw)
        assert info.value.code == code


@given(st.integers(0, 10**9 - 1), st.integers(16, 19))
def test_made_cards_pass_luhn(body: int, length: int) -> None:
    """Generated card numbers have the requested length and a valid Luhn digit."""
    card = parse_bank_card(make_bank_card("622848", body, length))
    assert card.luhn_ok
    assert len(card.number) == length


@pytest.mark.parametrize(
    ("raw", "number"),
    [
        ("13812345678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("86-13812345678", "13812345678"),
        ("199-1234-5678", "19912345678"),
    ],
)
def test_mobiles(raw: str, number: str) -> None:
    """Country prefix and separators are stripped."""
    assert parse_mobile(raw) == number


@pytest.mark.parametrize("raw", ["12812345678", "1381234567", "138123456789", "0871-1234567", ""])
def test_mobile_refusals(raw: str) -> None:
    """Anything but 1[3-9] and nine digits is MOBILE_FORMAT."""
    with pytest.raises(MobileError) as info:
        parse_mobile(raw)
    assert info.value.code == "MOBILE_FORMAT"
