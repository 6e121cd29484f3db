"""Browser check (Debian's chromium, live server), desktop and 390 × 844: in English the
depositor's withdrawals, interest and disputes pages give their values in English — states,
business types, the interest formula, the dispute's timeline — with screenshots to look at."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.conf import settings

from hpf.common.clock import frozen_clock
from hpf.conftest import SIZES, browser_sign_in_depositor, screenshot
from hpf.disputes.models import DisputeKind
from hpf.disputes.services import dispute_file
from hpf.interest.services import interest_settle
from hpf.withdrawals.services import withdrawal_review, withdrawal_submit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def test_english_values_on_a_desktop_and_a_phone(sized_page, live_server, owner, other, actor):
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
    allowed = (owner.depositor.name, owner.employer.name)
    for name in SIZES:
        page = sized_page(name, locale="en-GB")
        page.context.add_cookies(
            [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url}]
        )
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
            screenshot(page, f"english-{slug}-{name}")
