import pytest


@pytest.fixture
def signed_in():
    """``signed_in(client, account)``: the depositor's session as the sign-in leaves it."""
    from hpf.conftest import depositor_session

    def sign(client, account):
        session = client.session
        depositor_session(session, account.depositor_id)
        session.save()
        return client

    return sign
