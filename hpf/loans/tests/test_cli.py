"""hpf loan-schedule: the published repayment figures from the command line."""

import io
import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command


def schedule_json(**options):
    buf = io.StringIO()
    call_command("loan_schedule", json=True, stdout=buf, **options)
    return json.loads(buf.getvalue())


def test_annuity_published_example():
    """1 000 000 over 30 years at 3.10 %, 等额本息: 4 270.16 a month, paid off exactly."""
    data = schedule_json(principal="1000000", annual_rate="0.031", months=360, method="annuity")
    instalments = data["instalments"]
    assert data["method"] == "ANNUITY"
    assert len(instalments) == 360
    assert instalments[0]["payment"] == "4270.16"
    assert instalments[-1]["outstanding"] == "0.00"
    assert [i["no"] for i in instalments] == list(range(1, 361))
    # First due date defaults to a month after the business day (2026-11-15).
    assert instalments[0]["due_date"] == "2026-12-15"


def test_equal_principal_published_example():
    """Same loan, 等额本金: 5 361.11 the first month, falling every month."""
    data = schedule_json(
        principal="1000000",
        annual_rate="0.031",
        months=360,
        method="equal-principal",
        first_due="2027-01-20",
    )
    instalments = data["instalments"]
    assert instalments[0]["payment"] == "5361.11"
    assert instalments[0]["due_date"] == "2027-01-20"
    assert Decimal(instalments[1]["payment"]) < Decimal(instalments[0]["payment"])
    assert instalments[-1]["outstanding"] == "0.00"


def test_table_output():
    buf = io.StringIO()
    call_command(
        "loan_schedule",
        principal="1200",
        annual_rate="0.031",
        months=12,
        method="annuity",
        stdout=buf,
    )
    lines = buf.getvalue().splitlines()
    assert "月供" in lines[0]
    assert len(lines) == 1 + 12 + 1
    assert lines[-1].startswith("总利息")


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"months": 0}, "期数"),
        ({"months": "abc"}, "期数"),
        ({"annual_rate": "abc"}, "年利率"),
        ({"annual_rate": "0.9"}, "年利率"),
        ({"principal": "1000.001"}, "贷款本金"),
        ({"principal": "-5"}, "贷款本金"),
        ({"first_due": "2027-02-30"}, "首期还款日"),
        ({"method": "balloon"}, "还款方式"),
        ({"principal": "0.01"}, "每期应还本金不足 0.01 元"),
    ],
)
def test_bad_input_is_a_usage_error_in_chinese(options, words):
    """Each bad argument: a Chinese message naming it and exit status 2 (argparse's), never
    a Python repr such as [<class 'decimal.ConversionSyntax'>]."""
    base = {"principal": "1000000", "annual_rate": "0.031", "months": 360, "method": "annuity"}
    with pytest.raises(CommandError) as info:
        call_command("loan_schedule", stdout=io.StringIO(), **(base | options))
    assert info.value.returncode == 2
    assert words in str(info.value)
    assert "<class" not in str(info.value)


def test_the_api_spelling_of_the_method_is_accepted():
    data = schedule_json(principal="1200", annual_rate="0.031", months=12, method="EQUAL_PRINCIPAL")
    assert data["method"] == "EQUAL_PRINCIPAL"


def test_the_public_calculator_refuses_the_same_tiny_loan():
    """The API's and portal's loan calculator goes through the same calc rule as the CLI."""
    import datetime as dt

    from hpf.common.calculators import CalculatorInputError, loan_trial

    with pytest.raises(CalculatorInputError) as info:
        loan_trial(
            principal_fen=1,
            months=360,
            method="ANNUITY",
            annual_rate=Decimal("0.031"),
            on=dt.date(2026, 11, 15),
        )
    assert "每期应还本金不足 0.01 元" in info.value.message


@pytest.mark.parametrize(
    ("spellings", "code"),
    [
        (("annuity", "ANNUITY"), "ANNUITY"),
        (("equal-principal", "EQUAL_PRINCIPAL"), "EQUAL_PRINCIPAL"),
    ],
)
def test_the_method_in_both_spellings(spellings, code):
    """The command line takes the API's spelling too (and the API takes this one)."""
    schedules = [
        schedule_json(principal="120000", annual_rate="0.031", months=12, method=m)
        for m in spellings
    ]
    assert schedules[0] == schedules[1]
    assert schedules[0]["method"] == code


def test_an_unknown_method_is_refused():
    with pytest.raises(CommandError):
        schedule_json(principal="1200", annual_rate="0.031", months=12, method="balloon")
