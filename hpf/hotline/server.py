"""Starting the FastAGI server: ``hpf ivr-serve`` in production, a thread of its own in tests
and benchmarks."""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from hpf.hotline.agi import AgiApplication, AgiRequest
from hpf.hotline.flow import DbPool, handle_call

SCRIPT = "12329"
DEFAULT_PORT = 4573


DRAIN_S = 60.0


async def _drain(seconds: float) -> None:
    """Let the calls in progress finish (the listening socket is already closed), then
    cancel what is left after ``seconds``."""
    calls = asyncio.all_tasks() - {asyncio.current_task()}
    if not calls:
        return
    _done, pending = await asyncio.wait(calls, timeout=seconds)
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.wait(pending, timeout=1.0)


async def start(host: str, port: int, db: DbPool) -> asyncio.Server:
    """Listen on ``host:port`` (0: a free port) for ``agi://host:port/12329``."""
    app = AgiApplication(asyncio.get_running_loop())

    async def hotline(request: AgiRequest) -> None:
        await handle_call(request, db)

    app.add_route(SCRIPT, hotline)
    return await asyncio.start_server(app.handler, host, port, backlog=512)


def serve_forever(host: str, port: int, threads: int, ready: threading.Event | None = None) -> None:
    """Serve until SIGTERM or SIGINT, then stop listening and let calls in progress end."""

    async def main() -> None:
        db = DbPool(threads)
        server = await start(host, port, db)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        if ready is not None:
            ready.set()
        async with server:
            await stop.wait()
        await _drain(DRAIN_S)
        db.shutdown()

    asyncio.run(main())


@contextmanager
def running(threads: int = 4) -> Iterator[tuple[str, int]]:
    """The server in a background thread on a free loopback port, for tests and benchmarks;
    yields ``(host, port)`` and stops it on exit."""
    started = threading.Event()
    address: list[tuple[str, int]] = []
    loop = asyncio.new_event_loop()
    db = DbPool(threads)
    stop = asyncio.Event()

    async def main() -> None:
        server = await start("127.0.0.1", 0, db)
        address.append(server.sockets[0].getsockname()[:2])
        started.set()
        async with server:
            await stop.wait()
        await _drain(5.0)

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    if not started.wait(10):
        raise RuntimeError("the FastAGI server did not start")
    try:
        yield address[0]
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)
        db.shutdown()
        loop.close()
