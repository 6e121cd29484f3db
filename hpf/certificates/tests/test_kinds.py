"""The certificate kinds' registry (issue 10): one entry per stored kind, read by every place
that used to list the kinds itself."""

from __future__ import annotations

import pytest

from hpf.certificates.kinds import KINDS, kind_by_slug, kind_choices, kind_spec
from hpf.certificates.models import CertificateKind
from hpf.common.errors import InvalidInput


def test_one_entry_per_stored_kind() -> None:
    assert list(KINDS) == list(CertificateKind.values)
    assert kind_choices() == list(CertificateKind.choices)
    assert kind_by_slug() == {
        "deposit": "DEPOSIT",
        "statement": "STATEMENT",
        "loan-payoff": "LOAN_PAYOFF",
    }


def test_unknown_kind_is_refused_in_chinese() -> None:
    with pytest.raises(InvalidInput) as caught:
        kind_spec("PAYSLIP")
    assert caught.value.code == "INVALID_INPUT"
    assert caught.value.message.startswith("证明类型不正确")


def test_forms_and_api_offer_the_registry_kinds() -> None:
    """The counter's form and the API's document take their kinds from the registry."""
    from hpf.api.base import api
    from hpf.channels.counter.forms import CertificateForm

    assert list(CertificateForm().fields["kind"].choices) == kind_choices()  # type: ignore[attr-defined]
    schemas = api.get_openapi_schema()["components"]["schemas"]
    assert schemas["CertificateKind"]["enum"] == list(KINDS)
