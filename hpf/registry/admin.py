"""Administration pages for data that is not personal. Depositors and their accounts are
deliberately absent: every read of personal data goes through an audited selector, which
the admin's generic views would bypass."""

from django.contrib import admin

from hpf.registry.models import Employer


@admin.register(Employer)
class EmployerAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "unit_no",
        "name",
        "uscc",
        "office",
        "employer_ratio",
        "employee_ratio",
        "paid_through",
        "status",
    )
    search_fields = ("unit_no", "name", "uscc")
    list_filter = ("office", "status")
    readonly_fields = ("unit_no", "uscc", "paid_through", "opened_on")
