"""Assistances change only through assistance.services (the /assist/ pages); the admin shows them, masked."""

from django.contrib import admin

from yichuang.core.admin import ReadOnlyAdmin
from yichuang.core.masking import mask_id_number, mask_name

from .models import Assistance


@admin.register(Assistance)
class AssistanceAdmin(ReadOnlyAdmin):
    list_display = ["number", "category", "masked_subject", "project_name", "helper", "status", "created_at"]
    list_filter = ["status", "category"]
    search_fields = ["number", "project_name"]
    fields = [
        *("number", "category", "masked_subject", "masked_id", "project_name", "helper", "status"),
        *("consent_submit", "consent_collect", "consent_at", "consent_recorded_by", "created_at", "ended_at"),
    ]
    readonly_fields = fields

    @admin.display(description="服务对象")
    def masked_subject(self, obj):
        return mask_name(obj.subject_name)

    @admin.display(description="证件号码")
    def masked_id(self, obj):
        return mask_id_number(obj.subject_id_number)
