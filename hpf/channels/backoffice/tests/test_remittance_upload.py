"""Uploading a remittance list in the back office: dry run, report or totals, confirm."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from hpf.channels.backoffice.models import StagedUpload
from hpf.conftest import verified_client
from hpf.ledger.models import JournalEntry
from hpf.remittance.tests.helpers import build_csv, header_for, row_for

pytestmark = pytest.mark.django_db

UPLOAD, CONFIRM = "/backoffice/remittance/upload/", "/backoffice/remittance/confirm/"


@pytest.fixture
def staff_client(make_staff):
    return lambda name: verified_client(make_staff("clerk", name))


@pytest.fixture
def staff(staff_client):
    return staff_client("clerk")


def upload(http, content: bytes, name: str = "list.csv"):
    return http.post(UPLOAD, {"file": SimpleUploadedFile(name, content, "text/csv")})


@pytest.mark.parametrize("url", [UPLOAD, CONFIRM])
def test_anonymous_is_sent_to_the_login(url):
    response = Client().get(url)
    assert (response.status_code, response["Location"][:13]) == (302, "/staff/login/")


def test_the_upload_form_is_labelled(staff):
    page = staff.get(UPLOAD).content.decode()
    assert '<label for="id_file">' in page and 'id="id_file"' in page


def test_a_list_with_problems_shows_the_report_and_stages_nothing(staff, employer, owner):
    rows = [row_for(owner, 缴存额="1.00")]
    response = upload(staff, build_csv(header_for(employer, rows), rows))
    assert response.status_code == 200
    page = response.content.decode()
    assert "校验未通过" in page and "data:text/csv" in page
    assert "确认入账" not in page
    assert not StagedUpload.objects.exists()


def test_a_clean_list_is_dry_run_then_posted_on_confirmation(staff, staff_client, employer, owner):
    rows = [row_for(owner)]
    content = build_csv(header_for(employer, rows), rows)
    entries = JournalEntry.objects.count()

    response = upload(staff, content)

    assert response.status_code == 200
    page = response.content.decode()
    assert "确认入账" in page and "2,400.00" in page
    assert JournalEntry.objects.count() == entries
    staged = StagedUpload.objects.get()

    someone_else = staff_client("other-clerk")
    assert someone_else.post(CONFIRM, {"sha256": staged.sha256}).status_code == 400

    confirmed = staff.post(CONFIRM, {"sha256": staged.sha256})
    assert confirmed.status_code == 302
    assert confirmed["Location"].startswith("/backoffice/runs/")
    owner.refresh_from_db()
    assert owner.paid_through == 202611
    assert not StagedUpload.objects.exists()
    assert staff.post(CONFIRM, {"sha256": staged.sha256}).status_code == 400
