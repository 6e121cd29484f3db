"""The portal's public pages, no sign-in: the loan and monthly-deposit calculators, the web app
manifest, the service worker and its offline page, and the display preferences."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from hpf.channels.portal.prefs import LARGE_COOKIE, ONE_YEAR, page_context
from hpf.common import clock
from hpf.common.calculators import (
    CalculatorInputError,
    deposit_trial,
    loan_trial,
    parse_fraction,
    parse_term_years,
    parse_yuan,
)

# The only things the service worker ever stores: public, unchanging, no personal data.
SW_CACHE = "hpf-portal-static-v1"


def sw_allow_list() -> list[str]:
    return [
        reverse("portal:offline"),
        static("portal/portal.css"),
        static("portal/icon.svg"),
    ]


def _render(request: HttpRequest, template: str, tab: str, **context: Any) -> HttpResponse:
    return render(request, template, {**page_context(request), "tab": tab, **context})


def loan_calculator(request: HttpRequest) -> HttpResponse:
    """贷款试算: amount, term, method, first home or not; the rate in force today per the
    policy unless the person types one."""
    trial = None
    error = ""
    form = {
        "principal": request.GET.get("principal", "").strip(),
        "years": request.GET.get("years", "").strip(),
        "method": request.GET.get("method", "ANNUITY"),
        "first_home": request.GET.get("first_home", "1"),
        "rate": request.GET.get("rate", "").strip(),
    }
    if form["principal"]:
        try:
            principal_fen = parse_yuan(form["principal"], "贷款金额")
            trial = loan_trial(
                principal_fen=principal_fen,
                months=parse_term_years(form["years"]),
                method=form["method"],
                first_home=form["first_home"] == "1",
                annual_rate=parse_fraction(form["rate"], "年利率") if form["rate"] else None,
                on=clock.today(),
            )
        except CalculatorInputError as exc:
            error = exc.message
    return _render(
        request,
        "portal/calc_loan.html",
        "calc",
        trial=trial,
        error=error,
        form=form,
        preview=trial.schedule.instalments[:12] if trial else (),
    )


def deposit_calculator(request: HttpRequest) -> HttpResponse:
    """月缴存额试算: base and both ratios under the rules in force this month."""
    split = None
    error = ""
    form = {
        "base": request.GET.get("base", "").strip(),
        "employer_ratio": request.GET.get("employer_ratio", "12%").strip(),
        "employee_ratio": request.GET.get("employee_ratio", "12%").strip(),
    }
    if form["base"]:
        try:
            split = deposit_trial(
                base_fen=parse_yuan(form["base"], "缴存基数"),
                employer_ratio=parse_fraction(form["employer_ratio"], "单位比例", high=Decimal(1)),
                employee_ratio=parse_fraction(form["employee_ratio"], "个人比例", high=Decimal(1)),
                on=clock.today(),
            )
        except CalculatorInputError as exc:
            error = exc.message
    return _render(request, "portal/calc_deposit.html", "calc", split=split, error=error, form=form)


def offline(request: HttpRequest) -> HttpResponse:
    """What the service worker shows when the network is gone: nothing personal."""
    response = _render(request, "portal/offline.html", "", signed_in=False)
    response["Cache-Control"] = "public, max-age=86400"
    return response


def manifest(request: HttpRequest) -> JsonResponse:
    start = reverse("portal:overview")
    data = {
        "name": "昆明住房公积金 · 个人网上业务大厅",
        "short_name": "昆明公积金",
        "lang": "zh-Hans",
        "start_url": start,
        "scope": start,
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0b5cad",
        "icons": [
            {"src": static("portal/icon.svg"), "sizes": "any", "type": "image/svg+xml"},
        ],
    }
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    return response


def service_worker(request: HttpRequest) -> HttpResponse:
    body = render_to_string(
        "portal/sw.js",
        {"cache_name": SW_CACHE, "allow": sw_allow_list(), "offline": reverse("portal:offline")},
    )
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    # The browser checks for a new worker on every navigation; never a stale one.
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = reverse("portal:overview")
    return response


@require_POST
def preferences(request: HttpRequest) -> HttpResponse:
    """Large-text mode on/off and the language, remembered in cookies for a year."""
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("portal:calc_loan")
    response = HttpResponseRedirect(target, status=303)
    large = request.POST.get("large")
    if large in ("0", "1"):
        response.set_cookie(
            LARGE_COOKIE, large, max_age=ONE_YEAR, samesite="Lax", secure=request.is_secure()
        )
    lang = request.POST.get("language")
    if lang in dict(settings.LANGUAGES):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            lang,
            max_age=ONE_YEAR,
            samesite="Lax",
            secure=request.is_secure(),
        )
    return response
