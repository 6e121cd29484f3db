"""The template backend (hpf.channels.web.backend): a page's context, and everything in it, is
freed by reference counting when the render ends — not left in a cycle for the collector —
and the backend renders and fails exactly as Django's."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.template import TemplateDoesNotExist, TemplateSyntaxError, engines
from django.template.backends.base import BaseEngine
from django.template.backends.django import DjangoTemplates as DjangosOwn
from django.template.loader import render_to_string
from django.test import RequestFactory

from hpf.channels.web.backend import DjangoTemplates


class Held:
    """Something a page's context holds (the figures of a thirty-year history, say)."""


@contextmanager
def _no_collector() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _render_holding(engine: BaseEngine) -> weakref.ref[Held]:
    held = Held()
    ref = weakref.ref(held)
    request = RequestFactory().get("/portal/")
    template = engine.from_string("{% for x in rows %}{{ x }}{% endfor %}{{ held }}")
    html = template.render({"held": held, "rows": [1, 2]}, request)
    assert html.startswith("12")
    return ref


def test_the_settings_name_this_backend() -> None:
    assert isinstance(engines["django"], DjangoTemplates)


def test_a_rendered_context_is_freed_without_the_collector() -> None:
    with _no_collector():
        ref = _render_holding(engines["django"])
        assert ref() is None


def test_djangos_own_backend_leaves_it_to_the_collector() -> None:
    """What the backend is for: the same render through Django's backend keeps the context
    (and what it holds) alive in a cycle until the collector runs."""
    own = DjangosOwn(
        {"NAME": "own", "DIRS": [], "APP_DIRS": False, "OPTIONS": {"context_processors": []}}
    )
    with _no_collector():
        ref = _render_holding(own)
        assert ref() is not None
    gc.collect()
    assert ref() is None


def test_a_page_renders_as_before_and_a_missing_template_is_djangos_error() -> None:
    request = RequestFactory().get("/")
    html = render_to_string("portal/offline.html", {}, request=request)
    assert "<html" in html
    with pytest.raises(TemplateDoesNotExist):
        render_to_string("portal/no-such-page.html")
    with pytest.raises(TemplateSyntaxError):
        engines["django"].from_string("{% if %}")
