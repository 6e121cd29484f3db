"""An upload's declared size is checked before its body is read (issue 11, item 14): the
remittance upload and the public PDF check answer 413 without reading a byte of the body."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from django.urls import reverse

from hpf.conftest import verified_client

pytestmark = pytest.mark.django_db


class Untouched(io.BytesIO):
    """A request body that records whether anyone read it."""

    read_at_all = False

    def read(self, size: int | None = -1, /) -> bytes:
        Untouched.read_at_all = True
        return super().read(size)

    def readline(self, size: int | None = -1, /) -> bytes:
        Untouched.read_at_all = True
        return super().readline(size)


def _post_huge(http: Client, url: str) -> object:
    Untouched.read_at_all = False
    return http.post(
        url,
        data=b"--x\r\n",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(10**10),
        **{"wsgi.input": Untouched(b"--x\r\n" * 10)},  # type: ignore[arg-type]
    )


def test_a_remittance_upload_over_the_limit_is_refused_unread(make_staff):
    http = verified_client(make_staff("clerk"))
    response = _post_huge(http, reverse("backoffice:remittance_upload"))
    assert response.status_code == 413  # type: ignore[attr-defined]
    assert "上限" in response.content.decode()  # type: ignore[attr-defined]
    assert not Untouched.read_at_all


def test_a_pdf_over_the_limit_is_refused_unread():
    response = _post_huge(Client(), reverse("verify:upload"))
    assert response.status_code == 413  # type: ignore[attr-defined]
    assert not Untouched.read_at_all


def test_an_upload_without_a_length_is_refused():
    Untouched.read_at_all = False
    response = Client().post(
        reverse("verify:upload"),
        data=b"x",
        content_type="application/pdf",
        CONTENT_LENGTH="",
        **{"wsgi.input": Untouched(b"x")},  # type: ignore[arg-type]
    )
    assert response.status_code == 411
    assert not Untouched.read_at_all
