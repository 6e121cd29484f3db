"""Configuration of the certificates app read by ``hpf.settings``: the centre's signing key and
certificate, and whole-number knobs, strictly from the environment.

Production names the key and certificate with ``HPF_CERT_KEY_FILE`` and ``HPF_CERT_FILE`` (PEM;
the certificate issued to the centre for document signing) and a missing file stops the
program. With ``HPF_GENERATE_SECRETS=1`` (demo and tests) a demo RSA key and a self-signed
certificate are generated once into ``var/secrets/``, like the other demo secrets.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.core.exceptions import ImproperlyConfigured

from hpf.common.envconfig import env_int, private_dir

__all__ = ["CENTRE_NAME", "demo_signing_pair", "env_int", "signing_material"]

CENTRE_NAME = "昆明住房公积金管理中心"


def signing_material(var_dir: Path, *, generate: bool) -> tuple[Path, Path]:
    """Paths of the centre's signing key and certificate (PEM), checked to be readable."""
    key_env, cert_env = os.environ.get("HPF_CERT_KEY_FILE"), os.environ.get("HPF_CERT_FILE")
    if key_env or cert_env:
        if not (key_env and cert_env):
            raise ImproperlyConfigured("Set both HPF_CERT_KEY_FILE and HPF_CERT_FILE, or neither.")
        key_path, cert_path = Path(key_env), Path(cert_env)
    elif generate:
        key_path, cert_path = _generated(var_dir / "secrets")
    else:
        raise ImproperlyConfigured(
            "HPF_CERT_KEY_FILE and HPF_CERT_FILE must name the centre's document-signing key and "
            "certificate (PEM); for a demo, HPF_GENERATE_SECRETS=1 generates a self-signed pair."
        )
    for name, path in (("HPF_CERT_KEY_FILE", key_path), ("HPF_CERT_FILE", cert_path)):
        if not os.access(path, os.R_OK):
            raise ImproperlyConfigured(f"{name}={str(path)!r} cannot be read.")
    return key_path, cert_path


def _generated(secrets_dir: Path) -> tuple[Path, Path]:
    key_path, cert_path = secrets_dir / "HPF_CERT_KEY.pem", secrets_dir / "HPF_CERT.pem"
    if key_path.exists() and cert_path.exists():
        return key_path, cert_path
    private_dir(secrets_dir)
    # Two processes starting at once (a server and a command) must not write two different
    # pairs: the first takes the lock and writes both files, the second finds them.
    with open(secrets_dir / ".cert.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (key_path.exists() and cert_path.exists()):
            key_pem, cert_pem = demo_signing_pair()
            for path, data, mode in ((key_path, key_pem, 0o600), (cert_path, cert_pem, 0o644)):
                tmp = path.with_suffix(".tmp")
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                os.replace(tmp, path)
    return key_path, cert_path


def demo_signing_pair(common_name: str = f"{CENTRE_NAME}（演示签章）") -> tuple[bytes, bytes]:
    """A fresh RSA-2048 key and a self-signed document-signing certificate, both PEM."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, "云南省"),
            x509.NameAttribute(NameOID.LOCALITY_NAME, "昆明市"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, CENTRE_NAME),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return key_pem, cert.public_bytes(serialization.Encoding.PEM)
