"""The centre's signing pair: generated once for demos, named by the environment otherwise."""

import os
import stat

import pytest
from cryptography import x509
from django.core.exceptions import ImproperlyConfigured

from hpf.certificates.config import env_int, signing_material


@pytest.fixture
def no_cert_env(monkeypatch):
    monkeypatch.delenv("HPF_CERT_KEY_FILE", raising=False)
    monkeypatch.delenv("HPF_CERT_FILE", raising=False)


def test_generated_once_private_and_reused(tmp_path, no_cert_env):
    key, cert = signing_material(tmp_path, generate=True)
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    first = (key.read_bytes(), cert.read_bytes())
    assert signing_material(tmp_path, generate=True) == (key, cert)
    assert (key.read_bytes(), cert.read_bytes()) == first
    parsed = x509.load_pem_x509_certificate(first[1])
    usage = parsed.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment and not usage.key_cert_sign


def test_production_must_name_both_files(tmp_path, no_cert_env, monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="must name the centre's document-signing key"):
        signing_material(tmp_path, generate=False)
    assert not (tmp_path / "secrets").exists()
    monkeypatch.setenv("HPF_CERT_FILE", str(tmp_path / "c.pem"))
    with pytest.raises(ImproperlyConfigured, match="Set both"):
        signing_material(tmp_path, generate=True)
    monkeypatch.setenv("HPF_CERT_KEY_FILE", str(tmp_path / "k.pem"))
    with pytest.raises(ImproperlyConfigured, match="cannot be read"):
        signing_material(tmp_path, generate=True)


@pytest.mark.parametrize(
    ("raw", "ok"), [("5", True), (" 7 ", True), ("0", False), ("x", False), ("-1", False)]
)
def test_env_int(monkeypatch, raw, ok):
    monkeypatch.setenv("HPF_T_INT", raw)
    if ok:
        assert env_int("HPF_T_INT", default=3, low=1, high=10) == int(raw)
    else:
        with pytest.raises(ImproperlyConfigured, match="HPF_T_INT"):
            env_int("HPF_T_INT", default=3, low=1, high=10)
    monkeypatch.delenv("HPF_T_INT")
    assert env_int("HPF_T_INT", default=3, low=1, high=10) == 3
    assert os.environ.get("HPF_T_INT") is None
