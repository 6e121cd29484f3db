"""The project's URLs with a placeholder ``portal:login`` (the sign-in branch provides the real
one): the redirect target of ``depositor_required`` in these tests."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from hpf import urls as root
from hpf.channels.portal import urls_pages


def login_placeholder(request: HttpRequest) -> HttpResponse:
    return HttpResponse("sign-in placeholder")


portal = [*urls_pages.urlpatterns, path("login/", login_placeholder, name="login")]
urlpatterns = [
    *(p for p in root.urlpatterns if getattr(p, "namespace", None) != "portal"),
    path("portal/", include((portal, "portal"))),
]
