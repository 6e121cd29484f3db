"""The depositor portal at /portal/: the sign-in side (this module) and the personal pages."""

from django.urls import path

from hpf.channels.portal import identity_views as v
from hpf.channels.portal.hotline_views import hotline_password_view
from hpf.channels.portal.urls_pages import urlpatterns as pages
from hpf.channels.portal.views_channels import channel_switches_view

app_name = "portal"

urlpatterns = [
    path("login/", v.login_view, name="login"),
    path("login/code/", v.login_code_view, name="login_code"),
    path("login/passkey/options/", v.passkey_login_options, name="passkey_login_options"),
    path("login/passkey/", v.passkey_login, name="passkey_login"),
    path("logout/", v.logout_view, name="logout"),
    path("register/", v.register_view, name="register"),
    path("register/finish/", v.register_finish_view, name="register_finish"),
    path("reset/", v.reset_view, name="reset"),
    path("reset/finish/", v.reset_finish_view, name="reset_finish"),
    path("unfreeze/", v.unfreeze_view, name="unfreeze"),
    path("security/", v.security_view, name="security"),
    path("security/reauth/", v.reauth_view, name="reauth"),
    path("security/password/", v.password_view, name="password"),
    path("security/mobile/", v.mobile_view, name="mobile"),
    path("security/email/", v.email_view, name="email"),
    path("security/totp/", v.totp_view, name="totp"),
    path("security/passkeys/options/", v.passkey_register_options, name="passkey_options"),
    path("security/passkeys/", v.passkey_register, name="passkey_register"),
    path("security/passkeys/remove/", v.passkey_remove, name="passkey_remove"),
    path("security/sessions/end/", v.session_end_view, name="session_end"),
    path("security/grants/revoke/", v.grant_revoke_view, name="grant_revoke"),
    path("security/notifications/", v.notifications_view, name="notifications"),
    path("security/freeze/", v.freeze_view, name="freeze"),
    path("security/channels/", channel_switches_view, name="channel_switches"),
    path("security/hotline/", hotline_password_view, name="hotline_password"),
    path("dev/outbox/", v.outbox_view, name="outbox"),
]
# The personal pages, calculators and PWA files (overview at "", deposits, …).
urlpatterns += pages
