"""Opening, advancing and closing a batch run's record.

Each call commits on its own (the run's record must outlive a failed chunk of the run, and the
operations view must see progress while the run is still going), so these functions must be
called outside the run's business transactions.
"""

from __future__ import annotations

import contextlib
from typing import Any

from django.db import DatabaseError, transaction

from hpf.audit.services import Actor, record_event
from hpf.common import clock
from hpf.operations.models import BatchRun


def run_start(
    kind: str,
    subject: str,
    actor: Actor,
    *,
    dry_run: bool = False,
    source_name: str = "",
    source_sha256: str = "",
    total: int = 0,
) -> BatchRun:
    """Open a run; an earlier run of the same kind and subject still marked RUNNING was
    killed (the caller holds whatever lock keeps two live runs apart) and is marked so."""
    with transaction.atomic():
        run = BatchRun.objects.create(
            kind=kind,
            subject=subject,
            actor=actor.ident,
            started_at=clock.now(),
            state=BatchRun.State.RUNNING,
            dry_run=dry_run,
            source_name=source_name[:200],
            source_sha256=source_sha256,
            progress_total=total,
        )
        BatchRun.objects.filter(kind=kind, subject=subject, state=BatchRun.State.RUNNING).exclude(
            pk=run.pk
        ).update(
            state=BatchRun.State.FAILED,
            note=f"interrupted; resumed by run {run.pk}",
            finished_at=clock.now(),
        )
    return run


def run_progress(run: BatchRun, done: int, total: int | None = None) -> None:
    fields: dict[str, Any] = {"progress_done": done}
    if total is not None:
        fields["progress_total"] = total
    BatchRun.objects.filter(pk=run.pk).update(**fields)


def run_finish(
    run: BatchRun,
    actor: Actor,
    *,
    state: str | None = None,
    rows: int = 0,
    accounts: int = 0,
    entries: int = 0,
    total_fen: int = 0,
    skipped: int = 0,
    reconciliation: dict[str, Any] | None = None,
    note: str = "",
) -> BatchRun:
    """Close the run and audit it."""
    final = state or (BatchRun.State.DRY_RUN if run.dry_run else BatchRun.State.DONE)
    with transaction.atomic():
        BatchRun.objects.filter(pk=run.pk).update(
            state=final,
            finished_at=clock.now(),
            rows=rows,
            accounts=accounts,
            entries=entries,
            total_fen=total_fen,
            skipped=skipped,
            reconciliation=reconciliation or {},
            note=note[:4000],
            progress_done=run.progress_total or rows or accounts,
        )
        record_event(
            actor,
            f"batch.{run.kind.lower()}",
            details={
                "run": run.pk,
                "subject": run.subject,
                "state": final,
                "accounts": accounts,
                "rows": rows,
                "total_fen": total_fen,
            },
        )
    run.refresh_from_db()
    return run


def run_fail(run: BatchRun, exc: BaseException, *, done: str = "") -> None:
    """Best effort: if the database itself is gone, the next run marks this one."""
    with contextlib.suppress(DatabaseError):
        BatchRun.objects.filter(pk=run.pk).update(
            state=BatchRun.State.FAILED,
            finished_at=clock.now(),
            note=f"{done}{type(exc).__name__}: {exc}"[:4000],
        )
