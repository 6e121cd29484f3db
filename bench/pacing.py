"""Open-loop pacing on loopback, shared by the benchmarks: requests sent at a fixed rate
whatever the server answers, each one's latency counted from the moment it was due (so queueing
shows, in the server and in this client), at most ``in_flight`` at once."""

from __future__ import annotations

import http.client
import threading
import time
from concurrent.futures import ThreadPoolExecutor


def pace(
    port: int, make: list[tuple[str, dict[str, str], bytes]], rate: int, in_flight: int
) -> tuple[list[float], dict[int, int]]:
    """Send ``make`` (method-less path, headers, body; None body means GET) open-loop at
    ``rate``/s; latencies in ms from each request's due time, and the count per status."""
    local = threading.local()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()

    def one(due: float, item: tuple[str, dict[str, str], bytes]) -> None:
        path, headers, body = item
        while time.perf_counter() < due:
            time.sleep(max(0.0, due - time.perf_counter()))
        con = getattr(local, "con", None)
        if con is None:
            con = local.con = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            if body:
                con.request("POST", path, body=body, headers=headers)
            else:
                con.request("GET", path, headers=headers)
            response = con.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            local.con = None
            status = 0
        took = (time.perf_counter() - due) * 1000
        with lock:
            latencies.append(took)
            statuses[status] = statuses.get(status, 0) + 1

    start = time.perf_counter() + 0.2
    with ThreadPoolExecutor(max_workers=in_flight) as pool:
        for i, item in enumerate(make):
            due = start + i / rate
            # Submit just ahead of time, so the pool's queue stays short (bounded memory).
            while time.perf_counter() < due - 0.05:
                time.sleep(0.005)
            pool.submit(one, due, item)
    return latencies, statuses


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]
