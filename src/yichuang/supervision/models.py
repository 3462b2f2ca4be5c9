"""督查督办: supervision orders (督办单) on a case or on a task, kept as a ledger, and the tasks supervised (the
reform plan's own tasks in the demo). Orders change only through `supervision.services`; every step is an
`OrderEvent`, nothing is ever deleted.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    BLUE = "blue", _("蓝色督办（催办）")
    ORANGE = "orange", _("橙色督办（警示）")
    RED = "red", _("红色督办（问责）")


LEVEL_ORDER = [Level.BLUE, Level.ORANGE, Level.RED]


class SupervisionTask(models.Model):
    """A task under supervision: lead unit, responsible units, completion date (e.g. the reform plan's tasks)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("未完成")
        DONE = "done", _("已完成")
        ONGOING = "ongoing", _("持续推进")

    code = models.CharField(_("编号"), max_length=32, unique=True)
    title = models.CharField(_("任务"), max_length=300)
    source = models.CharField(_("来源"), max_length=200, blank=True)
    lead_unit = models.CharField(_("牵头单位"), max_length=200)
    responsible_units = models.CharField(_("责任单位"), max_length=500, blank=True)
    department = models.ForeignKey(
        "organisation.Department",
        verbose_name=_("牵头部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="supervision_tasks",
        help_text=_("牵头单位在本系统中的部门；督办单发给它。"),
    )
    due_date = models.DateField(_("完成时限"), null=True, blank=True)
    due_text = models.CharField(_("时限说明"), max_length=100, blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.PENDING)
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("督办任务")
        verbose_name_plural = _("督办任务")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class OrderCounter(models.Model):
    year = models.PositiveSmallIntegerField(unique=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("督办单编号计数")
        verbose_name_plural = _("督办单编号计数")

    def __str__(self) -> str:
        return f"{self.year} {self.last}"


class Order(models.Model):
    """督办单: to a department about a case or a task, with a reply deadline; escalates blue → orange → red."""

    class Status(models.TextChoices):
        OPEN = "open", _("待答复")
        REPLIED = "replied", _("已答复")
        CLOSED = "closed", _("已办结")

    number = models.CharField(_("督办单号"), max_length=32, unique=True)
    case = models.ForeignKey(
        "intake.Case",
        verbose_name=_("办件"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="supervision_orders",
    )
    task = models.ForeignKey(
        SupervisionTask, verbose_name=_("任务"), null=True, blank=True, on_delete=models.PROTECT, related_name="orders"
    )
    # 咨询转办 past its reply deadline can be supervised like a case.
    escalation = models.ForeignKey(
        "consultation.Escalation",
        verbose_name=_("咨询转办"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="supervision_orders",
    )
    department = models.ForeignKey(
        "organisation.Department", verbose_name=_("督办部门"), on_delete=models.PROTECT, related_name="+"
    )
    level = models.CharField(_("等级"), max_length=8, choices=Level.choices, default=Level.BLUE)
    instruction = models.TextField(_("督办事项"))
    reply_due = models.DateTimeField(_("答复期限"))
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.OPEN)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("督办人"), on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField(_("下发时间"), default=timezone.now)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("督办单")
        verbose_name_plural = _("督办单台账")
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(case__isnull=False, task__isnull=True, escalation__isnull=True)
                | Q(case__isnull=True, task__isnull=False, escalation__isnull=True)
                | Q(case__isnull=True, task__isnull=True, escalation__isnull=False),
                name="order_on_case_or_task",
            ),
        ]
        indexes = [models.Index(fields=["department", "status"], name="order_department_idx")]

    def __str__(self) -> str:
        return self.number

    @property
    def subject(self) -> str:
        if self.escalation_id:
            return str(_("咨询 %(number)s") % {"number": self.escalation.consultation.number})
        return str(self.case or self.task)


class OrderEvent(models.Model):
    """One line of the ledger (台账) of an order: issued, replied, escalated, closed."""

    class Kind(models.TextChoices):
        ISSUED = "issued", _("下发")
        REPLIED = "replied", _("部门答复")
        ESCALATED = "escalated", _("升级督办")
        CLOSED = "closed", _("办结销号")

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(_("事件"), max_length=12, choices=Kind.choices)
    level = models.CharField(_("等级"), max_length=8, choices=Level.choices)
    text = models.TextField(_("内容"), blank=True)
    reply_due = models.DateTimeField(_("答复期限"), null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("经办人"), on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("督办记录")
        verbose_name_plural = _("督办记录")
        ordering = ["order", "at", "id"]

    def __str__(self) -> str:
        return f"{self.order} {self.get_kind_display()}"
