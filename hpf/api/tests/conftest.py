import pytest


@pytest.fixture(autouse=True)
def fresh_rate_windows():
    """The clock is frozen in tests, so every call shares one rate window: start each empty."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def responses_match_the_document(monkeypatch):
    """Every response of every test here is checked against the generated OpenAPI document."""
    from hpf.common.tests.openapi_check import validating_client

    with validating_client(monkeypatch):
        yield
