"""Issuing and revoking certificates (出具 / 作废证明).

``certificate_issue`` is what the counter and the portal call: it reads the account through
``access_account`` (so only an actor who may see the account can certify it), builds the
snapshot from the selectors, takes the day's next serial, and writes the certificate and its
audit row in one transaction. ``certificate_pdf`` (hpf.certificates.pdf) turns the stored row
into the signed PDF, as often as needed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from django.db import IntegrityError, connection, transaction

from hpf.audit.services import Actor, record_event
from hpf.certificates.codes import code_from_salt, code_hash, new_salt, normalise_serial
from hpf.certificates.config import CENTRE_NAME
from hpf.certificates.content import deposit_content, loan_payoff_content, statement_content
from hpf.certificates.models import Certificate, CertificateKind, CertificateRevocation
from hpf.common import clock
from hpf.common.errors import InvalidInput, InvalidTransition, NotFound
from hpf.common.policy import get_policy
from hpf.registry.access import access_account


def _valid_days(kind: str) -> int:
    policy = get_policy().certificate
    return {
        CertificateKind.DEPOSIT: policy.deposit_valid_days,
        CertificateKind.STATEMENT: policy.statement_valid_days,
        CertificateKind.LOAN_PAYOFF: policy.loan_payoff_valid_days,
    }[CertificateKind(kind)]


def _next_serial(day: dt.date) -> str:
    # One statement that both databases run atomically: two counters issuing at the same
    # moment get consecutive numbers, never the same one.
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO certificates_serialday (day, last) VALUES (%s, 1) "
            "ON CONFLICT (day) DO UPDATE SET last = certificates_serialday.last + 1 "
            "RETURNING last",
            [day],
        )
        (seq,) = cur.fetchone()
    return f"KM{day:%Y%m%d}{int(seq):06d}"


def canonical_json(snapshot: dict[str, Any]) -> str:
    return json.dumps(snapshot, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def certificate_issue(
    actor: Actor,
    *,
    account_id: int,
    kind: str,
    purpose: str,
    hall: str,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    loan_id: int | None = None,
) -> Certificate:
    """Issue a certificate of ``kind`` (``DEPOSIT``, ``STATEMENT`` with ``date_from``/``date_to``,
    ``LOAN_PAYOFF`` with ``loan_id``) for the account, stamped by ``hall`` (e.g. "五华管理部").

    Refuses, having written nothing: an account the actor may not see (``NotFound``), a
    missing purpose or hall, a bad date range (``InvalidInput``), a loan not fully repaid
    (``LoanNotPaidOff``, code ``LOAN_NOT_PAID_OFF``).
    """
    if kind not in CertificateKind.values:
        raise InvalidInput("证明类型不正确（缴存证明、账户明细单或贷款结清证明）")
    purpose, hall = purpose.strip(), hall.strip()
    if not purpose or len(purpose) > 200:
        raise InvalidInput("请填写证明用途（200字以内）")
    if not hall or len(hall) > 40:
        raise InvalidInput("请填写出具网点（40字以内）")
    with transaction.atomic(durable=True):
        account = access_account(actor, account_id, view=f"certificate:{kind}", purpose=purpose)
        now = clock.now()
        today = clock.today()
        loan = None
        if kind == CertificateKind.DEPOSIT:
            content = deposit_content(actor, account, purpose=purpose)
        elif kind == CertificateKind.STATEMENT:
            content = statement_content(
                actor, account, purpose=purpose, date_from=date_from, date_to=date_to, today=today
            )
        else:
            content, loan = loan_payoff_content(actor, account, purpose=purpose, loan_id=loan_id)
        snapshot = {"centre": CENTRE_NAME, "kind": kind, **content}
        salt = new_salt()
        certificate = Certificate.objects.create(
            serial=_next_serial(today),
            kind=kind,
            account=account,
            loan=loan,
            snapshot=snapshot,
            snapshot_sha256=hashlib.sha256(canonical_json(snapshot).encode()).hexdigest(),
            code_salt=salt,
            code_hash=code_hash(code_from_salt(salt)),
            issued_at=now,
            valid_until=today + dt.timedelta(days=_valid_days(kind)),
            hall=hall,
            channel=actor.channel,
            issued_by=actor.ident,
            purpose=purpose,
        )
        record_event(
            actor,
            "certificate.issue",
            subject_account_id=account.pk,
            purpose=purpose,
            details={"serial": certificate.serial, "kind": kind, "hall": hall},
        )
    return certificate


def certificate_revoke(actor: Actor, *, serial: str, reason: str) -> CertificateRevocation:
    """Revoke (作废) a certificate from now on, with a reason; the verification page then
    says REVOKED. Only an actor who may see the account can; a second revocation is refused."""
    reason = reason.strip()
    if not reason or len(reason) > 200:
        raise InvalidInput("请填写作废原因（200字以内）")
    with transaction.atomic(durable=True):
        certificate = Certificate.objects.filter(serial=normalise_serial(serial) or None).first()
        if certificate is None:
            raise NotFound("证明不存在")
        access_account(actor, certificate.account_id, view="certificate_revoke", purpose=reason)
        if CertificateRevocation.objects.filter(certificate=certificate).exists():
            raise InvalidTransition("该证明已作废")
        try:
            with transaction.atomic():
                revocation = CertificateRevocation.objects.create(
                    certificate=certificate,
                    revoked_at=clock.now(),
                    revoked_by=actor.ident,
                    reason=reason,
                )
        except IntegrityError as exc:  # revoked by someone else a moment ago
            raise InvalidTransition("该证明已作废") from exc
        record_event(
            actor,
            "certificate.revoke",
            subject_account_id=certificate.account_id,
            purpose=reason,
            details={"serial": certificate.serial},
        )
    return revocation
