"""Who may read which account: the one road from an actor to a depositor's data.

Every selector that returns personal data first calls ``access_account``, which refuses
what the actor may not see and records the read in the audit trail (in the same transaction
as the read). The rules of the foundation:

* a depositor (``depositor:<id>``) reaches only their own account; asking for any other gives
  the same ``NotFound`` as an account that does not exist, so ids cannot be probed;
* staff, the system and the command line must state a purpose, which is recorded;
* staff means a clerk or supervisor (``hpf.staff``): the system administrator and the auditor
  read no depositor's data, whatever the channel;
* on the counter channel a clerk reads only the depositor of a live ID-check session
  (人证核验) of their own, named by ``actor.idcheck``; the session's id goes into the event;
* the partner channels' actors (``kiosk:<depositor id>``, ``hotline:…``, ``sms:…``, made by
  ``hpf.partners`` and the hotline only after they identified the person) are bound to that
  one depositor like a depositor.

A page or an API call that shows several sections of one account (the overview: the account,
the year's figures, the loans) asks once: ``grant_account`` (or ``grant_own_account`` for the
depositor's own account) applies the same rules, records one ``account.read`` whose details
name the view and the sections, and returns an ``AccountGrant``. Each selector takes it as
``grant=`` and, through ``read_account``, uses the granted account instead of asking again
(no second read, no second event); a selector called without one asks ``access_account``
itself, as before. A grant is made only here, for one actor, one account and the sections
named, and lives for one request; it carries a memo in which the selectors share what they
read (the account's history, read once for the sections that need it). A page may also ask
``grant_own_account`` for ``columns``: values a selector would otherwise fetch in a statement of
its own (the account's digest, whether it has loans), read as subqueries of the account's own
query and handed to the selectors in the memo — fewer round trips, the same rules, nothing read
for an account the actor may not see.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

from django.db import connections, router
from django.db.models import Model
from django.db.models.expressions import Col

from hpf.audit.models import Channel
from hpf.audit.services import Actor, record_event
from hpf.common.errors import InvalidInput, NotFound
from hpf.registry.idcheck import IdCheckRequired, idcheck_live
from hpf.registry.models import Depositor, Employer, FundAccount
from hpf.staff.models import Role, StaffMember

# A depositor, and the partner channels' actors ("kiosk:<depositor id>", …): each is bound to
# the one depositor the partner identified (ID card and face, hotline password, mobile).
DEPOSITOR_BOUND = {"depositor", "kiosk", "hotline", "sms"}
STAFF_LIKE = {"staff", "system", "cli"}
# Roles whose duties include reading a depositor's account (MLPS separation of duties).
STAFF_READERS = (Role.CLERK, Role.SUPERVISOR)


def _kind_and_id(actor: Actor) -> tuple[str, str]:
    kind, _, ident = actor.ident.partition(":")
    return kind, ident


class GrantMismatch(RuntimeError):
    """A grant used for another actor, account or section than it was made for (a bug in the
    caller, never an answer to show): nothing is read."""


_MINT = object()  # only this module makes grants


@dataclasses.dataclass(frozen=True, eq=False)
class AccountGrant:
    """Leave for ``actor`` to read ``sections`` of ``account`` in this request; its one
    ``account.read`` event is already recorded. Made only by ``grant_account`` and
    ``grant_own_account``."""

    actor: Actor
    account: FundAccount
    view: str
    sections: frozenset[str]
    purpose: str
    # What the selectors read once and share within the request (e.g. the account's history).
    memo: dict[str, Any] = dataclasses.field(default_factory=dict, repr=False)
    _mint: object = dataclasses.field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self._mint is not _MINT:
            raise GrantMismatch("an AccountGrant is made only by hpf.registry.access")

    def covers(self, actor: Actor, account_id: int, section: str) -> FundAccount:
        """The granted account, when this grant is for ``actor``, ``account_id`` and names
        ``section``; ``GrantMismatch`` otherwise."""
        if actor != self.actor or account_id != self.account.pk or section not in self.sections:
            raise GrantMismatch(f"the grant for {self.view!r} does not cover {section!r}")
        return self.account


# The account is read with its depositor and employer in one written-out statement: the ORM
# built and compiled its ``select_related`` query (and a page's ``columns``) on every request,
# in more CPU time than the database took to answer, and every read of personal data starts here.
_KEYS = ("id", "depositor_id")  # what an account is read by: its own id, its depositor's


@dataclasses.dataclass(frozen=True)
class _Part:
    """One model's columns in the row: where they are, their attribute names, and the
    database converters the ORM would apply to each (by index in the row)."""

    model: type[Model]
    attnames: tuple[str, ...]
    start: int
    stop: int
    converters: tuple[tuple[int, Col, tuple[Any, ...]], ...]


@cache
def _read_plan(
    alias: str, key: str, columns: tuple[tuple[str, str], ...]
) -> tuple[str, tuple[_Part, ...]]:
    """The statement reading the account found by ``key`` with its depositor and employer (the
    ORM's ``select_related("depositor", "employer")``: every concrete column of the three
    tables) and ``columns`` (name, SQL) after them; and how to make the row into instances."""
    if key not in _KEYS:
        raise ValueError(f"an account is read by one of {_KEYS}, not {key!r}")
    db = connections[alias]
    quote = db.ops.quote_name
    selected: list[str] = []
    parts = []
    tables = {}
    for model in (FundAccount, Depositor, Employer):
        table = model._meta.db_table
        tables[model] = quote(table)
        fields = model._meta.concrete_fields
        start = len(selected)
        converters = []
        for i, field in enumerate(fields, start):
            selected.append(f"{quote(table)}.{quote(str(field.column))}")
            col = field.get_col(table)
            found = tuple(db.ops.get_db_converters(col) + field.get_db_converters(db))
            if found:
                converters.append((i, col, found))
        parts.append(
            _Part(model, tuple(f.attname for f in fields), start, len(selected), tuple(converters))
        )
    selected += [f"({sql})" for _, sql in columns]
    account, depositor, employer = (tables[m] for m in (FundAccount, Depositor, Employer))
    sql = (
        f"SELECT {', '.join(selected)} FROM {account}"
        f" INNER JOIN {depositor} ON {depositor}.{quote('id')} = {account}.{quote('depositor_id')}"
        f" INNER JOIN {employer} ON {employer}.{quote('id')} = {account}.{quote('employer_id')}"
        f" WHERE {account}.{quote(key)} = %s"
    )
    return sql, tuple(parts)


def _read(
    key: str, value: int, columns: Mapping[str, str] | None = None
) -> tuple[FundAccount | None, dict[str, Any]]:
    """The account whose ``key`` (a unique column) is ``value``, its depositor and employer
    set on it as ``select_related`` would; and the values of ``columns`` by name. Read where the
    ORM would read it (``router.db_for_read``), each value converted as the ORM would."""
    named = tuple((columns or {}).items())
    alias = router.db_for_read(FundAccount)
    db = connections[alias]
    sql, parts = _read_plan(alias, key, named)
    with db.cursor() as cur:
        cur.execute(sql, [int(value)])  # as the ORM's lookup: a non-number is a ValueError
        found = cur.fetchone()
    if found is None:
        return None, {}
    row = list(found)
    made = []
    for part in parts:
        for i, col, converters in part.converters:
            for convert in converters:
                row[i] = convert(row[i], col, db)
        made.append(part.model.from_db(alias, part.attnames, row[part.start : part.stop]))
    account, depositor, employer = made
    assert isinstance(account, FundAccount)
    account.depositor = depositor  # type: ignore[assignment]
    account.employer = employer  # type: ignore[assignment]
    return account, dict(zip((n for n, _ in named), row[parts[-1].stop :], strict=True))


def _grant(
    actor: Actor,
    account: FundAccount | None,
    *,
    view: str,
    sections: Iterable[str],
    purpose: str,
    details: dict[str, Any] | None = None,
    memo: dict[str, Any] | None = None,
) -> AccountGrant:
    """The rules: refuse (before anything is read) or record the one event and grant.
    ``details``: more for the event (a partner channel's partner and terminal); ``memo``: the
    grant's memo to start with (the ``columns`` read with the account)."""
    kind, ident = _kind_and_id(actor)
    if kind in DEPOSITOR_BOUND:
        if account is None or str(account.depositor_id) != ident:
            raise NotFound("个人账户不存在")
        purpose = purpose or "本人查询"
    elif kind in STAFF_LIKE:
        if not purpose.strip():
            raise InvalidInput("查询他人账户必须说明用途")
        if kind == "staff" and actor.channel not in (Channel.COUNTER, Channel.BACKOFFICE):
            raise NotFound("个人账户不存在")
    else:
        raise NotFound("个人账户不存在")
    named = tuple(dict.fromkeys(sections))
    if not named:
        raise ValueError("a grant names at least one section")
    details = {**(details or {}), "view": view}
    if named != (view,):
        details["sections"] = list(named)
    if kind == "staff":
        reader = (
            StaffMember.objects.filter(
                user_id=int(ident), active=True, role__in=STAFF_READERS
            ).first()
            if ident.isdigit()
            else None
        )
        if reader is None:
            raise NotFound("个人账户不存在")
        if actor.channel == Channel.COUNTER:
            # One answer for "not this session's person" and "no such account": a clerk
            # cannot probe account ids from inside a session.
            session = idcheck_live(actor.idcheck, reader.user_id)
            if session is None or account is None or session.depositor_id != account.depositor_id:
                raise IdCheckRequired()
            details["idcheck_session"] = session.pk
    if account is None:
        raise NotFound("个人账户不存在")
    # In the caller's transaction when there is one (a service's), else its own.
    record_event(
        actor,
        "account.read",
        subject_account_id=account.pk,
        purpose=purpose[:200],
        details=details,
    )
    return AccountGrant(
        actor=actor,
        account=account,
        view=view,
        sections=frozenset(named),
        purpose=purpose[:200],
        memo=memo or {},
        _mint=_MINT,
    )


def grant_account(
    actor: Actor, account_id: int, *, view: str, sections: Iterable[str], purpose: str = ""
) -> AccountGrant:
    """Leave to read ``sections`` of the account in one request, if ``actor`` may read it;
    records one ``account.read`` with details ``{"view": view, "sections": [...]}``."""
    account, _ = _read("id", account_id)
    return _grant(actor, account, view=view, sections=sections, purpose=purpose)


def grant_own_account(
    actor: Actor,
    *,
    view: str,
    sections: Iterable[str],
    purpose: str = "",
    details: dict[str, Any] | None = None,
    account: FundAccount | None = None,
    columns: Mapping[str, str] | None = None,
) -> AccountGrant:
    """``grant_account`` for the own account of a depositor-bound actor (``depositor:<id>``),
    found by the depositor in the same query that reads it (no separate ``own_account_id``);
    ``NotFound`` for any other actor or a depositor without an account.

    ``account``: the account as the caller already read it in the query that identified the
    person (the kiosk's one query: person, account, switch); the same rule applies to it — it
    must be the actor's own — and it is not read again.

    ``columns``: name → the SQL of one value about the account's row (a subquery or an
    ``EXISTS``; the account's table named ``registry_fundaccount``), selected with the account
    and put in the grant's ``memo`` under its name, for the selector that defined it
    (``hpf.ledger.digest.READ_COLUMNS``, ``hpf.loans.selectors.LOAN_COLUMNS``); ignored when
    ``account`` is given."""
    kind, ident = _kind_and_id(actor)
    if kind not in DEPOSITOR_BOUND or not ident.isdigit():
        raise NotFound("个人账户不存在")
    memo: dict[str, Any] = {}
    if account is None:
        account, memo = _read("depositor_id", int(ident), columns)
    return _grant(
        actor, account, view=view, sections=sections, purpose=purpose, details=details, memo=memo
    )


def access_account(actor: Actor, account_id: int, *, view: str, purpose: str = "") -> FundAccount:
    """The account, if ``actor`` may read it; records the read as ``account.read``."""
    return grant_account(actor, account_id, view=view, sections=(view,), purpose=purpose).account


def read_account(
    actor: Actor,
    account_id: int,
    *,
    section: str,
    purpose: str = "",
    grant: AccountGrant | None = None,
) -> FundAccount:
    """What a selector calls first: with the request's ``grant``, the granted account (checked
    to be this actor's, this account's and to name ``section``; no second event); without,
    ``access_account`` with ``view=section``."""
    if grant is None:
        return access_account(actor, account_id, view=section, purpose=purpose)
    return grant.covers(actor, account_id, section)
