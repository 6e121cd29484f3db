"""The certificate kinds, one registry entry each: everything a kind is, in one place.

An entry says how the kind is named (the stored code, the command line's name, the Chinese
title from ``CertificateKind``), which extra inputs its form needs (a date range, a paid-off
loan), how its snapshot is built from the audited selectors (``hpf.certificates.content``),
how the snapshot is checked against the ledger before signing
(``hpf.certificates.crosscheck``), how many days it stands (a key of ``[certificate]`` in the
policy), how its PDF page is laid out (a story of ``hpf.certificates.render``) and which key
facts the public verification page repeats (``hpf.certificates.formatting``). The issuing
service, the PDF, the verification page, the counter's and the portal's forms, the API and
``hpf issue-certificate`` all read this table, so a new kind is a ``CertificateKind`` member
(the stored code and its title, with the migration Django generates for the choices), its
builder, check, story and facts, and one entry here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hpf.audit.services import Actor
from hpf.calc.policy import CertificatePolicy
from hpf.certificates import content, crosscheck, formatting, render
from hpf.certificates.models import CertificateKind
from hpf.common.errors import InvalidInput
from hpf.loans.models import Loan
from hpf.registry.models import FundAccount

# The extra inputs a kind's form asks for, beyond kind and purpose.
DATES = "dates"  # date_from / date_to
LOAN = "loan"  # a fully repaid loan of the holder


@dataclass(frozen=True, slots=True)
class IssueRequest:
    """What the person asked for: the purpose, today's business date and the kind's inputs."""

    purpose: str
    today: dt.date
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    loan_id: int | None = None


Builder = Callable[[Actor, FundAccount, IssueRequest], tuple[dict[str, Any], Loan | None]]
Check = Callable[[FundAccount, dict[str, Any], dt.date], list[str]]
Facts = Callable[[dict[str, Any]], tuple[tuple[str, str], ...]]


@dataclass(frozen=True, slots=True)
class KindSpec:
    """One certificate kind (see the module docstring for what each field does)."""

    kind: str
    slug: str
    inputs: frozenset[str]
    build: Builder
    check: Check
    valid_days: Callable[[CertificatePolicy], int]
    story: render.Story
    facts: Facts

    @property
    def label(self) -> str:
        return str(CertificateKind(self.kind).label)

    def replace(self, **changes: Any) -> KindSpec:
        return dataclasses.replace(self, **changes)


def _deposit(actor: Actor, account: FundAccount, req: IssueRequest) -> tuple[dict[str, Any], None]:
    return content.deposit_content(actor, account, purpose=req.purpose), None


def _statement(
    actor: Actor, account: FundAccount, req: IssueRequest
) -> tuple[dict[str, Any], None]:
    built = content.statement_content(
        actor,
        account,
        purpose=req.purpose,
        date_from=req.date_from,
        date_to=req.date_to,
        today=req.today,
    )
    return built, None


def _loan_payoff(
    actor: Actor, account: FundAccount, req: IssueRequest
) -> tuple[dict[str, Any], Loan]:
    return content.loan_payoff_content(actor, account, purpose=req.purpose, loan_id=req.loan_id)


KINDS: dict[str, KindSpec] = {
    spec.kind: spec
    for spec in (
        KindSpec(
            kind=CertificateKind.DEPOSIT,
            slug="deposit",
            inputs=frozenset(),
            build=_deposit,
            check=crosscheck.check_deposit,
            valid_days=lambda p: p.deposit_valid_days,
            story=render.deposit_story,
            facts=formatting.deposit_facts,
        ),
        KindSpec(
            kind=CertificateKind.STATEMENT,
            slug="statement",
            inputs=frozenset({DATES}),
            build=_statement,
            check=crosscheck.check_statement,
            valid_days=lambda p: p.statement_valid_days,
            story=render.statement_story,
            facts=formatting.statement_facts,
        ),
        KindSpec(
            kind=CertificateKind.LOAN_PAYOFF,
            slug="loan-payoff",
            inputs=frozenset({LOAN}),
            build=_loan_payoff,
            check=crosscheck.check_loan_payoff,
            valid_days=lambda p: p.loan_payoff_valid_days,
            story=render.loan_payoff_story,
            facts=formatting.loan_payoff_facts,
        ),
    )
}


def kind_spec(kind: str) -> KindSpec:
    """The entry of ``kind`` (its stored code); ``InvalidInput`` for anything else."""
    spec = KINDS.get(kind)
    if spec is None:
        names = "、".join(s.label for s in KINDS.values())
        raise InvalidInput(f"证明类型不正确（{names}）")
    return spec


def kind_choices() -> list[tuple[str, str]]:
    """(code, title) of every kind, for forms."""
    return [(spec.kind, spec.label) for spec in KINDS.values()]


def kind_codes() -> list[str]:
    """The stored codes of every kind (the API's enum)."""
    return list(KINDS)


def kind_by_slug() -> dict[str, str]:
    """Command-line name → stored code (``deposit`` → ``DEPOSIT``)."""
    return {spec.slug: spec.kind for spec in KINDS.values()}
