"""Who may read which account: the one road from an actor to a depositor's data.

Every selector that returns personal data first calls ``access_account``, which refuses
what the actor may not see and records the read in the audit trail (in the same transaction
as the read). The rules of the foundation:

* a depositor (``depositor:<id>``) reaches only their own account; asking for any other gives
  the same ``NotFound`` as an account that does not exist, so ids cannot be probed;
* staff, the system and the command line must state a purpose, which is recorded;
* staff means a clerk or supervisor (``hpf.staff``): the system administrator and the auditor
  read no depositor's data, whatever the channel;
* on the counter channel a clerk reads only the depositor of a live ID-check session
  (人证核验) of their own, named by ``actor.idcheck``; the session's id goes into the event;
* kiosk, hotline and government-app actors are bound to one depositor like a depositor.
"""

from __future__ import annotations

from django.db import transaction

from hpf.audit.models import Channel
from hpf.audit.services import Actor, record_event
from hpf.common.errors import InvalidInput, NotFound
from hpf.registry.idcheck import IdCheckRequired, idcheck_live
from hpf.registry.models import FundAccount
from hpf.staff.models import Role, StaffMember

DEPOSITOR_BOUND = {"depositor"}
STAFF_LIKE = {"staff", "system", "cli"}
# Roles whose duties include reading a depositor's account (MLPS separation of duties).
STAFF_READERS = (Role.CLERK, Role.SUPERVISOR)


def _kind_and_id(actor: Actor) -> tuple[str, str]:
    kind, _, ident = actor.ident.partition(":")
    return kind, ident


def access_account(actor: Actor, account_id: int, *, view: str, purpose: str = "") -> FundAccount:
    """The account, if ``actor`` may read it; records the read as ``account.read``."""
    kind, ident = _kind_and_id(actor)
    account = (
        FundAccount.objects.select_related("depositor", "employer").filter(pk=account_id).first()
    )
    if kind in DEPOSITOR_BOUND:
        if account is None or str(account.depositor_id) != ident:
            raise NotFound("个人账户不存在")
        purpose = purpose or "本人查询"
    elif kind in STAFF_LIKE:
        if not purpose.strip():
            raise InvalidInput("查询他人账户必须说明用途")
        if kind == "staff" and actor.channel not in (Channel.COUNTER, Channel.BACKOFFICE):
            raise NotFound("个人账户不存在")
    else:
        raise NotFound("个人账户不存在")
    details: dict[str, str | int] = {"view": view}
    if kind == "staff":
        reader = (
            StaffMember.objects.filter(
                user_id=int(ident), active=True, role__in=STAFF_READERS
            ).first()
            if ident.isdigit()
            else None
        )
        if reader is None:
            raise NotFound("个人账户不存在")
        if actor.channel == Channel.COUNTER:
            # One answer for "not this session's person" and "no such account": a clerk
            # cannot probe account ids from inside a session.
            session = idcheck_live(actor.idcheck, reader.user_id)
            if session is None or account is None or session.depositor_id != account.depositor_id:
                raise IdCheckRequired()
            details["idcheck_session"] = session.pk
    if account is None:
        raise NotFound("个人账户不存在")
    with transaction.atomic():
        record_event(
            actor,
            "account.read",
            subject_account_id=account.pk,
            purpose=purpose[:200],
            details=details,
        )
    return account
