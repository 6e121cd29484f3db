"""Fixtures of the hotline tests: the owner (``hpf/conftest.py``) with a hotline password,
and a call placed over real TCP against the FastAGI server on a free loopback port."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from hpf.audit.services import Actor
from hpf.conftest import _person
from hpf.hotline.server import running
from hpf.hotline.services import hotline_password_set
from hpf.hotline.softphone import Transcript, call, keys_from

PIN = "135790"
CALLER = "13987654321"


def id_keys(n: int) -> str:
    """Test depositor ``n``'s ID number as keyed on a phone (X as *)."""
    return _person(n)["id_number"].replace("X", "*")


@pytest.fixture
def pin_owner(owner: Any) -> Any:
    hotline_password_set(actor=Actor.system("test"), depositor_id=owner.depositor_id, password=PIN)
    return owner


@pytest.fixture
def ivr() -> Iterator[tuple[str, int]]:
    with running(threads=2) as address:
        yield address


@pytest.fixture
def dial(ivr: tuple[str, int]) -> Callable[..., Transcript]:
    """``dial(["1", id, pin, ...])``: one call keyed with these answers to ``GET DATA``; the
    soft phone hangs up when they run out."""

    def place(keys: list[str], caller: str = CALLER) -> Transcript:
        host, port = ivr
        coroutine = asyncio.wait_for(call(host, port, keys_from(keys), caller=caller), 60)
        # A thread of its own: the suite's browser journeys keep Playwright's event loop
        # running in the main thread for the session, where asyncio.run() is refused.
        with ThreadPoolExecutor(max_workers=1) as phone:
            return phone.submit(asyncio.run, coroutine).result()

    return place
