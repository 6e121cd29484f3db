"""The demo's login list: DEBUG only, and each full ID number it shows is an audited read."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from hpf.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_refused_without_debug(owner):
    with override_settings(DEBUG=False), pytest.raises(CommandError):
        call_command("demo_logins", stdout=io.StringIO())


def test_each_shown_depositor_is_an_audited_read(owner, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    out = io.StringIO()
    with override_settings(DEBUG=True):
        call_command("demo_logins", stdout=out)
    assert owner.account_no in out.getvalue()
    reads = AuditEvent.objects.filter(action="account.read", subject_account_id=owner.pk)
    assert reads.get().details == {"view": "demo-logins"}
