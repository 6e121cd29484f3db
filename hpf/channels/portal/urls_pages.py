"""The portal's account pages, calculators and PWA files. Included into the ``portal``
namespace by ``hpf.channels.portal.urls`` (the sign-in's module) at ``/portal/``."""

from django.urls import path

from hpf.channels.portal import views_pages, views_public

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
