"""``HPF_DB_PREPARE``: on PostgreSQL the server binds the parameters and a statement a
connection has run five times is prepared (planned once); never through a transaction pooler."""

import json
import sys

import pytest
from django.db import connection

from hpf.common.tests.test_settings import run

SHOW = [
    sys.executable,
    "-c",
    "import json, django; django.setup(); from django.conf import settings;"
    " print(json.dumps(settings.DATABASES['default'].get('OPTIONS', {}), sort_keys=True))",
]
PG = "postgres://hpf@127.0.0.1:5432/hpf"


def _options(tmp_path, **env):
    code, out = run(SHOW, tmp_path, HPF_GENERATE_SECRETS="1", ALLOWED_HOSTS="x.example", **env)
    assert code == 0, out
    return json.loads(out.strip().splitlines()[-1])


@pytest.mark.slow
def test_prepared_on_postgresql_unless_pooled(tmp_path):
    direct = _options(tmp_path, DATABASE_URL=PG)
    assert direct["server_side_binding"] is True and direct["prepare_threshold"] == 5
    pooled = _options(tmp_path, DATABASE_URL=PG, HPF_DB_POOLED="1")
    assert "server_side_binding" not in pooled and "prepare_threshold" not in pooled
    # A pgbouncer that carries prepared statements (1.21+, max_prepared_statements set).
    both = _options(tmp_path, DATABASE_URL=PG, HPF_DB_POOLED="1", HPF_DB_PREPARE="1")
    assert both["server_side_binding"] is True
    assert "server_side_binding" not in _options(tmp_path, DATABASE_URL=PG, HPF_DB_PREPARE="0")
    assert "server_side_binding" not in _options(tmp_path)  # SQLite: nothing to prepare


@pytest.mark.django_db
def test_a_repeated_statement_is_planned_once():
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    from hpf.registry.models import Employer

    before = _prepared()
    for _ in range(6):
        list(Employer.objects.filter(unit_no="no-such-unit").values_list("pk"))
    after = _prepared()
    assert any("registry_employer" in s and "unit_no" in s for s in after - before)


def _prepared() -> set[str]:
    with connection.cursor() as cur:
        cur.execute("SELECT statement FROM pg_prepared_statements")
        return {row[0] for row in cur.fetchall()}
