"""Reading configuration from the environment, strictly.

A bad value stops the program with a message naming the variable: a service that guesses at
its configuration is worse than one that does not start. ``hpf/settings.py`` reads every
variable through these helpers (a test holds it to that), so every refusal reads the same:
``NAME='value' must be …``.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, *, default: bool) -> bool:
    """Read a yes/no variable; anything but 1/0/true/false/yes/no/on/off is refused."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use 1/0, true/false, yes/no).")


def _refuse(name: str, raw: str, what: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"{name}={raw!r} must be {what}.")


def env_str(name: str, *, default: str) -> str:
    """A text value as given (surrounding blanks removed); ``default`` when unset."""
    raw = os.environ.get(name)
    return default if raw is None else raw.strip()


def env_path(name: str, *, default: Path) -> Path:
    """A file or directory path; an empty value is refused."""
    raw = os.environ.get(name)
    if raw is None:
        return Path(default)
    if not raw.strip():
        raise _refuse(name, raw, "a path")
    return Path(raw.strip())


def env_int(name: str, *, default: int, low: int, high: int) -> int:
    """A whole number from the environment within [low, high]; anything else is refused."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    text = raw.strip()
    if not text.isdigit() or not low <= int(text) <= high:
        raise _refuse(name, raw, f"a whole number from {low} to {high}")
    return int(text)


def env_int_list(name: str, *, default: list[int], low: int, high: int) -> list[int]:
    """Comma-separated whole numbers, each within [low, high]."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    items = [item.strip() for item in raw.split(",")]
    if not all(item.isdigit() and low <= int(item) <= high for item in items):
        raise _refuse(name, raw, f"whole numbers from {low} to {high}, comma-separated")
    return [int(item) for item in items]


def env_url(name: str, *, default: str) -> str:
    """An http(s) URL without a trailing slash; an empty value counts as unset."""
    value = env_str(name, default=default).rstrip("/")
    if not value.startswith(("https://", "http://")):
        raise _refuse(name, value, "an http(s):// address")
    return value


def env_list(name: str, *, default: list[str]) -> list[str]:
    """Read a comma-separated list; empty items are refused as a likely typo."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    items = [item.strip() for item in raw.split(",")]
    if any(not item for item in items):
        raise ImproperlyConfigured(f"{name}={raw!r} has an empty item; use a comma-separated list.")
    return items


def private_dir(path: Path) -> None:
    """Create ``path`` (and its parents) and make it readable by its owner only (0700): the
    umask would otherwise decide, and an existing directory keeps whatever it had."""
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)


def env_optional_secret(name: str, *, min_length: int) -> str:
    """An optional secret from NAME or the file named by NAME_FILE ("" when neither is set);
    a value shorter than ``min_length`` or an unreadable file is refused."""
    value = env_str(name, default="")
    file_name = env_str(f"{name}_FILE", default="")
    if value and file_name:
        raise ImproperlyConfigured(f"Set {name} or {name}_FILE, not both.")
    if file_name:
        try:
            value = Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={file_name!r} cannot be read: {exc}") from exc
    if value and len(value) < min_length:
        raise ImproperlyConfigured(f"{name} must be at least {min_length} characters.")
    return value


def env_secret(
    name: str, var_dir: Path, *, generate: bool, nbytes: int, min_length: int = 32
) -> str:
    """Read a secret from NAME, or from the file named by NAME_FILE.

    With ``generate`` (demo and tests only) a missing secret is created once with the
    operating system's random source and kept in ``var/secrets/NAME`` (mode 0600), so a
    restarted demo can still decrypt its own data. Otherwise a missing secret is fatal.
    """
    value = os.environ.get(name)
    file_name = os.environ.get(f"{name}_FILE")
    if value is not None and file_name is not None:
        raise ImproperlyConfigured(f"Set {name} or {name}_FILE, not both.")
    if file_name is not None:
        try:
            value = Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={file_name!r} cannot be read: {exc}") from exc
    if value is None and generate:
        stored = var_dir / "secrets" / name
        if stored.exists():
            value = stored.read_text(encoding="utf-8").strip()
        else:
            private_dir(stored.parent)
            value = secrets.token_urlsafe(nbytes)
            fd = os.open(stored, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(value + "\n")
    if not value:
        raise ImproperlyConfigured(
            f"{name} is not set. Set it (or {name}_FILE) in the environment; "
            "for a demo, HPF_GENERATE_SECRETS=1 generates one under var/secrets/."
        )
    if len(value) < min_length:
        raise ImproperlyConfigured(
            f"{name} is too short ({len(value)} characters; at least {min_length})."
        )
    return value
