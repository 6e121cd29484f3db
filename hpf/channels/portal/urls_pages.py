"""The portal's account pages, calculators and PWA files. Included into the ``portal``
namespace by ``hpf.channels.portal.urls`` (the sign-in's module) at ``/portal/``."""

from django.urls import path

from hpf.channels.portal import views_pages, views_public, views_services

urlpatterns = [
    path("", views_pages.overview, name="overview"),
    path("deposits/", views_pages.deposits, name="deposits"),
    path("deposits/export.csv", views_pages.export_csv, name="export_csv"),
    path("deposits/export.xlsx", views_pages.export_xlsx, name="export_xlsx"),
    path("interest/", views_pages.interest, name="interest"),
    path("withdrawals/", views_pages.withdrawals, name="withdrawals"),
    path("loans/", views_pages.loans, name="loans"),
    path("loans/<str:contract_no>/", views_pages.loan_detail, name="loan_detail"),
    path("calculators/loan/", views_public.loan_calculator, name="calc_loan"),
    path("calculators/deposit/", views_public.deposit_calculator, name="calc_deposit"),
    path("offline/", views_public.offline, name="offline"),
    path("manifest.webmanifest", views_public.manifest, name="manifest"),
    path("sw.js", views_public.service_worker, name="sw"),
    path("preferences/", views_public.preferences, name="preferences"),
]

# Self-service (办事): disputes, appointments, certificates, who looked, messages.
urlpatterns += [
    path("services/", views_services.services, name="services"),
    path("services/disputes/", views_services.disputes, name="disputes"),
    path("services/disputes/missing/", views_services.dispute_missing, name="dispute_missing"),
    path("services/appointments/", views_services.appointments, name="appointments"),
    path(
        "services/appointments/<int:appointment_id>/cancel/",
        views_services.appointment_cancel,
        name="appointment_cancel",
    ),
    path("services/certificates/", views_services.certificates, name="certificates"),
    path(
        "services/certificates/<str:serial>.pdf",
        views_services.certificate_download,
        name="certificate_pdf",
    ),
    path("services/readers/", views_services.readers, name="readers"),
    path("services/messages/", views_services.inbox, name="messages"),
]
