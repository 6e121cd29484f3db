"""English is more than labels: in English the depositor's pages give the words for codes
(an account's status, business types, withdrawal and dispute states and their timelines),
the interest formula and the dispute messages in English too. Only what a person wrote or
is called — names, an employer's name, a description typed in — stays as written."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client

from hpf.common.clock import frozen_clock
from hpf.disputes.models import DisputeKind
from hpf.disputes.services import dispute_file
from hpf.interest.services import interest_settle
from hpf.withdrawals.services import (
    withdrawal_approve,
    withdrawal_pay,
    withdrawal_review,
    withdrawal_submit,
)

pytestmark = pytest.mark.django_db

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
PAGES = (
    "/portal/",
    "/portal/deposits/",
    "/portal/interest/",
    "/portal/withdrawals/",
    "/portal/services/disputes/",
)
TYPED = "缴存基数与工资条不符"  # what the depositor typed: stays as written


def _main(html: str) -> str:
    match = re.search(r"<main[^>]*>(.*)</main>", html, re.S)
    assert match, "the page has a main landmark"
    return re.sub(r"<[^>]+>", " ", match.group(1))


@pytest.fixture
def history(owner, other, actor):
    """The owner with deposits, a settled interest year, a paid withdrawal and one under
    review, and a dispute that has moved on."""
    paid = withdrawal_submit(
        account_id=owner.pk, type="07", method="BANK_TRANSFER", amount="1000.00", actor=actor
    )
    withdrawal_review(withdrawal_id=paid.pk, actor=actor)
    withdrawal_approve(withdrawal_id=paid.pk, actor=actor)
    withdrawal_pay(withdrawal_id=paid.pk, actor=actor)
    pending = withdrawal_submit(
        account_id=owner.pk, type="07", method="BANK_TRANSFER", amount="500.00", actor=actor
    )
    withdrawal_review(withdrawal_id=pending.pk, actor=actor)
    with frozen_clock(dt.date(2027, 7, 2)):
        interest_settle(settlement_date=dt.date(2027, 6, 30), actor=actor)
    return owner


def _english(client: Client, account, signed_in) -> Client:
    signed_in(client, account)
    response = client.post("/portal/preferences/", {"language": "en", "next": "/portal/"})
    assert response.status_code == 303
    return client


def _allowed(account) -> tuple[str, ...]:
    depositor = account.depositor
    return (depositor.name, account.employer.name, TYPED)


def test_the_pages_values_are_english(client, history, signed_in):
    http = _english(client, history, signed_in)
    http.post(
        "/portal/services/disputes/",
        {"periods": "2026-09", "kind": DisputeKind.WRONG_AMOUNT, "description": TYPED},
    )
    untranslated = {}
    pages = {}
    for url in PAGES:
        response = http.get(url)
        assert response.status_code == 200, url
        text = pages[url] = _main(response.content.decode())
        for word in _allowed(history):
            text = text.replace(word, "")
        lines = [" ".join(line.split()) for line in text.splitlines() if HAN.search(line)]
        if lines:
            untranslated[url] = lines
    assert not untranslated, untranslated
    # and the words are there, in English
    assert "Active" in pages["/portal/"]
    assert "Monthly deposit" in pages["/portal/deposits/"]
    assert "carried balance" in pages["/portal/interest/"]
    assert "rounded to the fen once" in pages["/portal/interest/"]
    withdrawals = pages["/portal/withdrawals/"]
    assert "Renting a home" in withdrawals and "Under review" in withdrawals
    assert "Paid" in withdrawals and "To my bank card" in withdrawals
    disputes = pages["/portal/services/disputes/"]
    assert "Wrong deposit amount" in disputes and "Received" in disputes and "You" in disputes


def test_the_values_stay_chinese_in_chinese(client, history, signed_in):
    """The same pages in Chinese (the default) keep the Chinese words."""
    signed_in(client, history)
    overview = client.get("/portal/").content.decode()
    deposits = client.get("/portal/deposits/").content.decode()
    interest = client.get("/portal/interest/").content.decode()
    withdrawals = client.get("/portal/withdrawals/").content.decode()
    assert "正常" in overview
    assert "汇缴" in deposits and "结息" in deposits
    assert "上年结转余额" in interest and "四舍五入到分" in interest
    assert "审核中" in withdrawals and "租房" in withdrawals


def test_a_dispute_refused_in_english_says_why_in_english(client, history, signed_in):
    http = _english(client, history, signed_in)
    html = http.post(
        "/portal/services/disputes/",
        {"periods": "2099-01", "kind": DisputeKind.MISSING_DEPOSIT, "description": "x"},
    ).content.decode()
    error = re.search(r'<p class="error"[^>]*>(.*?)</p>', html, re.S)
    assert error and not HAN.search(error.group(1)), error


def test_what_is_kept_or_sent_stays_chinese_in_english(client, history, signed_in, actor):
    """A notice sent and a journal entry's description are the record: Chinese, whatever
    language the page was in."""
    from django.utils import translation

    from hpf.common.models import Notification

    with translation.override("en"):
        w = withdrawal_submit(
            account_id=history.pk, type="07", method="BANK_TRANSFER", amount="100.00", actor=actor
        )
        withdrawal_review(withdrawal_id=w.pk, actor=actor)
        withdrawal_approve(withdrawal_id=w.pk, actor=actor)
        withdrawal_pay(withdrawal_id=w.pk, actor=actor)
        dispute_file(
            actor.__class__(f"depositor:{history.depositor_id}", "web", "10.0.0.1"),
            account_id=history.pk,
            periods=[202609],
            kind=DisputeKind.OTHER,
            description=TYPED,
        )
    w.refresh_from_db()
    assert w.entry is not None and w.entry.description == "提取：租房"
    texts = list(Notification.objects.values_list("text", flat=True))
    assert any("状态变为：已入账" in t for t in texts), texts
    assert not any(re.search(r"[A-Za-z]{4,}", t.replace("WeChat", "")) for t in texts), texts


def test_every_word_for_a_code_has_english():
    """Each choice the depositor's pages show has an English word (the project catalogue)."""
    from django.utils import translation

    from hpf.disputes.models import DisputeStatus
    from hpf.ledger.models import Reason
    from hpf.loans.models import Loan, LoanMethod
    from hpf.registry.models import AccountStatus, FreezeMode
    from hpf.withdrawals.models import WithdrawalMethod, WithdrawalState, WithdrawalType

    enums = (
        AccountStatus,
        FreezeMode,
        Reason,
        WithdrawalType,
        WithdrawalState,
        WithdrawalMethod,
        DisputeKind,
        DisputeStatus,
        LoanMethod,
        Loan.Status,
    )
    with translation.override("en"):
        missing = [
            f"{enum.__name__}.{value}: {label}"
            for enum in enums
            for value, label in enum.choices
            if HAN.search(str(label))
        ]
    assert not missing, missing


def test_the_project_catalogue_is_complete_and_compiled():
    """hpf/locale: every message has an English text and the committed .mo says the same as
    the .po (a .po edited without ``make messages`` fails here)."""
    import gettext
    from pathlib import Path

    from django.conf import settings

    from hpf.channels.portal.tests.test_pwa import _po_entries

    locale = Path(settings.LOCALE_PATHS[0]) / "en" / "LC_MESSAGES"
    entries = _po_entries(locale / "django.po")
    assert len(entries) > 50
    with (locale / "django.mo").open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    for key, text in entries.items():
        assert isinstance(key, str) and isinstance(text, str) and text, key
        assert compiled.gettext(key) == text, key
