"""Admin: the outbox is read-only (it changes only through the services); failed messages can be retried."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from yichuang.core.admin import ReadOnlyAdmin
from yichuang.core.masking import mask_phone

from . import services
from .addresses import mask_address, mask_email, mask_openid
from .models import Contact, Message


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = [
        "id", "created_at", "kind", "channel", "masked_address", "submission", "status", "receipt", "attempts",
        "last_error",
    ]  # fmt: skip
    list_filter = ["status", "channel", "receipt", "kind"]
    search_fields = ["submission"]
    date_hierarchy = "created_at"
    actions = ["retry_failed"]
    exclude = ["recipient", "address"]
    readonly_fields = [
        "kind", "masked_recipient", "channel", "masked_address", "subject", "body", "submission", "status",
        "attempts", "next_attempt_at", "expires_at", "last_error", "sent_at", "receipt", "receipt_at",
        "receipt_error", "created_at",
    ]  # fmt: skip

    @admin.display(description=_("接收号码"))
    def masked_recipient(self, obj):
        return mask_phone(obj.recipient)

    @admin.display(description=_("接收地址"))
    def masked_address(self, obj):
        return mask_address(obj.channel, obj.to)

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


@admin.register(Contact)
class ContactAdmin(ReadOnlyAdmin):
    """Read-only: a person sets their own channel in the online hall (services.set_contact, audited)."""

    list_display = ["id", "masked_phone", "preferred", "masked_email", "masked_openid", "updated_at"]
    list_filter = ["preferred"]
    fields = ["masked_phone", "preferred", "masked_email", "masked_openid", "updated_at"]
    readonly_fields = fields

    @admin.display(description=_("手机号码"))
    def masked_phone(self, obj):
        return mask_phone(obj.phone)

    @admin.display(description=_("电子邮箱"))
    def masked_email(self, obj):
        return mask_email(obj.email)

    @admin.display(description=_("微信 OpenID"))
    def masked_openid(self, obj):
        return mask_openid(obj.wechat_openid)
