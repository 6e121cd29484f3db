from typing import Any

from django.contrib import admin

from hpf.remittance.models import RemittanceList


@admin.register(RemittanceList)
class RemittanceListAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Every imported list. Read-only: only the import writes it."""

    list_display = ("created_at", "employer", "kind", "period", "state", "rows", "total_fen")
    list_filter = ("kind", "state")
    search_fields = ("filename", "sha256", "employer__unit_no")

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
