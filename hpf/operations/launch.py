"""Starting a batch run from the back office: the same ``hpf`` command an operator would type,
in a process of its own, so that a run of minutes never holds a web request.

``launch`` records who started what (audit ``batch.launch`` with the command line), then
starts ``python -m hpf.cli <args>`` detached from the web server (new session, output to a log
file under ``VAR_DIR/runs/``) with ``HPF_LAUNCHED_BY`` naming the staff member; the commands
put that name into their actor (``launched_actor``), so the run record and every audit event
of the run say both the command and the person. Progress and the result show in the
operations view like those of any run: the command writes its ``BatchRun`` as it goes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from django.conf import settings
from django.db import transaction

from hpf.audit.services import Actor, record_event
from hpf.common import clock

LAUNCHED_BY = "HPF_LAUNCHED_BY"
COMMANDS = {"settle-interest", "month-end", "import-remittance"}

Spawner = Callable[[list[str], dict[str, str], Path], int]


def _spawn(argv: list[str], env: dict[str, str], log: Path) -> int:
    with log.open("ab") as out:
        process = subprocess.Popen(  # noqa: S603 - argv is built here from checked values
            argv,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=settings.BASE_DIR,
        )
    return process.pid


spawner: Spawner = _spawn  # tests may run the command in-process instead


def launch(command: str, args: Sequence[str], *, actor: Actor) -> Path:
    """Start ``hpf <command> <args>`` for ``actor``; returns the run's log file."""
    if command not in COMMANDS:
        raise ValueError(f"not a batch command: {command}")
    log_dir = Path(settings.VAR_DIR) / "runs"
    log_dir.mkdir(parents=True, exist_ok=True)
    log = log_dir / f"{clock.now():%Y%m%dT%H%M%S}-{command}.log"
    argv = [sys.executable, "-m", "hpf.cli", command, *args]
    with transaction.atomic():
        record_event(
            actor,
            "batch.launch",
            details={"command": command, "args": list(args), "log": log.name},
        )
    env = {**os.environ, LAUNCHED_BY: actor.ident}
    spawner(argv, env, log)
    return log


def launched_actor(command: str) -> Actor:
    """The actor of a command: the command line's, naming the staff member who started it
    from the back office when it was started there."""
    by = os.environ.get(LAUNCHED_BY, "")
    return Actor.cli(f"{command}@{by}" if by else command)
