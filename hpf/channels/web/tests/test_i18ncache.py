"""``{% translate %}`` of a constant, kept per language and flags (hpf.channels.web.i18ncache):
the same output as Django's own rendering, in every language and escaping mode."""

from django.template import Context, Engine
from django.templatetags.i18n import TranslateNode
from django.utils import translation

from hpf.channels.web import i18ncache

SOURCE = (
    '{% load i18n %}<p>{% translate "账户总览" %}|{% translate "100%% <b>" %}|'
    '{% translate "退出登录" as out %}{{ out }}|{% translate "账户总览" noop %}|'
    '{% translate "月" context "日历" %}|{% translate who %}</p>'
)


def _render(lang: str, autoescape: bool) -> str:
    template = Engine.get_default().from_string(SOURCE)
    with translation.override(lang):
        return template.render(Context({"who": "退出登录"}, autoescape=autoescape))


def test_same_output_as_django_in_each_language_and_mode(monkeypatch):
    assert TranslateNode.render is i18ncache._render
    cases = [(lang, esc) for lang in ("zh-hans", "en") for esc in (True, False)]
    cached = [_render(lang, esc) for lang, esc in cases]
    cached_again = [_render(lang, esc) for lang, esc in cases]
    monkeypatch.setattr(TranslateNode, "render", i18ncache._django_render)
    plain = [_render(lang, esc) for lang, esc in cases]
    assert cached == cached_again == plain
    assert "Account overview" in plain[2] and "Sign out" in plain[2]
    assert "账户总览" in plain[0]
