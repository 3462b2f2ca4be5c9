from django.contrib import admin

from .models import Licence, LicenceType, ReusableMaterial

PRIVATE = ("holder_name", "holder_id_number", "verify_code")


@admin.register(LicenceType)
class LicenceTypeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "holder_kind", "valid_years"]
    search_fields = ["code", "name"]
    filter_horizontal = ["issuing_matters", "materials"]


@admin.register(Licence)
class LicenceAdmin(admin.ModelAdmin):
    """Licences are issued by the services (on approval) and revoked by them; the admin only lists them."""

    list_display = ["identifier", "type", "issuer_name", "issued_on", "valid_until", "status", "source"]
    list_filter = ["status", "source", "type"]
    search_fields = ["identifier", "number"]
    exclude = PRIVATE  # the holder is shown on the audited document page, not here
    readonly_fields = [f.name for f in Licence._meta.fields if f.name not in PRIVATE]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReusableMaterial)
class ReusableMaterialAdmin(admin.ModelAdmin):
    list_display = ["material", "valid_days"]
    autocomplete_fields = ["material"]
