"""Metrics for Prometheus at ``/metrics``.

Per process (or, with ``PROMETHEUS_MULTIPROC_DIR`` set for gunicorn's workers, summed over
them): request latency per view (the URL pattern's name, never the path, which may hold
numbers) and method, and errors (unhandled exceptions and 5xx answers) per view. Read from the
database at each scrape: the progress of running batch runs, the audit trail's link lag and
backlog, the replica's replay lag, the notification outbox's backlog.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from typing import Any

from django.db.models import Q
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from hpf.audit.services import pending
from hpf.common import dbrouter, notify
from hpf.common.models import Notification
from hpf.operations.models import BatchRun

# The process's own metrics (not the client library's default registry, which also carries
# process and platform collectors that mean nothing summed over workers).
_OWN = CollectorRegistry()
REQUEST_SECONDS = Histogram(
    "hpf_http_request_duration_seconds",
    "Time to answer a request, per view (URL name) and method.",
    ["view", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
    registry=_OWN,
)
REQUEST_ERRORS = Counter(
    "hpf_http_request_errors_total",
    "Requests that raised (kind=exception) or answered 5xx (kind=5xx), per view.",
    ["view", "kind"],
    registry=_OWN,
)


class StateCollector(Collector):
    """Gauges read from the database when Prometheus scrapes."""

    def collect(self) -> Iterator[Metric]:
        progress = GaugeMetricFamily(
            "hpf_batch_run_progress_ratio",
            "Share done of each running batch run.",
            labels=["kind", "run"],
        )
        done = GaugeMetricFamily(
            "hpf_batch_run_done", "Units done of each running batch run.", labels=["kind", "run"]
        )
        for run in BatchRun.objects.filter(state=BatchRun.State.RUNNING).only(
            "id", "kind", "progress_done", "progress_total"
        ):
            ratio = run.progress_done / run.progress_total if run.progress_total else 0.0
            progress.add_metric([run.kind, str(run.pk)], ratio)
            done.add_metric([run.kind, str(run.pk)], run.progress_done)
        yield progress
        yield done
        waiting = pending()
        yield GaugeMetricFamily(
            "hpf_audit_link_lag_seconds",
            "Age of the oldest audit event not yet linked into the chain (0: none waiting).",
            value=waiting.age_s(),
        )
        yield GaugeMetricFamily(
            "hpf_audit_pending_events", "Audit events waiting to be linked.", value=waiting.count
        )
        if dbrouter.replica_configured():
            yield GaugeMetricFamily(
                "hpf_replica_lag_seconds",
                "The standby's replay lag (+Inf: unreachable or not a standby).",
                value=dbrouter.replica_lag(),
            )
        to_try = Q(sms_state__in=notify.TO_TRY) | Q(email_state__in=notify.TO_TRY)
        yield GaugeMetricFamily(
            "hpf_notifications_backlog",
            "Notifications with a channel still to try (new or waiting for a retry).",
            value=Notification.objects.filter(to_try).count(),
        )
        yield GaugeMetricFamily(
            "hpf_notifications_failed",
            "Notifications with a channel given up on.",
            value=Notification.objects.filter(
                Q(sms_state=notify.GAVE_UP) | Q(email_state=notify.GAVE_UP)
            ).count(),
        )


def exposition() -> bytes:
    """The text exposition of every metric."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Every worker's request metrics, summed.
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry.register(_OwnCollector())
    registry.register(StateCollector())
    return generate_latest(registry)


class _OwnCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        yield from _OWN.collect()


class MetricsMiddleware:
    """Times every request and counts errors under the name of the view that answered."""

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = (match.view_name if match else "") or "unresolved"
        REQUEST_SECONDS.labels(view, request.method).observe(time.perf_counter() - started)
        if response.status_code >= 500:
            REQUEST_ERRORS.labels(view, "5xx").inc()
        return response

    def process_exception(self, request: Any, exception: Exception) -> None:
        match = getattr(request, "resolver_match", None)
        REQUEST_ERRORS.labels((match.view_name if match else "") or "unresolved", "exception").inc()
