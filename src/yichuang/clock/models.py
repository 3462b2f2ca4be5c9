"""Admin-entered corrections to China's working-day calendar."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class CalendarOverride(models.Model):
    """One date whose status differs from chinesecalendar's (or fills a year it does not know). Overrides win."""

    date = models.DateField(_("日期"), unique=True)
    is_workday = models.BooleanField(
        _("上班"),
        default=False,
        help_text=_("勾选:该日为工作日(如调休补班);不勾选:该日放假。"),
    )
    note = models.CharField(
        _("说明"), max_length=200, blank=True, help_text=_("节日名称或原因,例如“春节”“国庆节”。")
    )
    source = models.CharField(
        _("依据"),
        max_length=200,
        blank=True,
        help_text=_("例如《国务院办公厅关于2027年部分节假日安排的通知》(2026年11月x日)。"),
    )
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("工作日调整")
        verbose_name_plural = _("工作日调整")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {_('上班') if self.is_workday else _('放假')}"


class CalendarYear(models.Model):
    """A year the admin has entered completely: for a year chinesecalendar does not know, only a year marked
    complete may be used (Monday–Friday working, weekends off, plus that year's overrides).

    `assumed` marks a year nobody has entered that is counted Monday–Friday anyway — only the demo does this, so
    that a demo hall keeps working on any date. Every page that warns about the calendar says that such a year is
    an assumption and not the official schedule; importing the year's notice clears it.
    """

    year = models.PositiveSmallIntegerField(
        _("年份"), unique=True, validators=[MinValueValidator(1990), MaxValueValidator(2100)]
    )
    complete = models.BooleanField(
        _("已完整录入"),
        default=False,
        help_text=_("该年全部法定节假日与调休上班日均已录入后再勾选;未勾选的年份无法计算期限。"),
    )
    assumed = models.BooleanField(
        _("假定(非官方)"),
        default=False,
        help_text=_("该年尚无人录入节假日安排,暂按周一至周五上班、周六周日休息计算(演示数据如此设置)。这不是国务院公布的安排。"),
    )
    source = models.CharField(_("依据"), max_length=200, blank=True, help_text=_("录入所依据的通知标题和日期。"))
    note = models.CharField(_("说明"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("日历年份")
        verbose_name_plural = _("日历年份")
        ordering = ["year"]

    def __str__(self) -> str:
        if self.assumed:
            return f"{self.year} {_('假定(非官方)')}"
        return f"{self.year} {_('已完整录入') if self.complete else _('未完整录入')}"


class ClockRules(models.Model):
    """The hall's rules for case clocks (rules.md, Time limits), one row, edited in the admin.

    A change applies to each case the next time its clock is set: at acceptance, at a restart after a
    pause, at an approved extension.
    """

    yellow_days = models.PositiveSmallIntegerField(
        _("黄色预警（工作日）"), default=2, help_text=_("按工作日计时的办件，剩余不超过该工作日数时亮黄灯。")
    )
    yellow_hours = models.DecimalField(
        _("黄色预警（工作小时）"),
        max_digits=5,
        decimal_places=2,
        default=1,
        validators=[MinValueValidator(0)],
        help_text=_("按工作小时计时的办件和即办件，剩余不超过该工作小时数时亮黄灯。"),
    )
    correction_days = models.PositiveSmallIntegerField(
        _("补正告知期限（工作日）"),
        default=5,
        validators=[MinValueValidator(1)],
        help_text=_("部门收件后须在该期限内一次性告知补正内容，逾期即视为受理（《行政许可法》第三十二条）。"),
    )
    max_extension_days = models.PositiveSmallIntegerField(
        _("最长延期（工作日）"),
        default=10,
        validators=[MinValueValidator(1)],
        help_text=_("经本机关负责人批准可延长的工作日数（《行政许可法》第四十二条）。"),
    )
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("计时规则")
        verbose_name_plural = _("计时规则")

    def __str__(self) -> str:
        return str(_("计时规则"))

    @classmethod
    def current(cls) -> "ClockRules":
        """The row (the defaults when none was saved yet; never written here, so reads stay reads)."""
        return cls.objects.order_by("pk").first() or cls()
