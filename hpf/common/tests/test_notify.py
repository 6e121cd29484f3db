"""The outbox: rows in the caller's transaction, set-based inserts, the delivery sweep."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from hpf.common import notify as outbox
from hpf.common.models import Notification

pytestmark = pytest.mark.django_db


def test_a_rolled_back_change_leaves_no_notification():
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox.notify(1, "deposit_posted", "x")
        raise RuntimeError
    assert not Notification.objects.exists()


def test_notify_select_and_its_formatting():
    with connection.cursor() as cur:
        cur.execute("CREATE TEMP TABLE t_fen (dep BIGINT, fen BIGINT, period INTEGER)")
        cur.execute("INSERT INTO t_fen VALUES (7, 123405, 202606), (8, -5, 202611)")
    n = outbox.notify_select(
        "deposit_posted",
        depositor_sql="dep",
        text_sql=f"CAST(%s AS TEXT) || {outbox.sql_period('period')} || '：' || {outbox.sql_yuan('fen')} || '元'",
        from_sql="t_fen WHERE fen > %s",
        params=["入账 ", -100],
    )
    assert n == 2
    texts = dict(Notification.objects.values_list("depositor_id", "text"))
    assert texts == {7: "入账 2026-06：1234.05元", 8: "入账 2026-11：-0.05元"}


def test_the_sweep_hands_each_row_over_once(monkeypatch):
    seen: list[int] = []
    monkeypatch.setattr(outbox, "_deliverers", [lambda rows: seen.extend(r.pk for r in rows)])
    rows = [outbox.notify(1, "quarterly_summary", f"q{i}") for i in range(5)]
    call_command("send_notifications", chunk=2)
    call_command("send_notifications")
    assert seen == [r.pk for r in rows]
    assert not Notification.objects.filter(delivered_at__isnull=True).exists()


def test_a_failing_deliverer_leaves_the_chunk_for_the_next_sweep(monkeypatch):
    def broken(rows):
        raise OSError("gateway down")

    monkeypatch.setattr(outbox, "_deliverers", [broken])
    outbox.notify(1, "quarterly_summary", "q")
    with pytest.raises(OSError):
        outbox.deliver_pending()
    assert Notification.objects.get().delivered_at is None


@pytest.mark.parametrize(
    "options",
    [{"limit": 0}, {"limit": -5}, {"chunk": 0}, {"report": True, "limit": 10}],
)
def test_command_refuses_bad_options_and_sends_nothing(monkeypatch, options):
    from django.core.management import CommandError

    seen: list[int] = []
    monkeypatch.setattr(outbox, "_deliverers", [lambda rows: seen.extend(r.pk for r in rows)])
    outbox.notify(1, "quarterly_summary", "q")
    with pytest.raises(CommandError, match="--"):
        call_command("send_notifications", **options)
    assert seen == []
    assert Notification.objects.filter(delivered_at__isnull=True).count() == 1
