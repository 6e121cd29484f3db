"""The account read every grant starts with (``hpf.registry.access._read``): a written-out
statement that must give exactly what the ORM's ``select_related("depositor", "employer")``
gave — every column of the three rows, each converted to the same Python value and type, the
related rows set on the account — and a page's ``columns`` by name."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.models import Model
from django.db.models.expressions import RawSQL
from django.test.utils import CaptureQueriesContext

from hpf.ledger.digest import READ_COLUMNS
from hpf.ledger.models import Posting
from hpf.loans.selectors import LOAN_COLUMNS
from hpf.registry.access import _read
from hpf.registry.models import FundAccount

pytestmark = pytest.mark.django_db


def fields_of(row: Model) -> dict[str, tuple[type, object]]:
    return {
        f.attname: (type(getattr(row, f.attname)), getattr(row, f.attname))
        for f in row._meta.concrete_fields
    }


def orm_read(**key: int) -> FundAccount:
    return FundAccount.objects.select_related("depositor", "employer").get(**key)


@pytest.fixture
def varied(owner):
    """The owner's account with the optional columns filled in: a frozen account, its reason,
    a closing date, a paid-through month."""
    FundAccount.objects.filter(pk=owner.pk).update(
        status="FROZEN",
        freeze_mode="RECEIVE_ONLY",
        status_before_freeze="ACTIVE",
        freeze_reason="法院冻结（测试）",
        closed_on=dt.date(2026, 11, 30),
        paid_through=202610,
    )
    return owner


@pytest.mark.parametrize("key", ["id", "depositor_id"])
def test_the_read_gives_the_orms_three_rows_value_for_value(varied, other, key):
    for account in (varied, other):
        value = account.pk if key == "id" else account.depositor_id
        read, extra = _read(key, value)
        expected = orm_read(**{key: value})
        assert read is not None
        assert extra == {}
        assert fields_of(read) == fields_of(expected)
        assert fields_of(read.depositor) == fields_of(expected.depositor)
        assert fields_of(read.employer) == fields_of(expected.employer)
        assert (read._state.adding, read._state.db) == (False, expected._state.db)
        assert read.depositor.pk == read.depositor_id == account.depositor_id


def test_the_related_rows_are_set_with_the_account_no_further_query(owner):
    read, _ = _read("id", owner.pk)
    assert read is not None
    with CaptureQueriesContext(connection) as queries:
        assert read.depositor.name and read.employer.name
        assert read.depositor.account is read  # the one-to-one's other side, as select_related
    assert len(queries) == 0


def test_the_columns_come_by_name_as_the_orms_annotations_did(owner):
    columns = {**READ_COLUMNS, **LOAN_COLUMNS}
    read, extra = _read("depositor_id", owner.depositor_id, columns)
    annotated = (
        FundAccount.objects.filter(pk=owner.pk)
        .annotate(**{n: RawSQL(sql, ()) for n, sql in columns.items()})  # noqa: S611 - constants
        .values(*columns)
        .get()
    )
    assert read is not None and read.pk == owner.pk
    assert extra == annotated
    assert extra["digest_count"] == Posting.objects.filter(fund_account=owner).count() == 3
    assert not extra["loans_any"]


def test_no_such_account_is_none_and_only_unique_keys_are_read(owner):
    assert _read("id", owner.pk + 1000) == (None, {})
    assert _read("depositor_id", owner.depositor_id + 1000, READ_COLUMNS) == (None, {})
    with pytest.raises(ValueError):
        _read("employer_id", owner.employer_id)


def test_a_key_that_is_not_a_number_is_refused_as_the_orms_lookup_refused_it(owner):
    with pytest.raises(ValueError):
        FundAccount.objects.filter(pk="1x").first()
    with pytest.raises(ValueError):
        _read("id", "1x")  # type: ignore[arg-type]
    read, _ = _read("id", str(owner.pk))  # type: ignore[arg-type]
    assert read is not None and read.pk == owner.pk
