"""``hpf govapp-people``: the stand-in provider's people match the demo depositors."""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from hpf.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_people_are_paid_depositors_and_reads_are_audited(settings, owner, other, person):
    settings.DEBUG = True
    out = io.StringIO()
    call_command("govapp_people", stdout=out)
    people = json.loads(out.getvalue())
    # The owner has posted remittances; ``other`` has none and is not offered.
    assert people[0] == {
        "subject": f"govapp-demo-{owner.depositor_id}",
        "name": person(1)["name"],
        "id_number": person(1)["id_number"],
        "acr": "face",
    }
    assert person(2)["id_number"] not in out.getvalue()
    assert people[-1]["name"] == "路人甲"
    assert AuditEvent.objects.filter(
        action="account.read", subject_account_id=owner.pk, details__view="govapp-people"
    ).exists()


def test_refused_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("govapp_people")
