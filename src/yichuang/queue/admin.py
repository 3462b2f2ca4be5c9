"""Admin: queue rules and appointment slots are configured here; tickets and events are read-only (they
change only through the services, which record every step)."""

from django.contrib import admin

from yichuang.core.admin import AuditedAdminMixin, ReadOnlyAdmin, ReadOnlyInline

from .models import Appointment, AppointmentSlot, QueueSettings, Ticket, TicketEvent


@admin.register(QueueSettings)
class QueueSettingsAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = [
        "__str__",
        "no_show_after_calls",
        "priority_wait_bound_minutes",
        "priority_run_length",
        "appointment_early_minutes",
        "appointment_late_minutes",
        "default_service_minutes",
        "near_turn_ahead",
    ]


@admin.register(AppointmentSlot)
class AppointmentSlotAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["zone", "date", "start", "end", "capacity", "booked"]
    list_filter = ["zone", "date"]
    readonly_fields = ["booked"]


@admin.register(Appointment)
class AppointmentAdmin(ReadOnlyAdmin):
    list_display = ["code", "slot", "masked_name", "masked_phone", "status", "checked_in_at"]
    list_filter = ["status", "slot__zone"]
    search_fields = ["code"]
    exclude = ["name", "phone"]


class TicketEventInline(ReadOnlyInline):
    model = TicketEvent
    fields = ["at", "kind", "zone", "window", "staff", "detail"]
    readonly_fields = fields


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    list_display = ["number", "date", "zone", "status", "priority", "window", "issued_at", "called_at", "finished_at"]
    list_filter = ["date", "zone", "status", "priority"]
    search_fields = ["number"]
    exclude = ["phone", "token"]
    inlines = [TicketEventInline]
