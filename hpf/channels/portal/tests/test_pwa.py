"""The installable app: manifest, service worker (caches only public static files), offline
page, and the English catalog compiled and current."""

from __future__ import annotations

import ast
import gettext
import json
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.django_db

LOCALE = Path(__file__).resolve().parents[1] / "locale" / "en" / "LC_MESSAGES"


def _allow_list(js: str) -> list[str]:
    match = re.search(r"const ALLOW = (\[.*?\]);", js)
    assert match, "the service worker names its allow-list"
    return json.loads(match.group(1))


def test_service_worker_caches_only_public_static_files(client):
    response = client.get("/portal/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    js = response.content.decode()
    allow = _allow_list(js)
    assert allow == ["/portal/offline/", "/static/portal/portal.css", "/static/portal/icon.svg"]
    # Nothing personal and no API path is in it.
    for url in allow:
        assert not url.startswith("/api/")
        assert url == "/portal/offline/" or url.startswith("/static/")
    # The only cache writes are the install-time addAll of that list: no cache.put anywhere,
    # so no response fetched at run time (a personal page, an API answer) is ever stored.
    assert js.count("cache.addAll(ALLOW)") == 1
    assert ".put(" not in js and "cache.add(" not in js
    # The fetch handler answers from the cache only for allowed URLs (and the offline page
    # when a navigation fails).
    assert "ALLOW.includes(url.pathname)" in js
    assert "caches.match(OFFLINE)" in js


def test_personal_pages_and_api_say_no_store(client, owner, signed_in):
    signed_in(client, owner)
    for url in ("/portal/", "/portal/deposits/", "/portal/interest/", "/portal/loans/"):
        assert "no-store" in client.get(url)["Cache-Control"], url
    assert client.get("/api/v1/me/account")["Cache-Control"] == "no-store"


def test_offline_page_is_public_and_cacheable(client):
    response = client.get("/portal/offline/")
    assert response.status_code == 200
    assert "public" in response["Cache-Control"]
    assert "网络未连接" in response.content.decode()


def test_manifest(client):
    response = client.get("/portal/manifest.webmanifest")
    data = json.loads(response.content)
    assert response["Content-Type"] == "application/manifest+json"
    assert data["start_url"] == "/portal/" and data["scope"] == "/portal/"
    assert data["display"] == "standalone" and data["icons"]


def test_calculators_need_no_sign_in(client):
    html = client.get(
        "/portal/calculators/loan/?principal=120000&years=1&method=EQUAL_PRINCIPAL"
    ).content.decode()
    assert 'data-testid="first-payment"' in html
    html = client.get("/portal/calculators/deposit/?base=10000").content.decode()
    assert 'data-testid="deposit-total">2,400.00<' in html
    html = client.get("/portal/calculators/loan/?principal=-5&years=1").content.decode()
    assert 'role="alert"' in html


def _po_entries(path: Path) -> dict[str, str | tuple[str, str]]:
    entries: dict[str, str | tuple[str, str]] = {}
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        fields: dict[str, str] = {}
        current = None
        for line in block.splitlines():
            m = re.match(r'^(msgid|msgid_plural|msgstr(?:\[\d\])?) (".*")$', line)
            if m:
                current = m.group(1)
                fields[current] = ast.literal_eval(m.group(2))
            elif line.startswith('"') and current:
                fields[current] += ast.literal_eval(line)
        if fields.get("msgid"):
            entries[fields["msgid"]] = (
                (fields["msgstr[0]"], fields["msgstr[1]"])
                if "msgid_plural" in fields
                else fields["msgstr"]
            )
    return entries


def test_english_catalog_is_complete_and_compiled():
    """Every message has an English text, and the committed .mo says the same as the .po
    (a .po edited without ``make messages`` fails here)."""
    entries = _po_entries(LOCALE / "django.po")
    assert len(entries) > 100
    with (LOCALE / "django.mo").open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    for msgid, text in entries.items():
        if isinstance(text, tuple):
            assert all(text), msgid
            assert compiled.ngettext(msgid, msgid, 2) == text[1], msgid
        else:
            assert text, msgid
            assert compiled.gettext(msgid) == text, msgid
