from django.contrib import admin

from .models import Bundle, BundleItem, LifeEvent, Material, Matter, MatterMaterial


class MatterMaterialInline(admin.TabularInline):
    model = MatterMaterial
    extra = 0
    autocomplete_fields = ["material"]
    fields = ["order", "material", "required", "core", "originals", "copies", "deferrable", "pledgeable", "notes",
              "blank_form", "sample"]


@admin.register(Matter)
class MatterAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "department", "kind", "limit_unit", "promised_limit", "legal_limit", "status"]
    list_filter = ["status", "kind", "limit_unit", "department", "zones", "online", "delegated"]
    search_fields = ["code", "name", "keywords"]
    filter_horizontal = ["zones", "life_events"]
    inlines = [MatterMaterialInline]


@admin.register(Material)
class MaterialAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "issuer"]
    search_fields = ["code", "name"]


class BundleItemInline(admin.TabularInline):
    model = BundleItem
    extra = 0
    autocomplete_fields = ["matter"]


@admin.register(Bundle)
class BundleAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "zone", "limit_unit", "limit", "status"]
    inlines = [BundleItemInline]


@admin.register(LifeEvent)
class LifeEventAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "audience", "order"]
