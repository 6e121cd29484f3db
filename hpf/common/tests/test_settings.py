"""Configuration is read strictly: a bad value stops the program naming the variable."""

import datetime as dt
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from hpf.common.envconfig import env_bool, env_list, env_secret

ROOT = Path(__file__).resolve().parents[3]
HPF = Path(sys.executable).parent / "hpf"
SECRET = "s" * 40


@pytest.mark.parametrize(
    ("raw", "value"),
    [("1", True), (" Yes ", True), ("on", True), ("0", False), ("false", False), ("", False)],
)
def test_env_bool_accepts(monkeypatch, raw, value):
    monkeypatch.setenv("HPF_T_FLAG", raw)
    assert env_bool("HPF_T_FLAG", default=not value) is value


def test_env_bool_default(monkeypatch):
    monkeypatch.delenv("HPF_T_FLAG", raising=False)
    assert env_bool("HPF_T_FLAG", default=True) is True


@pytest.mark.parametrize("raw", ["maybe", "2", "y", "TRUE!"])
def test_env_bool_refuses(monkeypatch, raw):
    monkeypatch.setenv("HPF_T_FLAG", raw)
    with pytest.raises(ImproperlyConfigured, match=r"HPF_T_FLAG=.* is not a boolean"):
        env_bool("HPF_T_FLAG", default=False)


def test_env_list(monkeypatch):
    monkeypatch.delenv("HPF_T_LIST", raising=False)
    assert env_list("HPF_T_LIST", default=["x"]) == ["x"]
    monkeypatch.setenv("HPF_T_LIST", " a.example , b.example")
    assert env_list("HPF_T_LIST", default=[]) == ["a.example", "b.example"]


@pytest.mark.parametrize("raw", ["a,,b", "a,", ",", ""])
def test_env_list_refuses_empty_items(monkeypatch, raw):
    monkeypatch.setenv("HPF_T_LIST", raw)
    with pytest.raises(ImproperlyConfigured, match="HPF_T_LIST"):
        env_list("HPF_T_LIST", default=[])


@pytest.fixture
def no_secret(monkeypatch):
    monkeypatch.delenv("HPF_T_SECRET", raising=False)
    monkeypatch.delenv("HPF_T_SECRET_FILE", raising=False)


def test_env_secret_from_variable_and_file(monkeypatch, tmp_path, no_secret):
    monkeypatch.setenv("HPF_T_SECRET", SECRET)
    assert env_secret("HPF_T_SECRET", tmp_path, generate=False, nbytes=32) == SECRET
    monkeypatch.delenv("HPF_T_SECRET")
    (tmp_path / "s.txt").write_text(SECRET + "\n", encoding="utf-8")
    monkeypatch.setenv("HPF_T_SECRET_FILE", str(tmp_path / "s.txt"))
    assert env_secret("HPF_T_SECRET", tmp_path, generate=False, nbytes=32) == SECRET


def test_env_secret_missing_is_fatal(tmp_path, no_secret):
    with pytest.raises(ImproperlyConfigured, match="HPF_T_SECRET is not set"):
        env_secret("HPF_T_SECRET", tmp_path, generate=False, nbytes=32)
    assert not (tmp_path / "secrets").exists()


def test_env_secret_refusals(monkeypatch, tmp_path, no_secret):
    monkeypatch.setenv("HPF_T_SECRET", "short")
    with pytest.raises(ImproperlyConfigured, match=r"HPF_T_SECRET is too short \(5"):
        env_secret("HPF_T_SECRET", tmp_path, generate=False, nbytes=32)
    monkeypatch.setenv("HPF_T_SECRET_FILE", str(tmp_path / "nope"))
    with pytest.raises(ImproperlyConfigured, match="HPF_T_SECRET or HPF_T_SECRET_FILE, not both"):
        env_secret("HPF_T_SECRET", tmp_path, generate=False, nbytes=32)
    monkeypatch.delenv("HPF_T_SECRET")
    with pytest.raises(ImproperlyConfigured, match=r"HPF_T_SECRET_FILE=.* cannot be read"):
        env_secret("HPF_T_SECRET", tmp_path, generate=True, nbytes=32)


def test_env_secret_generated_once_and_private(tmp_path, no_secret):
    first = env_secret("HPF_T_SECRET", tmp_path, generate=True, nbytes=32)
    stored = tmp_path / "secrets" / "HPF_T_SECRET"
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert len(first) >= 32
    assert env_secret("HPF_T_SECRET", tmp_path, generate=True, nbytes=32) == first


def run(args, tmp_path, **env):
    """Run a fresh process with only the given configuration (nothing inherited; a None
    value leaves the variable unset)."""
    clean = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "hpf.settings",
        "HPF_VAR_DIR": str(tmp_path),
        "PYTHONPATH": str(ROOT),
    }
    merged = {k: v for k, v in (clean | env).items() if v is not None}
    result = subprocess.run(
        args, env=merged, capture_output=True, text=True, timeout=60, cwd=ROOT, check=False
    )
    return result.returncode, result.stdout + result.stderr


SETUP = [sys.executable, "-c", "import django; django.setup(); print('started')"]
PRODUCTION = {
    "SECRET_KEY": SECRET,
    "HPF_DATA_KEYS": SECRET,
    "HPF_LOOKUP_KEY": SECRET,
    "HPF_AUDIT_KEY": SECRET,
    "ALLOWED_HOSTS": "gjj.km.example",
    "HPF_PUBLIC_BASE_URL": "https://gjj.km.example",
    "HPF_SMS_GATEWAY_URL": "https://sms.km.example/send",
    "HPF_SMS_GATEWAY_TOKEN": SECRET,
}


def centre_pair(tmp_path):
    """The centre's signing key and certificate as production names them (PEM files)."""
    from hpf.certificates.config import demo_signing_pair

    key, cert = demo_signing_pair()
    (tmp_path / "centre-key.pem").write_bytes(key)
    (tmp_path / "centre-cert.pem").write_bytes(cert)
    return {
        "HPF_CERT_KEY_FILE": str(tmp_path / "centre-key.pem"),
        "HPF_CERT_FILE": str(tmp_path / "centre-cert.pem"),
    }


@pytest.mark.slow
def test_program_starts_with_good_configuration(tmp_path):
    assert run(SETUP, tmp_path, **PRODUCTION, **centre_pair(tmp_path)) == (0, "started\n")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"DEBUG": "maybe"}, "DEBUG='maybe' is not a boolean"),
        ({"ALLOWED_HOSTS": None}, "ALLOWED_HOSTS must be set"),
        ({"ALLOWED_HOSTS": "a,,b"}, "ALLOWED_HOSTS="),
        ({"HPF_WEBAUTHN_RP_ID": "127.0.0.1"}, "HPF_WEBAUTHN_RP_ID='127.0.0.1' must be a domain"),
        ({"HPF_WEBAUTHN_RP_ID": "gjj.km.example:443"}, "must be a domain name"),
        ({"HPF_WEBAUTHN_ORIGINS": "gjj.km.example"}, "is not an http(s):// origin"),
        ({"SECRET_KEY": None}, "SECRET_KEY is not set"),
        ({"SECRET_KEY": ""}, "SECRET_KEY is not set"),
        ({"HPF_AUDIT_KEY": "x" * 10}, "HPF_AUDIT_KEY is too short"),
        ({"DATABASE_URL": "mysql://u@h/db"}, "DATABASE_URL"),
        ({"HPF_CERT_FILE": None}, "Set both HPF_CERT_KEY_FILE and HPF_CERT_FILE"),
        (
            {"HPF_CERT_KEY_FILE": None, "HPF_CERT_FILE": None},
            "HPF_CERT_KEY_FILE and HPF_CERT_FILE must",
        ),
        ({"HPF_CERT_FILE": "/nonexistent.pem"}, "HPF_CERT_FILE='/nonexistent.pem' cannot be read"),
        ({"HPF_PUBLIC_BASE_URL": None}, "HPF_PUBLIC_BASE_URL"),
        ({"HPF_VERIFY_FAILURES_PER_IP": "0"}, "HPF_VERIFY_FAILURES_PER_IP='0' must be"),
        ({"HPF_DB_CONN_MAX_AGE": "a minute"}, "HPF_DB_CONN_MAX_AGE='a minute' must be"),
        ({"HPF_DB_CONN_MAX_AGE": "-1"}, "HPF_DB_CONN_MAX_AGE='-1' must be"),
        ({"HPF_PORT": "http"}, "HPF_PORT='http' must be"),
        ({"HPF_SYNC_MAX_SKEW_S": "0"}, "HPF_SYNC_MAX_SKEW_S='0' must be"),
        ({"HPF_IDCHECK_MINUTES": "999"}, "HPF_IDCHECK_MINUTES='999' must be"),
        ({"HPF_IMPORT_MAX_BYTES": "20MB"}, "HPF_IMPORT_MAX_BYTES='20MB' must be"),
        ({"HPF_IMPORT_MAX_ROWS": "0"}, "HPF_IMPORT_MAX_ROWS='0' must be"),
        ({"HPF_VAR_DIR": " "}, "HPF_VAR_DIR=' ' must be"),
        ({"HPF_HSTS_SECONDS": "a year"}, "HPF_HSTS_SECONDS='a year' must be"),
        ({"HPF_SECURE_PROXY_HEADER": "https"}, "HPF_SECURE_PROXY_HEADER='https' must be"),
        ({"HPF_SMS_GATEWAY_URL": None}, "HPF_SMS_GATEWAY_URL='' must be"),
        ({"HPF_SMS_GATEWAY_TOKEN": None}, "HPF_SMS_GATEWAY_TOKEN is not set"),
        ({"HPF_AUDIT_LINK_INTERVAL_MS": "fast"}, "HPF_AUDIT_LINK_INTERVAL_MS='fast' must be"),
        ({"HPF_AUDIT_MAX_LINK_LAG_S": "0"}, "HPF_AUDIT_MAX_LINK_LAG_S='0' must be"),
        ({"HPF_NOTIFY_RETRY_MINUTES": "1,x,30"}, "HPF_NOTIFY_RETRY_MINUTES='1,x,30' must be"),
        ({"HPF_NOTIFY_RETRY_MINUTES": "0"}, "HPF_NOTIFY_RETRY_MINUTES='0' must be"),
        ({"HPF_NOTIFY_MAX_ATTEMPTS": "0"}, "HPF_NOTIFY_MAX_ATTEMPTS='0' must be"),
    ],
)
def test_program_refuses_to_start(tmp_path, env, named):
    """A fresh process with one bad variable stops before doing anything, naming it."""
    code, output = run(SETUP, tmp_path, **(PRODUCTION | centre_pair(tmp_path) | env))
    assert code != 0
    assert "started" not in output
    assert "ImproperlyConfigured" in output
    assert named in output


@pytest.mark.slow
def test_malformed_policy_file_stops_hpf_check(tmp_path):
    """hpf check loads the policy at start: an out-of-range value stops it naming the key;
    the shipped file passes."""
    good = ROOT / "policy" / "kunming.toml"
    text = good.read_text(encoding="utf-8")
    old = 'employer_ratio_max = { value = "0.12"'
    assert old in text
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace(old, 'employer_ratio_max = { value = "1.50"'), encoding="utf-8")
    code, output = run(
        [str(HPF), "check"], tmp_path, HPF_GENERATE_SECRETS="1", HPF_POLICY_FILE=str(bad)
    )
    assert code != 0
    assert "deposit.employer_ratio_max" in output
    assert '"1.50"' in output
    code, output = run(
        [str(HPF), "check"], tmp_path, HPF_GENERATE_SECRETS="1", HPF_POLICY_FILE=str(good)
    )
    assert code == 0, output
    assert "no issues" in output


def test_bulk_lookup_hasher_equals_lookup_hash():
    """The bulk hasher gives exactly the per-number keyed hash, for every context."""
    from hpf.calc.idnumbers import make_resident_id
    from hpf.common.crypto import lookup_hash, lookup_hasher

    for n in range(20):
        number = make_resident_id("530102", dt.date(1980, 1, 1) + dt.timedelta(days=n), n)
        for context in ("id_number", "bank_card"):
            assert lookup_hasher(context=context)(number) == lookup_hash(number, context=context)


def test_settings_read_the_environment_only_through_envconfig():
    """Issue 10: one module parses the environment, with one error style. ``hpf/settings.py``
    itself never touches ``os.environ`` (nor imports ``os``)."""
    import ast

    tree = ast.parse((ROOT / "hpf" / "settings.py").read_text(encoding="utf-8"))
    offending = [
        node.lineno
        for node in ast.walk(tree)
        if (isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv"))
        or (isinstance(node, ast.Import) and any(a.name == "os" for a in node.names))
    ]
    assert offending == [], f"hpf/settings.py reads the environment by hand at lines {offending}"


@pytest.mark.slow
def test_production_sends_hsts_csp_and_trusts_the_proxy_header(tmp_path):
    script = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SECURE_HSTS_SECONDS, s.SECURE_PROXY_SSL_HEADER, s.SECURE_SSL_REDIRECT, "
        "'csp.middleware.CSPMiddleware' in s.MIDDLEWARE)"
    )
    code, output = run(
        [sys.executable, "-c", script],
        tmp_path,
        **PRODUCTION,
        **centre_pair(tmp_path),
        HPF_SECURE_PROXY_HEADER="X-Forwarded-Proto=https",
        HPF_SSL_REDIRECT="1",
    )
    assert code == 0, output
    assert output.split() == ["31536000", "('HTTP_X_FORWARDED_PROTO',", "'https')", "True", "True"]


@pytest.mark.slow
def test_the_sqlite_file_and_the_secrets_are_private(tmp_path):
    """Issue 11, item 14: the database file was world-readable (umask 022)."""
    var = tmp_path / "var"
    script = (
        "import os; os.umask(0o022); import django; django.setup(); "
        "from django.db import connection; connection.ensure_connection(); "
        "connection.cursor().execute('create table t (x int)'); print('ok')"
    )
    code, output = run(
        [sys.executable, "-c", script],
        tmp_path,
        HPF_GENERATE_SECRETS="1",
        HPF_VAR_DIR=str(var),
        DATABASE_URL=f"sqlite:///{var / 'hpf.sqlite3'}",
    )
    assert code == 0, output
    assert stat.S_IMODE((var / "hpf.sqlite3").stat().st_mode) == 0o600
    assert stat.S_IMODE((var / "secrets").stat().st_mode) == 0o700
    for secret in (var / "secrets").iterdir():
        if secret.name != "HPF_CERT.pem" and not secret.name.startswith("."):
            assert stat.S_IMODE(secret.stat().st_mode) == 0o600, secret
