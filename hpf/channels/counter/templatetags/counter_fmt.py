"""Display helpers for the staff console: the shared ones of ``hpf_fmt`` under the name the
counter's templates load."""

from __future__ import annotations

from django import template

from hpf.channels.web.templatetags.hpf_fmt import pct, period, yuan
from hpf.oversight.words import channel_words, period_words

register = template.Library()
register.filter("yuan", yuan)
register.filter("period", period)
register.filter("pct", pct)
register.filter("period_words", period_words)
register.filter("channel_words", channel_words)
