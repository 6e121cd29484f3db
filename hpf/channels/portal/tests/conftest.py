import pytest


@pytest.fixture(autouse=True)
def portal_urls(settings):
    settings.ROOT_URLCONF = "hpf.channels.portal.tests.urls"


@pytest.fixture
def signed_in():
    """``signed_in(client, account)``: the depositor's session as the sign-in leaves it."""
    from hpf.channels.portal.auth import SESSION_KEY

    def sign(client, account):
        session = client.session
        session[SESSION_KEY] = account.depositor_id
        session.save()
        return client

    return sign
