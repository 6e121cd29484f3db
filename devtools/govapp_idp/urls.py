from django.urls import include, path

from devtools.govapp_idp import views

urlpatterns = [
    path("", views.home_view, name="home"),
    path("login/", views.login_view, name="login"),
    path("", include("oauth2_provider.urls", namespace="oauth2_provider")),
]
