from django.urls import path, re_path

from hpf.api import docs, views, views_services

app_name = "api"

urlpatterns = [
    path("openapi.json", views.openapi_json, name="openapi"),
    path("docs", docs.docs, name="docs"),
    path("auth/login", views.auth_login, name="auth_login"),
    path("auth/verify", views.auth_verify, name="auth_verify"),
    path("me/account", views.me_account, name="me_account"),
    path("me/deposits", views.me_deposits, name="me_deposits"),
    path("me/interest", views.me_interest, name="me_interest"),
    path("me/withdrawals", views.me_withdrawals, name="me_withdrawals"),
    path("me/loans", views.me_loans, name="me_loans"),
    path("me/loans/<str:contract_no>", views.me_loan, name="me_loan"),
    path("me/disputes", views_services.me_disputes, name="me_disputes"),
    path("me/appointments", views_services.me_appointments, name="me_appointments"),
    path("me/certificates", views_services.me_certificates, name="me_certificates"),
    path(
        "me/certificates/<str:serial>/pdf",
        views_services.me_certificate_pdf,
        name="me_certificate_pdf",
    ),
    path("me/readers", views_services.me_readers, name="me_readers"),
    path("tokens/revoke", views.token_revoke, name="token_revoke"),
    path("calculators/loan", views.calc_loan, name="calc_loan"),
    path("calculators/deposit", views.calc_deposit, name="calc_deposit"),
    re_path(r"^(?P<rest>.*)$", views.not_found),
]
