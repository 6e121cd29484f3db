"""The demo: ``hpf demo-logins`` prints each shown depositor's hotline password, and the
printed password opens the hotline; a second run keeps it."""

import io
import re

import pytest
from django.core.management import call_command
from django.test import override_settings

from hpf.hotline.services import Outcome, hotline_authenticate

pytestmark = pytest.mark.django_db


def test_printed_hotline_password_works(owner, person, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    out = io.StringIO()
    with override_settings(DEBUG=True):
        call_command("demo_logins", stdout=out)
        call_command("demo_logins", stdout=io.StringIO())
    text = out.getvalue()
    line = next(row for row in text.splitlines() if owner.account_no in row)
    found = re.search(r"hotline password (\d{6})", line)
    assert found is not None
    pin = found.group(1)
    keys = person(1)["id_number"].replace("X", "*")
    assert f"HPF_GENERATE_SECRETS=1 .venv/bin/hpf ivr-call --keys 1,{keys},{pin}" in text
    auth = hotline_authenticate(id_keys=keys, password=pin, caller="demo")
    assert auth.outcome is Outcome.OK
