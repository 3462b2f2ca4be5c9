from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from yichuang.core.admin import AuditedAdminMixin

from .models import ApiToken, Department, OpeningPeriod, PickupSlot, Seat, Site, User, Window, Zone


class OpeningPeriodInline(admin.TabularInline):
    model = OpeningPeriod
    extra = 0


@admin.register(Site)
class SiteAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["code", "name", "division_code", "is_default"]
    inlines = [OpeningPeriodInline]


class PickupSlotInline(admin.TabularInline):
    model = PickupSlot
    extra = 0


@admin.register(Department)
class DepartmentAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["code", "name", "kind", "presence"]
    list_filter = ["kind", "presence"]
    search_fields = ["code", "name"]
    inlines = [PickupSlotInline]


class WindowInline(admin.TabularInline):
    model = Window
    extra = 0
    fields = ["number", "name", "kind", "department", "is_open", "is_new"]


@admin.register(Zone)
class ZoneAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["code", "name", "site", "kind", "ticket_letter", "lead_department", "order"]
    list_filter = ["site", "kind"]
    inlines = [WindowInline]


@admin.register(Window)
class WindowAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["number", "name", "zone", "kind", "department", "is_open", "is_new"]
    list_filter = ["zone__site", "zone", "kind", "is_open", "is_new"]
    list_editable = ["is_open"]


@admin.register(Seat)
class SeatAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["date", "window", "user", "since", "until"]
    list_filter = ["date", "window__zone"]


@admin.register(User)
class UserAdmin(AuditedAdminMixin, BaseUserAdmin):
    list_display = ["username", "last_name", "first_name", "department", "is_active", "is_staff"]
    list_filter = ["groups", "department", "is_active"]
    fieldsets = [
        *BaseUserAdmin.fieldsets,
        (_("岗位"), {"fields": ["department", "site", "phone"]}),
    ]

    # A hall admin gives staff their roles (groups). Only a superuser makes a superuser, grants permissions
    # one by one, or changes a superuser's account (its password included): else a hall admin could make
    # themselves superuser, or take over one by setting its password.
    SUPERUSER_ONLY_FIELDS = ["is_superuser", "user_permissions"]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += self.SUPERUSER_ONLY_FIELDS
        return readonly

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)


@admin.register(ApiToken)
class ApiTokenAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["user", "label", "created", "last_used"]
    readonly_fields = ["user", "key_hash", "label", "created", "last_used"]

    def has_add_permission(self, request):
        return False  # tokens are issued with `yichuang token USERNAME`, which shows the key once
