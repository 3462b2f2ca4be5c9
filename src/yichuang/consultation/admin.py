"""Consultations in the admin: hall admins edit the rules (the escalation limit); consultations, escalations and
ratings are read-only for everyone (they change only through consultation.services)."""

from django.contrib import admin

from yichuang.core.admin import AuditedAdminMixin, ReadOnlyAdmin, ReadOnlyInline

from .models import Consultation, ConsultationRating, ConsultationRules, Escalation


@admin.register(ConsultationRules)
class ConsultationRulesAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "escalation_days"]

    def has_add_permission(self, request):
        # One row: the hall's rules.
        return super().has_add_permission(request) and not ConsultationRules.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


class EscalationInline(ReadOnlyInline):
    model = Escalation
    fields = ["department", "due_at", "status", "escalated_by", "escalated_at", "expert", "replied_at"]
    readonly_fields = fields


@admin.register(Consultation)
class ConsultationAdmin(ReadOnlyAdmin):
    list_display = ["number", "channel", "status", "solved", "staff", "created_at", "answered_at"]
    list_filter = ["channel", "status", "solved"]
    search_fields = ["number"]
    date_hierarchy = "created_at"
    # The asker's name and phone are not shown here (personal data; the desk's page masks and audits them).
    exclude = ["asker_name", "asker_phone", "token"]
    inlines = [EscalationInline]


@admin.register(Escalation)
class EscalationAdmin(ReadOnlyAdmin):
    list_display = ["consultation", "department", "due_at", "status", "replied_at"]
    list_filter = ["status", "department"]
    search_fields = ["consultation__number"]
    list_select_related = ["consultation", "department"]


@admin.register(ConsultationRating)
class ConsultationRatingAdmin(ReadOnlyAdmin):
    list_display = ["consultation", "level", "created_at"]
    list_filter = ["level"]
    search_fields = ["consultation__number"]
    list_select_related = ["consultation"]
