"""A terminal soft phone for the hotline: ``hpf ivr-call``, the tests and the benchmark.

It connects to the FastAGI server as Asterisk does: sends the ``agi_*`` environment and a
blank line, then answers each command the server sends with ``200 result=…`` (``GET DATA``
with the keys pressed, ``(timeout)`` when none; ``HANGUP`` when the caller hangs up). It
prints each prompt's Chinese text from the catalogue and every number it would say.
Keys come from a list (``--keys 1,530102…,135790``: one item per ``GET DATA``, ``#`` alone
for the # key, an empty item for no key before the timeout) or from the keyboard.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import time
from collections.abc import Awaitable, Callable, Iterable

from hpf.hotline.prompts import PROMPT_DIR, PROMPTS

_ids = itertools.count(1)


@dataclasses.dataclass
class Transcript:
    # ("prompt", name) / ("number", n) / ("digits", d) / ("ask", name) / ("keys", k)
    # / ("set", "NAME=value") / ("hangup", "")
    events: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    variables: dict[str, str] = dataclasses.field(default_factory=dict)
    # Seconds from the answer to one command until the next command arrived (a server step).
    steps: list[float] = dataclasses.field(default_factory=list)
    # What each step answered: "start", the verb ("STREAM FILE", …) or "ask:<prompt>=<keys>".
    after: list[str] = dataclasses.field(default_factory=list)

    def prompts(self) -> list[str]:
        return [v for k, v in self.events if k == "prompt"]

    def spoken(self) -> list[str]:
        return [v for k, v in self.events if k in ("prompt", "number", "digits")]


KeySource = Callable[[str], Awaitable[str | None]]


def keys_from(items: Iterable[str]) -> KeySource:
    """Keys from a list; None (hang up) when it runs out."""
    it = iter(items)

    async def next_keys(prompt: str) -> str | None:
        return next(it, None)

    return next_keys


def environment(host: str, port: int, caller: str) -> dict[str, str]:
    n = next(_ids)
    return {
        "agi_network": "yes",
        "agi_network_script": "12329",
        "agi_request": f"agi://{host}:{port}/12329",
        "agi_channel": f"PJSIP/softphone-{n:08x}",
        "agi_language": "zh",
        "agi_type": "PJSIP",
        "agi_uniqueid": f"{time.time():.6f}.{n}",
        "agi_version": "20.0.0",
        "agi_callerid": caller,
        "agi_calleridname": "softphone",
        "agi_callingpres": "0",
        "agi_callingani2": "0",
        "agi_callington": "0",
        "agi_callingtns": "0",
        "agi_dnid": "12329",
        "agi_rdnis": "unknown",
        "agi_context": "hpf-hotline",
        "agi_extension": "12329",
        "agi_priority": "2",
        "agi_enhanced": "0.0",
        "agi_accountcode": "",
        "agi_threadid": str(n),
    }


def _text(sound: str) -> str:
    name = sound.removeprefix(PROMPT_DIR + "/")
    return PROMPTS.get(name, f"[{sound}]")


async def call(
    host: str,
    port: int,
    keys: KeySource,
    *,
    caller: str = "13800000000",
    show: Callable[[str], None] | None = None,
    think_s: float = 0.0,
    speech_cps: float = 0.0,
) -> Transcript:
    """Place one call; returns what was heard. ``think_s``: how long the caller takes to key;
    ``speech_cps``: when set, each prompt takes as long to answer as Asterisk would take to
    play it (its text at this many characters a second, a number 0.25 s a digit), as a real
    ``STREAM FILE``, ``SAY`` or ``GET DATA`` returns only after the sound has played."""
    out = show or (lambda _line: None)
    t = Transcript()
    reader, writer = await asyncio.open_connection(host, port)
    env = "".join(f"{k}: {v}\n" for k, v in environment(host, port, caller).items())
    writer.write(env.encode() + b"\n")
    await writer.drain()
    sent_at = time.perf_counter()
    answered = "start"
    try:
        while True:
            raw = await reader.readline()
            if not raw:
                break
            t.steps.append(time.perf_counter() - sent_at)
            t.after.append(answered)
            line = raw.decode().rstrip("\r\n")
            if speech_cps:
                await asyncio.sleep(_playing_s(line, speech_cps))
            answer = await _answer(line, t, keys, out, think_s)
            if answer is None:
                writer.write(b"HANGUP\n")
                await writer.drain()
                t.events.append(("hangup", ""))
                out("（挂机）")
                break
            answered = " ".join(line.split()[:2]).upper()
            if answered == "GET DATA":
                answered = f"ask:{t.events[-2][1]}={t.events[-1][1]}"
            writer.write(answer.encode() + b"\n")
            await writer.drain()
            sent_at = time.perf_counter()
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await writer.wait_closed()
    return t


def _playing_s(line: str, cps: float) -> float:
    words = line.split()
    verb = " ".join(words[:2]).upper()
    if verb in ("STREAM FILE", "GET DATA") and len(words) > 2:
        return len(_text(words[2])) / cps
    if verb in ("SAY NUMBER", "SAY DIGITS") and len(words) > 2:
        return 0.25 * len(words[2])
    return 0.0


def _words(line: str) -> list[str]:
    return line.split()


async def _answer(
    line: str, t: Transcript, keys: KeySource, out: Callable[[str], None], think_s: float
) -> str | None:
    words = _words(line)
    verb = " ".join(words[:2]).upper()
    if verb == "STREAM FILE":
        t.events.append(("prompt", words[2].removeprefix(PROMPT_DIR + "/")))
        out(f"🔈 {_text(words[2])}")
        return "200 result=0 endpos=8000"
    if verb == "SAY NUMBER":
        t.events.append(("number", words[2]))
        out(f"🔢 {words[2]}")
        return "200 result=0"
    if verb == "SAY DIGITS":
        t.events.append(("digits", words[2]))
        out(f"🔢 {' '.join(words[2])}")
        return "200 result=0"
    if verb == "GET DATA":
        sound, max_digits = words[2], int(words[4]) if len(words) > 4 else 1024
        t.events.append(("ask", sound.removeprefix(PROMPT_DIR + "/")))
        out(f"🔈 {_text(sound)}")
        if think_s:
            await asyncio.sleep(think_s)
        pressed = await keys(sound)
        if pressed is None:
            return None
        t.events.append(("keys", pressed))
        if pressed == "":
            out("⌨  （未按键）")
            return "200 result= (timeout)"
        out(f"⌨  {pressed}")
        digits = pressed.split("#", 1)[0][:max_digits]
        return f"200 result={digits}"
    if verb == "SET VARIABLE":
        t.variables[words[2]] = " ".join(words[3:])
        t.events.append(("set", f"{words[2]}={t.variables[words[2]]}"))
        out(f"⚙  {words[2]} = {t.variables[words[2]]}")
        return "200 result=1"
    if words[:1] == ["ANSWER"]:
        return "200 result=0"
    if words[:1] == ["HANGUP"]:
        return "200 result=1"
    return "510 Invalid or unknown command"
