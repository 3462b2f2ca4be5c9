"""The outbox: every message to an applicant is stored first, then delivered by the task worker.

A message belongs to a submission by its number (a string), so that this app does not depend on the
intake models: any app may tell an applicant something.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


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

    recipient = models.CharField(_("接收号码"), max_length=32)
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
    def idempotency_key(self) -> str:
        """Sent with every attempt: a gateway that sees the same key twice must send the SMS once."""
        return f"yichuang-message-{self.pk}"
