"""Which account a depositor-bound actor owns: the portal and the API never take an account id
from the request for the signed-in person's own pages; they ask here."""

from __future__ import annotations

from hpf.audit.services import Actor
from hpf.common.errors import NotFound
from hpf.registry.models import FundAccount


def own_account_id(actor: Actor) -> int:
    """The id of the account of the depositor behind ``actor`` (``depositor:<id>``); ``NotFound``
    for any other actor or a depositor without an account. Only the id: reading the account
    itself goes through ``access_account``, which audits it."""
    kind, _, ident = actor.ident.partition(":")
    if kind != "depositor" or not ident.isdigit():
        raise NotFound("个人账户不存在")
    account_id = (
        FundAccount.objects.filter(depositor_id=int(ident)).values_list("pk", flat=True).first()
    )
    if account_id is None:
        raise NotFound("个人账户不存在")
    return int(account_id)
