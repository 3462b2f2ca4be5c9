"""The back office in the admin: read-only, except the hall admin's rules (BackofficeRules, one row).
Corrections, procedures, extensions, decisions, alerts and who read them change only through
backoffice.services (the office pages, the API, the worker)."""

from django.contrib import admin

from yichuang.core.admin import AuditedAdminMixin, ReadOnlyAdmin, ReadOnlyInline

from .models import Alert, AlertRead, BackofficeRules, Correction, Decision, Extension, SpecialProcedure


@admin.register(BackofficeRules)
class BackofficeRulesAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "auto_withdraw_overdue_corrections", "correction_reminder_days", "updated_at"]

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not BackofficeRules.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Correction)
class CorrectionAdmin(ReadOnlyAdmin):
    list_display = ["case", "requested_by", "requested_at", "due", "received_at"]
    search_fields = ["case__number"]
    list_select_related = ["case", "requested_by"]


@admin.register(SpecialProcedure)
class SpecialProcedureAdmin(ReadOnlyAdmin):
    list_display = ["case", "kind", "limit_days", "started_at", "due_at", "ended_at"]
    list_filter = ["kind"]
    search_fields = ["case__number"]
    list_select_related = ["case"]


@admin.register(Extension)
class ExtensionAdmin(ReadOnlyAdmin):
    list_display = ["case", "days", "status", "requested_by", "requested_at", "decided_by", "decided_at"]
    list_filter = ["status"]
    search_fields = ["case__number"]
    list_select_related = ["case", "requested_by", "decided_by"]


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdmin):
    list_display = ["case", "outcome", "certificate_number", "decided_by", "decided_at"]
    list_filter = ["outcome"]
    search_fields = ["case__number", "certificate_number"]
    list_select_related = ["case", "decided_by"]


class AlertReadInline(ReadOnlyInline):
    model = AlertRead
    fields = ["user", "read_at"]
    readonly_fields = fields


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    list_display = ["kind", "subject", "department", "created_at"]
    list_filter = ["kind", "department"]
    search_fields = ["subject"]
    list_select_related = ["department"]
    inlines = [AlertReadInline]
