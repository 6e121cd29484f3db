"""Browser check (Debian's chromium, live server), desktop and 390 × 844: in English the
depositor's withdrawals, interest and disputes pages give their values in English — states,
business types, the interest formula, the dispute's timeline — with screenshots to look at."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.conf import settings

from hpf.common.clock import frozen_clock
from hpf.conftest import browser_sign_in_depositor
from hpf.disputes.models import DisputeKind
from hpf.disputes.services import dispute_file
from hpf.interest.services import interest_settle
from hpf.withdrawals.services import withdrawal_review, withdrawal_submit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def test_english_values_on_a_desktop_and_a_phone(
    chromium, live_server, flushable_db, owner, other, actor
):
    pending = withdrawal_submit(
        account_id=owner.pk, type="07", method="BANK_TRANSFER", amount="500.00", actor=actor
    )
    withdrawal_review(withdrawal_id=pending.pk, actor=actor)
    with frozen_clock(dt.date(2027, 7, 2)):
        interest_settle(settlement_date=dt.date(2027, 6, 30), actor=actor)
    dispute_file(
        actor.__class__(f"depositor:{owner.depositor_id}", "web", "10.0.0.1"),
        account_id=owner.pk,
        periods=[202609],
        kind=DisputeKind.WRONG_AMOUNT,
        description="September deposit looks short",
    )
    shots = Path(settings.VAR_DIR) / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    allowed = (owner.depositor.name, owner.employer.name)
    for name, viewport, mobile in (
        ("desktop", {"width": 1366, "height": 900}, False),
        ("phone", {"width": 390, "height": 844}, True),
    ):
        context = chromium.new_context(
            base_url=live_server.url,
            locale="en-GB",
            viewport=viewport,
            is_mobile=mobile,
            has_touch=mobile,
            device_scale_factor=2 if mobile else 1,
        )
        context.set_default_timeout(15_000)
        context.add_cookies(
            [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url}]
        )
        page = context.new_page()
        browser_sign_in_depositor(page, live_server.url, owner.depositor_id)
        for path, words in (
            ("/portal/withdrawals/", ("Renting a home", "Under review", "To my bank card")),
            ("/portal/interest/", ("carried balance", "rounded to the fen once")),
            ("/portal/services/disputes/", ("Wrong deposit amount", "Received", "You")),
        ):
            page.goto(path)
            text = page.locator("main").inner_text()
            for word in allowed:
                text = text.replace(word, "")
            assert not HAN.findall(text), (path, HAN.findall(text))
            for word in words:
                assert word in text, (path, word)
            slug = path.strip("/").replace("/", "-")
            page.screenshot(path=str(shots / f"english-{slug}-{name}.png"), full_page=True)
        context.close()
