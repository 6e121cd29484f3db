"""The public home page (until the depositor portal lands) and a health probe."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from hpf.common.policy import get_policy


def home(request: HttpRequest) -> HttpResponse:
    policy = get_policy()
    return render(request, "web/home.html", {"policy": policy})


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cur:
        cur.execute("SELECT 1")
    return JsonResponse({"status": "ok", "database": connection.vendor})
