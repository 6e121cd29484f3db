"""The stand-in app's "face verified" step: pick a demo person (the real app scans a face)."""

from __future__ import annotations

from django.contrib.auth import login
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

from devtools.govapp_idp.people import people


def login_view(request: HttpRequest) -> HttpResponse:
    target = request.GET.get("next") or request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    if request.method == "POST":
        subject = request.POST.get("subject", "")
        if any(p["subject"] == subject for p in people()):
            user, _created = User.objects.get_or_create(username=subject)
            login(request, user)
            return HttpResponseRedirect(target)
    return render(request, "idp_login.html", {"people": people(), "next": target})


def home_view(request: HttpRequest) -> HttpResponse:
    """Where "返回办事通" leads in the demo: the stand-in app's home."""
    return HttpResponse(
        "<!doctype html><meta charset=utf-8><title>一部手机办事通</title>"
        "<h1>一部手机办事通（演示首页）</h1><p>这是开发和测试用的替身。</p>"
    )
