"""The operator's policy report lists what is in force and every unconfirmed figure."""

from io import StringIO

from django.core.management import call_command

from hpf.common.policy import get_policy


def test_policy_report_lists_assumptions():
    """Every key marked ``assumed`` in the policy file appears with its note."""
    out = StringIO()
    call_command("policy_report", stdout=out)
    text = out.getvalue()
    assert "结息 interest year to 2027-06-30: 1.50%" in text
    assumed = get_policy().assumptions()
    assert assumed
    assert f"assumed values ({len(assumed)})" in text
    for key, _note in assumed:
        assert f"  {key}: " in text
