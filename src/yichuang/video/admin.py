"""Hall admins edit the video rules; calls and bookings change only through video.services (read-only here)."""

from django.contrib import admin

from yichuang.core.admin import AuditedAdminMixin, ReadOnlyAdmin

from .models import Booking, Call, VideoRules


@admin.register(VideoRules)
class VideoRulesAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "recording_allowed", "slot_minutes", "ring_seconds"]

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not VideoRules.objects.exists()


@admin.register(Call)
class CallAdmin(ReadOnlyAdmin):
    list_display = ["pk", "kind", "status", "department", "created_at", "answered_at", "ended_at", "ended_by"]
    list_filter = ["kind", "status"]
    exclude = ["token", "caller_name"]


@admin.register(Booking)
class BookingAdmin(ReadOnlyAdmin):
    list_display = ["pk", "kind", "department", "starts_at", "ends_at", "cancelled_at"]
    list_filter = ["kind"]
    exclude = ["token", "name", "phone"]
