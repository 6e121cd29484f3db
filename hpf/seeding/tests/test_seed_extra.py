"""``hpf seed`` without the ``demo`` extra (no Faker installed): one line naming the extra,
exit 1, no traceback and nothing written."""

import os
import subprocess
import sys

# Faker made unimportable the way a missing package is (``import faker`` raises
# ModuleNotFoundError), then the console script's own entry point.
WITHOUT_FAKER = (
    "import sys; sys.modules['faker'] = None; "
    "from hpf.cli import main; sys.argv = ['hpf', 'seed', '--depositors', '3']; main()"
)


def test_seed_without_faker_names_the_extra(tmp_path):
    env = {**os.environ, "HPF_VAR_DIR": str(tmp_path), "HPF_GENERATE_SECRETS": "1"}
    env.pop("DATABASE_URL", None)  # a scratch SQLite file in tmp_path, never the suite's database
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_FAKER], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1
    assert "pip install 'hpf[demo]'" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "hpf.sqlite3").exists()  # refused before touching a database
