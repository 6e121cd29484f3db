from django.urls import path

from hpf.channels.kiosk import views

app_name = "kiosk"
urlpatterns = [
    path("", views.kiosk_page, name="page"),
    path("demo-bridge/card", views.demo_card, name="demo_card"),
    path("demo-bridge/sign", views.demo_sign, name="demo_sign"),
]
