"""Settings for HPF, read from the environment once, failing loudly on bad values.

Every knob that differs between a laptop demo and the centre's production lives in an
environment variable (or a ``*_FILE`` variable naming a file that holds it), never in code.
Secrets that are missing stop the program, unless ``HPF_GENERATE_SECRETS=1`` (set by
``make demo`` and ``make test``) asks for demo secrets generated once and stored under ``var/``.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from csp.constants import NONCE, SELF
from django.core.exceptions import ImproperlyConfigured

from hpf.certificates.config import signing_material
from hpf.common.envconfig import (
    env_bool,
    env_int,
    env_int_list,
    env_list,
    env_optional_secret,
    env_path,
    env_secret,
    env_str,
    env_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = env_path("HPF_VAR_DIR", default=BASE_DIR / "var")

DEBUG = env_bool("DEBUG", default=False)
GENERATE_SECRETS = env_bool("HPF_GENERATE_SECRETS", default=False)

SECRET_KEY = env_secret("SECRET_KEY", VAR_DIR, generate=GENERATE_SECRETS, nbytes=50)
# Keys of the data layer: AES-256-GCM for ID and card numbers at rest (first key encrypts,
# all keys decrypt, so keys can be rotated), HMAC keys for look-up and for the audit chain.
HPF_DATA_KEYS = env_secret("HPF_DATA_KEYS", VAR_DIR, generate=GENERATE_SECRETS, nbytes=32)
HPF_LOOKUP_KEY = env_secret("HPF_LOOKUP_KEY", VAR_DIR, generate=GENERATE_SECRETS, nbytes=32)
HPF_AUDIT_KEY = env_secret("HPF_AUDIT_KEY", VAR_DIR, generate=GENERATE_SECRETS, nbytes=32)

# Demo and test runs (DEBUG, or HPF_GENERATE_SECRETS which production never sets) serve the
# local host by default; production must name its hosts.
ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG or GENERATE_SECRETS else []
)
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off (comma-separated).")

HPF_PORT = env_int("HPF_PORT", default=8000, low=1, high=65535)
# Passkeys (WebAuthn): the relying party id is the site's domain, never the request's host
# (a browser refuses an IP address as a passkey domain). The expected origins: those listed,
# or, when none are, the request's own origin provided its host is the RP ID or a sub-domain
# of it (hpf.identity.passkeys.relying_party).
HPF_WEBAUTHN_RP_ID = env_str("HPF_WEBAUTHN_RP_ID", default="localhost").lower()
if (
    not HPF_WEBAUTHN_RP_ID
    or any(c in HPF_WEBAUTHN_RP_ID for c in "/:[] ")
    or (HPF_WEBAUTHN_RP_ID.replace(".", "").isdigit())
):
    raise ImproperlyConfigured(
        f"HPF_WEBAUTHN_RP_ID={HPF_WEBAUTHN_RP_ID!r} must be a domain name (no scheme, port or IP)."
    )
HPF_WEBAUTHN_ORIGINS = [o.rstrip("/") for o in env_list("HPF_WEBAUTHN_ORIGINS", default=[])]
for _origin in HPF_WEBAUTHN_ORIGINS:
    if not _origin.startswith(("https://", "http://")):
        raise ImproperlyConfigured(
            f"HPF_WEBAUTHN_ORIGINS: {_origin!r} is not an http(s):// origin."
        )
# The sync API accepts a signed request whose timestamp is within this many seconds of ours.
HPF_SYNC_MAX_SKEW_S = env_int("HPF_SYNC_MAX_SKEW_S", default=300, low=1, high=3600)
HPF_POLICY_FILE = env_path("HPF_POLICY_FILE", default=BASE_DIR / "policy" / "kunming.toml")
# The largest remittance list file accepted (bytes), checked before the file is parsed (the
# CLI stats the file; hpf.common.middleware checks an upload's CONTENT_LENGTH before its body).
HPF_IMPORT_MAX_BYTES = env_int(
    "HPF_IMPORT_MAX_BYTES", default=20 * 1024 * 1024, low=1, high=2 * 1024**3
)
# Detail rows accepted in one remittance list: reading stops at the first row beyond it.
HPF_IMPORT_MAX_ROWS = env_int("HPF_IMPORT_MAX_ROWS", default=100_000, low=1, high=10_000_000)
# Where the month's remittance lists arrive, one sub-folder per month (back office: 批量作业).
HPF_INTAKE_DIR = env_path("HPF_INTAKE_DIR", default=VAR_DIR / "intake")

INSTALLED_APPS = [
    "hpf.staff.adminconfig.StaffAdminConfig",  # django.contrib.admin behind the staff login
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "hpf.common",
    "hpf.audit",
    "hpf.registry",
    "hpf.ledger",
    "hpf.operations",
    "hpf.interest",
    "hpf.withdrawals",
    "hpf.loans",
    "hpf.remittance",
    "hpf.sync",
    "hpf.seeding",
    "hpf.channels.web",
    "hpf.identity",
    "hpf.channels.portal",
    "hpf.channels.govapp",
    "oauth2_provider",
    "hpf.channels.backoffice",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "hpf.staff",
    "hpf.approvals",
    "hpf.channels.counter",
    "hpf.certificates",
    "hpf.channels.verify",
    "hpf.disputes",
    "hpf.appointments",
    "hpf.hotline",
    "hpf.channels.casework",
    "hpf.channels.auditor",
    "hpf.cases",
    "hpf.channels.cases",
    "hpf.api",
    "hpf.ops",  # issue 15: scheduler, backups, metrics, health
    "hpf.partners",
    "hpf.channels.kiosk",
]

MIDDLEWARE = [
    # issue 15: the request id on every log line, request metrics, reads that may lag -> replica
    "hpf.common.logs.RequestIdMiddleware",
    "hpf.ops.metrics.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # The static files, from the application server itself (gunicorn): see STATIC_ROOT.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "hpf.common.middleware.UploadLimitMiddleware",  # before anything reads an upload's body
    "csp.middleware.CSPMiddleware",
    "hpf.common.dbrouter.ReplicaRoutingMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# Uploads whose declared Content-Length is checked before the body is read (URL name → the
# setting holding the page's limit in bytes; hpf.common.middleware).
HPF_UPLOAD_LIMITS = {
    "backoffice:remittance_upload": "HPF_IMPORT_MAX_BYTES",
    "verify:upload": "HPF_VERIFY_UPLOAD_MAX_BYTES",
}

ROOT_URLCONF = "hpf.urls"
WSGI_APPLICATION = "hpf.wsgi.application"

TEMPLATES = [
    {
        # Django's, freeing each render's context at once (hpf.channels.web.backend).
        "BACKEND": "hpf.channels.web.backend.DjangoTemplates",
        "NAME": "django",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

_default_db = f"sqlite:///{VAR_DIR / 'hpf.sqlite3'}"
try:
    DATABASES = {"default": dj_database_url.parse(env_str("DATABASE_URL", default=_default_db))}
except Exception as exc:  # dj-database-url raises several types; say which variable is wrong
    raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from exc
# Seconds a server process keeps its database connection between requests (0: a new one per
# request, Django's default). Production behind gunicorn: 60 — a connection costs several ms.
DATABASES["default"]["CONN_MAX_AGE"] = env_int("HPF_DB_CONN_MAX_AGE", default=0, low=0, high=86400)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
_engine = DATABASES["default"]["ENGINE"]
if _engine == "django.db.backends.sqlite3":
    # WAL lets readers run beside the single writer; IMMEDIATE takes the write lock at BEGIN
    # so two writers queue instead of failing half-way with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
        "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
elif _engine != "django.db.backends.postgresql":
    raise ImproperlyConfigured(
        f"DATABASE_URL: only sqlite and postgres are supported, not {_engine}"
    )

# The shared cache: every throttle (hpf.common.limits) counts here, so a limit holds across all
# worker processes and servers. REDIS_URL (redis://host:port/db) in production; without it each
# process counts in its own memory, which is right only for the embedded demo.
REDIS_URL = env_str("REDIS_URL", default="")
if REDIS_URL:
    if not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(
            f"REDIS_URL={REDIS_URL!r} must be a redis://, rediss:// or unix:// address."
        )
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "hpf",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Replication and pooling (issue 15; hpf/common/dbrouter.py, deploy/README.md) ---------
# DATABASE_REPLICA_URL: a hot standby that serves reads that may lag (pages, reports) while
# its replay lag is under HPF_REPLICA_MAX_LAG_S; a client that wrote reads the primary for
# HPF_REPLICA_PIN_S (> the lag bound). Unset: everything on the primary.
HPF_REPLICA_MAX_LAG_S = env_int("HPF_REPLICA_MAX_LAG_S", default=5, low=0, high=3600)
HPF_REPLICA_PIN_S = env_int("HPF_REPLICA_PIN_S", default=15, low=1, high=86400)
if HPF_REPLICA_PIN_S <= HPF_REPLICA_MAX_LAG_S:
    raise ImproperlyConfigured("HPF_REPLICA_PIN_S must be longer than HPF_REPLICA_MAX_LAG_S.")
# HPF_DB_POOLED=1: DATABASE_URL names a pgbouncer in transaction pooling mode, so a
# connection's session is not ours between transactions: no server-side cursors.
HPF_DB_POOLED = env_bool("HPF_DB_POOLED", default=False)
if HPF_DB_POOLED:
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
# Parameters bound by the server, so that psycopg prepares a statement a connection has run five
# times and PostgreSQL stops planning it again on every request (planning cost more than
# running most of a page's statements). Not through a pooler in transaction mode: pgbouncer
# before 1.21 cannot carry prepared statements from one server connection to another.
HPF_DB_PREPARE = env_bool("HPF_DB_PREPARE", default=not HPF_DB_POOLED)
if _engine == "django.db.backends.postgresql" and HPF_DB_PREPARE:
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True, prepare_threshold=5
    )
_replica_url = env_str("DATABASE_REPLICA_URL", default="")
if _replica_url:
    if _engine != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_REPLICA_URL needs a PostgreSQL DATABASE_URL.")
    try:
        DATABASES["replica"] = dj_database_url.parse(_replica_url)
    except Exception as exc:
        raise ImproperlyConfigured(
            f"DATABASE_REPLICA_URL is not a valid database URL: {exc}"
        ) from exc
    DATABASES["replica"]["CONN_MAX_AGE"] = DATABASES["default"]["CONN_MAX_AGE"]
    DATABASES["replica"]["CONN_HEALTH_CHECKS"] = True
    # Tests run against one database: the replica alias then reads the test primary.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["hpf.common.dbrouter.PrimaryReplicaRouter"]
# ------------------------------------------------------------------------------------------

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "hpf" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# `hpf collectstatic` gathers every app's static files (all vendored: no CDN) here, and
# WhiteNoise serves them from the application process, with compressed copies, in production
# and in `make demo` alike (scripts/demo-serve collects first). It reads that folder once at
# start, even with DEBUG: no rescan per request, never the apps' own folders. (Django's
# development server, `make demo DEV=1`, and the test servers serve from the apps.)
STATIC_ROOT = VAR_DIR / "static"
WHITENOISE_AUTOREFRESH = False
WHITENOISE_USE_FINDERS = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Gzip copies beside each file at collectstatic; names stay as written (no manifest to
    # be missing in a run that never collected).
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Django's database sessions, their per-request read written out with the portal session's
# liveness joined (hpf/identity/sessions.py).
SESSION_ENGINE = "hpf.identity.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 8 * 3600
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("HPF_SECURE_COOKIES", default=True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    # Behind the centre's TLS proxy: HSTS, the redirect to https and the header the proxy sets
    # to say the request came over https, each from the environment.
    SECURE_HSTS_SECONDS = env_int("HPF_HSTS_SECONDS", default=31_536_000, low=0, high=10**9)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("HPF_HSTS_INCLUDE_SUBDOMAINS", default=False)
    SECURE_HSTS_PRELOAD = env_bool("HPF_HSTS_PRELOAD", default=False)
    SECURE_SSL_REDIRECT = env_bool("HPF_SSL_REDIRECT", default=False)
    _proxy_header = env_str("HPF_SECURE_PROXY_HEADER", default="")
    if _proxy_header:
        name, _, value = _proxy_header.partition("=")
        if not name.strip() or not value.strip():
            raise ImproperlyConfigured(
                f"HPF_SECURE_PROXY_HEADER={_proxy_header!r} must be HEADER=value, e.g. "
                "X-Forwarded-Proto=https."
            )
        SECURE_PROXY_SSL_HEADER = (
            "HTTP_" + name.strip().upper().replace("-", "_"),
            value.strip(),
        )
    USE_X_FORWARDED_HOST = env_bool("HPF_USE_X_FORWARDED_HOST", default=False)

# Content Security Policy (django-csp): scripts and styles only from our own static files or an
# inline block carrying the request's nonce; no plugins, no framing, forms post only to us.
# Style attributes stay allowed (they cannot run script; a few layout widths use them).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "manifest-src": [SELF],
        "worker-src": [SELF],
        "object-src": ["'none'"],
        "base-uri": [SELF],
        "frame-ancestors": ["'none'"],
        "form-action": [SELF],
    }
}

# Benchmarks only (bench/portal.py): ``/bench/pk/<id>``, one primary-key read of a fund
# account's balance and nothing else, the ceiling of this stack. Off unless set; never in
# production.
HPF_BENCH_ENDPOINTS = env_bool("HPF_BENCH_ENDPOINTS", default=False)

# Staff sign-in and the counter (hpf.staff, hpf.channels.counter): password then TOTP; the
# session ends after 15 idle minutes or 8 hours; failed sign-ins back off from one minute up to
# a lock of at most 15 minutes per (user name, address); an ID-check session (人证核验) lasts
# HPF_IDCHECK_MINUTES (default 20, 1–120).
LOGIN_URL = "staff:login"
# The depositor portal's sign-in page (hpf.channels.portal.auth sends signed-out people there).
HPF_PORTAL_LOGIN_URL = "portal:login"
# The JSON API (hpf.api): calls a minute per token, or per address for the public calculators.
HPF_API_RATE_PER_MINUTE = env_int("HPF_API_RATE_PER_MINUTE", default=120, low=1, high=10**6)
# Days before a loan instalment's due date that ``hpf loan-reminders`` reminds the borrower.
HPF_LOAN_DUE_NOTICE_DAYS = env_int("HPF_LOAN_DUE_NOTICE_DAYS", default=3, low=0, high=28)
# Notification delivery (hpf.common.notify): a channel (SMS or e-mail) that failed is tried
# again on its own after these minutes (the last repeats), up to HPF_NOTIFY_MAX_ATTEMPTS
# attempts in all, then marked failed and reported by ``hpf send-notifications --report``.
HPF_NOTIFY_RETRY_MINUTES = env_int_list(
    "HPF_NOTIFY_RETRY_MINUTES", default=[1, 5, 30], low=1, high=1440
)
HPF_NOTIFY_MAX_ATTEMPTS = env_int("HPF_NOTIFY_MAX_ATTEMPTS", default=4, low=1, high=50)
HPF_STAFF_IDLE_S = 15 * 60
HPF_STAFF_ABSOLUTE_S = 8 * 3600
HPF_STAFF_LOCK_MAX_S = 15 * 60
HPF_IDCHECK_TTL_S = env_int("HPF_IDCHECK_MINUTES", default=20, low=1, high=120) * 60

# Depositor sign-in (hpf.identity, hpf.channels.portal): sessions end after 15 idle minutes or
# 8 hours; failed sign-ins lock (login, address) for at most 15 minutes; changing the mobile,
# e-mail or factors needs a password or passkey within the last HPF_PORTAL_REAUTH_S.
HPF_PORTAL_IDLE_S = 15 * 60
HPF_PORTAL_ABSOLUTE_S = 8 * 3600
HPF_PORTAL_LOCK_MAX_S = 15 * 60
HPF_PORTAL_REAUTH_S = 10 * 60
# 一部手机办事通 sign-in (docs/gov-app.md): the province's OpenID Connect issuer, exactly as in
# its ID tokens, and our client registration there. Unset issuer: no button, no routes.
HPF_GOVAPP_ISSUER = env_str("HPF_GOVAPP_ISSUER", default="")
HPF_GOVAPP_CLIENT_ID = env_str("HPF_GOVAPP_CLIENT_ID", default="")
# Where "返回办事通" leads in the app's web view (the app's own URL scheme); the issuer if unset.
HPF_GOVAPP_RETURN_URL = env_str("HPF_GOVAPP_RETURN_URL", default="")
# Consented access for partner apps (hpf.channels.govapp.consent, django-oauth-toolkit):
# authorization code + PKCE only, access tokens for 10 minutes, refresh tokens rotated at each
# use and kept at most 30 days, the API's read scopes.
OAUTH2_PROVIDER = {
    "PKCE_REQUIRED": True,
    "ACCESS_TOKEN_EXPIRE_SECONDS": 600,
    "REFRESH_TOKEN_EXPIRE_SECONDS": 30 * 86400,
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_GRACE_PERIOD_SECONDS": 0,
    "SCOPES": {
        "account:read": "账户总览",
        "deposits:read": "缴存明细",
        "interest:read": "结息明细",
        "withdrawals:read": "提取记录",
        "loans:read": "贷款与还款计划",
        "certificates:read": "证明列表与下载",
    },
    "DEFAULT_SCOPES": ["account:read"],
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https", "http"] if DEBUG else ["https"],
}
HPF_GOVAPP_CLIENT_SECRET = (
    env_secret("HPF_GOVAPP_CLIENT_SECRET", VAR_DIR, generate=False, nbytes=0, min_length=8)
    if HPF_GOVAPP_ISSUER
    else ""
)
if HPF_GOVAPP_ISSUER and (
    not HPF_GOVAPP_CLIENT_ID or not HPF_GOVAPP_ISSUER.startswith(("https://", "http://"))
):
    raise ImproperlyConfigured(
        "HPF_GOVAPP_ISSUER must be the provider's http(s) URL and HPF_GOVAPP_CLIENT_ID set."
    )
# Deliberate lock-out (issue 11, item 10): wrong passwords lock only (login, address); once a
# login has HPF_PORTAL_PROOF_AFTER_FAILURES failures from HPF_PORTAL_PROOF_AFTER_ADDRS or more
# addresses in a day, every address must add the SMS code sent to the mobile on record.
HPF_PORTAL_PROOF_AFTER_FAILURES = env_int(
    "HPF_PORTAL_PROOF_AFTER_FAILURES", default=10, low=1, high=10**6
)
HPF_PORTAL_PROOF_AFTER_ADDRS = env_int("HPF_PORTAL_PROOF_AFTER_ADDRS", default=3, low=1, high=1000)
# Per client address over every login: failed password steps an
# hour, and registration attempts an hour (the card-guessing of issue 11, item 14).
HPF_SIGNIN_FAILURES_PER_ADDR_HOUR = env_int(
    "HPF_SIGNIN_FAILURES_PER_ADDR_HOUR", default=30, low=1, high=10**6
)
HPF_REGISTER_PER_ADDR_HOUR = env_int("HPF_REGISTER_PER_ADDR_HOUR", default=10, low=1, high=10**6)
# SMS budgets (every one-time code by SMS): per mobile number and per client address, an hour
# and a day; wrong codes per person an hour, counted across all of their codes.
HPF_SMS_PER_NUMBER_HOUR = env_int("HPF_SMS_PER_NUMBER_HOUR", default=5, low=1, high=10**6)
HPF_SMS_PER_NUMBER_DAY = env_int("HPF_SMS_PER_NUMBER_DAY", default=10, low=1, high=10**6)
HPF_SMS_PER_ADDR_HOUR = env_int("HPF_SMS_PER_ADDR_HOUR", default=10, low=1, high=10**6)
HPF_SMS_PER_ADDR_DAY = env_int("HPF_SMS_PER_ADDR_DAY", default=30, low=1, high=10**6)
HPF_CODE_FAILURES_PER_PERSON_HOUR = env_int(
    "HPF_CODE_FAILURES_PER_PERSON_HOUR", default=10, low=1, high=10**6
)
# SMS: a class like Django's e-mail backends. The outbox keeps messages in the database (the
# demo's /portal/dev/outbox/ shows them); the gateway POSTs JSON to the operator's URL.
HPF_SMS_BACKEND = env_str(
    "HPF_SMS_BACKEND",
    default="hpf.identity.sms.OutboxSmsBackend"
    if DEBUG or GENERATE_SECRETS
    else "hpf.identity.sms.HttpGatewaySmsBackend",
)
HPF_SMS_GATEWAY_URL = env_str("HPF_SMS_GATEWAY_URL", default="")
HPF_SMS_GATEWAY_TOKEN = (
    env_secret(
        "HPF_SMS_GATEWAY_TOKEN", VAR_DIR, generate=GENERATE_SECRETS, nbytes=24, min_length=16
    )
    if HPF_SMS_BACKEND.endswith("HttpGatewaySmsBackend") or GENERATE_SECRETS
    else ""
)
if HPF_SMS_BACKEND.endswith("HttpGatewaySmsBackend") and not HPF_SMS_GATEWAY_URL.startswith(
    ("https://", "http://")
):
    raise ImproperlyConfigured(
        f"HPF_SMS_GATEWAY_URL={HPF_SMS_GATEWAY_URL!r} must be the SMS gateway's http(s) URL."
    )
EMAIL_BACKEND = env_str(
    "HPF_EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
DEFAULT_FROM_EMAIL = env_str("HPF_EMAIL_FROM", default="noreply@hpf.km.example")
OTP_TOTP_ISSUER = "昆明住房公积金"

# --- Logs and metrics (issue 15; hpf/common/logs.py, hpf/ops/views.py) ----------------------
# Every record passes the masking filter (ID numbers, card numbers and one-time codes masked)
# and carries its request's id; HPF_LOG_FORMAT=json writes one JSON object a line.
_log_format = env_str("HPF_LOG_FORMAT", default="text")
if _log_format not in ("text", "json"):
    raise ImproperlyConfigured(f"HPF_LOG_FORMAT={_log_format!r} must be text or json.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "mask": {"()": "hpf.common.logs.MaskingFilter"},
        "request_id": {"()": "hpf.common.logs.RequestIdFilter"},
    },
    "formatters": {
        "json": {"()": "hpf.common.logs.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["mask", "request_id"],
            "formatter": _log_format,
        }
    },
    "root": {"handlers": ["console"], "level": env_str("HPF_LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
# /metrics answers a bearer token (HPF_METRICS_TOKEN or HPF_METRICS_TOKEN_FILE, at least 16
# characters) or an address listed in HPF_METRICS_ALLOWED_IPS; nothing is allowed by default.
HPF_METRICS_TOKEN = env_optional_secret("HPF_METRICS_TOKEN", min_length=16)
HPF_METRICS_ALLOWED_IPS = env_list("HPF_METRICS_ALLOWED_IPS", default=[])
# ------------------------------------------------------------------------------------------

# Certificates (hpf.certificates, hpf.channels.verify): the centre's document-signing key and
# certificate (PEM), the public address printed in each certificate's QR code, and the public
# verification page's throttles (fixed windows in the cache; failures = "not found" answers).
HPF_CERT_KEY_FILE, HPF_CERT_FILE = signing_material(VAR_DIR, generate=GENERATE_SECRETS)
HPF_PUBLIC_BASE_URL = env_url(
    "HPF_PUBLIC_BASE_URL",
    default=f"http://127.0.0.1:{HPF_PORT}" if DEBUG or GENERATE_SECRETS else "",
)
HPF_VERIFY_WINDOW_S = env_int("HPF_VERIFY_WINDOW_S", default=900, low=1, high=86400)
HPF_VERIFY_REQUESTS_PER_IP = env_int("HPF_VERIFY_REQUESTS_PER_IP", default=300, low=1, high=10**6)
HPF_VERIFY_FAILURES_PER_IP = env_int("HPF_VERIFY_FAILURES_PER_IP", default=10, low=1, high=10**6)
HPF_VERIFY_FAILURES_PER_SERIAL = env_int(
    "HPF_VERIFY_FAILURES_PER_SERIAL", default=5, low=1, high=10**6
)
HPF_VERIFY_UPLOAD_MAX_BYTES = env_int(
    "HPF_VERIFY_UPLOAD_MAX_BYTES", default=5 * 1024 * 1024, low=1024, high=100 * 1024 * 1024
)

# Appointments (预约): counter slots of HPF_APPOINTMENT_SLOT_MINUTES from the working day's
# start, at most HPF_APPOINTMENT_CAPACITY bookings per hall and slot. The working day
# (business time, HPF_WORK_START_HOUR to HPF_WORK_END_HOUR) also bounds the auditors'
# "reads outside working hours" report.
HPF_APPOINTMENT_CAPACITY = env_int("HPF_APPOINTMENT_CAPACITY", default=4, low=1, high=1000)
HPF_APPOINTMENT_SLOT_MINUTES = env_int("HPF_APPOINTMENT_SLOT_MINUTES", default=30, low=5, high=240)
HPF_WORK_START_HOUR = env_int("HPF_WORK_START_HOUR", default=9, low=0, high=23)
HPF_WORK_END_HOUR = env_int("HPF_WORK_END_HOUR", default=17, low=1, high=24)
# A security case's account freeze lapses unless a second person confirms it within this time.
HPF_CASE_FREEZE_CONFIRM_HOURS = env_int("HPF_CASE_FREEZE_CONFIRM_HOURS", default=4, low=1, high=72)

# The audit trail (hpf.audit.services): events are sealed when written and linked into the
# hash chain after commit. A process that recorded an event links at most once every
# HPF_AUDIT_LINK_INTERVAL_MS (0: after every commit); ``hpf verify-audit`` reports a pending
# event older than HPF_AUDIT_MAX_LINK_LAG_S (the linker, ``hpf link-audit --follow``, is not
# running).
HPF_AUDIT_LINK_INTERVAL_MS = env_int("HPF_AUDIT_LINK_INTERVAL_MS", default=200, low=0, high=60_000)
# HPF_AUDIT_LINK_AFTER_COMMIT=0: requests never link (where ``hpf link-audit --follow`` runs
# beside the application servers, as deploy/ and ``make demo`` run it), so no page view waits
# for a link; events then wait up to the linker's interval (1 s) for their place in the chain.
HPF_AUDIT_LINK_AFTER_COMMIT = env_bool("HPF_AUDIT_LINK_AFTER_COMMIT", default=True)
HPF_AUDIT_MAX_LINK_LAG_S = env_int("HPF_AUDIT_MAX_LINK_LAG_S", default=300, low=1, high=7 * 86400)

# Partner channels (hpf.partners, hpf.channels.kiosk). The kiosk page's stand-in card reader
# and signing bridge (demo and tests only: it signs as HPF_KIOSK_DEMO_CLIENT with that
# client's secret, which a real kiosk shell keeps to itself) and the screen's idle timeout.
HPF_KIOSK_DEMO_BRIDGE = env_bool("HPF_KIOSK_DEMO_BRIDGE", default=DEBUG or GENERATE_SECRETS)
HPF_KIOSK_DEMO_CLIENT = env_str("HPF_KIOSK_DEMO_CLIENT", default="demo-kiosk")
HPF_KIOSK_IDLE_S = env_int("HPF_KIOSK_IDLE_S", default=60, low=5, high=600)
