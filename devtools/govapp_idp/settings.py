"""Settings of the stand-in 一部手机办事通 identity provider (demo and tests only).

A second, tiny Django project on django-oauth-toolkit's OpenID Connect support: RS256 with a
key generated at each start, PKCE required, the province's claims (name, ID number,
assurance level). ``serve.py`` fills ``GOVAPP_IDP_*`` from its arguments before setup.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

BASE = Path(os.environ.get("GOVAPP_IDP_DIR") or tempfile.mkdtemp(prefix="govapp-idp-"))
PORT = int(os.environ.get("GOVAPP_IDP_PORT", "8100"))
ISSUER = os.environ.get("GOVAPP_IDP_ISSUER", f"http://127.0.0.1:{PORT}")

SECRET_KEY = os.urandom(32).hex()
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "devtools.govapp_idp.urls"
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "oauth2_provider",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [Path(__file__).parent / "templates"],
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE / "idp.sqlite3"}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
LOGIN_URL = "/login/"
SESSION_COOKIE_NAME = "govapp_idp_session"  # not the portal's cookie on the same host
CSRF_COOKIE_NAME = "govapp_idp_csrf"

_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "OIDC_ISS_ENDPOINT": ISSUER,
    "OIDC_RSA_PRIVATE_KEY": _key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode(),
    "PKCE_REQUIRED": True,
    "ID_TOKEN_EXPIRE_SECONDS": 300,
    "SCOPES": {"openid": "OpenID Connect", "profile": "姓名", "id_number": "身份证号"},
    "OAUTH2_VALIDATOR_CLASS": "devtools.govapp_idp.validator.Validator",
    "ALLOWED_REDIRECT_URI_SCHEMES": ["http", "https"],
}
