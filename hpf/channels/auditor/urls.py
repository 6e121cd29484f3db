"""The auditors' console under /staff/audit/: search, export, unusual patterns."""

from django.urls import path

from hpf.channels.auditor import views

app_name = "auditor"
urlpatterns = [
    path("", views.search, name="search"),
    path("export/<str:fmt>/", views.export, name="export"),
    path("patterns/", views.patterns, name="patterns"),
]
