"""Admin: the outbox is read-only (it changes only through the services); failed messages can be retried."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from yichuang.core.masking import mask_phone

from . import services
from .models import Message


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["id", "created_at", "kind", "masked_recipient", "submission", "status", "attempts", "last_error"]
    list_filter = ["status", "kind"]
    search_fields = ["submission"]
    date_hierarchy = "created_at"
    actions = ["retry_failed"]
    exclude = ["recipient"]
    readonly_fields = [
        "kind", "masked_recipient", "subject", "body", "submission", "status", "attempts", "next_attempt_at",
        "expires_at", "last_error", "sent_at", "created_at",
    ]  # fmt: skip

    @admin.display(description=_("接收号码"))
    def masked_recipient(self, obj):
        return mask_phone(obj.recipient)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("重新发送所选的失败消息"), permissions=["change"])
    def retry_failed(self, request, queryset):
        done = 0
        for message in queryset.filter(status=Message.Status.FAILED):
            try:
                services.retry(message, request.user, request=request)
                done += 1
            except ValidationError:
                continue
        self.message_user(request, _("已重新排队 %(n)d 条消息。") % {"n": done}, messages.SUCCESS)
