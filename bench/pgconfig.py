"""The PostgreSQL server settings that decide the city-scale figures, printed with every run
so that a figure is never quoted without the configuration it was measured on
(docs/postgresql.md says what production uses and why)."""

from __future__ import annotations

SETTINGS = (
    "shared_buffers",
    "max_wal_size",
    "checkpoint_timeout",
    "wal_compression",
    "synchronous_commit",
    "work_mem",
)


def server_settings(url: str) -> str:
    """``shared_buffers=6GB max_wal_size=16GB …`` as the server reports them."""
    import psycopg

    with psycopg.connect(url) as con:
        rows = con.execute(
            "SELECT name, current_setting(name) FROM pg_settings WHERE name = ANY(%s)",
            [list(SETTINGS)],
        ).fetchall()
    found = dict(rows)
    return " ".join(f"{name}={found.get(name, '?')}" for name in SETTINGS)
