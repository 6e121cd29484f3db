from django.urls import include, path

from devtools.govapp_idp import views

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("", include("oauth2_provider.urls", namespace="oauth2_provider")),
]
