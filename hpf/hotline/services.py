"""Setting and checking the hotline query password (查询密码).

``hotline_password_set`` is the only writer: the depositor in the portal (after proving their
login password again, which the view checks) or a counter clerk inside a live ID-check
session (人证核验) of that person. Setting a password clears a lock. ``hotline_authenticate``
is what a call asks: an ID number and six digits in, an answer out, with the same answer and
the same work (one Argon2 verification) whether the ID number is unknown, has no hotline
password, or the password is wrong, so a caller cannot find out who is a depositor.

Three wrong tries end a call (the call flow counts them); five wrong in one business day
(Kunming) lock the hotline channel for the person. Every change and every refusal is audited.
"""

from __future__ import annotations

import dataclasses
import enum
import itertools
import re
from collections.abc import Callable
from functools import cache
from typing import Any

from django.contrib.auth.hashers import Argon2PasswordHasher
from django.db import transaction
from django.db.models import OuterRef, Subquery

from hpf.audit.models import Channel
from hpf.audit.services import Actor, record_event
from hpf.calc.errors import IdNumberError
from hpf.calc.idnumbers import parse_resident_id
from hpf.common import clock
from hpf.common.crypto import decrypt, lookup_hash
from hpf.common.errors import InvalidInput, NotFound
from hpf.hotline import switch
from hpf.hotline.models import HotlinePassword
from hpf.partners.models import ChannelSwitch, QueryChannel
from hpf.registry.idcheck import idcheck_live
from hpf.registry.models import Depositor, FundAccount
from hpf.registry.services import id_lookup

MAX_FAILS_PER_CALL = 3
MAX_FAILS_PER_DAY = 5
_DIGITS = re.compile(r"[0-9]{6}")


class LegacyPinHasher(Argon2PasswordHasher):
    """The first hotline passwords: Argon2id at OWASP's minimum (7 MiB, five passes) of the
    digits alone, stored as ``argon2$…``. Still verified; every new password is a
    ``PinHasher`` hash."""

    time_cost = 5
    memory_cost = 7168
    parallelism = 1


def _peppered(password: str) -> str:
    return lookup_hash(password, context="hotline_pin")


class PinHasher(Argon2PasswordHasher):
    """Argon2id (4 MiB, two passes, one lane) of the PIN keyed first with the server's lookup
    key (HMAC-SHA256, a pepper held outside the database), stored as ``hpfpin$argon2id$…``.

    Why this and not a costlier Argon2 (README, "The hotline query password"): six
    digits are a million guesses, so no affordable hash cost stops an offline search of one
    stolen hash (at 100 ms a check, one person's PIN falls in a day of one core); what
    protects a PIN is that guesses must go through the call (three per call, five a day, then
    locked) and that a stolen table alone cannot be searched at all, which the pepper gives:
    without the key every guess needs the server. The cost is kept small so that a call
    centre's hundreds of simultaneous calls are not queued behind their password checks
    (issue 12: p99 < 100 ms per AGI step with 200 calls on two cores); the parameters are
    stored in each hash, so a later change still verifies the old ones."""

    algorithm = "hpfpin"
    time_cost = 2
    memory_cost = 4096
    parallelism = 1

    def encode(self, password: str, salt: str) -> str:
        return super().encode(_peppered(password), salt)

    def verify(self, password: str, encoded: str) -> bool:
        if encoded.startswith(f"{LegacyPinHasher.algorithm}$"):
            return LegacyPinHasher().verify(password, encoded)
        return super().verify(_peppered(password), encoded)


@cache
def _hasher() -> PinHasher:
    return PinHasher()


@cache
def _dummy_hash() -> str:
    """What an unknown ID number's password is checked against (same work, same answer)."""
    return _hasher().encode("000000", _hasher().salt())


def password_problem(password: str, *, id_number: str = "", birth: str = "") -> str:
    """Why ``password`` cannot be a hotline password (empty: it can), in plain Chinese."""
    if not _DIGITS.fullmatch(password):
        return "查询密码须为 6 位数字"
    if len(set(password)) == 1:
        return "查询密码不能是 6 位相同的数字"
    steps = {int(b) - int(a) for a, b in itertools.pairwise(password)}
    if steps in ({1}, {-1}):
        return "查询密码不能是连续的数字（如 123456、654321）"
    if id_number and password == id_number[-7:-1]:
        return "查询密码不能是身份证号码的一部分"
    if birth and password in (birth[2:8], birth[4:8] + birth[2:4]):
        return "查询密码不能是出生日期"
    return ""


def _may_set(actor: Actor, depositor_id: int) -> bool:
    kind, _, ident = actor.ident.partition(":")
    if kind == "depositor":
        return actor.channel == Channel.WEB and ident == str(depositor_id)
    if kind == "staff" and actor.channel == Channel.COUNTER and ident.isdigit():
        session = idcheck_live(actor.idcheck, int(ident))
        return session is not None and session.depositor_id == depositor_id
    return kind in ("system", "cli")


def hotline_password_set(*, actor: Actor, depositor_id: int, password: str) -> HotlinePassword:
    """Set (or change) the person's hotline password and clear any lock; audited as
    ``hotline.password_set``. ``InvalidInput`` for a weak or malformed password, ``NotFound``
    for an actor who may not set it (another person, a counter clerk without a live ID-check
    session of this person), both having written nothing."""
    if not _may_set(actor, depositor_id):
        raise NotFound("个人账户不存在")
    depositor = Depositor.objects.filter(pk=depositor_id).first()
    if depositor is None:
        raise NotFound("个人账户不存在")
    id_number = decrypt(depositor.id_number_enc, context=b"id_number")
    problem = password_problem(
        password, id_number=id_number, birth=depositor.birth_date.strftime("%Y%m%d")
    )
    if problem:
        raise InvalidInput(problem)
    account = (
        FundAccount.objects.filter(depositor_id=depositor_id).values_list("pk", flat=True).first()
    )
    now = clock.now()
    encoded = _hasher().encode(password, _hasher().salt())
    with transaction.atomic():
        row = HotlinePassword.objects.select_for_update().filter(depositor_id=depositor_id).first()
        was_locked = bool(row and row.locked_at)
        if row is None:
            row = HotlinePassword(depositor_id=depositor_id)
        row.password = encoded
        row.set_at = now
        row.set_via = actor.channel
        row.failed_on = None
        row.failed_count = 0
        row.locked_at = None
        row.save()
        details: dict[str, object] = {"via": actor.channel}
        if actor.idcheck:
            details["idcheck"] = actor.idcheck
        if was_locked:
            details["unlocked"] = True
        record_event(
            actor,
            "hotline.password_set",
            subject_account_id=account,
            purpose="设置 12329 热线查询密码",
            details=details,
        )
    return row


def hotline_password_status(depositor_id: int) -> tuple[bool, bool]:
    """(has a hotline password, the hotline is locked) for the depositor's own pages."""
    row = HotlinePassword.objects.filter(depositor_id=depositor_id).first()
    return (row is not None, bool(row and row.locked_at))


class Outcome(enum.Enum):
    OK = "OK"
    WRONG = "WRONG_CREDENTIALS"
    LOCKED = "HOTLINE_LOCKED"
    DISABLED = "CHANNEL_DISABLED"


@dataclasses.dataclass(frozen=True)
class Authentication:
    outcome: Outcome
    depositor_id: int | None = None
    account_id: int | None = None
    # This attempt was the fifth wrong one of the day and locked the channel.
    locked_now: bool = False
    # What ``then`` returned (OK only): the first answer, read in the sign-in's transaction.
    answer: Any = None


def _refused(
    caller: str,
    call_id: str,
    code: str,
    account_id: int | None,
    depositor_id: int | None,
    **more: object,
) -> None:
    ident = f"depositor:{depositor_id}" if code == Outcome.DISABLED.value else "anonymous:hotline"
    record_event(
        Actor(ident, Channel.HOTLINE),
        "hotline.refused",
        subject_account_id=account_id,
        purpose=f"12329 热线 来电 {caller}",
        details={"code": code, "caller": caller, "call": call_id, **more},
    )


def hotline_authenticate(
    *,
    id_keys: str,
    password: str,
    caller: str,
    call_id: str = "",
    then: Callable[[int], Any] | None = None,
) -> Authentication:
    """Check an ID number (``*`` keyed for X) and hotline password given on a call.

    ``OK`` with the depositor and account; ``WRONG`` alike for an unknown or malformed ID
    number, a person without a hotline password and a wrong password (each counted against
    the person when there is one; the fifth of the business day locks); ``LOCKED`` and
    ``DISABLED`` only after the right password, so neither says anything to a caller who
    does not know it. Each refusal is recorded as ``hotline.refused`` with the caller's number.

    A wrong try is counted, and its refusal recorded, in a transaction of its own, committed
    before the answer (a caller who hangs up at once has still used the try). ``then``: what
    the caller asked for (``then(depositor_id)``, e.g. the balance read with its audit event),
    read when the password is right inside the same transaction as the outcome (a failure
    count cleared), so a successful sign-in and its first answer cost one commit; its result
    is ``answer``. If it fails, the outcome is rolled back with it (the count stays).
    """
    row: HotlinePassword | None = None
    number = id_keys.replace("*", "X")
    try:
        parsed = parse_resident_id(number, today=clock.today())
    except IdNumberError:
        parsed = None
    if parsed is not None:
        # The password, the person's account and their hotline switch in one statement.
        row = (
            HotlinePassword.objects.filter(depositor__id_number_hash=id_lookup(parsed.number))
            .annotate(
                account=Subquery(
                    FundAccount.objects.filter(depositor_id=OuterRef("depositor_id"))
                    .order_by("pk")
                    .values("pk")[:1]
                ),
                switched=Subquery(
                    ChannelSwitch.objects.filter(
                        depositor_id=OuterRef("depositor_id"), channel=QueryChannel.HOTLINE
                    ).values("enabled")[:1]
                ),
            )
            .first()
        )
    right = _hasher().verify(password, row.password if row else _dummy_hash()) and row is not None
    if row is None:
        with transaction.atomic():
            _refused(caller, call_id, Outcome.WRONG.value, None, None)
        return Authentication(Outcome.WRONG)
    account_id: int | None = row.account  # type: ignore[attr-defined]
    switched: bool | None = row.switched  # type: ignore[attr-defined]
    today = clock.today()
    with transaction.atomic():
        fresh = HotlinePassword.objects.select_for_update().get(pk=row.pk)
        if fresh.password != row.password:  # changed meanwhile: check the new one
            right = _hasher().verify(password, fresh.password)
        if not right:
            if fresh.locked_at is not None:
                _refused(
                    caller, call_id, Outcome.WRONG.value, account_id, row.depositor_id, locked=True
                )
                return Authentication(Outcome.WRONG)
            count = fresh.failed_count + 1 if fresh.failed_on == today else 1
            fresh.failed_on, fresh.failed_count = today, count
            locked_now = count >= MAX_FAILS_PER_DAY
            if locked_now:
                fresh.locked_at = clock.now()
            fresh.save(update_fields=["failed_on", "failed_count", "locked_at"])
            _refused(
                caller,
                call_id,
                Outcome.WRONG.value,
                account_id,
                row.depositor_id,
                failures_today=count,
                locked_now=locked_now,
            )
            return Authentication(Outcome.WRONG, locked_now=locked_now)
        if fresh.locked_at is not None:
            _refused(caller, call_id, Outcome.LOCKED.value, account_id, row.depositor_id)
            return Authentication(Outcome.LOCKED)
        if fresh.failed_count:
            fresh.failed_count, fresh.failed_on = 0, None
            fresh.save(update_fields=["failed_on", "failed_count"])
        if account_id is None:
            _refused(caller, call_id, Outcome.WRONG.value, None, row.depositor_id, no_account=True)
            return Authentication(Outcome.WRONG)
        if not switch.hotline_enabled(row.depositor_id, switch_row=switched):
            _refused(caller, call_id, Outcome.DISABLED.value, account_id, row.depositor_id)
            return Authentication(Outcome.DISABLED, row.depositor_id, account_id)
        answer = then(row.depositor_id) if then is not None else None
    return Authentication(Outcome.OK, row.depositor_id, account_id, answer=answer)
