"""后台分类审批: what a department does with a case — correction, special procedures, extensions, the decision —
and the alerts the worker raises. The case itself and its clock columns live in `intake.Case`; every change
here goes through `backoffice.services`, which keeps the clock (clock.caseclock) and the timeline in step.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Correction(models.Model):
    """补正: everything the applicant must correct or add, told at once (one request per case), the clock stopped
    from `requested_at` until `received_at`."""

    case = models.OneToOneField(
        "intake.Case", verbose_name=_("办件"), on_delete=models.PROTECT, related_name="correction"
    )
    items = models.JSONField(_("补正内容"), help_text=_("[{material, name, note}]"))
    note = models.TextField(_("说明"), blank=True)
    due = models.DateField(_("补正期限"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("告知人"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("告知时间"), default=timezone.now)
    received_at = models.DateTimeField(_("补正材料收到时间"), null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("收件人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("补正")
        verbose_name_plural = _("补正")

    def __str__(self) -> str:
        return f"{self.case} {_('补正')}"

    @property
    def is_open(self) -> bool:
        return self.received_at is None


class SpecialProcedure(models.Model):
    """特别程序 (听证、招标、拍卖、检验、检测、检疫、鉴定、专家评审): time that does not count against the limit,
    notified in writing, with a limit of its own that is itself watched."""

    class Kind(models.TextChoices):
        HEARING = "hearing", _("听证")
        TENDER = "tender", _("招标")
        AUCTION = "auction", _("拍卖")
        INSPECTION = "inspection", _("检验")
        TESTING = "testing", _("检测")
        QUARANTINE = "quarantine", _("检疫")
        APPRAISAL = "appraisal", _("鉴定")
        EXPERT_REVIEW = "expert_review", _("专家评审")

    case = models.ForeignKey(
        "intake.Case", verbose_name=_("办件"), on_delete=models.PROTECT, related_name="special_procedures"
    )
    kind = models.CharField(_("程序"), max_length=16, choices=Kind.choices)
    reason = models.TextField(_("事由"))
    limit_days = models.PositiveSmallIntegerField(_("程序时限（工作日）"))
    started_at = models.DateTimeField(_("开始时间"), default=timezone.now)
    due_at = models.DateTimeField(_("程序期限"))
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("经办人"), on_delete=models.PROTECT, related_name="+"
    )
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("结束经办人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    outcome = models.TextField(_("程序结果"), blank=True)

    class Meta:
        verbose_name = _("特别程序")
        verbose_name_plural = _("特别程序")
        ordering = ["case", "started_at"]
        constraints = [
            models.UniqueConstraint(fields=["case"], condition=Q(ended_at__isnull=True), name="one_running_special"),
        ]
        indexes = [models.Index(fields=["due_at"], condition=Q(ended_at__isnull=True), name="special_running_due")]

    def __str__(self) -> str:
        return f"{self.case} {self.get_kind_display()}"


class Extension(models.Model):
    """延期: requested by the officer with a reason, approved or rejected by a role above (department lead)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待审批")
        APPROVED = "approved", _("已批准")
        REJECTED = "rejected", _("未批准")

    case = models.ForeignKey("intake.Case", verbose_name=_("办件"), on_delete=models.PROTECT, related_name="extensions")
    days = models.PositiveSmallIntegerField(_("延长工作日"))
    reason = models.TextField(_("延期理由"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("申请人"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.TextField(_("审批意见"), blank=True)

    class Meta:
        verbose_name = _("延期")
        verbose_name_plural = _("延期")
        ordering = ["case", "requested_at"]
        constraints = [
            models.UniqueConstraint(fields=["case"], condition=Q(status="pending"), name="one_pending_extension"),
            models.UniqueConstraint(fields=["case"], condition=Q(status="approved"), name="one_approved_extension"),
        ]

    def __str__(self) -> str:
        return f"{self.case} +{self.days}"


class Decision(models.Model):
    """办结: approved (准予) or rejected (不予) with reasons and legal basis; or terminated (终止). The result
    (certificate number, document) is recorded with it."""

    class Outcome(models.TextChoices):
        APPROVED = "approved", _("准予")
        REJECTED = "rejected", _("不予")
        TERMINATED = "terminated", _("终止")
        # The applicant did not supply the correction by its due date: the case ends (status terminated).
        WITHDRAWN = "withdrawn", _("视为撤回申请")

    case = models.OneToOneField(
        "intake.Case", verbose_name=_("办件"), on_delete=models.PROTECT, related_name="decision"
    )
    outcome = models.CharField(_("结论"), max_length=12, choices=Outcome.choices)
    reasons = models.TextField(_("理由"), blank=True)
    legal_basis = models.TextField(_("法律依据"), blank=True)
    certificate_number = models.CharField(_("证照编号"), max_length=64, blank=True)
    document = models.FileField(_("结果文书"), upload_to="backoffice/results/%Y/%m/", max_length=255, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("决定人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("决定时间"), default=timezone.now)

    class Meta:
        verbose_name = _("办结决定")
        verbose_name_plural = _("办结决定")

    def __str__(self) -> str:
        return f"{self.case} {self.get_outcome_display()}"


class Alert(models.Model):
    """A warning the worker raised once (a case turned yellow or red, a special procedure ran over, a deferred
    material or a correction fell due or overdue, a case ended by itself): unique per subject and kind, so a
    sweep run twice, or by two workers, raises it once. Who has read it is per person (`AlertRead`)."""

    class Kind(models.TextChoices):
        CASE_YELLOW = "case_yellow", _("办件黄灯预警")
        CASE_RED = "case_red", _("办件红灯超期")
        SPECIAL_OVERDUE = "special_overdue", _("特别程序超期")
        MATERIAL_DUE = "material_due", _("容缺材料即将到期")
        TERMINATED = "terminated", _("容缺材料逾期，办件终止")
        CORRECTION_DUE = "correction_due", _("补正期限将到，已提醒申请人")
        CORRECTION_OVERDUE = "correction_overdue", _("补正逾期")
        WITHDRAWN = "withdrawn", _("补正逾期，视为撤回申请")

    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    subject = models.CharField(_("对象"), max_length=64, help_text=_("办件编号等"))
    case = models.ForeignKey("intake.Case", verbose_name=_("办件"), on_delete=models.CASCADE, related_name="alerts")
    department = models.ForeignKey(
        "organisation.Department", verbose_name=_("部门"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("预警提醒")
        verbose_name_plural = _("预警提醒")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["kind", "subject"], name="alert_once")]
        indexes = [models.Index(fields=["department", "-created_at"], name="alert_department_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.subject}"


class AlertRead(models.Model):
    """One person has read one alert: read state is per person, so an officer reading an alert does not hide it
    from the lead. Written only by `services.mark_alerts_read` (at most once per person and alert)."""

    alert = models.ForeignKey(Alert, verbose_name=_("预警提醒"), on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("阅读人"), on_delete=models.CASCADE, related_name="+"
    )
    read_at = models.DateTimeField(_("阅读时间"), default=timezone.now)

    class Meta:
        verbose_name = _("预警已读记录")
        verbose_name_plural = _("预警已读记录")
        constraints = [models.UniqueConstraint(fields=["alert", "user"], name="alert_read_once")]

    def __str__(self) -> str:
        return f"{self.alert} · {self.user}"


class BackofficeRules(models.Model):
    """The back office's rules, one row, edited by the hall admin in the admin."""

    auto_withdraw_overdue_corrections = models.BooleanField(
        _("补正逾期自动视为撤回申请"),
        default=False,
        help_text=_(
            "开启后，申请人过了补正期限仍未补正的办件，由系统自动视为撤回申请并告知申请人；"
            "关闭时只提醒承办部门，由承办人决定。"
        ),
    )
    correction_reminder_days = models.PositiveSmallIntegerField(
        _("补正到期提前提醒（工作日）"),
        default=1,
        validators=[MaxValueValidator(10)],
        help_text=_("补正期限前该数目的工作日内提醒申请人一次；0 表示不提醒。"),
    )
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("后台审批规则")
        verbose_name_plural = _("后台审批规则")

    def __str__(self) -> str:
        return str(_("后台审批规则"))

    @classmethod
    def current(cls) -> "BackofficeRules":
        return cls.objects.order_by("pk").first() or cls()
