"""The public home page (until the depositor portal lands) and a health probe."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static

from hpf.audit.services import Actor
from hpf.common import clock
from hpf.common.policy import get_policy
from hpf.registry.access import access_account
from hpf.registry.models import FundAccount


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


def favicon(request: HttpRequest) -> HttpResponse:
    """``/favicon.ico``, which browsers ask for on pages without an icon link (the admin, JSON):
    the site icon among the static files."""
    response = HttpResponsePermanentRedirect(static("hpf/favicon.ico"))
    response["Cache-Control"] = "public, max-age=86400"
    return response


def bench_pk(request: HttpRequest, account_id: int) -> JsonResponse:
    """Benchmarks only (routed when ``HPF_BENCH_ENDPOINTS`` is set): one primary-key read, no
    session, no audit — the ceiling the portal's pages are measured against."""
    found = FundAccount.objects.filter(pk=account_id).values_list("pk", flat=True).first()
    return JsonResponse({"found": found is not None})


def bench_audited(request: HttpRequest, account_id: int, depositor_id: int) -> JsonResponse:
    """Benchmarks only: the same read through ``access_account`` as the depositor, so one
    audit event (a sealed INSERT and its commit; linking into the chain happens after commit)
    — what a portal page view pays for its one audited read on top of its own queries."""
    actor = Actor(f"depositor:{depositor_id}", "web", request.META.get("REMOTE_ADDR"))
    account = access_account(actor, account_id, view="bench")
    return JsonResponse({"found": account.pk == account_id})
