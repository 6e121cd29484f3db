"""hpf govapp-people: the demo people the stand-in 一部手机办事通 provider knows, as JSON.

Demo only (refuses unless DEBUG): the first active depositors with a posted remittance, the
first two face-verified and the third verified by real name only (so the portal also asks
the SMS code), and one synthetic person who is not a depositor. Each read of a full ID
number is audited, as ``hpf demo-logins`` does.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from hpf.audit.services import Actor, record_event
from hpf.calc.idnumbers import make_resident_id
from hpf.common.crypto import decrypt
from hpf.ledger.models import Posting, Reason
from hpf.registry.models import AccountStatus, FundAccount


def not_a_depositor() -> dict[str, str]:
    """A synthetic person the province knows and the centre does not: the ID number is built
    (valid check digit) rather than written out, like every generated demo ID."""
    return {
        "subject": "govapp-demo-x",
        "name": "路人甲",
        "id_number": make_resident_id("530102", dt.date(1980, 1, 1), 1),
    }


class Command(BaseCommand):
    help = "Print the stand-in provider's demo people as JSON (DEBUG only)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--count", type=int, default=3)

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("govapp-people prints demo ID numbers and runs only with DEBUG=1")
        paid = Posting.objects.filter(reason=Reason.REMITTANCE, amount_fen__gt=0).values(
            "fund_account_id"
        )
        accounts = (
            FundAccount.objects.filter(status=AccountStatus.ACTIVE, pk__in=paid)
            .select_related("depositor")
            .order_by("pk")[: options["count"]]
        )
        people = []
        for n, account in enumerate(accounts):
            dep = account.depositor
            record_event(
                Actor.cli("govapp-people"),
                "account.read",
                subject_account_id=account.pk,
                purpose="演示一部手机办事通登录",
                details={"view": "govapp-people"},
            )
            people.append(
                {
                    "subject": f"govapp-demo-{dep.pk}",
                    "name": dep.name,
                    "id_number": decrypt(dep.id_number_enc, context=b"id_number"),
                    "acr": "face" if n < 2 else "realname",
                }
            )
        people.append({**not_a_depositor(), "acr": "face"})
        self.stdout.write(json.dumps(people, ensure_ascii=False))
