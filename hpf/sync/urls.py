from django.urls import path

from hpf.sync import views

app_name = "sync"
urlpatterns = [
    path("v1/transactions", views.transactions, name="transactions"),
]
