import pytest


@pytest.fixture(autouse=True)
def fresh_rate_windows():
    """The clock is frozen in tests, so every call shares one rate window: start each empty."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
