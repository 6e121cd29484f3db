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


def test_demo_staff_one_per_role_with_working_codes(db, settings, tmp_path):
    """Every role is printed with its TOTP secret, and demo-totp gives a code that signs in."""
    from django.test import Client

    from hpf.staff.models import Role, StaffMember

    settings.VAR_DIR = tmp_path
    out = io.StringIO()
    with override_settings(DEBUG=True):
        call_command("demo_logins", stdout=out)
        call_command("demo_logins", stdout=io.StringIO())  # a second run changes nothing
    text = out.getvalue()
    assert {m.role for m in StaffMember.objects.all()} == set(Role.values)
    assert StaffMember.objects.count() == 7  # two administrators: staff changes need both
    for label in ("柜员", "审核员", "审计员", "系统管理员"):
        assert label in text
    line = next(row for row in text.splitlines() if "clerk_wh" in row)
    password = line.split("password ")[1].split()[0]
    code_out = io.StringIO()
    with override_settings(DEBUG=True):
        call_command("demo_totp", "clerk_wh", stdout=code_out)
    http = Client()
    http.post("/staff/login/", {"username": "clerk_wh", "password": password})
    response = http.post("/staff/login/code/", {"code": code_out.getvalue().split()[0]})
    assert response["Location"] == "/counter/"


def test_demo_depositor_signs_in_with_the_printed_password(portal_login, owner, settings, tmp_path):
    """The first demo depositor is registered with the printed password and signs in with
    it and the SMS code from the outbox."""
    from django.test import Client

    from hpf.conftest import last_sms_code

    settings.VAR_DIR = tmp_path
    out = io.StringIO()
    with override_settings(DEBUG=True):
        call_command("demo_logins", stdout=out)
    text = out.getvalue()
    assert "/portal/dev/outbox/" in text
    password = text.split("registered with password ")[1].split(",")[0]
    line = next(row for row in text.splitlines() if owner.account_no in row)
    assert "[portal: registered]" in line
    id_number = line.split("ID ")[1].split()[0]
    http = Client()
    assert (
        http.post("/portal/login/", {"login": id_number, "password": password}).status_code == 302
    )
    assert http.post("/portal/login/code/", {"code": last_sms_code()}).status_code == 302
    assert http.get("/portal/security/").status_code == 200


def test_json_lists_staff_depositors_and_the_demo_kiosk_client(owner, settings, tmp_path):
    import json

    from hpf.partners.services import partner_client_secret

    settings.VAR_DIR = tmp_path
    out = io.StringIO()
    with override_settings(DEBUG=True):
        call_command("demo_logins", "--json", stdout=out)
        call_command("demo_logins", "--json", stdout=io.StringIO())  # idempotent
    data = json.loads(out.getvalue())
    assert {s["role"] for s in data["staff"]} >= {"clerk", "supervisor", "auditor", "sysadmin"}
    assert set(data["staff"][0]) == {"username", "role", "password", "totp_secret"}
    (dep,) = data["depositors"]
    assert set(dep) == {
        "name",
        "id_number",
        "account_no",
        "mobile",
        "card",
        "registered",
        "password",
        "hotline_password",
        "balance",
        "marks",
    }
    assert dep["account_no"] == owner.account_no and dep["balance"] == "7200.00"
    assert dep["registered"] is True and dep["password"]
    assert dep["marks"] == []  # a plain account: no loan, sealed, frozen, gap or application
    found = partner_client_secret(data["kiosk"]["client_id"])
    assert found is not None and found[1] == data["kiosk"]["secret"]
    assert found[0].kind == "kiosk"
    assert data["kiosk"]["page"].endswith("/kiosk/")


@pytest.mark.usefixtures("flushable_db")
def test_demo_city_lists_one_depositor_for_each_mark(settings, tmp_path):
    """Issue 16: the demo city's logins name, each marked, a borrower repaying, one paid off,
    a sealed and a frozen account, one with real missing months and one with an application
    on its way — each truly so, registered to sign in at once, and the same on every run."""
    import json

    from hpf.audit.services import Actor
    from hpf.ledger.summary import account_missing_periods
    from hpf.loans.models import Loan
    from hpf.registry.models import AccountStatus, FundAccount
    from hpf.seeding.city import PENDING_STATES, build_city
    from hpf.seeding.management.commands.demo_logins import MARKS, marked_accounts

    build_city(depositors=300, years=6, seed=1)
    settings.VAR_DIR = tmp_path
    out = io.StringIO()
    with override_settings(DEBUG=True):
        call_command("demo_logins", "--json", stdout=out)
    depositors = json.loads(out.getvalue())["depositors"]
    # The same accounts on every run (the text run below prints the same lines).
    assert {(m, a.account_no) for m, a in marked_accounts()} == {
        (m, d["account_no"]) for d in depositors for m in d["marks"]
    }
    marked = {mark: dep for dep in depositors for mark in dep["marks"]}
    assert set(marked) == set(MARKS)
    for mark, dep in marked.items():
        assert dep["registered"] is True and dep["password"], mark
        account = FundAccount.objects.get(account_no=dep["account_no"])
        loans = set(Loan.objects.filter(borrower=account).values_list("status", flat=True))
        if mark == "loan-active":
            assert account.status == AccountStatus.ACTIVE and Loan.Status.ACTIVE in loans
        elif mark == "loan-paid-off":
            assert account.status != AccountStatus.CLOSED and Loan.Status.PAID_OFF in loans
        elif mark == "sealed":
            assert account.status == AccountStatus.SEALED
        elif mark == "frozen":
            assert account.status == AccountStatus.FROZEN
        elif mark == "missing-months":
            assert account_missing_periods(
                actor=Actor.system("test"), account_id=account.pk, purpose="测试"
            )
        else:
            assert account.withdrawals.filter(state__in=PENDING_STATES).exists()
    # Each account on one line, however many marks it has.
    assert len({d["account_no"] for d in depositors}) == len(depositors)
    text = io.StringIO()
    with override_settings(DEBUG=True):
        call_command("demo_logins", stdout=text)
    for label in MARKS.values():
        assert f"[{label}]" in text.getvalue()
    for dep in depositors:  # the second run lists the same people in the same order
        assert dep["account_no"] in text.getvalue()
    lines = [row for row in text.getvalue().splitlines() if " account " in row]
    assert [row.split(" account ")[1].split()[0] for row in lines] == [
        d["account_no"] for d in depositors
    ]
