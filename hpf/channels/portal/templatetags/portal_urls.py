"""``{% fixed_url 'portal:overview' %}``: ``{% url %}`` for a route without arguments, reversed
once per process (and script prefix) instead of on every page. The portal's frame (base.html)
links a dozen such routes on every page; they do not change while the process runs."""

from __future__ import annotations

from functools import lru_cache

from django import template
from django.urls import get_script_prefix, reverse

register = template.Library()


@lru_cache(maxsize=256)
def _reversed(name: str, prefix: str) -> str:
    return reverse(name)


@register.simple_tag
def fixed_url(name: str) -> str:
    return _reversed(name, get_script_prefix())
