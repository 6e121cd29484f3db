"""The public verification page (证明核验): no login. Anyone holding a certificate can check
it by its QR code (``/verify/<serial>?c=<code>``), by typing serial and code (``/verify/``), or
by uploading the PDF (``/verify/upload/``: is the centre's signature intact, and is the
certificate inside still valid). A wrong code and an unknown serial get the same "not found"."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from hpf.certificates.codes import normalise_serial
from hpf.certificates.pdf import pdf_check
from hpf.certificates.selectors import certificate_verify
from hpf.channels.verify import throttle


def _client(request: HttpRequest) -> tuple[str | None, str]:
    """The client's address for the audit trail, and its throttling key: the address, or for
    IPv6 its /64 (one subscriber's whole prefix, which a guesser could otherwise rotate
    through). Behind the centre's reverse proxy the WSGI server must put the client's address
    in REMOTE_ADDR (e.g. gunicorn's forwarded-allow-ips); X-Forwarded-For is not trusted here."""
    addr = str(request.META.get("REMOTE_ADDR") or "") or None
    try:
        ip = ipaddress.ip_address(addr or "")
    except ValueError:
        return None, "unknown"
    if ip.version == 6:
        return addr, str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return addr, str(ip)


def _throttled(request: HttpRequest) -> HttpResponse:
    response = render(
        request,
        "verify/message.html",
        {
            "title": _("查询过于频繁"),
            "message": _("查询过于频繁，请稍后再试。如多次输入错误，请核对证明上的编号和核验码。"),
        },
        status=429,
    )
    response["Retry-After"] = str(settings.HPF_VERIFY_WINDOW_S)
    return response


def _lookup(request: HttpRequest, serial: str, code: str, via: str) -> HttpResponse:
    addr, client = _client(request)
    key = normalise_serial(serial)
    if not throttle.admit(client, key):
        return _throttled(request)
    found = certificate_verify(serial=serial, code=code, client_addr=addr, via=via)
    if found is None:
        throttle.record_failure(client, key)
        return render(request, "verify/not_found.html", {"serial": key}, status=404)
    return render(request, "verify/result.html", {"cert": found})


@never_cache
@require_http_methods(["GET", "POST"])
def verify_form(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _lookup(
            request, request.POST.get("serial", ""), request.POST.get("code", ""), "form"
        )
    return render(request, "verify/form.html", {})


@never_cache
@require_http_methods(["GET"])
def verify_link(request: HttpRequest, serial: str) -> HttpResponse:
    return _lookup(request, serial, request.GET.get("c", ""), "qr")


@never_cache
@require_http_methods(["POST"])
def verify_upload(request: HttpRequest) -> HttpResponse:
    limit = settings.HPF_VERIFY_UPLOAD_MAX_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    upload = request.FILES.get("pdf") if declared <= limit else None
    if upload is None or upload.size is None or upload.size > limit:
        return render(
            request,
            "verify/message.html",
            {
                "title": _("无法检查"),
                "message": _("请选择证明的 PDF 文件（不超过 %(mb)d MB）。")
                % {"mb": limit // 2**20},
            },
            status=400 if declared <= limit else 413,
        )
    addr, client = _client(request)
    if not throttle.admit(client, ""):
        return _throttled(request)
    check = pdf_check(upload.read())
    found = None
    if check.genuine and check.serial:
        found = certificate_verify(
            serial=check.serial, code=check.code, client_addr=addr, via="upload"
        )
    if found is None:
        throttle.record_failure(client, "")
    return render(
        request,
        "verify/upload_result.html",
        {"check": check, "cert": found},
        status=200 if found else 422,
    )
