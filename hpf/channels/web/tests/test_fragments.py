"""``{% fragment %}`` (hpf.channels.web.templatetags.fragments): a frame part rendered once per
language and named values, with each request's CSRF token and path put in afterwards."""

import re

import pytest
from django.template import Context, Engine, RequestContext, TemplateSyntaxError
from django.test import RequestFactory
from django.utils import translation

SOURCE = (
    "{% load i18n fragments %}"
    '{% fragment who=who %}<p>{% translate "退出登录" %}|{{ who }}|{{ secret }}|'
    "{% csrf_token %}|{{ here }}</p>{% endfragment %}"
)
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([A-Za-z0-9]+)"')


@pytest.fixture
def template():
    return Engine.get_default().from_string(SOURCE)


def _page(template, path: str, who: str, lang: str = "zh-hans") -> str:
    request = RequestFactory().get(path)
    with translation.override(lang):
        return template.render(RequestContext(request, {"who": who, "secret": "不该出现"}))


def test_only_the_named_values_reach_the_fragment(template):
    html = _page(template, "/portal/", "<甲>")
    assert "&lt;甲&gt;" in html
    assert "不该出现" not in html  # not named: the kept text can never carry it
    assert "退出登录" in html


def test_each_request_gets_its_own_token_and_path(template):
    first = _page(template, "/portal/?page=2&year=2025", "甲")
    second = _page(template, "/portal/deposits/", "甲")
    one, two = TOKEN.search(first), TOKEN.search(second)
    assert one and two and one.group(1) != two.group(1)  # masked anew for each request
    assert len(one.group(1)) == 64
    assert "/portal/?page=2&amp;year=2025" in first
    assert "/portal/deposits/" in second and "page=2" not in second
    assert "\x02" not in first + second  # no stand-in left behind


def test_kept_per_value_and_language(template):
    node = template.nodelist[1]
    first, again = _page(template, "/", "甲"), _page(template, "/", "甲")
    assert TOKEN.sub("", first) == TOKEN.sub("", again)
    assert "乙" in _page(template, "/", "乙")
    english = _page(template, "/", "甲", lang="en")
    assert "Sign out" in english and "退出登录" not in english
    assert len(node.kept) == 3  # (甲, zh), (乙, zh), (甲, en)


def test_without_a_csrf_token_no_field_is_written(template):
    with translation.override("zh-hans"):
        html = template.render(Context({"who": "甲"}))
    assert "csrfmiddlewaretoken" not in html and "\x02" not in html


def test_a_block_inside_is_refused():
    with pytest.raises(TemplateSyntaxError, match="block"):
        Engine.get_default().from_string(
            "{% load fragments %}{% fragment %}{% block x %}{% endblock %}{% endfragment %}"
        )


def test_unnamed_arguments_are_refused():
    with pytest.raises(TemplateSyntaxError, match="name=value"):
        Engine.get_default().from_string("{% load fragments %}{% fragment who %}{% endfragment %}")
