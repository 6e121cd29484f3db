from django.urls import path

from hpf.channels.verify import views

app_name = "verify"
urlpatterns = [
    path("", views.verify_form, name="form"),
    path("upload/", views.verify_upload, name="upload"),
    path("<str:serial>", views.verify_link, name="link"),
]
