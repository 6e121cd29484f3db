from django.contrib import admin

from hpf.interest.models import SettlementRun


@admin.register(SettlementRun)
class SettlementRunAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """The record of each 30 June run, for the operations view. Read-only."""

    list_display = (
        "settlement_date",
        "result",
        "accounts",
        "interest_fen",
        "started_at",
        "finished_at",
        "actor",
    )

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False
