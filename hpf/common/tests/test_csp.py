"""Content Security Policy (issue 11, item 14): every page is sent a policy that allows
scripts and styles only from our own files or inline blocks carrying the request's nonce, and
every inline block in the pages carries it (the browser tests prove the pages still work)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

PAGES = ["/", "/verify/", "/portal/login/", "/staff/login/", "/portal/calculators/loan/"]


@pytest.mark.parametrize("path", PAGES)
def test_pages_carry_a_policy_and_every_inline_block_its_nonce(path):
    response = Client().get(path, follow=True)
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    directives = dict(
        [*part.strip().split(" ", 1), ""][:2] for part in policy.split(";") if part.strip()
    )
    assert "'unsafe-inline'" not in directives["script-src"]
    assert "'unsafe-inline'" not in directives["style-src"]
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    html = response.content.decode()
    nonce = re.search(r"'nonce-([^']+)'", directives["script-src"])
    for tag in re.findall(r"<(?:script|style)\b[^>]*>", html):
        if "src=" in tag:
            continue
        assert nonce is not None and f'nonce="{nonce.group(1)}"' in tag, tag
    assert not re.search(r"\son[a-z]+=\"", html), "inline event handler"
