"""Personal numbers at rest: only ciphertext, masks and keyed hashes are stored, and no full
ID or card number leaks into the audit trail, the ledger or the models' text."""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from hpf.audit.models import AuditEvent
from hpf.calc.idnumbers import parse_bank_card, parse_resident_id
from hpf.common.crypto import DecryptionError, decrypt, encrypt
from hpf.ledger.models import JournalEntry
from hpf.registry.models import Depositor, FundAccount
from hpf.registry.services import card_lookup, id_lookup
from hpf.withdrawals.models import Withdrawal
from hpf.withdrawals.services import withdrawal_submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def city():
    call_command("seed", depositors=60, years=2, seed=3, stdout=io.StringIO())


def plaintexts():
    """Every depositor's (ID number, card number), decrypted."""
    return [
        (
            decrypt(d.id_number_enc, context=b"id_number"),
            decrypt(d.bank_card_enc, context=b"bank_card"),
        )
        for d in Depositor.objects.order_by("pk")
    ]


def stored_text():
    """Everything readable the application writes about people and their money."""
    parts = []
    for e in AuditEvent.objects.all():
        parts += [e.actor, e.purpose, e.action, json.dumps(e.details, ensure_ascii=False)]
    parts += [str(d) for d in Depositor.objects.all()]
    parts += [
        d.id_number_masked
        + " "
        + d.bank_card_masked
        + " "
        + d.id_number_hash
        + " "
        + d.bank_card_hash
        for d in Depositor.objects.all()
    ]
    parts += [str(a) + " " + a.status_reason for a in FundAccount.objects.all()]
    parts += [f"{e} {e.description}" for e in JournalEntry.objects.all()]
    parts += [f"{w} {w.bank_card_masked} {w.reject_reason}" for w in Withdrawal.objects.all()]
    return "\n".join(parts)


def test_seeded_numbers_are_stored_encrypted(city):
    """The raw column bytes do not contain the number; it decrypts to a valid number, which
    the keyed hash finds; the masks hide it."""
    with connection.cursor() as cur:
        cur.execute("SELECT id, id_number_enc, bank_card_enc FROM registry_depositor ORDER BY id")
        raw = {pk: (bytes(idn), bytes(card)) for pk, idn, card in cur.fetchall()}
    assert len(raw) == 60
    for dep in Depositor.objects.order_by("pk"):
        id_number = decrypt(dep.id_number_enc, context=b"id_number")
        card = decrypt(dep.bank_card_enc, context=b"bank_card")
        assert parse_resident_id(id_number).birth_date == dep.birth_date
        assert parse_bank_card(card).luhn_ok
        id_raw, card_raw = raw[dep.pk]
        assert id_number.encode() not in id_raw and id_number[6:14].encode() not in id_raw
        assert card.encode() not in card_raw
        assert dep.id_number_hash == id_lookup(id_number)
        assert dep.bank_card_hash == card_lookup(card)
        assert id_number not in dep.id_number_masked
        assert dep.id_number_masked[:1] == id_number[:1]
        assert card not in dep.bank_card_masked
    assert Depositor.objects.filter(id_number_hash=id_lookup(id_number)).get() == dep


def test_no_full_number_in_trail_ledger_or_text(city):
    text = stored_text()
    numbers = plaintexts()
    assert len(numbers) == 60 and AuditEvent.objects.exists()
    leaked = [n for pair in numbers for n in pair if n in text]
    assert leaked == []


def test_services_do_not_leak_numbers(owner, actor, person):
    withdrawal_submit(
        account_id=owner.pk, type="07", method="BANK_TRANSFER", amount="100.00", actor=actor
    )
    data = person(1)
    text = stored_text()
    assert AuditEvent.objects.filter(action="account.open").exists()
    assert data["id_number"] not in text
    assert data["bank_card"] not in text
    assert data["mobile"] not in text


def test_wrong_context_or_tampered_ciphertext_does_not_decrypt(owner):
    """A ciphertext is bound to its column: the ID number's does not decrypt as a card
    number, and a flipped byte is detected."""
    blob = bytes(owner.depositor.id_number_enc)
    assert decrypt(blob, context=b"id_number")
    with pytest.raises(DecryptionError):
        decrypt(blob, context=b"bank_card")
    tampered = blob[:-1] + bytes([blob[-1] ^ 1])
    with pytest.raises(DecryptionError):
        decrypt(tampered, context=b"id_number")
    with pytest.raises(DecryptionError):
        decrypt(b"\x02" + blob[1:], context=b"id_number")


def test_encryption_is_randomised():
    """The same number encrypts differently each time (fresh nonce): equal ciphertexts
    would reveal equal numbers."""
    a, b = (
        encrypt("53010219900101001X", context=b"id_number"),
        encrypt("53010219900101001X", context=b"id_number"),
    )
    assert a != b
    assert decrypt(a, context=b"id_number") == decrypt(b, context=b"id_number")


def test_demo_logins_refused_without_debug(owner):
    """The one command that prints full ID numbers runs only in a DEBUG demo."""
    out = io.StringIO()
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("demo_logins", stdout=out)
    assert out.getvalue() == ""


def test_admin_shows_no_personal_numbers(city, make_staff):
    """Depositors, accounts, ID-check sessions, the audit trail and TOTP secrets are not in the admin at
    all, and no changelist that is registered shows a full ID or card number (to the system
    administrator, the admin's only user)."""
    from django.contrib import admin
    from django.urls import reverse

    from hpf.audit.models import AuditEvent
    from hpf.conftest import verified_client
    from hpf.registry.models import IdCheckSession

    admin_client = verified_client(make_staff("sysadmin", hall=None))
    from django_otp.plugins.otp_totp.models import TOTPDevice

    for hidden in (Depositor, FundAccount, IdCheckSession, AuditEvent, TOTPDevice):
        assert not admin.site.is_registered(hidden)
    numbers = [n for pair in plaintexts() for n in pair]
    pages = 0
    for model in admin.site._registry:
        meta = model._meta
        response = admin_client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        assert response.status_code == 200
        html = response.content.decode()
        assert [n for n in numbers if n in html] == []
        pages += 1
    assert pages > 0
