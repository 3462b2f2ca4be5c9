"""Pre-filled applications change only through prefill.services; the admin shows them, the applicant masked."""

from django.contrib import admin

from yichuang.core.admin import ReadOnlyAdmin
from yichuang.core.masking import mask_name

from .models import Prefill


@admin.register(Prefill)
class PrefillAdmin(ReadOnlyAdmin):
    list_display = ["code", "channel", "site", "masked_applicant", "precheck", "created_at", "expires_at", "submission"]
    list_filter = ["channel", "precheck"]
    search_fields = ["code"]
    fields = ["code", "channel", "site", "version", "masked_applicant", "matters", "precheck", "precheck_note",
              "created_at", "expires_at", "ticket", "submission", "used_at"]  # fmt: skip
    readonly_fields = fields

    @admin.display(description="申请人")
    def masked_applicant(self, obj):
        return mask_name(obj.applicant.get("name", ""))
