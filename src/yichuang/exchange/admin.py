"""The exchange outbox in the admin: every row with its status and the province's reason; a rejected or
failed row can be corrected (its data edited, or re-read from the case) and resent — each through
`exchange.services`, audited."""

import logging

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.utils.translation import gettext_lazy as _

from yichuang.core import audit

from . import services
from .models import OutboxEvent

logger = logging.getLogger("yichuang.exchange")

FIXABLE = (OutboxEvent.Status.REJECTED, OutboxEvent.Status.FAILED)


class OutboxEventForm(forms.ModelForm):
    class Meta:
        model = OutboxEvent
        fields = ["payload"]

    def clean_payload(self):
        payload = self.cleaned_data["payload"]
        services.check_fix(self.instance, payload)  # refused: shown on the form, nothing saved
        return payload


@admin.register(OutboxEvent)
class OutboxEventAdmin(admin.ModelAdmin):
    form = OutboxEventForm
    list_display = [
        "id", "stream", "table", "kind_label", "status", "attempts", "short_reason", "created_at", "sent_at",
    ]  # fmt: skip
    list_filter = ["status", "table"]
    search_fields = ["stream"]
    readonly_fields = [
        "uid", "revision", "stream", "table", "kind", "status", "attempts", "next_attempt_at", "batch_id",
        "last_error", "reject_reason", "created_at", "sent_at",
    ]  # fmt: skip
    actions = ["resend", "reread_and_resend"]
    show_full_result_count = False

    @admin.display(description=_("事件"), ordering="kind")
    def kind_label(self, obj):
        from yichuang.intake.models import TimelineEvent

        labels = {**dict(TimelineEvent.Kind.choices), "rated": _("评价")}
        return labels.get(obj.kind, obj.kind)

    @admin.display(description=_("退回原因"))
    def short_reason(self, obj):
        return (obj.reject_reason or obj.last_error)[:80]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        fields = list(self.readonly_fields)
        if obj is None or obj.status not in FIXABLE:
            fields.append("payload")  # only a rejected or failed row's data may be corrected
        return fields

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            # The page shows the payload: the applicant's name and full ID number. Audited like a licence's
            # document (the case number and the event only: no personal data in the summary).
            audit.record(request.user, "exchange.view", obj, summary=f"{obj.stream} {obj.kind}", request=request)
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def save_model(self, request, obj, form, change):
        # The form checked the payload; the row may have changed since (resent by another admin, or sent).
        payload = form.cleaned_data.get("payload", obj.payload)
        try:
            services.fix_payload(obj, request.user, payload, request=request)
        except ValidationError as exc:
            request._exchange_refused = True  # response_change: no "changed successfully"
            self.message_user(request, "；".join(exc.messages), messages.ERROR)

    def response_change(self, request, obj):
        if getattr(request, "_exchange_refused", False):
            return HttpResponseRedirect(request.path)  # back to the row, with the error only
        return super().response_change(request, obj)

    def log_change(self, request, obj, message):
        return None  # fix_payload audited it (field names only)

    @admin.action(description=_("重新推送所选事件"), permissions=["change"])
    def resend(self, request, queryset):
        self._each(request, queryset, lambda e: services.resend(e, request.user, request=request))

    @admin.action(description=_("从办件重新读取数据并重新推送"), permissions=["change"])
    def reread_and_resend(self, request, queryset):
        def both(event):
            with transaction.atomic():  # both or neither
                services.reread(event, request.user, request=request)
                services.resend(event, request.user, request=request)

        self._each(request, queryset, both)

    def _each(self, request, queryset, action):
        done, refused = 0, []
        for event in queryset.order_by("id"):
            try:
                action(event)
                done += 1
            except ValidationError as exc:
                refused.append(f"#{event.pk}: {'；'.join(exc.messages)}")
            except (ValueError, TypeError, KeyError, AttributeError) as exc:
                # The row's data could not be read (edited by hand, or written by an older version): this row
                # is refused, the others go on. Its text may hold the data: logged and shown by type only.
                logger.warning("exchange: admin action on event %s failed: %s", event.pk, type(exc).__name__)
                message = _("无法处理该事件的数据（%(error)s）。") % {"error": type(exc).__name__}
                refused.append(f"#{event.pk}: {message}")
        if done:
            self.message_user(request, _("已安排重新推送 %(n)d 条。") % {"n": done}, messages.SUCCESS)
        for line in refused:
            self.message_user(request, line, messages.WARNING)
