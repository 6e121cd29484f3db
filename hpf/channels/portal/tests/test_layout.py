"""The pieces behind the portal's layout fixes, without a browser: reads folded into visits
(the gap, the reader, the channel), device names from User-Agent strings, the calculator's
term message in years, the site icon on every base page and at ``/favicon.ico``, and the
account tabs only for a signed-in depositor."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from hpf.audit.services import Actor, record_event
from hpf.common.clock import BUSINESS_TZ, frozen_clock

pytestmark = pytest.mark.django_db


def _at(hour: int, minute: int, day: int = 15) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=BUSINESS_TZ)


def _read(actor: Actor, account_id: int, at: dt.datetime, view: str, **details: object) -> None:
    with frozen_clock(at):
        record_event(
            actor,
            "account.read",
            subject_account_id=account_id,
            purpose="柜台查询",
            details={"view": view, **details},
        )


def test_reads_fold_into_visits_by_reader_channel_and_gap(owner, clerk):
    """Reads of one reader through one channel, each within 30 minutes of the one before, are
    one visit; a 31-minute pause, another channel or another reader starts a new one. The
    system's own reads are no visit."""
    from hpf.oversight.selectors import reader_visits, readers_of

    staff = Actor(f"staff:{clerk.user_id}", "counter")
    own_web = Actor(f"depositor:{owner.depositor_id}", "web")
    own_app = Actor(f"depositor:{owner.depositor_id}", "mobile")
    for minute, view in ((0, "overview"), (20, "deposits"), (50, "deposits")):
        _read(staff, owner.pk, _at(9, minute), view, idcheck_session=1)
    _read(staff, owner.pk, _at(10, 21), "loans")  # 31 minutes after 09:50: a new visit
    _read(own_web, owner.pk, _at(9, 5), "overview")
    _read(own_app, owner.pk, _at(9, 6), "overview")  # another channel: its own line
    _read(Actor.cli("demo-logins"), owner.pk, _at(8, 0), "demo-logins")
    _read(Actor.system("settle"), owner.pk, _at(8, 1), "interest")

    readers = readers_of(owner.pk, owner.depositor_id)
    assert {r.reader_kind for r in readers} == {"staff", "depositor", "system"}
    visits = reader_visits([r for r in readers if r.reader_kind != "system"])
    lines = [(v.who[:2], v.channel, v.first, v.last, v.reads, v.pages) for v in visits]
    assert lines == [
        ("柜员", "counter", _at(10, 21), _at(10, 21), 1, ("贷款",)),
        ("柜员", "counter", _at(9, 0), _at(9, 50), 3, ("账户总览", "缴存明细")),
        ("本人", "mobile", _at(9, 6), _at(9, 6), 1, ("账户总览",)),
        ("本人", "web", _at(9, 5), _at(9, 5), 1, ("账户总览",)),
    ]
    assert visits[1].idchecked and visits[1].purposes == ("柜台查询",)


def test_the_readers_page_in_english_counts_a_visit(client, owner, clerk, signed_in):
    from django.conf import settings

    staff = Actor(f"staff:{clerk.user_id}", "counter")
    for minute in range(5):
        _read(staff, owner.pk, _at(9, minute), "overview", idcheck_session=1)
    _read(Actor.cli("demo-logins"), owner.pk, _at(8, 0), "demo-logins")
    signed_in(client, owner)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get("/portal/services/readers/").content.decode()
    readers = html.split('data-testid="readers"')[1].split("</ol>")[0]
    assert "read 5 times" in readers and "Account overview" in readers
    assert "Automatic processing" in readers and "demo-logins" not in readers
    assert "命令行" not in readers and "演示登录信息" not in readers


@pytest.mark.parametrize(
    ("agent", "label"),
    [
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Safari/537.36",
            "Chrome · Windows",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
            "Safari · iPhone",
        ),
        (
            "Mozilla/5.0 (Linux; Android 12; HUAWEI P50) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/120.0 Mobile Safari/537.36",
            "Chrome · 华为手机",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like "
            "Gecko) Version/17.4 Safari/605.1.15",
            "Safari · macOS",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0",
            "Edge · Windows",
        ),
        ("", "未识别的设备"),
    ],
)
def test_device_names(agent, label):
    from django.utils import translation

    from hpf.identity.devices import device_label

    with translation.override("zh-hans"):
        assert device_label(agent) == label


def test_device_names_in_english():
    from django.utils import translation

    from hpf.identity.devices import device_label

    with translation.override("en"):
        assert device_label("Mozilla/5.0 (Linux; Android 14) Chrome/120.0 Mobile") == (
            "Chrome · Android phone"
        )


@pytest.mark.parametrize("years", ["0", "31", "2.5", "abc", ""])
def test_the_calculator_names_years_as_its_field_does(client, years):
    html = client.get(
        "/portal/calculators/loan/", {"principal": "300000", "years": years}
    ).content.decode()
    assert "贷款年限须为 1–30 之间的整数年，如 30" in html
    assert "个月之间" not in html


def test_anonymous_visitors_see_no_account_tabs_and_the_signed_in_do(client, owner, signed_in):
    html = client.get("/portal/calculators/loan/").content.decode()
    assert 'aria-label="账户导航"' not in html and "退出登录" not in html
    signed_in(client, owner)
    html = client.get("/portal/calculators/loan/").content.decode()
    assert 'aria-label="账户导航"' in html


def test_every_base_page_links_the_site_icon(client):
    """Every template that starts an HTML page links the vendored icon; ``/favicon.ico`` (what
    browsers ask for elsewhere: the admin, JSON) leads to the ICO among the static files."""
    from django.contrib.staticfiles import finders

    root = Path(__file__).resolve().parents[3]
    pages = [p for p in root.rglob("templates/**/*.html") if "<!doctype" in p.read_text().lower()]
    assert len(pages) >= 8
    for page in pages:
        text = page.read_text()
        assert 'rel="icon"' in text and "hpf/favicon.svg" in text, page
    assert finders.find("hpf/favicon.svg") and finders.find("hpf/favicon.ico")
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("hpf/favicon.ico")
    for path in ("/", "/portal/login/", "/portal/calculators/loan/", "/staff/login/"):
        assert b'rel="icon"' in client.get(path).content, path
