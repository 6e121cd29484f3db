from django.urls import path, re_path

from hpf.partners.api import api

app_name = "partner"
urlpatterns = [
    path("v1/", api.urls),
    re_path(r"^(?P<rest>.*)$", api.not_found_view()),
]
