"""Counter URLs. Everything about a depositor lives under ``s/<sid>/``: ``sid`` is the
ID-check session's opaque id, so no URL ever carries an ID number or an account id."""

from django.urls import path

from hpf.channels.counter import views
from hpf.channels.counter.hotline_views import hotline_password
from hpf.channels.counter.online_views import online_access

app_name = "counter"
urlpatterns = [
    path("", views.home, name="home"),
    path("idcheck/", views.open_session, name="open"),
    path("s/<str:sid>/", views.overview, name="overview"),
    path("s/<str:sid>/deposits/", views.deposits, name="deposits"),
    path("s/<str:sid>/interest/", views.interest, name="interest"),
    path("s/<str:sid>/withdrawals/", views.withdrawals, name="withdrawals"),
    path("s/<str:sid>/loans/", views.loans, name="loans"),
    path("s/<str:sid>/propose/<str:kind>/", views.propose, name="propose"),
    path("s/<str:sid>/close/", views.close, name="close"),
    path("s/<str:sid>/certificates/", views.certificates, name="certificates"),
    path("s/<str:sid>/dispute/", views.file_dispute, name="dispute"),
    path("s/<str:sid>/appointment/", views.book_appointment, name="appointment"),
    path("s/<str:sid>/hotline-password/", hotline_password, name="hotline_password"),
    path("s/<str:sid>/online-access/", online_access, name="online_access"),
    path("approvals/", views.approvals, name="approvals"),
    path("approvals/<int:proposal_id>/<str:decision>/", views.decide, name="decide"),
]
