"""The output window in the admin: handovers and reminders read-only (they change only through
output.services); the output rules (remind after N days) edited by hall admins."""

from django.contrib import admin

from yichuang.core.admin import AuditedAdminMixin, ReadOnlyAdmin, ReadOnlyInline

from .models import Handover, HandoverItem, OutputRules, Reminder


@admin.register(OutputRules)
class OutputRulesAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "remind_after_days", "updated_at"]

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not OutputRules.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


class HandoverItemInline(ReadOnlyInline):
    model = HandoverItem
    fields = ["case", "outcome", "certificate_number"]
    readonly_fields = fields


@admin.register(Handover)
class HandoverAdmin(ReadOnlyAdmin):
    list_display = [
        "submission", "method", "receiver", "receiver_name", "receiver_id_masked", "tracking_number", "partial",
        "handed_at",
    ]  # fmt: skip
    list_filter = ["method", "receiver", "partial"]
    search_fields = ["submission__number", "items__case__number", "tracking_number"]
    list_select_related = ["submission", "handed_by"]
    exclude = ["signature"]
    inlines = [HandoverItemInline]


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdmin):
    list_display = ["submission", "round", "sent_at"]
    search_fields = ["submission__number"]
    list_select_related = ["submission"]
