"""``/api/v1/docs``: the OpenAPI document as a readable page (server-rendered, no script from a
CDN), with forms that call the public calculators."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from hpf.api.openapi import openapi_document


def docs(request: HttpRequest) -> HttpResponse:
    doc = openapi_document()
    operations: list[dict[str, Any]] = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            security = op.get("security", [])
            scopes = [s for req in security for s in req.get("bearer", [])]
            operations.append(
                {
                    "method": method.upper(),
                    "path": f"/api/v1{path}",
                    "summary": op["summary"],
                    "public": not security,
                    "scopes": scopes,
                    "parameters": op.get("parameters", []),
                    "statuses": sorted(op["responses"]),
                }
            )
    return render(request, "api/docs.html", {"doc": doc, "operations": operations})
