"""Fixtures shared by the Django tests: a frozen business clock, an employer, an owner
account with three months of deposits, another account, and helpers that prove a refused
request wrote nothing and a successful one was audited and left the ledger consistent."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction
from django.db.models import Sum

from hpf.audit.models import AuditEvent
from hpf.audit.services import Actor
from hpf.calc.idnumbers import make_bank_card, make_credit_code_from_seed, make_resident_id
from hpf.common.clock import frozen_clock

TODAY = dt.date(2026, 11, 15)
# Months the owner has paid before TODAY; 202611 is the next one due.
OWNER_PERIODS = (202608, 202609, 202610)


@pytest.fixture(autouse=True, scope="session")
def limits_in_local_memory() -> Iterator[None]:
    """The suite counts throttles in local memory whatever ``REDIS_URL`` says, so each test
    starts with empty counters (below) and parallel runs never share or flush a Redis
    database; ``hpf/common/tests/test_limits.py`` proves the limits on a real Redis."""
    from django.test import override_settings

    with override_settings(
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    ):
        yield


@pytest.fixture(autouse=True)
def empty_limits(limits_in_local_memory: None) -> None:
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def business_day() -> Iterator[dt.date]:
    """Every test runs on 2026-11-15 in business time unless it freezes another day."""
    with frozen_clock(TODAY):
        yield TODAY


@pytest.fixture
def actor() -> Actor:
    return Actor("staff:7", "counter", "10.1.2.3")


def _person(n: int) -> dict[str, str]:
    """Valid, distinct personal numbers for test depositor ``n``."""
    return {
        "name": f"测试{n}",
        "id_number": make_resident_id(
            "530102", dt.date(1990, 1, 1) + dt.timedelta(days=n), n % 1000
        ),
        "mobile": f"139{n:08d}",
        "bank_card": make_bank_card("622202", 12345 + n, 19),
    }


@pytest.fixture
def person() -> Callable[[int], dict[str, str]]:
    """``person(n)``: name, ID number, mobile and bank card of test depositor ``n``."""
    return _person


@pytest.fixture
def make_employer(actor: Actor) -> Callable[..., Any]:
    from hpf.registry.services import employer_create

    def make(n: int = 1, ratio: str = "0.12") -> Any:
        return employer_create(
            uscc=make_credit_code_from_seed(n, "530102"),
            name=f"昆明测试单位{n}",
            office="五华管理部",
            employer_ratio=ratio,
            employee_ratio=ratio,
            actor=actor,
            opened_on=dt.date(2020, 1, 1),
        )

    return make


@pytest.fixture
def employer(make_employer: Callable[..., Any]) -> Any:
    return make_employer(1)


@pytest.fixture
def employer2(make_employer: Callable[..., Any]) -> Any:
    return make_employer(2, "0.08")


@pytest.fixture
def open_account(actor: Actor) -> Callable[..., Any]:
    from hpf.registry.services import account_open

    def open_(
        employer: Any, n: int, *, base: str = "10000.00", opened_on: dt.date = dt.date(2026, 8, 1)
    ) -> Any:
        return account_open(
            employer_id=employer.pk,
            deposit_base=base,
            actor=actor,
            opened_on=opened_on,
            **_person(n),
        )

    return open_


@pytest.fixture
def owner(employer: Any, open_account: Callable[..., Any], actor: Actor) -> Any:
    """Opened 2026-08-01 at base 10 000.00 and 12 % + 12 %: 2 400.00 a month paid for
    202608–202610, balance 7 200.00."""
    from hpf.ledger.services import remittance_post

    account = open_account(employer, 1)
    for period in OWNER_PERIODS:
        remittance_post(
            account_id=account.pk,
            employer_id=employer.pk,
            period=period,
            actor=actor,
            value_date=dt.date(period // 100, period % 100, 10),
        )
    account.refresh_from_db()
    assert account.balance_fen == 3 * 240_000
    return account


@pytest.fixture
def back_paid(
    make_employer: Callable[..., Any], open_account: Callable[..., Any], actor: Actor
) -> Any:
    """Base 7,540 at 7 % + 7 %, opened 2020-11; the 2020-11 remittance reversed and paid back
    (补缴) at base 5,590 (2020-12 paid at 7,540), the back payment being the last posting —
    issue 11's account: 527.80 + 527.80 a month, not the last posting's 391.30 + 391.30.
    Depositor 70 (``person(70)``)."""
    from hpf.ledger.services import back_payment_post, entry_reverse, remittance_post

    employer = make_employer(7, "0.07")
    account = open_account(employer, 70, base="7540.00", opened_on=dt.date(2020, 11, 1))
    entry, _ = (
        remittance_post(
            account_id=account.pk,
            employer_id=employer.pk,
            period=period,
            actor=actor,
            value_date=dt.date(period // 100, period % 100, 10),
        )
        for period in (202011, 202012)
    )
    entry_reverse(
        entry_id=entry.pk, actor=actor, reason_text="基数有误", fund_account_id=account.pk
    )
    back_payment_post(
        account_id=account.pk,
        employer_id=employer.pk,
        period=202011,
        base="5590.00",
        employer_ratio=employer.employer_ratio,
        employee_ratio=employer.employee_ratio,
        actor=actor,
    )
    account.refresh_from_db()
    return account


@pytest.fixture
def other(employer: Any, open_account: Callable[..., Any]) -> Any:
    """A second account at the same employer, opened 2026-08-01, nothing paid yet."""
    return open_account(employer, 2)


def _state(account_ids: tuple[int, ...]) -> dict[str, Any]:
    from hpf.interest.models import InterestSettlement
    from hpf.ledger.models import JournalEntry, Posting
    from hpf.loans.models import Loan, LoanRepayment
    from hpf.operations.models import BatchRun
    from hpf.registry.models import Depositor, FundAccount
    from hpf.withdrawals.models import Withdrawal

    counts = {
        model.__name__: model.objects.count()
        for model in (
            JournalEntry,
            Posting,
            AuditEvent,
            Depositor,
            FundAccount,
            Withdrawal,
            Loan,
            LoanRepayment,
            InterestSettlement,
            BatchRun,
        )
    }
    accounts = list(
        FundAccount.objects.filter(pk__in=account_ids)
        .order_by("pk")
        .values(
            "pk", "balance_fen", "status", "freeze_mode", "paid_through", "employer_id", "closed_on"
        )
    )
    withdrawals = list(Withdrawal.objects.order_by("pk").values("pk", "state", "entry_id"))
    return {"counts": counts, "accounts": accounts, "withdrawals": withdrawals}


@pytest.fixture
def unchanged() -> Callable[..., contextlib.AbstractContextManager[None]]:
    """``with unchanged(account.pk), pytest.raises(SomeError):`` — the refused call wrote no
    entry, posting, audit event or other row, and the accounts are exactly as before."""

    @contextlib.contextmanager
    def check(*account_ids: int) -> Iterator[None]:
        before = _state(account_ids)
        yield
        assert _state(account_ids) == before

    return check


def _ledger_violations() -> list[str]:
    from hpf.ledger.checks import CHECKS

    return [str(v) for check in CHECKS.values() for v in check()]


@pytest.fixture
def ledger_violations() -> Callable[[], list[str]]:
    """``ledger_violations()``: every problem hpf check-ledger would report, as text."""
    return _ledger_violations


@pytest.fixture
def audited() -> Callable[..., AuditEvent]:
    """Assert the newest audit event is ``action`` about ``account_id`` (written by the call
    that just returned, in its transaction) and that the ledger still proves out: the
    account's cached balance equals the sum of its postings and every check passes."""
    from hpf.ledger.models import Posting
    from hpf.registry.models import FundAccount

    def check(action: str, account_id: int | None) -> AuditEvent:
        event = AuditEvent.objects.order_by("-id").first()
        assert event is not None
        assert (event.action, event.subject_account_id) == (action, account_id)
        if account_id is not None:
            cached = FundAccount.objects.get(pk=account_id).balance_fen
            total = Posting.objects.filter(fund_account_id=account_id).aggregate(
                s=Sum("amount_fen")
            )
            assert cached == (total["s"] or 0)
        assert _ledger_violations() == []
        return event

    return check


@pytest.fixture
def broken_on_purpose(db: None) -> Iterator[None]:
    """The test leaves the ledger broken on purpose. Django checks deferred constraints at
    the end of each test, which on PostgreSQL runs the balance trigger over every entry of
    the test's transaction; a real DBA would alter rows in a later transaction, which that
    trigger never sees. So the test's transaction is only rolled back, not checked."""
    yield
    transaction.set_rollback(True)


@pytest.fixture
def tamper(broken_on_purpose: None) -> Callable[..., None]:
    """Run ``sql`` on ``table`` behind the application's back, the way a malicious DBA would:
    with the append-only triggers dropped (SQLite; transactional, so the test's rollback
    restores them) or with triggers switched off for the session (PostgreSQL, superuser;
    ``ALTER TABLE … DISABLE TRIGGER`` is refused while deferred trigger events are pending)."""

    def run(table: str, sql: str, params: list[Any] | None = None) -> None:
        with connection.cursor() as cur:
            if connection.vendor == "postgresql":
                cur.execute("SET LOCAL session_replication_role = replica")
            else:
                cur.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
                cur.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
            cur.execute(sql, params or [])
            if connection.vendor == "postgresql":
                cur.execute("SET LOCAL session_replication_role = origin")

    return run


@pytest.fixture
def centre_accounts(django_db_setup: None, django_db_blocker: Any) -> None:
    """For transactional tests: a flush by an earlier transactional test empties the rows
    that migrations create (the centre accounts); put them back. (``serialized_rollback``
    would collide with the content types that the flush recreates.)"""
    from importlib import import_module

    from django.apps import apps

    migration = import_module("hpf.ledger.migrations.0002_centre_accounts_and_guards")
    with django_db_blocker.unblock():
        migration.create_centre_accounts(apps, None)


# ---------------------------------------------------------------------------- whole cities
# Real `hpf` processes on databases of their own (a SQLite file, or a fresh PostgreSQL
# database when the suite runs on PostgreSQL), built by the deterministic seed: for the
# tests that kill a run outright and compare it with an uninterrupted one.


class City:
    def __init__(self, url: str, var: Path) -> None:
        self.url, self.var = url, var

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DATABASE_URL": self.url,
            "HPF_VAR_DIR": str(self.var),
            "HPF_GENERATE_SECRETS": "1",
            "DEBUG": "1",
        }

    def hpf(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "hpf.cli", *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        if self.url.startswith("sqlite"):
            with sqlite3.connect(self.url.removeprefix("sqlite:///")) as db:
                return db.execute(sql).fetchall()
        import psycopg

        with psycopg.connect(self.url) as db:
            return db.execute(sql).fetchall()


@pytest.fixture
def make_city(tmp_path: Path) -> Iterator[Any]:
    created: list[str] = []
    settings = connection.settings_dict

    def make(name: str) -> City:
        var = tmp_path / name
        var.mkdir()
        if connection.vendor == "postgresql":
            import psycopg

            db = f"hpf_kill_{uuid.uuid4().hex[:10]}"
            admin = f"postgresql://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}"
            with psycopg.connect(f"{admin}/postgres", autocommit=True) as conn:
                conn.execute(f"CREATE DATABASE {db}")
            created.append(db)
            url = f"{admin}/{db}"
        else:
            url = f"sqlite:///{var / 'city.sqlite3'}"
        city = City(url, var)
        for args in (
            ("migrate", "-v0"),
            (
                "seed",
                "--depositors",
                "600",
                "--years",
                "2",
                "--seed",
                "5",
                "--end-period",
                "202605",
                "--no-check",
            ),
        ):
            done = city.hpf(*args)
            assert done.returncode == 0, done.stderr[-2000:]
        return city

    yield make
    if created:
        import psycopg

        admin = f"postgresql://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}"
        with psycopg.connect(f"{admin}/postgres", autocommit=True) as conn:
            for db in created:
                conn.execute(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")


# --- Staff and the counter (hpf.staff, hpf.channels.counter) ---------------------------------

STAFF_PASSWORD = "Kunming-staff-2026!"  # noqa: S105 (test-only staff password)


def totp_now(key_hex: str) -> str:
    """The current 6-digit TOTP code (RFC 6238, 30 s) of a hex key, as an authenticator shows."""
    from django_otp.oath import totp

    return f"{totp(bytes.fromhex(key_hex), step=30, t0=0, digits=6):06d}"


def staff_totp_code(member: Any) -> str:
    """The TOTP code of ``member``'s enrolled device right now."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return totp_now(TOTPDevice.objects.get(user=member.user, confirmed=True).key)


def verified_client(member: Any, **client_kwargs: Any) -> Any:
    """A test client signed in as ``member`` as if through password and TOTP."""
    from django.test import Client

    from hpf.staff.access import SESSION_AUTH_AT, SESSION_SEEN_AT, SESSION_VERIFIED

    http = Client(**client_kwargs)
    http.force_login(member.user)
    session = http.session
    now = clock_now_ts()
    session[SESSION_VERIFIED] = member.user.pk
    session[SESSION_AUTH_AT] = now
    session[SESSION_SEEN_AT] = now
    session.save()
    return http


def clock_now_ts() -> float:
    from hpf.common import clock

    return clock.now().timestamp()


@pytest.fixture
def halls() -> tuple[Any, Any]:
    """Two service halls: 五华 (where the staff fixtures work) and 盘龙."""
    from hpf.staff.models import ServiceHall

    return (
        ServiceHall.objects.create(code="WH", name="五华管理部"),
        ServiceHall.objects.create(code="PL", name="盘龙管理部"),
    )


@pytest.fixture
def make_staff(halls: tuple[Any, Any]) -> Callable[..., Any]:
    """``make_staff(role, name=…, hall=…)``: a staff member with an enrolled TOTP device."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from hpf.staff.services import staff_create

    counter = iter(range(1, 1000))

    def make(role: str, name: str | None = None, hall: Any = "default") -> Any:
        n = next(counter)
        member = staff_create(
            username=name or f"{role}{n}",
            password=STAFF_PASSWORD,
            staff_no=f"T{n:05d}",
            display_name=f"{role}{n}",
            role=role,
            hall=halls[0] if hall == "default" else hall,
            actor=Actor.system("test"),
        )
        TOTPDevice.objects.create(user=member.user, name="totp", confirmed=True)
        return member

    return make


@pytest.fixture
def clerk(make_staff: Callable[..., Any]) -> Any:
    return make_staff("clerk", "clerk_a")


@pytest.fixture
def supervisor(make_staff: Callable[..., Any]) -> Any:
    return make_staff("supervisor", "super_a")


@pytest.fixture
def idcheck(person: Callable[[int], dict[str, str]]) -> Callable[..., Any]:
    """``idcheck(member, n)``: an ID-check session of ``member`` for test depositor ``n``."""
    from hpf.registry.idcheck import idcheck_open

    def open_(member: Any, n: int, purpose: str = "ENQUIRY") -> Any:
        p = person(n)
        return idcheck_open(
            member=member,
            id_number=p["id_number"],
            name=p["name"],
            person_matches_card=True,
            purpose=purpose,
            actor=Actor(f"staff:{member.user_id}", "counter"),
        )

    return open_


# --- Real-browser journeys (Playwright driving Debian's chromium) -----------------------------

CHROMIUM = "/usr/lib/chromium/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """One headless chromium for the session. Missing chromium is an error, never a skip:
    ``make test`` installs it (``scripts/bootstrap``); ``playwright install`` is not used."""
    import os
    from pathlib import Path

    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: run scripts/bootstrap test (Debian's chromium)")
    # Playwright's sync API keeps an event loop on this thread; the tests' ORM calls are
    # still plain synchronous calls between browser steps.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def flushable_db(transactional_db: None, centre_accounts: None) -> Iterator[None]:
    """A transactional test on SQLite whose rows can be flushed afterwards: Django's flush
    DELETEs every row, which the never-deleted and append-only triggers refuse. So the test
    empties the tables itself with those triggers dropped; the flush's post_migrate puts every
    guard back (``hpf.common.apps``), and the centre accounts are restored. (PostgreSQL
    flushes with TRUNCATE, which row triggers do not see.)"""
    yield
    if connection.vendor != "sqlite":
        return
    from django.core.management import call_command

    with connection.cursor() as cur:
        cur.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        guards = [
            name
            for (name,) in cur.fetchall()
            if name.endswith(("_never_deleted", "_no_update", "_no_delete"))
        ]
        for name in guards:
            cur.execute(f'DROP TRIGGER "{name}"')
    call_command("flush", interactive=False, verbosity=0)
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'")
        assert cur.fetchone()[0] >= len(guards)


# The sizes of the pages the browser journeys open, as Playwright's context options. Journeys
# that check a page on a desktop and on a phone are parametrized over SIZES (their test ids);
# the other sizes are those of older journeys and of particular screens.
PAGE_SIZES: dict[str, dict[str, Any]] = {
    "desktop": {"viewport": {"width": 1366, "height": 900}},
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    },
    "small-phone": {
        "viewport": {"width": 360, "height": 780},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    },
    "app-web-view": {"viewport": {"width": 360, "height": 640}},  # 一部手机办事通's
    "kiosk": {"viewport": {"width": 1080, "height": 1920}, "has_touch": True},
}
SIZES = ("desktop", "phone")


@pytest.fixture
def sized_page(
    chromium: Any, live_server: Any, flushable_db: None, settings: Any
) -> Iterator[Callable[..., Any]]:
    """``sized_page(size, **context_options)``: a page in a fresh browser context (its own
    cookies) on the live server, the size one of ``PAGE_SIZES`` — ``"desktop"`` (1366 × 900),
    ``"phone"`` (390 × 844, touch, 2× pixels), ``"small-phone"`` (360 × 780, likewise), the
    government app's web view (360 × 640) or the bank kiosk's touch screen (1080 × 1920);
    ``context_options`` (a locale, a user agent, another viewport …) go to Playwright's
    ``new_context`` over the size's own. Cookies are not ``Secure`` here: the live server
    speaks plain HTTP. The contexts are closed and the database flushed after the test."""
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    contexts: list[Any] = []

    def new_page(size: str, **context_options: Any) -> Any:
        context = chromium.new_context(
            **{
                "base_url": live_server.url,
                "locale": "zh-CN",
                "accept_downloads": True,
                **PAGE_SIZES[size],
                **context_options,
            }
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield new_page
    for context in contexts:
        context.close()


def screenshot(page: Any, name: str, *, full_page: bool = True) -> None:
    """Save what ``page`` shows as ``$HPF_VAR_DIR/screenshots/<name>.png``, to look at."""
    from django.conf import settings

    shots = Path(settings.VAR_DIR) / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / f"{name}.png"), full_page=full_page)


def no_sideways_scroll(page: Any) -> None:
    """The page itself never scrolls sideways (wide tables scroll inside their box)."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), (
        "the page scrolls sideways"
    )


def fits(page: Any, size: str) -> None:
    """Nothing on the page is wider than the ``size``'s viewport."""
    width = page.evaluate("document.documentElement.scrollWidth")
    limit = PAGE_SIZES[size]["viewport"]["width"]
    assert width <= limit, f"{width}px wide on the {size}"


def browser_sign_in(page: Any, member: Any) -> None:
    """Sign ``member`` in through the real forms: password, then the TOTP code."""
    page.goto("/staff/login/")
    page.get_by_label("用户名").fill(member.user.username)
    page.get_by_label("密码").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="下一步").click()
    page.get_by_label("动态验证码（6 位数字）").fill(staff_totp_code(member))
    page.get_by_role("button", name="登录").click()


def depositor_session(store: Any, depositor_id: int) -> None:
    """Write into a session ``store`` what ``portal_sign_in`` writes after both factors: a live
    ``PortalSession`` record (under the store's session key, when it has one already) and its
    keys (tests of the pages, not of the sign-in)."""
    from hpf.channels.portal import auth
    from hpf.common import clock
    from hpf.identity.services import session_start

    record = session_start(
        depositor_id=depositor_id,
        method="password",
        actor=Actor(f"depositor:{depositor_id}", "web", "127.0.0.1"),
        session_key=store.session_key or "",
    )
    now = clock.now().timestamp()
    store[auth.SESSION_KEY] = depositor_id
    store[auth.SESSION_SID] = record.public_id
    store[auth.SESSION_STARTED_AT] = now
    store[auth.SESSION_SEEN_AT] = now
    store[auth.SESSION_AUTH_AT] = now


def browser_sign_in_depositor(page: Any, live_url: str, depositor_id: int) -> None:
    """Give the browser a depositor's session as the portal's sign-in leaves it (journeys of
    the sign-in itself go through the forms: hpf/channels/portal/tests/test_signin_browser)."""
    from django.conf import settings
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore()
    store.create()  # the key first: the PortalSession records it
    depositor_session(store, depositor_id)
    store.save()
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": store.session_key, "url": live_url}]
    )


# --- Depositor portal sign-in (hpf.identity, hpf.channels.portal) -----------------------------

DEPOSITOR_PASSWORD = "Dianchi-lake-2026"  # noqa: S105 (test-only depositor password)


@pytest.fixture
def portal_login(owner: Any) -> Any:
    """The owner registered for the portal with ``DEPOSITOR_PASSWORD`` (no TOTP, no e-mail)."""
    from django.contrib.auth.hashers import make_password

    from hpf.common import clock
    from hpf.identity.models import PortalLogin

    return PortalLogin.objects.create(
        depositor=owner.depositor,
        password=make_password(DEPOSITOR_PASSWORD),
        password_changed_at=clock.now(),
        created_at=clock.now(),
    )


def last_sms_code(mobile: str | None = None) -> str:
    """The 6-digit code of the newest message in the SMS outbox (to ``mobile`` if given)."""
    import re

    from hpf.identity.models import SmsMessage

    messages = SmsMessage.objects.order_by("-pk")
    if mobile:
        messages = messages.filter(to=mobile)
    message = messages.first()
    assert message is not None, "no SMS in the outbox"
    found = re.search(r"验证码 (\d{6})", message.text)
    assert found, message.text
    return found.group(1)


def portal_sign_in_client(http: Any, login_text: str, *, addr: str = "10.9.8.7") -> Any:
    """Sign a test client in through the real forms: password, then the SMS code."""
    first = http.post(
        "/portal/login/", {"login": login_text, "password": DEPOSITOR_PASSWORD}, REMOTE_ADDR=addr
    )
    assert first.status_code == 302, first.content.decode()[:2000]
    second = http.post("/portal/login/code/", {"code": last_sms_code()}, REMOTE_ADDR=addr)
    assert second.status_code == 302, second.content.decode()[:2000]
    return second


@pytest.fixture
def portal_client(portal_login: Any, person: Callable[[int], dict[str, str]]) -> Any:
    """A test client signed in as the owner through password and SMS code."""
    from django.test import Client

    http = Client()
    portal_sign_in_client(http, person(1)["id_number"])
    return http


def older_history(account: Any, months: int, start: int = 0) -> None:
    """``months`` monthly remittances before the account's first one, each a balanced entry
    (the account's posting and the clearing account's opposite one), as bench/portal.py adds
    them to its thirty-year sample; ``start`` months already added."""
    for i in range(start, start + months):
        year, month = divmod(2026 * 12 + 7 - 1 - i - 1, 12)
        month += 1
        _raw_remittance(account, year * 100 + month, "old")
    account.balance_fen += months * 240_000
    account.save(update_fields=["balance_fen"])


def paid_months(account: Any, first: int, last: int, amount_fen: int = 240_000) -> None:
    """Raw monthly remittances of 2 400.00 for every month from ``first`` to ``last``
    (``YYYYMM``, inclusive), as ``older_history`` writes them: enough continuous months for a
    loan (policy ``loan.required_continuous_months``) whatever the account's own history."""
    from hpf.calc.periods import period_range
    from hpf.ledger.models import JournalEntry

    done = set(
        JournalEntry.objects.filter(source_key__startswith=f"test:paid:{account.pk}:").values_list(
            "period", flat=True
        )
    )
    periods = [p for p in period_range(first, last) if p not in done]
    for period in periods:
        _raw_remittance(account, period, "paid", amount_fen)
    account.balance_fen += len(periods) * amount_fen
    account.save(update_fields=["balance_fen"])


def loan_eligible(account: Any, amount_fen: int = 240_000) -> None:
    """Make ``account`` eligible for a loan in July–November 2026: the seven months 2026-01 to
    2026-07 paid before the ``owner`` fixture's own 2026-08 to 2026-10 (2 400.00 each, or
    ``amount_fen`` for a borrower whose balance must stay small)."""
    paid_months(account, 202601, 202607, amount_fen)


def _raw_remittance(account: Any, period: int, tag: str, amount_fen: int = 240_000) -> None:
    from django.db import transaction

    day = dt.date(period // 100, period % 100, 15)
    # One transaction: on PostgreSQL an entry must have its balancing postings at commit, and
    # tests with committed data (live servers, threads) would commit the entry alone.
    with transaction.atomic():
        _raw_entry(account, period, tag, amount_fen, day)


def _raw_entry(account: Any, period: int, tag: str, amount_fen: int, day: dt.date) -> None:
    from django.utils import timezone

    from hpf.ledger.models import JournalEntry, Posting, Reason

    entry = JournalEntry.objects.create(
        reason=Reason.REMITTANCE,
        value_date=day,
        period=period,
        source_key=f"test:{tag}:{account.pk}:{period}",
        posted_at=timezone.now(),
        actor="test",
    )
    Posting.objects.bulk_create(
        [
            Posting(
                entry=entry,
                fund_account=account,
                amount_fen=amount_fen,
                value_date=day,
                period=period,
                reason=Reason.REMITTANCE,
                employer_id=account.employer_id,
                deposit_base_fen=1_000_000,
                employer_ratio="0.12",
                employee_ratio="0.12",
                employer_fen=amount_fen // 2,
            ),
            Posting(
                entry=entry,
                centre_account_id="REMITTANCE_CLEARING",
                amount_fen=-amount_fen,
                value_date=day,
                period=period,
                reason=Reason.REMITTANCE,
            ),
        ]
    )


def borrow(owner: Any) -> None:
    """A thirty-year annuity loan for ``owner`` since 2020 with its first two instalments
    repaid (tests of the pages' queries)."""
    from hpf.loans.services import loan_create, loan_repayment_post

    actor = Actor("system:test")
    paid_months(owner, 201909, 202003)  # continuous months the loan rules ask for
    loan = loan_create(
        contract_no="KM2020R0001",
        borrower_account_id=owner.pk,
        principal="600000.00",
        house_price="1000000.00",
        term_months=360,
        method="ANNUITY",
        first_home=True,
        disbursed_on=dt.date(2020, 3, 5),
        first_due_date=dt.date(2020, 4, 5),
        actor=actor,
    )
    for no in (1, 2):
        loan_repayment_post(
            loan_id=loan.pk,
            instalment_no=no,
            paid_on=dt.date(2020, 3 + no, 5),
            source="BANK",
            actor=actor,
        )
