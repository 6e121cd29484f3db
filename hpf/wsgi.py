"""The WSGI application gunicorn serves (``hpf.wsgi:application``).

Once it is built, and the URL patterns with it, everything that exists is frozen out of the
cyclic garbage collector (``gc.freeze``): Django, the modules, the settings and the routes
live as long as the process, and each full collection otherwise traversed them all again —
some tens of milliseconds a time in a worker serving pages, a few times a thousand requests.
The collector still runs as before for everything made later. Done at import, so it happens
in each worker (or once in the master under ``--preload``, before the workers fork from it).
Figures: bench/README.md.
"""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hpf.settings")
application = get_wsgi_application()
get_resolver().url_patterns  # noqa: B018 - imports the URL configuration now, to be frozen too
gc.collect()
gc.freeze()
