"""hpf.wsgi: the application gunicorn serves, with what it loaded frozen out of the cyclic
garbage collector's passes (``gc.freeze``)."""

from __future__ import annotations

import subprocess
import sys


def test_the_wsgi_application_freezes_what_it_loaded() -> None:
    code = "import gc, hpf.wsgi; print(gc.get_freeze_count())"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    # Django, its applications, the settings and the URL patterns: far more than a handful.
    assert int(out.strip().splitlines()[-1]) > 10_000
