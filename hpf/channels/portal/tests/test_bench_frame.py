"""The benchmarks' signed-in frame (``bench_frame``, routed only with ``HPF_BENCH_ENDPOINTS``):
a personal page with nothing in it, as make bench measures it beside the overview — the
session checked, one audited read of the own account, the portal's frame."""

from __future__ import annotations

import pytest
from django.urls import include, path

from hpf.audit.models import AuditEvent
from hpf.channels.portal.views_pages import bench_frame

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

# The site's routes with the benchmark's one, as hpf.urls adds it when told to.
urlpatterns = [path("bench/frame/", bench_frame), path("", include("hpf.urls"))]


def test_the_frame_reads_the_own_account_once_and_shows_no_figure(client, owner, signed_in):
    signed_in(client, owner)
    before = AuditEvent.objects.count()
    response = client.get("/bench/frame/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'aria-current="page"' in page  # the account tabs: a signed-in frame
    assert owner.account_no not in page
    assert "7,200.00" not in page and "7200.00" not in page
    events = AuditEvent.objects.order_by("pk")[before:]
    assert [(e.action, e.details.get("view")) for e in events] == [("account.read", "bench")]
    assert response["Cache-Control"].startswith("max-age=0")


def test_the_frame_wants_a_signed_in_depositor(client, owner):
    response = client.get("/bench/frame/")
    assert response.status_code == 302
    assert "/portal/login/" in response["Location"]
    assert not AuditEvent.objects.filter(action="account.read").exists()


def test_the_frame_is_not_routed_without_the_benchmarks_setting() -> None:
    from django.urls import Resolver404, resolve

    with pytest.raises(Resolver404):
        resolve("/bench/frame/", urlconf="hpf.urls")
