from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from oauth2_provider import views as oauth_views

from hpf.channels.govapp import consent
from hpf.channels.portal import views_pages as portal_pages
from hpf.channels.web import views
from hpf.ops import views as ops_views

urlpatterns = [
    path("", views.home, name="home"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("healthz", ops_views.healthz, name="healthz"),
    path("readyz", ops_views.readyz, name="readyz"),
    path("metrics", ops_views.metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("api/sync/", include("hpf.sync.urls")),
    path("api/partner/", include("hpf.partners.urls")),
    path("kiosk/", include("hpf.channels.kiosk.urls")),
    path("backoffice/", include("hpf.channels.backoffice.urls")),
    path("staff/audit/", include("hpf.channels.auditor.urls")),
    path("staff/", include("hpf.staff.urls")),
    path("counter/", include("hpf.channels.counter.urls")),
    path("verify/", include("hpf.channels.verify.urls")),
    path("casework/", include("hpf.channels.casework.urls")),
    path("cases/", include("hpf.channels.cases.urls")),
    path("api/v1/", include("hpf.api.urls")),
    path("portal/govapp/", include("hpf.channels.govapp.urls")),
    path("portal/oauth/authorize/", consent.authorize_view, name="oauth_authorize"),
    path("oauth/token/", oauth_views.TokenView.as_view(), name="oauth_token"),
    path("oauth/revoke/", oauth_views.RevokeTokenView.as_view(), name="oauth_revoke"),
    path("portal/", include("hpf.channels.portal.urls")),
]

if settings.HPF_BENCH_ENDPOINTS:  # bench/portal.py only; off unless HPF_BENCH_ENDPOINTS=1
    urlpatterns += [
        path("bench/pk/<int:account_id>", views.bench_pk, name="bench_pk"),
        path(
            "bench/audited/<int:account_id>/<int:depositor_id>",
            views.bench_audited,
            name="bench_audited",
        ),
        path("bench/frame/", portal_pages.bench_frame, name="bench_frame"),
    ]
