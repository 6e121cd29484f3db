"""The cyclic garbage collector during a batch: off inside, collected between units, back after."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from hpf.common import collector


class _Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector frees it


@pytest.fixture(autouse=True)
def _collector_restored() -> Iterator[None]:
    assert gc.isenabled()
    yield
    gc.enable()
    gc.unfreeze()


def _cycle() -> weakref.ref[_Node]:
    return weakref.ref(_Node())


def test_inside_no_automatic_collection_and_what_existed_is_frozen() -> None:
    before = _cycle()  # garbage made before the batch is freed on the way in
    with collector.batch_collection():
        assert not gc.isenabled()
        assert before() is None
        assert gc.get_freeze_count() > 0
        made = _cycle()
        for _ in range(10_000):  # far past the automatic threshold: nothing collects
            _Node()
        assert made() is not None
        collector.collect()
        assert made() is None
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_what_survives_a_collection_is_frozen_and_not_traversed_again() -> None:
    with collector.batch_collection():
        kept: list[list[int]] = [[] for _ in range(1000)]
        collector.collect()
        collected = {id(x) for x in gc.get_objects()}  # the frozen ones are not listed
        assert not any(id(x) in collected for x in kept)
    assert gc.get_freeze_count() == 0


def test_nested_and_failing_batches_restore_the_collector_once() -> None:
    with pytest.raises(RuntimeError, match="power cut"):
        with collector.batch_collection():
            with collector.batch_collection():
                pass
            assert not gc.isenabled()  # the inner one ended, the outer one holds
            raise RuntimeError("power cut")
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_a_collector_switched_off_before_stays_off() -> None:
    gc.disable()
    with collector.batch_collection():
        pass
    assert not gc.isenabled()


def test_collect_outside_a_batch_leaves_collection_to_the_collector() -> None:
    gc.disable()
    made = _cycle()
    collector.collect()
    assert made() is not None  # not a batch: collect() did nothing
    gc.collect()
    assert made() is None


def test_as_a_decorator_each_call_is_a_batch() -> None:
    @collector.batch_collection()
    def unit() -> bool:
        return gc.isenabled()

    assert (unit(), unit()) == (False, False)
    assert gc.isenabled()
