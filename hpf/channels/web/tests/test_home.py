"""The home page: the entrances of every channel, each one leading somewhere real."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client

pytestmark = pytest.mark.django_db


def test_every_entrance_on_the_home_page_leads_to_a_page_or_a_sign_in():
    http = Client()
    page = http.get("/")
    assert page.status_code == 200
    links = re.findall(r'href="(/[^"]*)"', page.content.decode())
    assert {"/portal/login/", "/verify/", "/counter/", "/backoffice/runs/"} <= set(links)
    for link in links:
        if link.startswith(settings.STATIC_URL):  # served by whitenoise from collectstatic
            assert finders.find(link.removeprefix(settings.STATIC_URL)), link
            continue
        response = http.get(link)
        assert response.status_code in (200, 302), link
        if response.status_code == 302:  # staff pages: to a sign-in, nowhere else
            assert "login" in response["Location"], (link, response["Location"])
