"""The outbox of the exchange with the provincial platform: one row per event the province must receive.

Rows are written by `exchange.outbox.publish` in the transaction of the change they report, and delivered by
`exchange.services.deliver_due` (the worker's periodic job). Order within a case is the order of `id`; the
target's row id is `row_id` (the row's uuid and its revision), so a resend is an idempotent upsert there.
"""

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboxEvent(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("待推送")
        SENT = "sent", _("已推送")
        REJECTED = "rejected", _("被省级平台退回")
        FAILED = "failed", _("推送失败")

    class Table(models.TextChoices):
        ACCEPT = "accept", _("受理")
        PROCESS = "process", _("办理过程")
        SPECIAL = "special", _("特别程序")
        RESULT = "result", _("办结")
        DELIVERY = "delivery", _("送达")
        EVALUATION = "evaluation", _("评价")

    uid = models.UUIDField(_("事件标识"), default=uuid.uuid4, unique=True, editable=False)
    revision = models.PositiveIntegerField(_("版本"), default=1, help_text=_("每次退回后修正重发加一。"))
    stream = models.CharField(_("办件编号"), max_length=44, help_text=_("同一办件的事件按顺序推送。"))
    table = models.CharField(_("数据表"), max_length=16, choices=Table.choices)
    kind = models.CharField(_("事件"), max_length=32)
    case = models.ForeignKey(
        "intake.Case",
        verbose_name=_("办件"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    evaluation = models.ForeignKey(
        "feedback.Evaluation",
        verbose_name=_("评价"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    timeline_detail = models.JSONField(_("事件详情"), default=dict, blank=True)
    payload = models.JSONField(_("推送数据"), default=dict)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试时间"), default=timezone.now)
    batch_id = models.CharField(_("批次号"), max_length=40, blank=True)
    last_error = models.CharField(_("最近错误"), max_length=300, blank=True)
    reject_reason = models.TextField(_("退回原因"), blank=True)
    created_at = models.DateTimeField(_("产生时间"), default=timezone.now)
    sent_at = models.DateTimeField(_("推送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("推送事件")
        verbose_name_plural = _("推送事件")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["stream", "id"], name="exchange_stream_order"),
            # The claim walks pending rows in id order (order per case). Not a partial index: with prepared
            # statements PostgreSQL's generic plan binds the status as a parameter and could not use one.
            models.Index(fields=["status", "id"], name="exchange_status_order"),
        ]

    def __str__(self) -> str:
        return f"{self.stream} {self.kind} #{self.pk}"

    @property
    def row_id(self) -> str:
        """The target's primary key of this event's row: stable across resends of one revision."""
        return f"{self.uid.hex}-{self.revision}"

    @property
    def operation(self) -> str:
        """I for the first delivery, U for a corrected one (after the province rejected the row)."""
        return "I" if self.revision == 1 else "U"
