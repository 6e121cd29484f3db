"""``{% load hpf_i18n %}`` renders every ``translate`` tag exactly as Django's ``i18n`` does."""

from __future__ import annotations

import pytest
from django.template import Context, Engine
from django.utils import translation

from hpf.channels.web.templatetags.hpf_i18n import LiteralTranslateNode

TAGS = [
    '{% translate "总览" %}',
    '{% trans "缴存" %}',
    # In the catalogue with its percent sign doubled, as Django stores template strings.
    '{% translate "年利率（可选，如 2.6%）" %}',
    '{% translate "not in the catalogue: 100% <b>&amp;</b>" %}',
    "{% translate '单引号' %}",
    '{% translate "总览" as label %}[{{ label }}]',
    '{% translate "总览" noop %}',
    '{% translate "总览" context "tab" %}',
    '{% translate "<i>总览</i>"|upper %}',
    "{% translate word %}",
    "{% blocktranslate with n=3 %}{{ n }} 个月{% endblocktranslate %}",
]


def _render(library: str, tag: str, autoescape: bool) -> str:
    engine = Engine(
        libraries={
            "i18n": "django.templatetags.i18n",
            "hpf_i18n": "hpf.channels.web.templatetags.hpf_i18n",
        },
        autoescape=autoescape,
    )
    template = engine.from_string(f"{{% load {library} %}}{tag}")
    return template.render(Context({"word": "<总览>"}, autoescape=autoescape))


@pytest.mark.parametrize("tag", TAGS)
@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("autoescape", [True, False])
def test_it_renders_as_djangos_translate(tag: str, language: str, autoescape: bool) -> None:
    with translation.override(language):
        assert _render("hpf_i18n", tag, autoescape) == _render("i18n", tag, autoescape)


def test_it_translates_in_the_language_of_the_request() -> None:
    with translation.override("en"):
        assert _render("hpf_i18n", '{% translate "总览" %}', True) == "Overview"
        rate = _render("hpf_i18n", '{% translate "年利率（可选，如 2.6%）" %}', True)
        assert rate == "Annual rate (optional, e.g. 2.6%)"
    with translation.override("zh-hans"):
        assert _render("hpf_i18n", '{% translate "总览" %}', True) == "总览"


def test_only_plain_literals_take_the_short_way() -> None:
    engine = Engine(libraries={"hpf_i18n": "hpf.channels.web.templatetags.hpf_i18n"})
    nodes = engine.from_string(
        '{% load hpf_i18n %}{% translate "a" %}{% translate "b" noop %}{% translate c %}'
    ).nodelist
    kinds = [type(n).__name__ for n in nodes if type(n).__name__.endswith("Node")]
    assert kinds == ["LoadNode", LiteralTranslateNode.__name__, "TranslateNode", "TranslateNode"]
