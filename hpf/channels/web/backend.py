"""Django's template backend, with each render's context freed as soon as the render ends.

A ``RequestContext`` keeps its dictionaries in a list, and the ones its own ``update()`` made
(``ContextDict``, one of them on every ``RequestContext``) point back at it: a reference
cycle, which only CPython's cyclic garbage collector can free. Everything the page's context
held — the account, the rendered charts, a thirty-year overview's 360 month-end balances —
then outlives the request until the next collection, which has to traverse it first, and
anything still alive in the middle of a later request is promoted to an older generation
and traversed again there. Emptying the context's list once the render has returned (or
failed) breaks the cycle, so reference counting frees the context and all it held at once.

Nothing reads a context after its render: ``render()`` makes it and lets it go, and the test
client's record of it (``response.context``) is a copy taken during the render. Figures:
bench/README.md.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.template import TemplateDoesNotExist
from django.template.backends import django as django_backend
from django.template.context import make_context
from django.utils.safestring import SafeString


class Template(django_backend.Template):
    def render(
        self, context: dict[str, Any] | None = None, request: HttpRequest | None = None
    ) -> SafeString:
        made = make_context(context, request, autoescape=self.backend.engine.autoescape)
        try:
            return self.template.render(made)
        except TemplateDoesNotExist as exc:
            django_backend.reraise(exc, self.backend)
            raise  # not reached: reraise raises
        finally:
            made.dicts.clear()


class DjangoTemplates(django_backend.DjangoTemplates):
    """``django.template.backends.django.DjangoTemplates`` whose templates are ``Template``."""

    def from_string(self, template_code: str) -> Template:
        return Template(self.engine.from_string(template_code), self)

    def get_template(self, template_name: str) -> Template:
        try:
            return Template(self.engine.get_template(template_name), self)
        except TemplateDoesNotExist as exc:
            django_backend.reraise(exc, self)
            raise  # not reached: reraise raises
