"""Writes of the back office's own workflow state: a remittance list staged between its dry
run and the staff member's confirmation (``StagedUpload``).

The views read and call these; they never write through the ORM themselves (a lint test holds
every channel view to that). Staging replaces the same person's copy of the same file, and
purges copies older than ``STAGED_TTL``; taking a copy deletes it, so a confirmation posts at
most once.
"""

from __future__ import annotations

import contextlib

from django.db import IntegrityError, transaction

from hpf.channels.backoffice.models import STAGED_TTL, StagedUpload
from hpf.common import clock


def staged_upload_store(*, user_id: int, sha256: str, filename: str, content: bytes) -> None:
    """Keep ``content`` for ``user_id`` until confirmed (or ``STAGED_TTL`` passes)."""
    now = clock.now()
    with transaction.atomic():
        StagedUpload.objects.filter(created_at__lt=now - STAGED_TTL).delete()
        StagedUpload.objects.filter(user_id=user_id, sha256=sha256).delete()
        # A double click may race this one to the same row; either copy will do.
        with contextlib.suppress(IntegrityError), transaction.atomic():
            StagedUpload.objects.create(
                user_id=user_id,
                sha256=sha256,
                filename=filename[:200],
                content=content,
                created_at=now,
            )


def staged_upload_take(*, user_id: int, sha256: str) -> tuple[str, bytes] | None:
    """The staged copy's file name and bytes, removed from the stage; None if there is no
    live copy or its bytes no longer match the hash."""
    with transaction.atomic():
        staged = (
            StagedUpload.objects.select_for_update()
            .filter(user_id=user_id, sha256=sha256, created_at__gte=clock.now() - STAGED_TTL)
            .first()
        )
        if staged is None:
            return None
        content = bytes(staged.content)
        staged.delete()
    return staged.filename, content
