"""`make demo` serves as production does (issue 16): scripts/demo-serve collects the static
files and runs gunicorn, whose WhiteNoise serves them (the collected, gzipped copy), with the
pages under their Content Security Policy — a real process on a loopback port, stopped by
SIGTERM, every wait bounded."""

from __future__ import annotations

import gzip
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (http on loopback)
    # Generous: gunicorn listens before its worker has loaded Django (a busy machine).
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        return response.status, dict(response.headers), response.read()


@pytest.fixture
def demo_server(tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "BIN": str(Path(sys.executable).parent),
        "HPF_PORT": str(port),
        "HPF_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'hpf.sqlite3'}",
        "HPF_GENERATE_SECRETS": "1",
        "DEBUG": "1",
        "ALLOWED_HOSTS": "localhost,127.0.0.1",
    }
    env.pop("DEV", None)
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(
        [str(ROOT / "scripts" / "demo-serve")],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own group: gunicorn's worker is stopped with it
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, (tmp_path / "serve.log").read_text()
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
            time.sleep(0.2)
        yield f"http://localhost:{port}", tmp_path
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        log.close()


def test_demo_serves_pages_and_collected_static_files_with_gunicorn(demo_server):
    base, var = demo_server
    status, headers, body = _get(f"{base}/portal/login/")
    assert status == 200
    assert headers["Server"] == "gunicorn"  # not Django's development server
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert 'src="/static/portal/passkey.js"' in body.decode()

    source = (ROOT / "hpf/channels/portal/static/portal/portal.css").read_bytes()
    assert (var / "static/portal/portal.css").read_bytes() == source  # collected
    status, headers, body = _get(f"{base}/static/portal/portal.css", **{"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["Content-Type"].startswith("text/css")
    assert headers["Content-Encoding"] == "gzip"  # the compressed copy collectstatic made
    assert gzip.decompress(body) == source
    status, headers, body = _get(f"{base}/static/portal/passkey.js")
    assert status == 200 and "javascript" in headers["Content-Type"]
    assert body == (ROOT / "hpf/channels/portal/static/portal/passkey.js").read_bytes()
