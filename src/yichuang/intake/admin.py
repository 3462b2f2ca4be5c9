"""Intake in the admin: read-only views of submissions, cases and pickup batches, and the one change an admin
makes here — clearing an applicant's broken-pledge mark (through services.clear_deferral_block).

Everything else changes only through the services (desk, portal, API), so the admin never edits these rows.
Personal data is shown masked.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

from yichuang.core.admin import ReadOnlyAdmin, ReadOnlyInline

from . import services
from .models import (
    Applicant,
    ApplicantContact,
    Case,
    Handoff,
    Submission,
    SubmissionMaterial,
    TimelineEvent,
    masked_name,
)


class MaterialInline(ReadOnlyInline):
    model = SubmissionMaterial
    fields = ["name", "status", "originals", "copies", "due", "supplied_at"]
    readonly_fields = fields


class CaseInline(ReadOnlyInline):
    model = Case
    fields = ["number", "matter", "department", "due_at", "status", "handoff"]
    readonly_fields = fields


class TimelineInline(ReadOnlyInline):
    model = TimelineEvent
    fields = ["at", "kind", "case", "actor", "window"]
    readonly_fields = fields


class ContactInline(ReadOnlyInline):
    """Every name and phone given for the applicant, from when (only added, never replaced); phones masked."""

    model = ApplicantContact
    fields = ["since", "masked_name", "masked_phone", "submission"]
    readonly_fields = fields
    verbose_name_plural = _("提供过的名称和联系电话")

    @admin.display(description=_("名称"))
    def masked_name(self, obj):
        return masked_name(obj.applicant.kind, obj.name)

    @admin.display(description=_("联系电话"))
    def masked_phone(self, obj):
        return obj.masked_phone


@admin.register(Submission)
class SubmissionAdmin(ReadOnlyAdmin):
    list_display = ["number", "status", "channel", "applicant_masked", "bundle", "window", "accepted_at"]
    list_filter = ["status", "channel", "site"]
    search_fields = ["number"]
    date_hierarchy = "accepted_at"
    fields = ["number", "status", "channel", "site", "window", "ticket", "accepted_by", "accepted_at", "bundle"]
    readonly_fields = fields
    inlines = [CaseInline, MaterialInline, TimelineInline]
    list_select_related = ["applicant", "bundle", "window"]

    @admin.display(description=_("申请人"))
    def applicant_masked(self, obj):
        given = obj.as_given
        return f"{given.masked_name} {given.masked_id_number}"


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = ["number", "matter", "department", "status", "assignee", "due_at", "concluded_at", "handoff"]
    list_filter = ["status", "department"]
    search_fields = ["number"]
    list_select_related = ["matter", "department", "handoff", "assignee"]
    readonly_fields = [
        "number", "submission", "matter", "department", "status", "assignee", "accepted_at", "received_at",
        "due_at", "warn_at", "paused_at", "extended_days", "concluded_at", "returned_at", "handoff",
    ]  # fmt: skip
    exclude = ["matter_snapshot"]


@admin.register(Handoff)
class HandoffAdmin(ReadOnlyAdmin):
    list_display = ["department", "site", "scheduled_for", "status", "case_count"]
    list_filter = ["status", "department"]
    date_hierarchy = "scheduled_for"

    @admin.display(description=_("办件数"))
    def case_count(self, obj):
        return obj.cases.count()


@admin.register(Applicant)
class ApplicantAdmin(ReadOnlyAdmin):
    list_display = ["masked_name", "kind", "masked_id_number", "deferral_blocked", "deferral_blocked_at"]
    list_filter = ["kind", "deferral_blocked"]
    fields = ["kind", "masked_name", "masked_id_number", "masked_phone", "deferral_blocked", "deferral_blocked_at",
              "deferral_block_reason", "deferral_cleared_by", "deferral_cleared_at"]  # fmt: skip
    readonly_fields = fields
    actions = ["clear_deferral_block"]
    inlines = [ContactInline]

    @admin.display(description=_("名称"))
    def masked_name(self, obj):
        return obj.masked_name

    @admin.display(description=_("证件号码"))
    def masked_id_number(self, obj):
        return obj.masked_id_number

    @admin.display(description=_("联系电话"))
    def masked_phone(self, obj):
        return obj.masked_phone

    @admin.action(description=_("解除容缺失信标记"))
    def clear_deferral_block(self, request, queryset):
        cleared = 0
        for applicant in queryset.filter(deferral_blocked=True):
            try:
                services.clear_deferral_block(applicant, request.user, request=request)
                cleared += 1
            except (PermissionDenied, ValidationError) as exc:
                self.message_user(request, str(exc.messages[0] if hasattr(exc, "messages") else exc), messages.ERROR)
                return
        self.message_user(request, _("已解除 %(n)d 位申请人的容缺失信标记。") % {"n": cleared}, messages.SUCCESS)
