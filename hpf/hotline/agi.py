"""The FastAGI transport, on panoramisk's FastAGI ``Application`` and ``Request``.

panoramisk (pinned 1.4, pure Python, no dependencies) routes a connection by its
``agi_network_script`` and sends commands and parses Asterisk's ``200 result=…`` answers.
Two of its parts are replaced here:

* the connection handler: panoramisk's reads the ``agi_*`` environment in a loop that never
  ends when the peer closes before the blank line (``read`` returning ``b""`` forever), has
  no size or time limit, and creates the ``Application`` with ``asyncio.get_event_loop()``;
  ours stops at end of file, 16 KiB or 10 s;
* reading a result: panoramisk's parser answers ``200 result= (timeout)`` (no key pressed
  before ``GET DATA`` timed out) and ``200 result=`` (only ``#`` pressed) alike, and the
  hotline must tell them apart (``#`` goes back), so the raw line is kept beside the parse.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from panoramisk.fast_agi import Application, Request
from panoramisk.utils import parse_agi_result

log = logging.getLogger(__name__)

MAX_HEADER_BYTES = 16 * 1024
HEADER_TIMEOUT_S = 10.0


class AgiRequest(Request):  # type: ignore[misc]
    async def _read_result(self) -> dict[str, Any]:
        raw = await self.reader.readline()
        line = raw.decode(self.encoding, errors="replace").rstrip("\r\n")
        if not raw:
            return {"error": "AGIResultHangup", "msg": "connection closed", "line": ""}
        result: dict[str, Any] = parse_agi_result(line)
        result["line"] = line
        return result


Handler = Callable[[AgiRequest], Awaitable[None]]


class AgiApplication(Application):  # type: ignore[misc]
    """panoramisk's FastAGI application with a bounded, end-of-file-aware handshake."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(default_encoding="utf-8", loop=loop)

    async def handler(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            headers = await asyncio.wait_for(_read_env(reader), HEADER_TIMEOUT_S)
            if headers is None:
                return
            script = headers.get("agi_network_script")
            route: Handler | None = self._route.get(script) if script else None
            if route is None:
                log.warning("FastAGI request for unknown script %r", script)
                return
            await route(AgiRequest(self, headers, reader, writer, self.default_encoding))
        except (TimeoutError, ConnectionError):
            pass
        except Exception:
            log.exception("FastAGI call failed")
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()


async def _read_env(reader: asyncio.StreamReader) -> OrderedDict[str, str] | None:
    """The ``agi_*`` lines up to the blank line; None when the peer closes or sends too much."""
    headers: OrderedDict[str, str] = OrderedDict()
    size = 0
    while True:
        raw = await reader.readline()
        size += len(raw)
        if not raw or size > MAX_HEADER_BYTES:
            return None
        line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        if not line:
            return headers
        key, sep, value = line.partition(": ")
        if sep:
            headers[key] = value
