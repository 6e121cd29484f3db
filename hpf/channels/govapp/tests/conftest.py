import pytest

from hpf.channels.govapp import oidc
from hpf.channels.govapp.tests.fakeidp import CLIENT_ID, CLIENT_SECRET, FakeProvider


@pytest.fixture
def idp(settings):
    """A running stand-in provider, configured as our 一部手机办事通 issuer."""
    provider = FakeProvider()
    settings.HPF_GOVAPP_ISSUER = provider.issuer
    settings.HPF_GOVAPP_CLIENT_ID = CLIENT_ID
    settings.HPF_GOVAPP_CLIENT_SECRET = CLIENT_SECRET
    oidc.forget_cached()
    yield provider
    oidc.forget_cached()
    provider.close()
