"""Every response an API test receives is checked against the API's generated OpenAPI document.

``check_response`` finds the operation (path template and method) the request reached and
requires its status to be documented for that operation and its body to validate (JSON Schema
2020-12, formats checked) against the documented schema of its content type; an unknown path
must be a documented-shape 404, an undocumented method a 405 naming the allowed ones. Every
answer must also be ``Cache-Control: no-store``. A response the document does not describe
fails the test. ``validating_client`` installs the check on django's test ``Client`` for the
duration of a test (the API and sync test conftests use it autouse).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

from django.test import Client
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

PREFIXES = ("/api/v1/", "/api/sync/", "/api/partner/")
# The documents themselves and the readable page are not operations of the API.
NOT_OPERATIONS = (
    "/api/v1/openapi.json",
    "/api/v1/docs",
    "/api/sync/v1/openapi.json",
    "/api/partner/v1/openapi.json",
)


@cache
def documents() -> tuple[dict[str, Any], ...]:
    from hpf.api.base import api
    from hpf.partners.api import api as partner_api
    from hpf.sync.api import api as sync_api

    # Through JSON, as a client reads it (status keys become strings).
    return tuple(
        json.loads(json.dumps(a.get_openapi_schema())) for a in (api, sync_api, partner_api)
    )


def _template(path: str) -> re.Pattern[str]:
    parts = re.split(r"\{[^}]+\}", path)
    return re.compile("^" + "[^/]+".join(re.escape(p) for p in parts) + "$")


def _validate(doc: dict[str, Any], schema: dict[str, Any], body: Any, where: str) -> None:
    root = {"components": doc["components"], **schema}
    validator = Draft202012Validator(root, format_checker=Draft202012Validator.FORMAT_CHECKER)
    problems = sorted(validator.iter_errors(body), key=lambda e: list(e.path))
    assert not problems, f"{where}: the body does not match the document: " + "; ".join(
        f"{list(p.path)}: {p.message}" for p in problems[:5]
    )


def _error_schema(doc: dict[str, Any]) -> dict[str, Any]:
    name = next(n for n in ("ErrorOut", "SyncErrorOut") if n in doc["components"]["schemas"])
    return {"$ref": f"#/components/schemas/{name}"}


def check_response(method: str, path: str, response: Any) -> None:
    if not path.startswith(PREFIXES) or path in NOT_OPERATIONS:
        return
    where = f"{method} {path} → {response.status_code}"
    assert response.get("Cache-Control") == "no-store", f"{where}: not no-store"
    api_doc, sync_doc, partner_doc = documents()
    doc = (
        sync_doc
        if path.startswith("/api/sync/")
        else partner_doc
        if path.startswith("/api/partner/")
        else api_doc
    )
    item = next((i for p, i in doc["paths"].items() if _template(p).match(path)), None)
    body = None
    if response.get("Content-Type", "").startswith("application/json"):
        body = json.loads(response.content)
    if item is None:
        assert response.status_code == 404, f"{where}: a path the document does not describe"
        _validate(doc, _error_schema(doc), body, where)
        return
    operation = item.get(method.lower())
    if operation is None:
        assert response.status_code == 405, f"{where}: a method the document does not describe"
        assert response.get("Allow"), f"{where}: 405 without Allow"
        _validate(doc, _error_schema(doc), body, where)
        return
    documented = operation["responses"].get(str(response.status_code))
    assert documented is not None, (
        f"{where}: status not in the document (documented: {sorted(operation['responses'])})"
    )
    media = response.get("Content-Type", "").split(";")[0].strip()
    content = documented.get("content", {})
    assert media in content, f"{where}: content type {media!r} not documented ({list(content)})"
    if media == "application/json":
        _validate(doc, content[media]["schema"], body, where)


@contextmanager
def validating_client(monkeypatch: Any) -> Iterator[None]:
    original = Client.request

    def request(self: Client, **environ: Any) -> Any:
        response = original(self, **environ)
        check_response(environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", ""), response)
        return response

    monkeypatch.setattr(Client, "request", request)
    yield
