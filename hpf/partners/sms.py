"""SMS queries to 12329: the gateway hands over each message it received; the answer goes
back through the notification outbox, to the mobile on record, and only to a depositor who
switched SMS queries on.

A number that is nobody's mobile on record (or is shared by several depositors, so it names
no one) gets only the fixed help text, which the gateway sends itself (it names nothing; the
outbox is per depositor). A known number with SMS queries switched off is refused
``CHANNEL_DISABLED`` and gets nothing. Each number may ask ``SMS_PER_NUMBER_PER_HOUR`` times
an hour (counted in Django's cache under the number's keyed hash), so nobody can make the
centre flood a phone.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.db.models import QuerySet

from hpf.calc.masking import mask_mobile
from hpf.common.api import RateLimited
from hpf.common.crypto import lookup_hash
from hpf.common.errors import InvalidInput
from hpf.common.notify import notify
from hpf.partners.models import PartnerClient
from hpf.partners.queries import HELP_TEXT, sms_command, sms_reply
from hpf.partners.switches import ChannelDisabled, channel_enabled
from hpf.registry.models import Depositor, FundAccount

SMS_PER_NUMBER_PER_HOUR = 10
NOTIFY_KIND = "sms_query"
_MOBILE = re.compile(r"(?:\+?86)?(1[3-9]\d{9})")


@dataclass(frozen=True, slots=True)
class SmsOutcome:
    """``queued``: the reply is in the depositor's outbox; ``help``: the gateway sends
    ``reply`` (the fixed help text) to the sender itself."""

    status: str
    reply: str | None


def _mobile(sender: str) -> str:
    found = _MOBILE.fullmatch(sender.replace(" ", "").replace("-", ""))
    if not found:
        raise InvalidInput("from 须为中国大陆手机号，如 13912345678 或 +8613912345678")
    return found.group(1)


def _count(mobile: str) -> int:
    key = f"hpf-sms-rate:{lookup_hash(mobile, context='mobile')[:32]}:{int(time.time()) // 3600}"
    if cache.add(key, 1, timeout=3700):
        return 1
    try:
        return int(cache.incr(key))
    except ValueError:
        cache.add(key, 1, timeout=3700)
        return 1


def senders(mobile: str) -> QuerySet[Depositor, int]:
    """At most two depositors whose mobile on record is ``mobile`` (found by the index
    ``depositor_mobile``, not a scan of the depositors)."""
    return Depositor.objects.filter(mobile=mobile).values_list("pk", flat=True)[:2]


def sms_inbound(
    *, client: PartnerClient, sender: str, text: str, client_addr: str | None
) -> SmsOutcome:
    """Answer one message received by the gateway (see the module's docstring). A refusal
    carries the caller's masked number for its audit event."""
    mobile = _mobile(sender)
    caller = mask_mobile(mobile)
    if _count(mobile) > SMS_PER_NUMBER_PER_HOUR:
        raise RateLimited("该号码查询过于频繁，请一小时后再试", caller=caller)
    found = list(senders(mobile))
    if len(found) != 1:
        return SmsOutcome("help", HELP_TEXT)
    depositor_id = found[0]
    if not channel_enabled(depositor_id, "sms"):
        account = FundAccount.objects.filter(depositor_id=depositor_id).values_list("pk", flat=True)
        raise ChannelDisabled(account=account.first(), caller=caller)
    command = sms_command(text)
    with transaction.atomic():
        if command is None or not FundAccount.objects.filter(depositor_id=depositor_id).exists():
            reply = HELP_TEXT
        else:
            reply = sms_reply(
                client=client,
                depositor_id=depositor_id,
                command=command,
                client_addr=client_addr,
                caller=caller,
            )
        notify(depositor_id, NOTIFY_KIND, reply)
    return SmsOutcome("queued", None)
