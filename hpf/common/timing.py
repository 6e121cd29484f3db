"""Where a batch run's time goes: seconds per named phase, kept in the run record so that an
operator (and a benchmark) can tell a slow database from slow checking without a profiler."""

from __future__ import annotations

import contextlib
import time
from collections import defaultdict
from collections.abc import Iterator, Mapping


class PhaseTimer:
    def __init__(self) -> None:
        self.seconds: defaultdict[str, float] = defaultdict(float)

    @contextlib.contextmanager
    def timed(self, phase: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[phase] += time.perf_counter() - started

    def add(self, other: Mapping[str, float]) -> None:
        for phase, spent in other.items():
            self.seconds[phase] += spent

    def rounded(self) -> dict[str, float]:
        return {phase: round(spent, 2) for phase, spent in self.seconds.items()}
