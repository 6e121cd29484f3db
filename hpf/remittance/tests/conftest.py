"""Fixtures of the remittance import tests."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from hpf.conftest import _state


@pytest.fixture
def posts_nothing() -> Callable[..., contextlib.AbstractContextManager[None]]:
    """Like ``unchanged``, for imports: a refused list writes no entry, posting, account or
    registry change, and leaves only its records: one BatchRun (REJECTED), one
    RemittanceList (REJECTED) and the run's one audit event."""
    from hpf.audit.models import AuditEvent
    from hpf.operations.models import BatchRun
    from hpf.registry.models import Employer
    from hpf.remittance.models import RemittanceList

    @contextlib.contextmanager
    def check(*account_ids: int) -> Iterator[None]:
        before = _state(account_ids)
        employers = list(Employer.objects.order_by("pk").values("pk", "paid_through"))
        runs, lists = BatchRun.objects.count(), RemittanceList.objects.count()
        last_event = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
        yield
        after = _state(account_ids)
        for model in ("BatchRun", "AuditEvent"):
            before["counts"].pop(model)
            after["counts"].pop(model)
        assert after == before
        assert list(Employer.objects.order_by("pk").values("pk", "paid_through")) == employers
        assert BatchRun.objects.count() == runs + 1
        run = BatchRun.objects.order_by("-pk").first()
        assert run is not None
        assert run.state == BatchRun.State.REJECTED
        assert RemittanceList.objects.count() == lists + 1
        record = RemittanceList.objects.order_by("-pk").first()
        assert record is not None
        assert record.state == "REJECTED"
        events = AuditEvent.objects.filter(id__gt=last_event or 0).order_by("id")
        assert [e.action for e in events] == ["batch.remittance_import"]

    return check


@pytest.fixture
def imp(actor: Any) -> Callable[..., Any]:
    """``imp(content, name="list.csv", dry_run=False)``: remittance_import as the test actor."""
    from hpf.remittance.services import remittance_import

    def run(content: bytes, name: str = "list.csv", dry_run: bool = False) -> Any:
        return remittance_import(content=content, filename=name, actor=actor, dry_run=dry_run)

    return run
