"""A depositor's portal page through pgbouncer (``python -m hpf.ops.tests.pool_probe``, started
by test_pooling.py with DATABASE_URL naming the pooler and HPF_DB_POOLED=1): signed in, the
page shows the balance, the read is audited and the event linked into the chain."""

from __future__ import annotations

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hpf.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from hpf.audit.models import AuditEvent  # noqa: E402
from hpf.calc.money import format_yuan_grouped  # noqa: E402
from hpf.conftest import depositor_session  # noqa: E402
from hpf.registry.models import FundAccount  # noqa: E402


def main() -> None:
    assert settings.HPF_DB_POOLED
    assert connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] is True
    account = FundAccount.objects.exclude(balance_fen=0).order_by("id").first()
    assert account is not None
    client = Client()
    session = client.session
    depositor_session(session, account.depositor_id)
    session.save()
    before = AuditEvent.objects.filter(subject_account_id=account.pk).count()
    response = client.get("/portal/")
    assert response.status_code == 200, response.status_code
    assert format_yuan_grouped(account.balance_fen) in response.content.decode()
    events = AuditEvent.objects.filter(subject_account_id=account.pk)
    assert events.count() == before + 1
    # Every event is taken into the chain by a linker (the request's own, after its commit).
    from hpf.audit.services import link_pending

    link_pending()
    assert not AuditEvent.objects.filter(seq__isnull=True).exists()
    # Server-side cursors are off: iterating a large queryset works across the pool.
    assert sum(1 for _ in FundAccount.objects.all().iterator(chunk_size=7)) > 7


if __name__ == "__main__":
    main()
    print("ok")
