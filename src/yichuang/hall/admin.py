from django.contrib import admin

from yichuang.core.admin import AuditedAdminMixin, ReadOnlyAdmin

from .models import Alert, AlertRules


@admin.register(AlertRules)
class AlertRulesAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("__str__", "wait_count", "wait_minutes", "idle_minutes", "bad_rating", "message")


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    list_display = ("raised_at", "site", "kind", "text", "cleared_at", "acknowledged_at", "acknowledged_by")
    list_filter = ("kind", "site")
    date_hierarchy = "raised_at"
