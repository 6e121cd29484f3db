"""``/api/v1/docs``: the generated OpenAPI document as a readable page, rendered on the server
from the same document as ``/api/v1/openapi.json`` (nothing loaded from a CDN or any other
site, so it works on the centre's closed network), with forms that call the public
calculators."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from hpf.api.base import api


def docs(request: HttpRequest) -> HttpResponse:
    doc = api.get_openapi_schema()
    operations: list[dict[str, Any]] = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            security = op.get("security", [])
            scopes = [s for req in security for names in req.values() for s in names]
            parameters = [
                {
                    "name": p["name"],
                    "in": p["in"],
                    "required": p.get("required", False),
                    "description": p.get("description") or p["schema"].get("description", ""),
                }
                for p in op.get("parameters", [])
            ]
            operations.append(
                {
                    "body": _body_fields(doc, op),
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "public": not security,
                    "scopes": scopes,
                    "parameters": parameters,
                    "statuses": sorted(str(code) for code in op["responses"]),
                }
            )
    response = render(request, "api/docs.html", {"doc": doc, "operations": operations})
    response["Cache-Control"] = "no-store"
    return response


def _body_fields(doc: dict[str, Any], op: dict[str, Any]) -> list[dict[str, Any]]:
    """The fields of an operation's JSON request body (name, required, description)."""
    content = op.get("requestBody", {}).get("content", {}).get("application/json")
    if not content:
        return []
    ref = content["schema"].get("$ref", "")
    schema = doc["components"]["schemas"].get(ref.rsplit("/", 1)[-1], {})
    required = set(schema.get("required", []))
    return [
        {"name": name, "required": name in required, "description": prop.get("description", "")}
        for name, prop in schema.get("properties", {}).items()
    ]
