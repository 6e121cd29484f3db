"""``{% load hpf_i18n %}``: Django's ``i18n`` tags, with ``{% translate "literal" %}`` (the
frame and labels of every page, some fifty a page) rendered the short way.

For a literal, Django's node builds a lazy translation proxy on every render and passes it
through localisation, escaping and a percent-sign round trip; the text it ends with is the
catalogue's translation of the literal, marked safe (a literal in a template is trusted, its
translation too). ``LiteralTranslateNode`` computes exactly that directly, at render time, in
the language active for the request. Anything else (a variable, ``noop``, ``context``, a
filter) stays Django's node. ``makemessages`` finds the strings as before: it reads the tag
names, not the library they were loaded from.
"""

from __future__ import annotations

from django import template
from django.template.base import Parser, Token, Variable
from django.templatetags import i18n
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

register = template.Library()
register.tags.update(i18n.register.tags)
register.filters.update(i18n.register.filters)


class LiteralTranslateNode(template.Node):
    child_nodelists = ()

    def __init__(self, literal: str, asvar: str | None) -> None:
        # As Django's Variable does for a translated literal: percent signs doubled before
        # the catalogue look-up (they are stored so), restored after it; the literal is
        # template text, trusted, and so is its translation (Django marks both safe too).
        self.msgid = mark_safe(literal.replace("%", "%%"))  # noqa: S308
        self.asvar = asvar

    def render(self, context: template.Context) -> SafeString:
        value = mark_safe(gettext(self.msgid).replace("%%", "%"))  # noqa: S308
        if self.asvar:
            context[self.asvar] = value
            return SafeString()
        return value


@register.tag("translate")
@register.tag("trans")
def do_translate(parser: Parser, token: Token) -> template.Node:
    node = i18n.do_translate(parser, token)
    expression = node.filter_expression
    var = expression.var
    if (
        not node.noop
        and node.message_context is None
        and not expression.filters
        and isinstance(var, Variable)
        and isinstance(var.literal, str)
    ):
        return LiteralTranslateNode(var.literal, node.asvar)
    return node
