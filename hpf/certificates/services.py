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
from hpf.certificates.crosscheck import CertificateFiguresMismatch
from hpf.certificates.kinds import DATES, LOAN, IssueRequest, KindSpec, kind_spec
from hpf.certificates.models import Certificate, CertificateRevocation
from hpf.common import clock
from hpf.common.chinese import in_chinese
from hpf.common.errors import InvalidInput, InvalidTransition, NotFound
from hpf.common.policy import get_policy
from hpf.registry.access import access_account


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
    (``LoanNotPaidOff``, code ``LOAN_NOT_PAID_OFF``), figures that disagree with the ledger
    (``CertificateFiguresMismatch``, code ``CERTIFICATE_FIGURES_MISMATCH``, with the audit
    event ``certificate.refused`` naming them: ``hpf.certificates.crosscheck``).
    """
    spec = kind_spec(kind)
    purpose, hall = purpose.strip(), hall.strip()
    if not purpose or len(purpose) > 200:
        raise InvalidInput("请填写证明用途（200字以内）")
    if not hall or len(hall) > 40:
        raise InvalidInput("请填写出具网点（40字以内）")
    try:
        with transaction.atomic(durable=True):
            return _issue(actor, spec, account_id, purpose, hall, date_from, date_to, loan_id)
    except CertificateFiguresMismatch as exc:
        # The issue rolled back (no certificate, no serial); the refusal itself is recorded in
        # a transaction of its own so that it outlives the rollback.
        with transaction.atomic(durable=True):
            record_event(
                actor,
                "certificate.refused",
                subject_account_id=account_id,
                purpose=purpose,
                details={"kind": kind, "code": exc.code, "figures": exc.details["figures"]},
            )
        raise


def _issue(
    actor: Actor,
    spec: KindSpec,
    account_id: int,
    purpose: str,
    hall: str,
    date_from: dt.date | None,
    date_to: dt.date | None,
    loan_id: int | None,
) -> Certificate:
    kind = spec.kind
    account = access_account(actor, account_id, view=f"certificate:{kind}", purpose=purpose)
    now = clock.now()
    today = clock.today()
    request = IssueRequest(
        purpose=purpose,
        today=today,
        date_from=date_from if DATES in spec.inputs else None,
        date_to=date_to if DATES in spec.inputs else None,
        loan_id=loan_id if LOAN in spec.inputs else None,
    )
    with in_chinese():  # a certificate is in the centre's language, whatever the page's
        content, loan = spec.build(actor, account, request)
    wrong = spec.check(account, content, today)
    if wrong:
        raise CertificateFiguresMismatch(figures=wrong)
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
        valid_until=today + dt.timedelta(days=spec.valid_days(get_policy().certificate)),
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
