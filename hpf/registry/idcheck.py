"""Counter ID-check sessions (人证核验): opening, closing, and finding a live one.

Opening checks the ID number's check digit, finds the depositor by the keyed look-up hash and
compares the name; an unknown number and a wrong name get the same answer, so the counter
learns nothing the card in the clerk's hand does not already say. Both the opening and a
failed attempt are audited (without the ID number).
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.db import transaction

from hpf.audit.services import Actor, record_event
from hpf.calc.errors import CalcError
from hpf.calc.idnumbers import parse_resident_id
from hpf.common import clock
from hpf.common.errors import DomainError, InvalidInput, NotFound
from hpf.registry.models import Depositor, FundAccount, IdCheckPurpose, IdCheckSession
from hpf.registry.services import id_lookup
from hpf.staff.models import Role, StaffMember

NO_MATCH = "未找到与该身份证号和姓名相符的缴存职工，请核对证件后重新输入。"


class IdCheckRequired(DomainError):
    code = "IDCHECK_REQUIRED"
    default_message = "人证核验会话无效或已结束，请重新核验身份。"


def _clerk_hall(member: StaffMember) -> int:
    if member.role != Role.CLERK or not member.active or member.hall_id is None:
        raise IdCheckRequired("只有在岗柜员可以办理人证核验。")
    return member.hall_id


def idcheck_open(
    *,
    member: StaffMember,
    id_number: str,
    name: str,
    person_matches_card: bool,
    purpose: str,
    purpose_note: str = "",
    actor: Actor,
) -> IdCheckSession:
    """Open a session for the depositor whose card the clerk holds, or raise having opened
    nothing (a mismatch is still recorded, as ``idcheck.no_match``)."""
    hall_id = _clerk_hall(member)
    if not person_matches_card:
        raise InvalidInput("请先核对本人与身份证件一致，并勾选确认。")
    if purpose not in IdCheckPurpose.values:
        raise InvalidInput("请选择办理用途。")
    try:
        parsed = parse_resident_id(id_number, today=clock.today())
    except CalcError as exc:
        raise InvalidInput(exc.message) from exc
    depositor = Depositor.objects.filter(id_number_hash=id_lookup(parsed.number)).first()
    if depositor is None or depositor.name.strip() != name.strip():
        account_id = None
        if depositor is not None:
            account_id = (
                FundAccount.objects.filter(depositor=depositor).values_list("pk", flat=True).first()
            )
        with transaction.atomic(durable=True):
            record_event(
                actor,
                "idcheck.no_match",
                subject_account_id=account_id,
                details={"found": depositor is not None},
            )
        raise NotFound(NO_MATCH)
    now = clock.now()
    with transaction.atomic(durable=True):
        session = IdCheckSession.objects.create(
            public_id=secrets.token_urlsafe(18),
            clerk_id=member.user_id,
            hall_id=hall_id,
            depositor=depositor,
            purpose=purpose,
            purpose_note=purpose_note.strip()[:100],
            person_matches_card=True,
            opened_at=now,
            expires_at=now + dt.timedelta(seconds=settings.HPF_IDCHECK_TTL_S),
        )
        account_id = (
            FundAccount.objects.filter(depositor=depositor).values_list("pk", flat=True).first()
        )
        record_event(
            actor,
            "idcheck.open",
            subject_account_id=account_id,
            purpose=session.purpose_text[:200],
            details={
                "idcheck_session": session.pk,
                "hall": member.hall.code if member.hall else "",
            },
        )
    return session


def idcheck_live(public_id: str, clerk_user_id: int | None) -> IdCheckSession | None:
    """The clerk's own session with this id if it is open and not expired, else None."""
    if not public_id or clerk_user_id is None:
        return None
    return (
        IdCheckSession.objects.select_related("depositor", "hall")
        .filter(
            public_id=public_id,
            clerk_id=clerk_user_id,
            closed_at__isnull=True,
            expires_at__gt=clock.now(),
            person_matches_card=True,
        )
        .first()
    )


def idcheck_close(*, session: IdCheckSession, actor: Actor) -> None:
    with transaction.atomic(durable=True):
        updated = IdCheckSession.objects.filter(pk=session.pk, closed_at__isnull=True).update(
            closed_at=clock.now()
        )
        if updated:
            record_event(actor, "idcheck.close", details={"idcheck_session": session.pk})


def idcheck_account_id(session: IdCheckSession) -> int | None:
    return (
        FundAccount.objects.filter(depositor_id=session.depositor_id)
        .values_list("pk", flat=True)
        .first()
    )


def idcheck_sessions_of(clerk_user_id: int | None, *, limit: int = 10) -> list[IdCheckSession]:
    """The clerk's live sessions, newest first (the counter's "continue" list)."""
    return list(
        IdCheckSession.objects.select_related("depositor")
        .filter(clerk_id=clerk_user_id, closed_at__isnull=True, expires_at__gt=clock.now())
        .order_by("-opened_at")[:limit]
    )
