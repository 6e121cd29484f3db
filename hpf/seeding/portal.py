"""Demo portal logins: a few synthetic depositors already registered (demo only, through
``hpf demo-logins``), so a person trying the demo can sign in at once."""

from __future__ import annotations

from django.contrib.auth.hashers import check_password, make_password

from hpf.common import clock
from hpf.identity.models import PortalLogin
from hpf.ledger.models import Posting, Reason
from hpf.registry.models import Depositor


def demo_portal_login(depositor: Depositor, password: str) -> bool:
    """Register ``depositor`` with ``password`` (once; the password is reset to the demo's).
    False for someone who could not register (no posted remittance yet)."""
    if not Posting.objects.filter(
        fund_account__depositor=depositor, reason=Reason.REMITTANCE
    ).exists():
        return False
    login = PortalLogin.objects.filter(depositor=depositor).first()
    if login is None:
        PortalLogin.objects.create(
            depositor=depositor,
            password=make_password(password),
            password_changed_at=clock.now(),
            created_at=clock.now(),
        )
    elif not check_password(password, login.password):
        login.password = make_password(password)
        login.frozen_at = None
        login.save(update_fields=["password", "frozen_at"])
    return True
