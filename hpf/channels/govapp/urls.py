"""一部手机办事通 sign-in at /portal/govapp/."""

from django.urls import path

from hpf.channels.govapp import views

app_name = "govapp"

urlpatterns = [
    path("start/", views.start_view, name="start"),
    path("callback/", views.callback_view, name="callback"),
    path("code/", views.code_view, name="code"),
    path("embed/<slug:page>/", views.embed_view, name="embed"),
]
