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


def _po_entries(path: Path) -> dict[str | tuple[str, str], str | tuple[str, str]]:
    """msgid (or (msgctxt, msgid)) -> msgstr (or the two plural forms)."""
    entries: dict[str | tuple[str, str], str | tuple[str, str]] = {}
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        fields: dict[str, str] = {}
        current = None
        for line in block.splitlines():
            m = re.match(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d\])?) (".*")$', line)
            if m:
                current = m.group(1)
                fields[current] = ast.literal_eval(m.group(2))
            elif line.startswith('"') and current:
                fields[current] += ast.literal_eval(line)
        if fields.get("msgid"):
            key: str | tuple[str, str] = (
                (fields["msgctxt"], fields["msgid"]) if "msgctxt" in fields else fields["msgid"]
            )
            entries[key] = (
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
    for key, text in entries.items():
        if isinstance(key, tuple):
            assert isinstance(text, str) and text, key
            assert compiled.pgettext(*key) == text, key
        elif isinstance(text, tuple):
            assert all(text), key
            assert compiled.ngettext(key, key, 2) == text[1], key
        else:
            assert text, key
            assert compiled.gettext(key) == text, key


PORTAL = LOCALE.parents[2]
HPF = PORTAL.parents[1]
# The sign-in side: its views, forms and templates, and the refusals of hpf.identity they show.
SIGN_IN_PYTHON = [
    PORTAL / "identity_views.py",
    PORTAL / "identity_forms.py",
    *sorted((HPF / "identity").glob("*.py")),
]
SIGN_IN_TEMPLATES = sorted((PORTAL / "templates" / "portal" / "identity").glob("*.html"))
GETTEXT_NAMES = {"_", "gettext", "gettext_lazy", "gettext_noop", "pgettext", "pgettext_lazy"}
TEMPLATE_TAG = re.compile(
    r"""{%\s*(?:translate|trans)\s+("[^"]*"|'[^']*')(?:\s+context\s+("[^"]*"|'[^']*'))?"""
)


def _python_messages(path: Path) -> set[str | tuple[str, str]]:
    found: set[str | tuple[str, str]] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            continue
        if node.func.id not in GETTEXT_NAMES:
            continue
        texts = [a.value for a in node.args if isinstance(a, ast.Constant)]
        strings = [t for t in texts if isinstance(t, str)]
        if not strings or len(strings) != len(node.args):
            continue
        if node.func.id.startswith("pgettext"):
            found.add((strings[0], strings[1]))
        else:
            found.add(strings[0])
    return found


BLOCK_TAG = re.compile(r"{%\s*blocktranslate\s*%}(.*?){%\s*endblocktranslate\s*%}", re.S)


def _template_messages(path: Path) -> set[str | tuple[str, str]]:
    found: set[str | tuple[str, str]] = set()
    source = path.read_text(encoding="utf-8")
    for m in TEMPLATE_TAG.finditer(source):
        text = m.group(1)[1:-1]
        found.add((m.group(2)[1:-1], text) if m.group(2) else text)
    for m in BLOCK_TAG.finditer(source):
        found.add(re.sub(r"{{\s*(\w+)\s*}}", r"%(\1)s", m.group(1)))
    return found


def test_sign_in_side_is_in_the_english_catalog():
    """Every message of the sign-in, registration and security pages — templates, views,
    forms and the refusals of hpf.identity — has an English text in the catalog."""
    entries = _po_entries(LOCALE / "django.po")
    wanted: set[str | tuple[str, str]] = set()
    for path in SIGN_IN_PYTHON:
        wanted |= _python_messages(path)
    for path in SIGN_IN_TEMPLATES:
        wanted |= _template_messages(path)
    assert len(wanted) > 150
    missing = sorted(map(str, wanted - entries.keys()))
    assert not missing, missing


def test_identity_refusals_are_marked_for_translation():
    """No plain Chinese literal is raised as an InvalidInput in hpf.identity, and each refusal
    class's default message is marked (so the catalog test above sees it)."""
    for path in sorted((HPF / "identity").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "InvalidInput":
                assert node.args and not isinstance(node.args[0], ast.Constant), (
                    f"{path.name}:{node.lineno}: wrap the message in gettext"
                )
            if isinstance(node, ast.Assign) and any(
                getattr(t, "id", "") == "default_message" for t in node.targets
            ):
                assert isinstance(node.value, ast.Call), f"{path.name}:{node.lineno}"
                assert getattr(node.value.func, "id", "") == "gettext_noop"
