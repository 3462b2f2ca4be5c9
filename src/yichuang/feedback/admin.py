"""Feedback in the admin: ratings, rectifications, appeals and pads are read-only (they change only through
feedback.services; a rating never changes at all); the rating rules are edited by hall admins."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from yichuang.core.admin import AuditedAdminMixin, ReadOnlyAdmin

from .models import Appeal, Evaluation, FeedbackRules, RatingPad, Rectification


@admin.register(Evaluation)
class EvaluationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "level", "channel", "case", "ticket", "window", "staff", "department", "real_name"]
    list_filter = ["level", "channel", "real_name", "department"]
    search_fields = ["case__number", "ticket__number"]
    list_select_related = ["case", "ticket", "window", "staff", "department"]
    date_hierarchy = "created_at"


@admin.register(Rectification)
class RectificationAdmin(ReadOnlyAdmin):
    list_display = ["evaluation", "status", "department", "assignee", "due", "follow_up_at", "resolved_at"]
    list_filter = ["status", "department", "follow_up_required"]
    search_fields = ["evaluation__case__number"]
    list_select_related = ["evaluation__case", "evaluation__ticket", "department", "assignee"]

    @admin.display(description=_("整改期限"), ordering="due_at")
    def due(self, obj):
        return obj.due_at or obj.due_pending_text


@admin.register(Appeal)
class AppealAdmin(ReadOnlyAdmin):
    list_display = ["evaluation", "status", "appealed_by", "appealed_at", "reviewed_by", "reviewed_at"]
    list_filter = ["status"]
    list_select_related = ["evaluation__case", "evaluation__ticket", "appealed_by", "reviewed_by"]


@admin.register(RatingPad)
class RatingPadAdmin(ReadOnlyAdmin):
    list_display = ["window", "paired_by", "paired_at"]
    exclude = ["secret_hash"]
    list_select_related = ["window", "paired_by"]


@admin.register(FeedbackRules)
class FeedbackRulesAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "rectification_days", "link_valid_days", "default_after_days", "default_level"]

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not FeedbackRules.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False
