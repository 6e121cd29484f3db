"""Page cost in one process (no server, no load): queries and time per request of the portal's
overview and deposits pages, the API's ``me/account``, and the overview's two baselines (the
audited one-account read, and the signed-in frame with nothing in it), through Django's test
client, for the depositors with the shortest and the longest history of a seeded city. A quick
check to run before the load benchmark (bench/portal.py), on a small city:

    HPF_VAR_DIR=/tmp/city HPF_GENERATE_SECRETS=1 DEBUG=1 .venv/bin/hpf seed --depositors 2000
    HPF_VAR_DIR=/tmp/city HPF_GENERATE_SECRETS=1 .venv/bin/python -m bench.pagecost [-n 200]
        [--profile /portal/]

Each request is timed alone; the median of ``-n`` requests (wall clock, and the CPU time of
this process: the Python and template work without the database server's) is printed with
the queries of the last one. It signs in one depositor per history length as the sign-in leaves them (a
``PortalSession``) and issues each an API token: it writes to the city it runs on (sessions,
tokens, audit events), so give it a scratch city, never a shared one.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from typing import Any


def _thirty_years(account: Any) -> None:
    """Monthly remittances from July 1996 up to the account's first posting, each a balanced
    entry (the account's posting and the clearing account's opposite one), as bench/portal.py
    builds its thirty-year sample; the balance and the opening date move accordingly."""
    import datetime as dt

    from django.db import transaction
    from django.utils import timezone

    from hpf.ledger.models import JournalEntry, Posting, Reason

    mark = f"pagecost30:{account.pk}:"
    if JournalEntry.objects.filter(source_key__startswith=mark).exists():
        return
    first = Posting.objects.filter(fund_account=account).order_by("value_date").first()
    clearing = (
        Posting.objects.filter(reason=Reason.REMITTANCE, centre_account_id__isnull=False)
        .values_list("centre_account_id", flat=True)
        .first()
    )
    assert first is not None
    assert clearing is not None
    period, total = 199607, 0
    with transaction.atomic():
        while period < first.value_date.year * 100 + first.value_date.month:
            day = dt.date(period // 100, period % 100, 15)
            entry = JournalEntry.objects.create(
                reason=Reason.REMITTANCE,
                value_date=day,
                period=period,
                source_key=f"{mark}{period}",
                posted_at=timezone.now(),
                actor="bench:pagecost",
            )
            Posting.objects.bulk_create(
                [
                    Posting(
                        entry=entry,
                        fund_account=account,
                        amount_fen=240_000,
                        value_date=day,
                        period=period,
                        reason=Reason.REMITTANCE,
                        employer_id=account.employer_id,
                        deposit_base_fen=1_000_000,
                        employer_ratio="0.12",
                        employee_ratio="0.12",
                        employer_fen=120_000,
                    ),
                    Posting(
                        entry=entry,
                        centre_account_id=clearing,
                        amount_fen=-240_000,
                        value_date=day,
                        period=period,
                        reason=Reason.REMITTANCE,
                    ),
                ]
            )
            total += 240_000
            period = period + 1 if period % 100 < 12 else (period // 100 + 1) * 100 + 1
        type(account).objects.filter(pk=account.pk).update(
            balance_fen=account.balance_fen + total, opened_on=dt.date(1996, 7, 1)
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=200, help="requests per page and depositor")
    parser.add_argument("--profile", default="", help="profile this path (pyinstrument)")
    parser.add_argument("--sql", action="store_true", help="print the queries of each page")
    parser.add_argument(
        "--only", default="", help="comma-separated paths to time (default: all five)"
    )
    parser.add_argument(
        "--thirty",
        action="store_true",
        help="first give the longest history a monthly remittance back to July 1996 (once)",
    )
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hpf.settings")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    os.environ.setdefault("HPF_API_RATE_PER_MINUTE", "1000000")
    # The audited one-account read (bench/portal.py's baseline), for the ratio in one process.
    os.environ.setdefault("HPF_BENCH_ENDPOINTS", "1")
    import django

    django.setup()
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from hpf.api.services import api_token_issue
    from hpf.audit.services import Actor
    from hpf.channels.portal import auth
    from hpf.common import clock
    from hpf.identity.services import session_start
    from hpf.registry.models import AccountStatus, FundAccount

    accounts = (
        FundAccount.objects.filter(status=AccountStatus.ACTIVE)
        .annotate(n=Count("postings"))
        .filter(n__gt=0)
        .order_by("n", "pk")
    )
    # About two years of monthly deposits, and the longest history of the city.
    picks = {"short": accounts.filter(n__gte=24).first(), "longest": accounts.last()}
    if args.thirty and picks["longest"] is not None:
        _thirty_years(picks["longest"])
        picks["longest"] = accounts.filter(pk=picks["longest"].pk).first()
    clients: dict[str, tuple[Client, str, int]] = {}
    audited: dict[str, str] = {}  # token → the audited read's path tail for its account
    for label, account in picks.items():
        assert account is not None
        actor = Actor(f"depositor:{account.depositor_id}", "web", "127.0.0.1")
        store = SessionStore()
        store.create()  # the key first: the PortalSession records it, as portal_sign_in does
        record = session_start(
            depositor_id=account.depositor_id,
            method="password",
            actor=actor,
            session_key=store.session_key or "",
        )
        now = clock.now().timestamp()
        store[auth.SESSION_KEY] = account.depositor_id
        store[auth.SESSION_SID] = record.public_id
        store[auth.SESSION_STARTED_AT] = now
        store[auth.SESSION_SEEN_AT] = now
        store[auth.SESSION_AUTH_AT] = now
        store.save()
        client = Client()
        client.cookies["sessionid"] = store.session_key or ""
        token = api_token_issue(
            depositor_id=account.depositor_id, scopes=["account:read"], actor=actor
        ).token
        clients[label] = (client, token, account.n)
        audited[token] = f"{account.pk}/{account.depositor_id}"

    paths = (
        "/portal/",
        "/portal/deposits/",
        "/api/v1/me/account",
        "/bench/audited/",
        "/bench/frame/",
    )
    if args.only:
        paths = tuple(p for p in paths if p in args.only.split(","))

    def get(client: Client, token: str, path: str) -> int:
        headers = {"Authorization": f"Bearer {token}"} if path.startswith("/api/") else {}
        if path == "/bench/audited/":
            path += audited[token]
        return client.get(path, headers=headers).status_code

    if args.profile:
        from pyinstrument import Profiler  # not a dependency: pip install pyinstrument

        client, token, _ = clients[os.environ.get("PAGECOST_WHO", "longest")]
        get(client, token, args.profile)
        profiler = Profiler(interval=0.0002)
        profiler.start()
        for _ in range(args.n):
            get(client, token, args.profile)
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=False))
        return
    print(f"{'page':<22}{'history':>14}{'queries':>9}{'median ms':>11}{'p90 ms':>8}{'CPU ms':>8}")
    for client, token, postings in clients.values():
        for path in paths:
            assert get(client, token, path) == 200, path
            times, cpu = [], []
            for _ in range(args.n):
                started, cpu_started = time.perf_counter(), time.process_time()
                status = get(client, token, path)
                times.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - cpu_started) * 1000)
                assert status == 200
            with CaptureQueriesContext(connection) as queries:
                get(client, token, path)
            times.sort()
            if args.sql:
                for q in queries.captured_queries:
                    print("   ", q["sql"][:150])
            print(
                f"{path:<22}{f'{postings} postings':>14}{len(queries):>9}"
                f"{statistics.median(times):>11.2f}{times[int(len(times) * 0.9)]:>8.2f}"
                f"{statistics.median(cpu):>8.2f}"
            )


if __name__ == "__main__":
    main()
