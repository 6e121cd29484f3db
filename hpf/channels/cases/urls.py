from django.urls import path

from hpf.channels.cases import views

app_name = "cases"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("<int:case_id>/", views.detail, name="detail"),
    path("<int:case_id>/act/<str:what>/", views.act, name="act"),
    path("hotline/", views.hotline, name="hotline"),
    path("counter/<str:sid>/", views.counter, name="counter"),
]
