"""Fees (收费): the fee items a matter charges, the payment notice (缴款通知 / 一般缴款书) issued per case and
stage, its lines, and every status report the payment gateway sent (callbacks and polls, applied or not).

A notice's life: unpaid (issued; `sent_at` set once the gateway has it) → paid (receipt stored) → for a case
refused after paying an acceptance fee: refund pending → refunded. An unpaid notice of a case that ends without
a result is cancelled. Only `services` changes these rows.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from yichuang.intake.models import ApplicantKind


class Stage(models.TextChoices):
    ACCEPTANCE = "acceptance", _("受理时收取")
    CONCLUSION = "conclusion", _("准予办结时收取")


class FeeItem(models.Model):
    """One fee a matter charges: a fixed amount, or an amount per unit (e.g. per page, per certificate) times
    the units the officer enters when approving (per-unit items are charged at conclusion only)."""

    matter = models.ForeignKey(
        "catalogue.Matter", verbose_name=_("事项"), on_delete=models.CASCADE, related_name="fee_items"
    )
    name = models.CharField(_("收费项目"), max_length=100)
    amount = models.DecimalField(
        _("金额（元）"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_("按件计收时为每件（每单位）的金额。"),
    )
    unit = models.CharField(
        _("计费单位"), max_length=10, blank=True, help_text=_("留空为固定金额；填写（如“页”“本”）则按单位数计收。")
    )
    basis = models.CharField(_("收费依据"), max_length=300, help_text=_("如：某某价费字〔2020〕12号。"))
    stage = models.CharField(_("收取时点"), max_length=12, choices=Stage.choices, default=Stage.CONCLUSION)
    waived_for = models.CharField(
        _("免收对象"), max_length=8, choices=ApplicantKind.choices, blank=True, help_text=_("留空表示不减免。")
    )
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("收费项目")
        verbose_name_plural = _("收费项目")
        ordering = ["matter", "stage", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(unit="") | models.Q(stage="conclusion"), name="fee_per_unit_at_conclusion"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name}（¥{self.amount}{'/' + self.unit if self.unit else ''}）"

    def clean(self):
        if self.amount is not None and self.amount <= 0:
            raise ValidationError({"amount": [_("金额须大于 0。")]})
        if self.unit and self.stage == Stage.ACCEPTANCE:
            # The officer who approves enters the units (pages, certificates) on the 办结 form; nobody counts them
            # at the intake window.
            raise ValidationError({"unit": [_("按单位计收的项目只能在准予办结时收取（由审批人员填写数量）。")]})

    def charge(self, units: int | None = None) -> Decimal:
        """The amount for `units` (a fixed item ignores them; a per-unit item needs them: no default count)."""
        if not self.unit:
            return self.amount
        if not isinstance(units, int) or units < 1:
            raise ValidationError({"units": [_("“%(name)s”的单位数须为正整数。") % {"name": self.name}]})
        return (self.amount * units).quantize(Decimal("0.01"))


class PaymentNotice(models.Model):
    class Status(models.TextChoices):
        UNPAID = "unpaid", _("待缴费")
        PAID = "paid", _("已缴费")
        CANCELLED = "cancelled", _("已撤销")
        REFUND_PENDING = "refund_pending", _("退费中")
        REFUNDED = "refunded", _("已退费")

    number = models.CharField(_("缴款通知书编号"), max_length=64, unique=True)
    case = models.ForeignKey("intake.Case", verbose_name=_("办件"), on_delete=models.PROTECT, related_name="+")
    stage = models.CharField(_("收取时点"), max_length=12, choices=Stage.choices)
    amount = models.DecimalField(_("金额（元）"), max_digits=12, decimal_places=2)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.UNPAID)
    created_at = models.DateTimeField(_("开具时间"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("开具人"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    # The gateway's side: sent once it acknowledged the notice (idempotent by `number`), retried until then.
    sent_at = models.DateTimeField(_("推送支付平台时间"), null=True, blank=True)
    pay_code = models.CharField(_("缴款码"), max_length=64, blank=True)
    pay_url = models.URLField(_("缴款链接"), max_length=300, blank=True)
    attempts = models.PositiveIntegerField(_("推送次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次推送/查询时间"), null=True, blank=True)
    last_error = models.CharField(_("最近错误"), max_length=200, blank=True)
    paid_at = models.DateTimeField(_("缴费时间"), null=True, blank=True)
    paid_via = models.CharField(_("到账来源"), max_length=12, blank=True)  # callback / poll
    receipt_number = models.CharField(_("电子票据号"), max_length=64, blank=True)
    cancelled_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    refund_requested_at = models.DateTimeField(_("退费申请时间"), null=True, blank=True)
    refund_sent_at = models.DateTimeField(_("退费推送时间"), null=True, blank=True)
    refund_reference = models.CharField(_("退费流水号"), max_length=64, blank=True)
    refunded_at = models.DateTimeField(_("退费完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("缴款通知书")
        verbose_name_plural = _("缴款通知书")
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["case", "stage"], name="fees_one_notice_per_case_stage")]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="fees_notice_due_idx")]

    def __str__(self) -> str:
        return self.number

    @property
    def refund_number(self) -> str:
        return f"{self.number}-R"


class NoticeLine(models.Model):
    notice = models.ForeignKey(
        PaymentNotice, verbose_name=_("缴款通知书"), on_delete=models.CASCADE, related_name="lines"
    )
    item = models.ForeignKey(
        FeeItem, verbose_name=_("收费项目"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(_("收费项目"), max_length=100)
    basis = models.CharField(_("收费依据"), max_length=300)
    unit_amount = models.DecimalField(_("单价（元）"), max_digits=12, decimal_places=2)
    units = models.PositiveIntegerField(_("数量"), default=1)
    amount = models.DecimalField(_("金额（元）"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("收费明细")
        verbose_name_plural = _("收费明细")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.name} ¥{self.amount}"


class PaymentEvent(models.Model):
    """One report about a notice: a callback, a poll's answer, the gateway's acknowledgement. Every callback is
    kept, also a duplicate or a late one; `applied` says whether it changed the notice."""

    class Source(models.TextChoices):
        CALLBACK = "callback", _("回调")
        POLL = "poll", _("查询")
        GATEWAY = "gateway", _("推送应答")

    notice = models.ForeignKey(
        PaymentNotice, verbose_name=_("缴款通知书"), on_delete=models.CASCADE, related_name="events"
    )
    at = models.DateTimeField(_("时间"))
    source = models.CharField(_("来源"), max_length=10, choices=Source.choices)
    state = models.CharField(_("报告状态"), max_length=16)
    event_id = models.CharField(_("平台事件号"), max_length=64, blank=True)
    applied = models.BooleanField(_("已生效"), default=False)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    detail = models.JSONField(_("内容"), default=dict, blank=True)

    class Meta:
        verbose_name = _("支付平台报告")
        verbose_name_plural = _("支付平台报告")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.notice_id} {self.source} {self.state}"
