"""deploy/: every process it declares runs a command that exists, once in the Procfile and once
as a systemd unit, each unit restarted by systemd."""

from __future__ import annotations

import configparser
import re
import shlex
from pathlib import Path

from django.core.management import get_commands

DEPLOY = Path(__file__).resolve().parents[3] / "deploy"


def _hpf_commands(text: str) -> set[str]:
    return {m.replace("-", "_") for m in re.findall(r"\bhpf ([a-z][a-z-]+)", text)}


def test_procfile_and_units_declare_the_same_processes() -> None:
    procfile = dict(
        line.split(":", 1)
        for line in (DEPLOY / "Procfile").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert set(procfile) == {"web", "audit-linker", "scheduler", "hotline"}
    units = {}
    for path in sorted((DEPLOY / "systemd").glob("hpf-*.service")):
        unit = configparser.ConfigParser(strict=False, interpolation=None)
        unit.read_string(path.read_text())
        units[path.stem.removeprefix("hpf-")] = unit["Service"]
    assert set(units) == set(procfile)
    known = set(get_commands())
    for name, service in units.items():
        assert service["Restart"] == "always", name
        assert service["EnvironmentFile"] == "/etc/hpf/hpf.env", name
        for text in (service["ExecStart"], procfile[name]):
            for command in _hpf_commands(text):
                assert command in known, (name, command)
            if name == "web":
                assert "gunicorn hpf.wsgi" in text
    assert _hpf_commands(procfile["scheduler"]) == {"scheduler"}
    assert _hpf_commands(procfile["audit-linker"]) == {"link_audit"}
    assert "--follow" in shlex.split(procfile["audit-linker"])
    assert _hpf_commands(procfile["hotline"]) == {"ivr_serve"}
    target = (DEPLOY / "systemd" / "hpf.target").read_text()
    for name in units:
        assert f"hpf-{name}.service" in target


def test_env_example_names_only_known_settings() -> None:
    from django.conf import settings

    names = [
        line.split("=", 1)[0]
        for line in (DEPLOY / "env.example").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    for name in names:
        base = name.removesuffix("_FILE")
        known = hasattr(settings, base) or base in {
            "DATABASE_URL",
            "DATABASE_REPLICA_URL",
            "HPF_DIRECT_DATABASE_URL",
            "HPF_VAR_DIR",
            "HPF_LOG_FORMAT",
            "HPF_DB_CONN_MAX_AGE",
        }
        assert known, name
