from django.urls import path

from hpf.staff import views

app_name = "staff"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_view, name="login"),
    path("login/code/", views.otp_view, name="otp"),
    path("logout/", views.logout_view, name="logout"),
]
