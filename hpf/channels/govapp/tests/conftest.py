import pytest

from hpf.channels.govapp import oidc
from hpf.channels.govapp.tests.fakeidp import CLIENT_ID, CLIENT_SECRET, FakeProvider


@pytest.fixture
def idp(settings):
    """A running stand-in provider, configured as our 一部手机办事通 issuer."""
    provider = FakeProvider()
    settings.HPF_GOVAPP_ISSUER = provider.issuer
    settings.HPF_GOVAPP_CLIENT_ID = CLIENT_ID
    settings.HPF_GOVAPP_CLIENT_SECRET = CLIENT_SECRET
    oidc.forget_cached()
    yield provider
    oidc.forget_cached()
    provider.close()


@pytest.fixture
def province(live_server, settings, tmp_path, person):
    """The stand-in provider (devtools/govapp_idp, django-oauth-toolkit) in a subprocess on a
    free loopback port, knowing test depositors 1 (face-verified) and 3 (real name only) and
    registered with our live server's callback; configured as our issuer."""
    import json
    import socket
    import subprocess
    import sys
    from pathlib import Path

    import hpf

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    people = tmp_path / "people.json"
    people.write_text(
        json.dumps(
            [
                {
                    "subject": "p1",
                    "name": person(1)["name"],
                    "id_number": person(1)["id_number"],
                    "acr": "face",
                },
                {
                    "subject": "p3",
                    "name": person(3)["name"],
                    "id_number": person(3)["id_number"],
                    "acr": "realname",
                },
            ],
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    secret = "province-test-secret-0123456789"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "devtools.govapp_idp.serve",
            "--port",
            str(port),
            "--people",
            str(people),
            "--client-id",
            "hpf-browser",
            "--client-secret",
            secret,
            "--redirect-uri",
            f"{live_server.url}/portal/govapp/callback/",
        ],
        cwd=Path(hpf.__file__).resolve().parent.parent,
        env={**__import__("os").environ, "GOVAPP_IDP_DIR": str(tmp_path)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        assert line.startswith("ready"), line
        settings.HPF_GOVAPP_ISSUER = f"http://127.0.0.1:{port}"
        settings.HPF_GOVAPP_CLIENT_ID = "hpf-browser"
        settings.HPF_GOVAPP_CLIENT_SECRET = secret
        oidc.forget_cached()
        yield settings.HPF_GOVAPP_ISSUER
    finally:
        oidc.forget_cached()
        proc.terminate()
        proc.wait(timeout=10)
