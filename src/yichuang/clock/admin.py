from django.contrib import admin, messages
from django.utils import timezone

from yichuang.core.admin import AuditedAdminMixin

from .models import CalendarOverride, CalendarYear, ClockRules
from .workcalendar import calendar_warnings


def _today():
    return timezone.localdate()


class CalendarWarningsMixin:
    """Shows on the changelist, ahead of time, that next year's holidays still have to be entered."""

    def changelist_view(self, request, extra_context=None):
        if request.method == "GET":
            for warning in calendar_warnings(_today()):
                messages.warning(request, warning)
        return super().changelist_view(request, extra_context)


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(CalendarWarningsMixin, AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["date", "is_workday", "note", "updated_at"]
    list_filter = ["is_workday"]
    search_fields = ["note"]
    date_hierarchy = "date"


@admin.register(CalendarYear)
class CalendarYearAdmin(CalendarWarningsMixin, AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["year", "complete", "note", "updated_at"]
    list_filter = ["complete"]


@admin.register(ClockRules)
class ClockRulesAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "yellow_days", "yellow_hours", "correction_days", "max_extension_days", "updated_at"]

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not ClockRules.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False
