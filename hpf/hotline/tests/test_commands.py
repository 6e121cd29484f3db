"""``hpf ivr-serve`` and ``hpf ivr-call`` as processes: the soft phone reaches the server
over TCP, prints the Chinese prompts, and the server stops cleanly on SIGTERM; a peer that
closes before its AGI environment ends does not hold the server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hpf.hotline.prompts import PROMPTS

HPF = str(Path(sys.executable).with_name("hpf"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served():
    port = free_port()
    env = {**os.environ, "HPF_IVR_PORT": str(port)}
    proc = subprocess.Popen([HPF, "ivr-serve"], env=env, stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            break
        except OSError:
            assert proc.poll() is None, "ivr-serve stopped"
            assert time.monotonic() < deadline, "ivr-serve did not start"
            time.sleep(0.1)
    yield port, env, proc
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def test_soft_phone_calls_the_server_and_sigterm_stops_it(served):
    port, env, proc = served
    # A peer that sends half an environment and closes, and one that sends nothing.
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(b"agi_network: yes\nagi_network_scr")
    socket.create_connection(("127.0.0.1", port)).close()
    out = subprocess.run(
        [HPF, "ivr-call", "--keys", "9,0"], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert PROMPTS["welcome"] in out.stdout
    assert PROMPTS["invalid-choice"] in out.stdout
    assert PROMPTS["transfer"] in out.stdout
    assert "HPF_TRANSFER = 1" in out.stdout
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 0
    assert f"agi://127.0.0.1:{port}/12329" in proc.stdout.read()


def test_bad_port_is_refused():
    env = {**os.environ, "HPF_IVR_PORT": "70000"}
    out = subprocess.run([HPF, "ivr-serve"], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode != 0
    assert "HPF_IVR_PORT" in out.stderr


def test_soft_phone_without_a_server_says_so():
    out = subprocess.run(
        [HPF, "ivr-call", "--port", str(free_port()), "--keys", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode != 0
    assert "hpf ivr-serve" in out.stderr
