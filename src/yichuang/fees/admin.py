from django.contrib import admin

from .models import FeeItem, NoticeLine, PaymentEvent, PaymentNotice


@admin.register(FeeItem)
class FeeItemAdmin(admin.ModelAdmin):
    list_display = ["matter", "name", "amount", "unit", "stage", "waived_for", "active"]
    list_filter = ["stage", "active", "waived_for"]
    search_fields = ["name", "matter__name", "matter__code", "basis"]
    autocomplete_fields = ["matter"]


class LineInline(admin.TabularInline):
    model = NoticeLine
    extra = 0
    can_delete = False
    readonly_fields = ["name", "basis", "unit_amount", "units", "amount"]
    exclude = ["item"]

    def has_add_permission(self, request, obj=None):
        return False


class EventInline(admin.TabularInline):
    model = PaymentEvent
    extra = 0
    can_delete = False
    readonly_fields = ["at", "source", "state", "event_id", "applied", "note"]
    exclude = ["detail"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(PaymentNotice)
class PaymentNoticeAdmin(admin.ModelAdmin):
    """Notices are issued, paid and refunded by the services only; the admin lists them and their reports."""

    list_display = ["number", "stage", "amount", "status", "sent_at", "paid_at", "receipt_number", "last_error"]
    list_filter = ["status", "stage"]
    search_fields = ["number", "receipt_number", "pay_code"]
    readonly_fields = [f.name for f in PaymentNotice._meta.fields]
    inlines = [LineInline, EventInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
