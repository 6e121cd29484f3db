"""``{% translate "常量" %}`` without a lazy translation per use.

Django's ``TranslateNode`` builds a lazy translation object, localizes and escapes it on every
render: about a third of the portal overview's template time goes to its fifty constant
labels. The result depends only on the message, the active language and the context's
autoescape and localization flags, so it is kept per process under exactly that key. Only
constant messages without a ``context`` argument, filters or ``noop`` take this path;
everything else renders as Django renders it. The catalogues are read once per process (as
Django's own translation cache does), so nothing here can go stale.

The active language is looked up once per template render, not once per tag (``language``):
Django keeps it in a context-local object whose every read costs about 2 µs, and a portal
page has some thirty constant labels. The render context holds it for the template being
rendered (an included template has its own and looks it up again); ``{% language %}``, the
one tag that changes the language in the middle of a render, clears it for its block and
puts it back after.
"""

from __future__ import annotations

from typing import Any

from django.template.base import Variable, render_value_in_context
from django.template.context import Context
from django.templatetags.i18n import LanguageNode, TranslateNode
from django.utils.safestring import SafeData, mark_safe
from django.utils.translation import get_language

# A bound on the number of (message, language, flags) kept; the templates hold a few hundred.
LIMIT = 20_000
_cache: dict[tuple[str, str | None, bool, bool], str] = {}
_django_render = TranslateNode.render
_django_language_render = LanguageNode.render
# The render context's key for the language of the template being rendered.
_LANGUAGE = "hpf.i18ncache.language"


def language(context: Context) -> str | None:
    """``get_language()`` as it is for this template's render, looked up once per render."""
    render_context = context.render_context
    lang: str | None = render_context.get(_LANGUAGE)
    if lang is None:
        lang = render_context[_LANGUAGE] = get_language()
    return lang


def _language_render(self: LanguageNode, context: Context) -> str:
    render_context = context.render_context
    outer = render_context.get(_LANGUAGE)
    render_context[_LANGUAGE] = None  # looked up again under the block's language
    try:
        return _django_language_render(self, context)
    finally:
        render_context[_LANGUAGE] = outer


def _render(self: TranslateNode, context: Any) -> str:
    fe = self.filter_expression
    var = fe.var
    if (
        self.noop
        or self.message_context
        or fe.filters
        or not isinstance(var, Variable)
        or var.lookups is not None
        or not isinstance(var.literal, str)
    ):
        return _django_render(self, context)
    key = (var.literal, language(context), bool(context.autoescape), bool(context.use_l10n))
    value = _cache.get(key)
    if value is None:
        var.translate = True
        value = render_value_in_context(fe.resolve(context), context)
        # As Django does: the percent signs doubled in template text are restored.
        is_safe = isinstance(value, SafeData)
        value = value.replace("%%", "%")
        value = mark_safe(value) if is_safe else value  # noqa: S308 - safe before, as in Django
        if len(_cache) >= LIMIT:
            _cache.clear()
        _cache[key] = value
    if self.asvar:
        context[self.asvar] = value
        return ""
    return value


def install() -> None:
    TranslateNode.render = _render  # type: ignore[method-assign]
    LanguageNode.render = _language_render  # type: ignore[method-assign]
