from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from . import audit, periodic
from .models import AuditEvent, PeriodicJob


class AuditedAdminMixin:
    """Every add, change and delete made through the admin also lands in the audit log."""

    def log_addition(self, request, obj, message):
        audit.record(request.user, "admin.add", obj, summary=str(obj), request=request)
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        audit.record(request.user, "admin.change", obj, summary=str(obj), request=request, message=str(message))
        return super().log_change(request, obj, message)

    def log_deletions(self, request, queryset):
        for obj in queryset:
            audit.record(request.user, "admin.delete", obj, summary=str(obj), request=request)
        return super().log_deletions(request, queryset)


class SearchTermMixin:
    """A search term with a NUL character finds nothing, instead of reaching PostgreSQL, which refuses NUL in
    text (a 500). The changelist's own search box drops such a term already; the autocomplete of an admin
    named in another admin's autocomplete_fields (/admin/autocomplete/?term=…) does not."""

    def get_search_results(self, request, queryset, search_term):
        if "\x00" in search_term:
            return queryset.none(), False
        return super().get_search_results(request, queryset, search_term)


class ReadOnlyAdmin(SearchTermMixin, admin.ModelAdmin):
    """Rows that change only through their app's services (or never, like the audit log): shown in the admin,
    never added, changed or deleted there — by nobody, a superuser included. The one base for every such admin."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    """The rows of a read-only admin's inline: shown, never added, changed or deleted."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "action", "object_type", "object_id", "summary"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_id", "summary"]
    date_hierarchy = "at"
    # The log is append-only, even for a superuser (ReadOnlyAdmin).


@admin.register(PeriodicJob)
class PeriodicJobAdmin(ReadOnlyAdmin):
    """后台任务状态: one page with each periodic job and each recent worker (the same as `yichuang status`).

    The rows belong to the workers (yichuang.core.periodic): nobody adds, edits or deletes them here."""

    readonly_fields = [f.name for f in PeriodicJob._meta.fields]

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("后台任务状态"),
            "status": periodic.status(),
            "stale_beats": periodic.STALE_BEATS,
            "late_periods": periodic.LATE_PERIODS,
        }
        return TemplateResponse(request, "admin/core/periodicjob/status.html", context)
