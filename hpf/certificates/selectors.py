"""Reads of certificates: the public verification (no login, every look-up recorded), the
depositor's list of look-ups, and an owner's or clerk's own certificates for re-download."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction

from hpf.audit.models import AuditEvent, Channel
from hpf.audit.services import Actor, record_event
from hpf.calc.masking import mask_name
from hpf.certificates.codes import code_matches, normalise_code, normalise_serial
from hpf.certificates.kinds import kind_spec
from hpf.certificates.models import Certificate
from hpf.common import clock
from hpf.common.errors import NotFound
from hpf.loans.models import Loan
from hpf.loans.selectors import loan_list
from hpf.registry.access import access_account

VALID, EXPIRED, REVOKED, NOT_FOUND = "VALID", "EXPIRED", "REVOKED", "NOT_FOUND"
STATUS_LABELS = {VALID: "有效", EXPIRED: "已过期", REVOKED: "已作废"}
LOOKUP_ACTION = "certificate.lookup"
# Compared against when the serial is unknown, so that an unknown serial costs the same hash
# and comparison as a wrong code (no timing difference between the two).
_DUMMY_HASH = "0" * 64


def certificate_status(certificate: Certificate, *, today: dt.date | None = None) -> str:
    if hasattr(certificate, "revocation"):
        return REVOKED
    if (today or clock.today()) > certificate.valid_until:
        return EXPIRED
    return VALID


@dataclass(frozen=True, slots=True)
class VerifiedCertificate:
    """What the public page shows: the key facts, the name and ID masked."""

    serial: str
    kind: str
    kind_label: str
    status: str
    status_label: str
    name_masked: str
    id_masked: str
    issued_at: dt.datetime
    valid_until: dt.date
    hall: str
    revoked_at: dt.datetime | None
    facts: tuple[tuple[str, str], ...]


def certificate_verify(
    *, serial: str, code: str, client_addr: str | None, via: str = "form"
) -> VerifiedCertificate | None:
    """The certificate if ``serial`` and ``code`` match one, else ``None`` — an unknown serial
    and a wrong code are the same answer. Every look-up is recorded in the audit trail (channel
    ``public``), about the certificate's account when the serial exists."""
    serial, code = normalise_serial(serial), normalise_code(code)
    certificate = (
        Certificate.objects.select_related("revocation").filter(serial=serial).first()
        if serial
        else None
    )
    matched = code_matches(code, certificate.code_hash if certificate else _DUMMY_HASH)
    found = certificate if certificate is not None and code and matched else None
    status = certificate_status(found) if found else NOT_FOUND
    actor = Actor("public:verify", Channel.PUBLIC, client_addr)
    with transaction.atomic():
        record_event(
            actor,
            LOOKUP_ACTION,
            subject_account_id=certificate.account_id if certificate else None,
            purpose="证明核验",
            details={"serial": serial, "result": status, "via": via},
        )
    if found is None:
        return None
    revocation = getattr(found, "revocation", None)
    snapshot = found.snapshot
    return VerifiedCertificate(
        serial=found.serial,
        kind=found.kind,
        kind_label=kind_spec(found.kind).label,
        status=status,
        status_label=STATUS_LABELS[status],
        name_masked=mask_name(snapshot["holder"]["name"]),
        id_masked=snapshot["holder"]["id_masked"],
        issued_at=found.issued_at,
        valid_until=found.valid_until,
        hall=found.hall,
        revoked_at=revocation.revoked_at if revocation else None,
        facts=kind_spec(found.kind).facts(snapshot),
    )


@dataclass(frozen=True, slots=True)
class CertificateLookup:
    occurred_at: dt.datetime
    serial: str
    result: str
    via: str
    client_addr: str | None


def certificate_lookups(actor: Actor, account_id: int) -> tuple[CertificateLookup, ...]:
    """Who verified this account's certificates, newest first (for the depositor's portal)."""
    account = access_account(actor, account_id, view="certificate_lookups")
    events = AuditEvent.objects.filter(
        subject_account_id=account.pk, action=LOOKUP_ACTION
    ).order_by("-occurred_at", "-id")
    return tuple(
        CertificateLookup(
            occurred_at=e.occurred_at,
            serial=str(e.details.get("serial", "")),
            result=str(e.details.get("result", "")),
            via=str(e.details.get("via", "")),
            client_addr=e.client_addr,
        )
        for e in events
    )


def certificate_list(
    actor: Actor, account_id: int, *, purpose: str = ""
) -> tuple[Certificate, ...]:
    """The account's certificates, newest first."""
    account = access_account(actor, account_id, view="certificates", purpose=purpose)
    return tuple(
        Certificate.objects.filter(account=account)
        .select_related("revocation")
        .order_by("-issued_at", "-id")
    )


def certificate_get(actor: Actor, *, serial: str, purpose: str = "") -> Certificate:
    """One certificate for re-download, if the actor may see its account (else ``NotFound``,
    the same as an unknown serial)."""
    certificate = (
        Certificate.objects.select_related("revocation")
        .filter(serial=normalise_serial(serial) or None)
        .first()
    )
    if certificate is None:
        raise NotFound("证明不存在")
    try:
        access_account(actor, certificate.account_id, view="certificate", purpose=purpose)
    except NotFound:
        raise NotFound("证明不存在") from None
    return certificate


def payoff_loans(actor: Actor, account_id: int, *, purpose: str) -> list[tuple[int, str]]:
    """(id, contract number) of the account holder's fully repaid loans: what a loan payoff
    certificate can be issued for (read through ``loan_list``, so audited)."""
    paid = {
        v.contract_no
        for v in loan_list(actor=actor, account_id=account_id, purpose=purpose)
        if v.remaining_principal_fen == 0 and v.remaining_instalments == 0
    }
    return [
        (pk, no)
        for pk, no in Loan.objects.filter(
            borrower_id=account_id, status=Loan.Status.PAID_OFF, contract_no__in=paid
        )
        .order_by("-disbursed_on")
        .values_list("pk", "contract_no")
    ]
