"""Supervision in the admin: hall admins edit the tasks; orders and their ledger are read-only for everyone
(they change only through supervision.services, and nothing is ever deleted)."""

from django.contrib import admin

from yichuang.core.admin import AuditedAdminMixin, ReadOnlyAdmin, ReadOnlyInline, SearchTermMixin

from .models import Order, OrderEvent, SupervisionTask


@admin.register(SupervisionTask)
class SupervisionTaskAdmin(AuditedAdminMixin, SearchTermMixin, admin.ModelAdmin):
    list_display = ["code", "title", "lead_unit", "due_date", "due_text", "status"]
    list_filter = ["status", "department"]
    search_fields = ["code", "title", "lead_unit", "responsible_units"]
    autocomplete_fields = ["department"]

    def has_delete_permission(self, request, obj=None):
        return False


class EventInline(ReadOnlyInline):
    model = OrderEvent
    fields = ["at", "kind", "level", "actor", "text", "reply_due"]
    readonly_fields = fields


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = ["number", "level", "status", "department", "reply_due", "issued_by", "issued_at", "closed_at"]
    list_filter = ["status", "level", "department"]
    search_fields = ["number"]
    date_hierarchy = "issued_at"
    inlines = [EventInline]


@admin.register(OrderEvent)
class OrderEventAdmin(ReadOnlyAdmin):
    list_display = ["order", "kind", "level", "actor", "at"]
    list_filter = ["kind", "level"]
    search_fields = ["order__number"]
    list_select_related = ["order", "actor"]
