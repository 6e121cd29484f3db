"""``/healthz``, ``/readyz`` and ``/metrics``.

``/healthz`` answers 200 while the process can answer at all (liveness: it touches nothing,
so a database outage does not get healthy workers restarted). ``/readyz`` answers 200 when this
node can serve: the primary answers a query and the cache stores and returns a value; the
standby's lag is reported (``ok``, ``lagging``, ``unreachable`` or ``none``) but does not make
the node unready, because the router then reads the primary. 503 otherwise, naming the check.

``/metrics`` is for the monitoring server only: a request must carry
``Authorization: Bearer <HPF_METRICS_TOKEN>`` or come from an address in
``HPF_METRICS_ALLOWED_IPS`` (empty by default: behind a reverse proxy on the same host every
request comes from 127.0.0.1, so an address list is only safe where the proxy does not forward
``/metrics``). Anything else gets a 404, as if there were no such page.
"""

from __future__ import annotations

import hmac
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse

from hpf.common import dbrouter
from hpf.ops.metrics import exposition


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def _check_database() -> str:
    try:
        with connections["default"].cursor() as cur:
            cur.execute("SELECT 1")
            cur.fetchone()
    except Exception:
        return "down"
    return "ok"


def _check_cache() -> str:
    key = f"hpf:readyz:{uuid.uuid4().hex}"
    try:
        cache.set(key, "1", 10)
        ok = cache.get(key) == "1"
        cache.delete(key)
    except Exception:
        return "down"
    return "ok" if ok else "down"


def _check_replica() -> str:
    if not dbrouter.replica_configured():
        return "none"
    lag = dbrouter.replica_lag(fresh=True)
    if lag == float("inf"):
        return "unreachable"
    return "ok" if lag <= settings.HPF_REPLICA_MAX_LAG_S else "lagging"


def readyz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _check_database(), "cache": _check_cache(), "replica": _check_replica()}
    ready = checks["database"] == "ok" and checks["cache"] == "ok"
    return JsonResponse(
        {"status": "ready" if ready else "unready", "checks": checks}, status=200 if ready else 503
    )


def _metrics_allowed(request: HttpRequest) -> bool:
    token = settings.HPF_METRICS_TOKEN
    given = request.META.get("HTTP_AUTHORIZATION", "")
    if (
        token
        and given.startswith("Bearer ")
        and hmac.compare_digest(given[len("Bearer ") :].encode(), token.encode())
    ):
        return True
    return request.META.get("REMOTE_ADDR", "") in settings.HPF_METRICS_ALLOWED_IPS


def metrics(request: HttpRequest) -> HttpResponse:
    if not _metrics_allowed(request):
        raise Http404
    return HttpResponse(exposition(), content_type="text/plain; version=0.0.4; charset=utf-8")
