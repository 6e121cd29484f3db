"""The 12329 call, as Asterisk runs it through ``AGI(agi://host:4573/12329)``.

Main menu (``GET DATA``, one key): 1 balance and recent deposits, 2 loan, 0 an agent
(``SET VARIABLE HPF_TRANSFER 1`` and the AGI ends; the dialplan transfers). For 1 and 2 the
caller keys the 18-digit ID number (X as ``*``) and the 6-digit hotline password, each by
``GET DATA``; once they are right the call stays signed in for both menus. After the figures,
``*`` hears them again and ``#`` returns to the main menu. At every prompt ``*`` alone
repeats it and ``#`` alone goes back one step (from the password to the ID number, from the
ID number to the main menu). Three wrong ID/password pairs end the call; three prompts left
without a key end it too.

The database work (checking the password, reading the figures) runs in a bounded thread
pool (``DbPool``): the Django ORM is synchronous, and the pool also bounds how many Argon2
verifications run at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import dataclasses
import functools
import logging
import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from django.db import connection

from hpf.hotline.agi import AgiRequest
from hpf.hotline.prompts import prompt_file
from hpf.hotline.queries import Say, balance_speech, loan_speech
from hpf.hotline.services import MAX_FAILS_PER_CALL, Outcome, hotline_authenticate

log = logging.getLogger(__name__)
T = TypeVar("T")

MENU_TIMEOUT_MS = 6000
ID_TIMEOUT_MS = 20000
PASSWORD_TIMEOUT_MS = 12000
MAX_NO_INPUT = 3
# How long the server waits for Asterisk's answer to one command beyond its own timeout.
ANSWER_GRACE_S = 30.0


class CallEnded(Exception):
    """The caller hung up, Asterisk refused a command, or the flow decided to end."""


class DbPool:
    """A few threads for the synchronous ORM; each keeps its own connection, closed after a
    database error so that the next call reconnects."""

    def __init__(self, threads: int = 4) -> None:
        self.threads = threads
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="hpf-ivr-db")

    async def run(self, fn: Callable[..., T], /, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        ctx = contextvars.copy_context()
        return await loop.run_in_executor(
            self.executor, functools.partial(ctx.run, _in_thread, fn, kwargs)
        )

    def shutdown(self) -> None:
        """Close each thread's connection (one task per thread, held at a barrier so that no
        thread takes two), then stop the threads."""
        barrier = threading.Barrier(self.threads)

        def close() -> None:
            barrier.wait(timeout=10)
            connection.close()

        for future in [self.executor.submit(close) for _ in range(self.threads)]:
            future.result()
        self.executor.shutdown(wait=True)


def _in_thread(fn: Callable[..., T], kwargs: dict[str, Any]) -> T:
    try:
        return fn(**kwargs)
    finally:
        if connection.errors_occurred:
            connection.close()


_CALLER = re.compile(r"[^0-9+]")


def caller_number(headers: dict[str, str]) -> str:
    """The caller's number from ``agi_callerid`` (digits and +, at most 20), or "unknown"."""
    number = _CALLER.sub("", headers.get("agi_callerid", ""))[:20]
    return number or "unknown"


@dataclasses.dataclass
class Keys:
    """What ``GET DATA`` returned: the keys (without the closing #) and whether it timed out."""

    digits: str
    timeout: bool

    @property
    def repeat(self) -> bool:
        return self.digits == "*"

    @property
    def back(self) -> bool:
        return self.digits == "" and not self.timeout

    @property
    def nothing(self) -> bool:
        return self.digits == "" and self.timeout


class Call:
    def __init__(self, request: AgiRequest, db: DbPool) -> None:
        self.request = request
        self.db = db
        self.headers: dict[str, str] = dict(request.headers)
        self.caller = caller_number(self.headers)
        self.call_id = self.headers.get("agi_uniqueid", "")[:64]
        self.no_input = 0
        self.failures = 0
        self.signed_in: int | None = None

    # --------------------------------------------------------------- AGI commands
    async def command(self, line: str, *, wait_s: float = 10.0) -> dict[str, Any]:
        try:
            result: dict[str, Any] = await asyncio.wait_for(
                self.request.send_command(line), wait_s + ANSWER_GRACE_S
            )
        except (TimeoutError, ConnectionError) as exc:
            raise CallEnded(str(exc)) from exc
        if "error" in result:
            raise CallEnded(result.get("msg", "") or result["error"])
        return result

    async def play(self, name: str) -> None:
        await self.command(f'STREAM FILE {prompt_file(name)} ""')

    async def say(self, items: list[Say]) -> None:
        for kind, value in items:
            if kind == "prompt":
                await self.play(value)
            elif kind == "number":
                await self.command(f'SAY NUMBER {value} ""')
            else:
                await self.command(f'SAY DIGITS {value} ""')

    async def ask(self, name: str, timeout_ms: int, max_digits: int) -> Keys:
        """``GET DATA``; three prompts in a row left without a key end the call."""
        result = await self.command(
            f"GET DATA {prompt_file(name)} {timeout_ms} {max_digits}",
            wait_s=timeout_ms / 1000 + 60,
        )
        line = str(result.get("line", ""))
        digits = str(result.get("result", ("", ""))[0])
        keys = Keys(digits=digits, timeout="(timeout)" in line)
        if keys.nothing:
            self.no_input += 1
            if self.no_input >= MAX_NO_INPUT:
                await self.play("goodbye")
                raise CallEnded("no input")
            await self.play("no-input")
        else:
            self.no_input = 0
        return keys

    # --------------------------------------------------------------- the flow
    async def run(self) -> None:
        await self.command("ANSWER")
        await self.play("welcome")
        while True:
            keys = await self.ask("main-menu", MENU_TIMEOUT_MS, 1)
            if keys.nothing or keys.repeat or keys.back:
                continue
            if keys.digits == "0":
                await self.command("SET VARIABLE HPF_TRANSFER 1")
                await self.play("transfer")
                return
            if keys.digits not in ("1", "2"):
                await self.play("invalid-choice")
                continue
            first = None
            if self.signed_in is None:
                signed_in, first = await self.sign_in(keys.digits)
                if not signed_in:
                    continue
            await self.answer(keys.digits, first)

    async def sign_in(self, menu: str) -> tuple[bool, list[Say] | None]:
        """(True, the answer to ``menu``) once signed in — the answer read in the sign-in's
        own transaction, one commit for both; (False, None) to go back to the main menu;
        ``CallEnded`` to end."""
        step = "id"
        id_keys = ""
        while True:
            if step == "id":
                keys = await self.ask("enter-id", ID_TIMEOUT_MS, 18)
                if keys.back:
                    return False, None
                if keys.nothing or keys.repeat:
                    continue
                if len(keys.digits) != 18:
                    await self.play("id-invalid")
                    continue
                id_keys, step = keys.digits, "password"
                continue
            keys = await self.ask("enter-password", PASSWORD_TIMEOUT_MS, 6)
            if keys.back:
                step = "id"
                continue
            if keys.nothing or keys.repeat:
                continue
            auth = await self.db.run(
                hotline_authenticate,
                id_keys=id_keys,
                password=keys.digits,
                caller=self.caller,
                call_id=self.call_id,
                then=lambda depositor_id: _speech(menu)(
                    depositor_id=depositor_id, caller=self.caller
                ),
            )
            if auth.outcome is Outcome.OK:
                self.signed_in = auth.depositor_id
                return True, auth.answer
            if auth.outcome is Outcome.LOCKED:
                await self.play("locked")
                raise CallEnded("locked")
            if auth.outcome is Outcome.DISABLED:
                await self.play("channel-disabled")
                raise CallEnded("channel disabled")
            self.failures += 1
            if self.failures >= MAX_FAILS_PER_CALL:
                await self.play("too-many-tries")
                raise CallEnded("too many tries")
            await self.play("wrong-credentials")
            step = "id"

    async def answer(self, menu: str, items: list[Say] | None = None) -> None:
        """Say the answer to ``menu`` (read now unless the sign-in read it), then ``*``
        says it again and ``#`` goes back."""
        assert self.signed_in is not None
        if items is None:
            items = await self.db.run(
                _speech(menu), depositor_id=self.signed_in, caller=self.caller
            )
        while True:
            await self.say(items)
            keys = await self.ask("after-result", MENU_TIMEOUT_MS, 1)
            while not (keys.repeat or keys.back):
                keys = await self.ask("after-result", MENU_TIMEOUT_MS, 1)
            if keys.back:
                return


def _speech(menu: str) -> Callable[..., list[Say]]:
    return balance_speech if menu == "1" else loan_speech


async def handle_call(request: AgiRequest, db: DbPool) -> None:
    call = Call(request, db)
    try:
        await call.run()
    except CallEnded:
        return
    except Exception:
        log.exception("hotline call failed")
        with contextlib.suppress(CallEnded):
            await call.play("system-busy")
