"""Display helpers for the staff console: the shared ones of ``hpf_fmt`` under the name the
counter's templates load."""

from __future__ import annotations

from django import template

from hpf.channels.web.templatetags.hpf_fmt import pct, period, yuan

register = template.Library()
register.filter("yuan", yuan)
register.filter("period", period)
register.filter("pct", pct)
