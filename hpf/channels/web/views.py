"""The public home page (until the depositor portal lands) and a health probe."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from hpf.common import clock
from hpf.common.policy import get_policy


def home(request: HttpRequest) -> HttpResponse:
    policy = get_policy()
    settlement = policy.interest.settlement_date(clock.today().year)
    rates = policy.interest_rates_for_year(settlement)
    rate = rates[-1].rate
    return render(
        request,
        "web/home.html",
        {"deposit_rate": f"{rate * 100:.2f}%", "policy_label": policy.label},
    )


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cur:
        cur.execute("SELECT 1")
    return JsonResponse({"status": "ok", "database": connection.vendor})
