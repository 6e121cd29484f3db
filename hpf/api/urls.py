from django.urls import path, re_path

from hpf.api import docs, views, views_services  # noqa: F401  (the modules register endpoints)
from hpf.api.base import api

app_name = "api"

urlpatterns = [
    path("docs", docs.docs, name="docs"),
    path("", api.urls),
    re_path(r"^(?P<rest>.*)$", api.not_found_view()),
]
