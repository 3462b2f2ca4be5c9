"""一次评价 (好差评): ratings of a visit (the ticket) or a case, bad ratings' rectification (差评整改) with its
follow-up call (回访), and appeals (申诉复核). Nothing about a rating is ever edited or deleted: every later
step is a row of its own. Changes only through `feedback.services`.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Level(models.IntegerChoices):
    VERY_SATISFIED = 5, _("非常满意")
    SATISFIED = 4, _("满意")
    BASIC = 3, _("基本满意")
    DISSATISFIED = 2, _("不满意")
    VERY_DISSATISFIED = 1, _("非常不满意")


# The dimensions of the national 好差评 rules (rules.md, Output and evaluation).
ONSITE_DIMENSIONS = {"efficiency": _("服务效率"), "level": _("服务水平"), "attitude": _("服务态度")}
ONLINE_DIMENSIONS = {
    "efficiency": _("办事效率"),
    "guide_accuracy": _("办事指南准确性"),
    "convenience": _("办理便捷程度"),
    "usability": _("平台易用性"),
}


class Channel(models.TextChoices):
    PAD = "pad", _("窗口评价器")
    LINK = "link", _("短信邀请链接")
    PORTAL = "portal", _("网上大厅")
    DEFAULT = "default", _("默认评价")


class FeedbackRules(models.Model):
    """The hall's rating rules, one row, edited in the admin."""

    rectification_days = models.PositiveSmallIntegerField(
        _("整改期限（工作日）"), default=5, validators=[MinValueValidator(1)]
    )
    link_valid_days = models.PositiveSmallIntegerField(
        _("评价链接有效期（天）"), default=15, validators=[MinValueValidator(1)]
    )
    default_after_days = models.PositiveSmallIntegerField(
        _("默认好评（天）"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("办结后该天数内未评价的办件记为默认评价；留空则不启用（默认不启用）。"),
    )
    default_level = models.PositiveSmallIntegerField(_("默认评价等级"), choices=Level.choices, default=Level.SATISFIED)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("评价规则")
        verbose_name_plural = _("评价规则")

    def __str__(self) -> str:
        return str(_("评价规则"))

    @classmethod
    def current(cls) -> "FeedbackRules":
        return cls.objects.order_by("pk").first() or cls()


class ImmutableError(Exception):
    """A rating is never edited or deleted (rules.md: nothing about a rating is ever deleted)."""


class EvaluationQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ImmutableError("ratings are never edited")

    def delete(self):
        raise ImmutableError("ratings are never deleted")


class Evaluation(models.Model):
    """One rating, of a visit (ticket) or of a case, from one channel. One per subject and channel.
    Append-only: `save()` of an existing row, `delete()` and queryset `update()`/`delete()` refuse."""

    ticket = models.ForeignKey(
        "queue.Ticket", verbose_name=_("排队号"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    case = models.ForeignKey(
        "intake.Case",
        verbose_name=_("办件"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="evaluations",
    )
    channel = models.CharField(_("渠道"), max_length=8, choices=Channel.choices)
    level = models.PositiveSmallIntegerField(
        _("评价等级"), choices=Level.choices, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    dimensions = models.JSONField(_("分项评价"), default=dict, blank=True)
    tags = models.JSONField(_("标签"), default=list, blank=True)
    comment = models.TextField(_("评价内容"), blank=True)
    real_name = models.BooleanField(_("实名评价"), default=False)
    # Who and where was rated, fixed at the time of rating (statistics never re-derive them).
    window = models.ForeignKey(
        "organisation.Window", verbose_name=_("窗口"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("被评价人员"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    department = models.ForeignKey(
        "organisation.Department", verbose_name=_("部门"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    zone = models.ForeignKey(
        "organisation.Zone", verbose_name=_("服务区"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("评价时间"), default=timezone.now)

    objects = EvaluationQuerySet.as_manager()

    class Meta:
        verbose_name = _("评价")
        verbose_name_plural = _("评价")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ticket__isnull=False) | Q(case__isnull=False), name="evaluation_has_subject"
            ),
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=5), name="evaluation_level_1_to_5"),
            models.UniqueConstraint(
                fields=["case", "channel"], condition=Q(case__isnull=False), name="one_rating_per_case_channel"
            ),
            models.UniqueConstraint(
                fields=["ticket", "channel"],
                condition=Q(case__isnull=True),
                name="one_rating_per_visit_channel",
            ),
        ]
        indexes = [models.Index(fields=["created_at"], name="evaluation_created_idx")]

    def __str__(self) -> str:
        return f"{self.get_level_display()} {self.case or self.ticket}"

    @property
    def is_bad(self) -> bool:
        return self.level <= 2

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ImmutableError("ratings are never edited")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableError("ratings are never deleted")


class RatingPad(models.Model):
    """A tablet beside a window facing the person, paired once to its window by staff (the pairing secret is
    kept as a hash; the tablet keeps the secret in a cookie)."""

    window = models.OneToOneField(
        "organisation.Window", verbose_name=_("窗口"), on_delete=models.CASCADE, related_name="rating_pad"
    )
    secret_hash = models.CharField(max_length=128)
    paired_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("配对人"), on_delete=models.PROTECT, related_name="+"
    )
    paired_at = models.DateTimeField(_("配对时间"), default=timezone.now)

    class Meta:
        verbose_name = _("评价器")
        verbose_name_plural = _("评价器")

    def __str__(self) -> str:
        return str(self.window)


class Rectification(models.Model):
    """差评整改: opened by a rating of 1 or 2, assigned to the person responsible, followed up by a call, fixed or
    explained within the working-day limit; red on the supervision board once overdue.

    The due time is never guessed: when the limit reaches into a year whose holidays nobody has entered, `due_at`
    stays empty and `due_pending_year` names that year (the rating itself is kept: it is the citizen's voice);
    `services.fill_pending_dues` (run by the sweep) sets it from the rating day and `due_days` once the year is
    known."""

    class Status(models.TextChoices):
        OPEN = "open", _("整改中")
        FIXED = "fixed", _("已整改")
        EXPLAINED = "explained", _("已说明")

    evaluation = models.OneToOneField(
        Evaluation, verbose_name=_("评价"), on_delete=models.PROTECT, related_name="rectification"
    )
    department = models.ForeignKey(
        "organisation.Department", verbose_name=_("责任部门"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("责任人"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    due_at = models.DateTimeField(_("整改期限"), null=True, blank=True)
    due_days = models.PositiveSmallIntegerField(
        _("整改时限（工作日）"), null=True, blank=True, help_text=_("评价时的整改时限，期限据此计算。")
    )
    due_pending_year = models.PositiveSmallIntegerField(
        _("期限待录入年份"),
        null=True,
        blank=True,
        help_text=_("整改期限要用到该年的节假日安排，录入前不计算（不按周一至周五猜测）。"),
    )
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.OPEN)
    follow_up_required = models.BooleanField(
        _("必须回访"), default=False, help_text=_("实名差评必须回访后才能办结整改。")
    )
    follow_up_at = models.DateTimeField(_("回访时间"), null=True, blank=True)
    follow_up_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("回访人"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    follow_up_note = models.TextField(_("回访记录"), blank=True)
    resolution = models.TextField(_("整改情况"), blank=True)
    resolved_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("完成人"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("差评整改")
        verbose_name_plural = _("差评整改")
        ordering = [F("due_at").asc(nulls_last=True), "id"]
        indexes = [models.Index(fields=["due_at"], condition=Q(status="open"), name="rectification_open_due")]
        constraints = [
            # Either a due time, or the year it waits for (and the limit to count once that year is known).
            models.CheckConstraint(
                condition=Q(due_at__isnull=False, due_pending_year__isnull=True)
                | Q(due_at__isnull=True, due_pending_year__isnull=False, due_days__isnull=False),
                name="rectification_due_or_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.evaluation} {self.get_status_display()}"

    @property
    def due_pending_text(self) -> str:
        """Why there is no due time yet, for the staff who see the rectification ("" when there is one)."""
        if self.due_at is not None or not self.due_pending_year:
            return ""
        return _("整改期限待%(year)d年节假日安排录入后计算") % {"year": self.due_pending_year}


class Appeal(models.Model):
    """申诉复核: staff appeal a rating as wrongful; a reviewer decides. The rating stays as it was, visible."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待复核")
        UPHELD = "upheld", _("申诉成立")
        DISMISSED = "dismissed", _("申诉不成立")

    evaluation = models.ForeignKey(Evaluation, verbose_name=_("评价"), on_delete=models.PROTECT, related_name="appeals")
    reason = models.TextField(_("申诉理由"))
    appealed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("申诉人"), on_delete=models.PROTECT, related_name="+"
    )
    appealed_at = models.DateTimeField(_("申诉时间"), default=timezone.now)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.PENDING)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("复核人"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    reviewed_at = models.DateTimeField(_("复核时间"), null=True, blank=True)
    outcome = models.TextField(_("复核意见"), blank=True)

    class Meta:
        verbose_name = _("申诉复核")
        verbose_name_plural = _("申诉复核")
        ordering = ["-appealed_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["evaluation"], condition=Q(status="pending"), name="one_pending_appeal"),
        ]

    def __str__(self) -> str:
        return f"{self.evaluation} {self.get_status_display()}"
