"""Who may read which account: the one road from an actor to a depositor's data.

Every selector that returns personal data first calls ``access_account``, which refuses
what the actor may not see and records the read in the audit trail (in the same transaction
as the read). The rules of the foundation:

* a depositor (``depositor:<id>``) reaches only their own account; asking for any other gives
  the same ``NotFound`` as an account that does not exist, so ids cannot be probed;
* staff, the system and the command line must state a purpose, which is recorded; the counter
  channel's ID-check sessions (人证核验) narrow staff access further when they land;
* kiosk, hotline and government-app actors are bound to one depositor like a depositor.
"""

from __future__ import annotations

from django.db import transaction

from hpf.audit.models import Channel
from hpf.audit.services import Actor, record_event
from hpf.common.errors import InvalidInput, NotFound
from hpf.registry.models import FundAccount

DEPOSITOR_BOUND = {"depositor"}
STAFF_LIKE = {"staff", "system", "cli"}


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
        if account is None:
            raise NotFound("个人账户不存在")
    else:
        raise NotFound("个人账户不存在")
    with transaction.atomic():
        record_event(
            actor,
            "account.read",
            subject_account_id=account.pk,
            purpose=purpose[:200],
            details={"view": view},
        )
    return account
