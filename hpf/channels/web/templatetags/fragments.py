"""``{% fragment name=value … %}…{% endfragment %}``: a part of a page's frame rendered once per
process for each language, script prefix, escaping mode and set of the values it names, then
reused.

The portal's frame (the header with its preference forms, the account tabs, the footer) is the
same for every depositor with the same display preferences, yet rendering it tag by tag cost
more than half of the overview's template time. A fragment is rendered in a context that holds
only the values it names — so it cannot show anything else, a person's data least of all —
plus two per-request values put in after the lookup:

- ``{% csrf_token %}``: the request's own masked token, exactly as Django's tag writes it;
- ``{{ here }}``: the request's path with its query string, escaped (a form's ``next``).

The rendered text is kept on the template node, so a template compiled again (DEBUG reloads
edited templates) starts empty; at most ``LIMIT`` variants per fragment are kept.
"""

from __future__ import annotations

from collections.abc import Hashable

from django import template
from django.template.base import FilterExpression, Node, NodeList, Parser, Token, token_kwargs
from django.template.context import Context
from django.template.defaulttags import CsrfTokenNode
from django.template.loader_tags import BlockNode
from django.urls import get_script_prefix
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from hpf.channels.web.i18ncache import language

register = template.Library()

LIMIT = 64
# Stand-ins rendered into the kept text; no escaping changes them, no page contains them.
_CSRF = "\x02hpf-csrf\x03"
_HERE = "\x02hpf-here\x03"
_CSRF_INPUT = CsrfTokenNode().render(Context({"csrf_token": _CSRF}))


class FragmentNode(Node):
    # Holds no block (the tag refuses one), so ``{% extends %}``'s search for blocks on every
    # render need not walk it.
    child_nodelists = ()

    def __init__(self, nodelist: NodeList, names: dict[str, FilterExpression]) -> None:
        self.nodelist = nodelist
        self.names = names
        self.kept: dict[Hashable, str] = {}

    def render(self, context: Context) -> SafeString:
        values = {name: expr.resolve(context) for name, expr in self.names.items()}
        key: Hashable = (
            language(context),
            get_script_prefix(),
            bool(context.autoescape),
            tuple(values.items()),
        )
        try:
            text = self.kept.get(key)
        except TypeError:  # a value that cannot be a key: rendered every time
            key, text = None, None
        if text is None:
            text = self.nodelist.render(context.new({**values, "csrf_token": _CSRF, "here": _HERE}))
            if key is not None:
                if len(self.kept) >= LIMIT:
                    self.kept.clear()
                self.kept[key] = text
        if _CSRF_INPUT in text:
            text = text.replace(_CSRF_INPUT, CsrfTokenNode().render(context))
        if _HERE in text:
            request = getattr(context, "request", None)
            here = request.get_full_path() if request is not None else ""
            text = text.replace(_HERE, conditional_escape(here) if context.autoescape else here)
        return mark_safe(text)  # noqa: S308 - rendered by the template engine, escaped there


@register.tag
def fragment(parser: Parser, token: Token) -> FragmentNode:
    bits = token.split_contents()[1:]
    names = token_kwargs(bits, parser, support_legacy=False)
    if bits:
        raise template.TemplateSyntaxError("{% fragment %} takes only name=value arguments")
    nodelist = parser.parse(("endfragment",))
    parser.delete_first_token()
    if nodelist.get_nodes_by_type(BlockNode):
        # A child template's block would be kept under its parent's key.
        raise template.TemplateSyntaxError("{% fragment %} cannot hold a {% block %}")
    return FragmentNode(nodelist, names)
