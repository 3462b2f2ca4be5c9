"""The outbox: every message to an applicant is stored first, then delivered by the task worker.

A message belongs to a submission by its number (a string), so that this app does not depend on the
intake models: any app may tell an applicant something.
"""

from django.core.validators import EmailValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    """How a message reaches a person (docs/channels.md). SMS is every person's fallback: the phone is the key."""

    SMS = "sms", _("短信")
    EMAIL = "email", _("电子邮件")
    WECHAT = "wechat", _("微信消息")


# An openid of a WeChat official account: letters, digits, "-" and "_" (28 characters in practice).
OPENID_VALIDATOR = RegexValidator(r"^[A-Za-z0-9_-]{6,64}$", _("请输入正确的微信 OpenID。"))


class Contact(models.Model):
    """A person's other addresses and preferred channel, keyed by the mobile number they already give everywhere.

    Changed only through `services.set_contact` (the online hall's 通知方式 page), audited.
    """

    phone = models.CharField(_("手机号码"), max_length=32, unique=True)
    email = models.CharField(_("电子邮箱"), max_length=254, blank=True, validators=[EmailValidator()])
    wechat_openid = models.CharField(_("微信 OpenID"), max_length=64, blank=True, validators=[OPENID_VALIDATOR])
    preferred = models.CharField(_("首选通知方式"), max_length=16, choices=Channel.choices, default=Channel.SMS)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)

    class Meta:
        verbose_name = _("通知方式")
        verbose_name_plural = _("通知方式")

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_preferred_display()}"

    def address(self, channel: str) -> str:
        """The address of this person on `channel` ("" when they gave none)."""
        return {Channel.SMS: self.phone, Channel.EMAIL: self.email, Channel.WECHAT: self.wechat_openid}.get(channel, "")


class Message(models.Model):
    class Kind(models.TextChoices):
        # One template per kind: templates/notifications/messages/<kind>.txt (first line: the subject).
        SIGN_IN_CODE = "sign_in_code", _("登录验证码")
        LOOKUP_FAILURES = "lookup_failures", _("进度查询异常提醒")  # someone keeps failing on a number (portal)
        TURN_NEAR = "turn_near", _("即将到号提醒")  # a few tickets ahead in the queue (queue.services)
        ACCEPTED = "accepted", _("受理通知")
        REFUSED = "refused", _("不予受理通知")
        MATERIAL_DUE = "material_due", _("容缺材料补交提醒")
        MATERIAL_RECEIVED = "material_received", _("材料已收到")
        CORRECTION = "correction", _("补正通知")
        SPECIAL_PROCEDURE = "special_procedure", _("特别程序告知")
        EXTENSION = "extension", _("延期告知")
        DEADLINE_MOVED = "deadline_moved", _("办结期限调整告知")  # the holiday schedule changed (clock.services)
        TERMINATED = "terminated", _("终止办理通知")
        REJECTED = "rejected", _("不予许可通知")
        RESULT_READY = "result_ready", _("办结领取通知")
        RESULT_REMINDER = "result_reminder", _("待领取提醒")
        HANDED_OVER = "handed_over", _("已领取 / 已寄出")
        CONSULTATION_ANSWERED = "consultation_answered", _("咨询答复通知")  # consultation.services
        PREFILL_PRECHECKED = "prefill_prechecked", _("预审结果通知")  # prefill.services
        ASSISTANCE_STARTED = "assistance_started", _("帮办代办告知")  # assistance.services
        APPOINTMENT_BOOKED = "appointment_booked", _("预约成功")  # queue.services.book_appointment
        APPOINTMENT_REMINDER = "appointment_reminder", _("预约提醒")  # queue.services.remind_appointments
        HALL_ALERT = "hall_alert", _("大厅提醒")  # hall.services: to the hall manager

    class Status(models.TextChoices):
        PENDING = "pending", _("待发送")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")

    class Receipt(models.TextChoices):
        # The SMS gateway's delivery receipt (回执): what the handset did, after the gateway took the message.
        NONE = "", _("无回执")
        DELIVERED = "delivered", _("已送达")
        UNDELIVERED = "undelivered", _("未送达")

    # The person, by the phone number they gave (the key of their Contact); the message went to `address`
    # on `channel` (the same number for SMS), chosen when it was stored.
    recipient = models.CharField(_("接收号码"), max_length=32)
    channel = models.CharField(_("渠道"), max_length=16, choices=Channel.choices, default=Channel.SMS)
    address = models.CharField(_("接收地址"), max_length=254, blank=True)
    kind = models.CharField(_("类型"), max_length=32, choices=Kind.choices)
    subject = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"))
    submission = models.CharField(_("申请编号"), max_length=40, blank=True, db_index=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("已尝试次数"), default=0)
    # When the next attempt is due. While a worker sends, it is pushed ahead by the claim's lease, so that
    # no other worker takes the message meanwhile, and a worker that dies mid-send only delays it.
    next_attempt_at = models.DateTimeField(_("下次发送时间"), default=timezone.now)
    expires_at = models.DateTimeField(
        _("失效时间"), null=True, blank=True, help_text=_("过时未送达即不再发送（如登录验证码）。")
    )
    last_error = models.CharField(_("最近错误"), max_length=300, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    receipt = models.CharField(_("送达回执"), max_length=16, choices=Receipt.choices, default="", blank=True)
    receipt_at = models.DateTimeField(_("送达时间"), null=True, blank=True, help_text=_("回执报告的手机送达时间。"))
    receipt_error = models.CharField(_("回执错误码"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("消息")
        verbose_name_plural = _("消息发件箱")
        ordering = ["created_at", "id"]
        indexes = [
            # The sweep's claim: pending messages by due time.
            models.Index(fields=["next_attempt_at", "id"], condition=Q(status="pending"), name="message_due"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()}"

    @property
    def to(self) -> str:
        """Where this message goes: the address on its channel (older rows have only the phone)."""
        return self.address or self.recipient

    @property
    def idempotency_key(self) -> str:
        """Sent with every attempt: a gateway that sees the same key twice must send the SMS once."""
        return f"yichuang-message-{self.pk}"
