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


LANGUAGE_SOURCE = (
    '{% load i18n %}{% translate "账户总览" %}|{% language "en" %}{% translate "账户总览" %}|'
    '{% language "zh-hans" %}{% translate "退出登录" %}{% endlanguage %}|'
    '{% translate "退出登录" %}{% endlanguage %}|{% translate "退出登录" %}'
)


def test_the_language_is_looked_up_per_render_and_again_inside_a_language_block(monkeypatch):
    """The language is kept for one render: the same template rendered in another language
    says the other language, and ``{% language %}`` blocks say theirs, nested or not."""
    template = Engine.get_default().from_string(LANGUAGE_SOURCE)
    with translation.override("zh-hans"):
        zh = template.render(Context())
    with translation.override("en"):
        en = template.render(Context())
    assert zh == "账户总览|Account overview|退出登录|Sign out|退出登录"
    assert en == "Account overview|Account overview|退出登录|Sign out|Sign out"
    monkeypatch.setattr(TranslateNode, "render", i18ncache._django_render)
    with translation.override("zh-hans"):
        assert template.render(Context()) == zh
