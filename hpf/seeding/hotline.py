"""Demo hotline query passwords: the depositors ``hpf demo-logins`` prints get a six-digit
password derived from their id (synthetic people, demo only), so ``hpf ivr-call`` can be
tried at once."""

from __future__ import annotations

import hashlib

from hpf.audit.services import Actor
from hpf.common.crypto import decrypt
from hpf.hotline.models import HotlinePassword
from hpf.hotline.services import PinHasher, hotline_password_set, password_problem
from hpf.registry.models import Depositor


def demo_hotline_pin(depositor: Depositor) -> str:
    """The demo's hotline password of ``depositor``: stable, and one the policy accepts."""
    id_number = decrypt(depositor.id_number_enc, context=b"id_number")
    birth = depositor.birth_date.strftime("%Y%m%d")
    for n in range(100):
        digest = hashlib.sha256(f"hpf demo hotline {depositor.pk} {n}".encode()).digest()
        pin = f"{int.from_bytes(digest[:4], 'big') % 1_000_000:06d}"
        if not password_problem(pin, id_number=id_number, birth=birth):
            return pin
    raise RuntimeError("no demo hotline password found")  # pragma: no cover


def demo_hotline_password(depositor: Depositor) -> str:
    """Set the demo hotline password (unless it is already the one, unlocked) and return it."""
    pin = demo_hotline_pin(depositor)
    row = HotlinePassword.objects.filter(depositor=depositor).first()
    if row is None or row.locked_at is not None or not PinHasher().verify(pin, row.password):
        hotline_password_set(
            actor=Actor.cli("demo-logins"), depositor_id=depositor.pk, password=pin
        )
    return pin
