"""集中咨询: every question asked of the hall — at the consultation window, by phone, online or by video — with
its answer and the knowledge articles used. A question not solved on the spot is escalated (咨询转办) to the
department responsible, which answers within a working-time limit; an overdue escalation is red on the
supervision board. Changes only through `consultation.services`.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yichuang.feedback.models import Level  # the same five levels as every rating (一次一评)


class ConsultationRules(models.Model):
    """The hall's consultation rules, one row, edited in the admin."""

    escalation_days = models.PositiveSmallIntegerField(
        _("转办答复时限（工作日）"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
        help_text=_("转办到部门的咨询须在此时限内答复，按工作时间计算"),
    )

    class Meta:
        verbose_name = _("咨询规则")
        verbose_name_plural = _("咨询规则")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)


class ConsultationCounter(models.Model):
    """The last ZX-<year>-<seq> number drawn per year (core.counters.bump: no gaps, also under concurrency)."""

    year = models.PositiveSmallIntegerField(unique=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("咨询编号计数")
        verbose_name_plural = _("咨询编号计数")

    def __str__(self) -> str:
        return f"{self.year} {self.last}"


class Consultation(models.Model):
    """One question and what became of it."""

    class Channel(models.TextChoices):
        WINDOW = "window", _("咨询窗口")
        PHONE = "phone", _("电话")
        ONLINE = "online", _("网上咨询")
        VIDEO = "video", _("远程视频")

    class Status(models.TextChoices):
        OPEN = "open", _("待答复")
        ANSWERED = "answered", _("已当场解答")
        ESCALATED = "escalated", _("已转办部门")
        REPLIED = "replied", _("部门已答复")

    number = models.CharField(_("咨询编号"), max_length=32, unique=True)
    channel = models.CharField(_("渠道"), max_length=8, choices=Channel.choices)
    site = models.ForeignKey(
        "organisation.Site", verbose_name=_("场所"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ticket = models.ForeignKey(
        "queue.Ticket", verbose_name=_("排队号"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    window = models.ForeignKey(
        "organisation.Window", verbose_name=_("窗口"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Who asked: optional; shown masked to anyone who does not answer them.
    asker_name = models.CharField(_("咨询人"), max_length=100, blank=True)
    asker_phone = models.CharField(_("联系电话"), max_length=32, blank=True)
    matters = models.ManyToManyField(
        "catalogue.Matter", verbose_name=_("涉及事项"), blank=True, related_name="consultations"
    )
    question = models.TextField(_("咨询内容"))
    answer = models.TextField(_("答复内容"), blank=True)
    articles = models.ManyToManyField(
        "knowledge.Article", verbose_name=_("引用文章"), blank=True, related_name="consultations"
    )
    solved = models.BooleanField(_("当场解决"), default=False)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    # The article drafted from this answer (咨询答复转为知识文章), if someone proposed one.
    proposed_article = models.ForeignKey(
        "knowledge.Article",
        verbose_name=_("建议入库文章"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # 建议入库 from the desk: the consultant who answered on the spot suggests the answer to the department's
    # editors (its officers and lead), who draft the article (`proposed_article`) from their queue.
    article_suggested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("建议入库人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    article_suggested_at = models.DateTimeField(_("建议入库时间"), null=True, blank=True)
    article_suggested_department = models.ForeignKey(
        "organisation.Department",
        verbose_name=_("建议入库部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The signed link the asker uses to read the answer and rate (online questions, escalations).
    token = models.CharField(max_length=64, unique=True)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接待人员"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("咨询时间"), default=timezone.now)
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    # The API caller's Idempotency-Key (as intake.Submission's): a retry with it returns this consultation.
    idempotency_key = models.CharField(_("幂等键"), max_length=200, unique=True, null=True, blank=True)

    class Meta:
        verbose_name = _("咨询")
        verbose_name_plural = _("咨询记录")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_at"], name="consultation_created_idx")]

    def __str__(self) -> str:
        return self.number


class Escalation(models.Model):
    """咨询转办: the question passed to the department responsible, due on the working-time clock."""

    class Status(models.TextChoices):
        OPEN = "open", _("待答复")
        ANSWERED = "answered", _("已答复")

    consultation = models.OneToOneField(Consultation, on_delete=models.PROTECT, related_name="escalation")
    department = models.ForeignKey(
        "organisation.Department", verbose_name=_("承办部门"), on_delete=models.PROTECT, related_name="escalations"
    )
    note = models.TextField(_("转办说明"), blank=True)
    due_at = models.DateTimeField(_("答复期限"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    escalated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("转办人"), on_delete=models.PROTECT, related_name="+"
    )
    escalated_at = models.DateTimeField(_("转办时间"), default=timezone.now)
    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("答复专家"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reply = models.TextField(_("部门答复"), blank=True)
    replied_at = models.DateTimeField(_("答复时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("咨询转办")
        verbose_name_plural = _("咨询转办")
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["status", "due_at"], name="escalation_open_due_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open") | Q(expert__isnull=False, replied_at__isnull=False),
                name="escalation_answered_by_expert",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.consultation.number} → {self.department}"


class ConsultationRating(models.Model):
    """一次一评 of a consultation: five levels, once per consultation, never edited."""

    consultation = models.OneToOneField(Consultation, on_delete=models.PROTECT, related_name="rating")
    level = models.PositiveSmallIntegerField(
        _("评价等级"), choices=Level.choices, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(_("评价内容"), blank=True)
    created_at = models.DateTimeField(_("评价时间"), default=timezone.now)

    class Meta:
        verbose_name = _("咨询评价")
        verbose_name_plural = _("咨询评价")
        constraints = [
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=5), name="consultation_rating_1_to_5"),
        ]

    def __str__(self) -> str:
        return f"{self.consultation.number} {self.level}"
