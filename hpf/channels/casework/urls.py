"""Disputes and appointments for a hall's clerks and supervisors. URLs carry a dispute's or
an appointment's number, never an ID number or an account id."""

from django.urls import path

from hpf.channels.casework import views

app_name = "casework"
urlpatterns = [
    path("disputes/", views.disputes, name="disputes"),
    path("disputes/<int:dispute_id>/", views.dispute, name="dispute"),
    path("disputes/<int:dispute_id>/<str:action>/", views.dispute_action, name="dispute_action"),
    path("appointments/", views.appointments, name="appointments"),
    path(
        "appointments/<int:appointment_id>/<str:action>/",
        views.appointment_action,
        name="appointment_action",
    ),
]
