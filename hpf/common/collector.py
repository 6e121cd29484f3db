"""The cyclic garbage collector during a batch: run between its units of work, not inside them.

A batch such as the month's remittance import makes millions of short-lived objects (the
rows of the lists, their cells and values, the readers' results as they are unpickled) and
almost no reference cycles: reference counting frees them. CPython's automatic collections
start every 700 net allocations all the same, and each one traverses the young objects
again and finds nothing to free. In ``batch_collection()`` the automatic collector is off,
what existed before (Django, the modules, the settings) is frozen out of every later
collection (``gc.freeze``), and the batch collects at the points it chooses with
``collect()``, between its units of work: the cycles a unit left are freed there, and what
survives is frozen in turn, so no object is traversed twice. Processes forked inside it
(the import's readers) inherit all of this.

Process-wide by nature: the outermost ``batch_collection()`` of a process switches it, a
nested one (or one in another thread) only counts, and the collector is back as it was when
the last one ends. Figures: ``bench/README.md``.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_was_enabled = True


@contextmanager
def batch_collection() -> Iterator[None]:
    """No automatic collection inside; what exists now is never traversed again until the
    end. Call ``collect()`` between units of work."""
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
            gc.collect()
            gc.freeze()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                gc.unfreeze()
                if _was_enabled:
                    gc.enable()


def collect() -> None:
    """Free the cycles made since the last collection and freeze what survives (the batch's
    results so far), so that the next one looks only at what is new; outside a
    ``batch_collection()`` the automatic collector does this, so nothing is done."""
    if _depth:
        gc.collect()
        gc.freeze()
