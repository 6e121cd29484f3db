from typing import Any

from django.contrib import admin

from hpf.operations.models import BatchRun


@admin.register(BatchRun)
class BatchRunAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """The operations record of every batch run. Read-only: runs write it themselves."""

    list_display = (
        "started_at",
        "kind",
        "subject",
        "state",
        "progress_done",
        "progress_total",
        "accounts",
        "rows",
        "total_fen",
        "finished_at",
        "actor",
    )
    list_filter = ("kind", "state")
    search_fields = ("subject", "source_name", "source_sha256")

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
