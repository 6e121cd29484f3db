"""The passkey domain comes from the settings, not from the request's host."""

from __future__ import annotations

import pytest

from hpf.identity.passkeys import PasskeyWrongAddress, relying_party


def test_the_rp_id_is_the_configured_domain_and_the_origin_the_page(settings):
    settings.HPF_WEBAUTHN_RP_ID = "localhost"
    settings.HPF_WEBAUTHN_ORIGINS = []
    rp = relying_party(scheme="http", host="localhost:8000")
    assert rp.rp_id == "localhost" and rp.origins == ["http://localhost:8000"]


def test_an_ip_address_is_refused_with_the_address_to_use(settings):
    settings.HPF_WEBAUTHN_RP_ID = "localhost"
    settings.HPF_WEBAUTHN_ORIGINS = []
    with pytest.raises(PasskeyWrongAddress) as refused:
        relying_party(scheme="http", host="127.0.0.1:8000")
    assert refused.value.code == "PASSKEY_WRONG_ADDRESS"
    assert "127.0.0.1" in refused.value.message
    assert "http://localhost:8000" in refused.value.message


def test_a_sub_domain_is_covered_and_a_look_alike_is_not(settings):
    settings.HPF_WEBAUTHN_RP_ID = "gjj.km.gov.cn"
    settings.HPF_WEBAUTHN_ORIGINS = []
    assert relying_party(scheme="https", host="www.gjj.km.gov.cn").rp_id == "gjj.km.gov.cn"
    with pytest.raises(PasskeyWrongAddress):
        relying_party(scheme="https", host="evilgjj.km.gov.cn")


def test_configured_origins_are_the_only_ones(settings):
    settings.HPF_WEBAUTHN_RP_ID = "gjj.km.gov.cn"
    settings.HPF_WEBAUTHN_ORIGINS = ["https://gjj.km.gov.cn"]
    rp = relying_party(scheme="https", host="gjj.km.gov.cn")
    assert rp.origins == ["https://gjj.km.gov.cn"]
    with pytest.raises(PasskeyWrongAddress) as refused:
        relying_party(scheme="http", host="gjj.km.gov.cn")
    assert "https://gjj.km.gov.cn" in refused.value.message
