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
        _("说明"), max_length=200, blank=True, help_text=_("依据,例如国务院办公厅关于部分节假日安排的通知。")
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
    complete may be used (Monday–Friday working, weekends off, plus that year's overrides)."""

    year = models.PositiveSmallIntegerField(
        _("年份"), unique=True, validators=[MinValueValidator(1990), MaxValueValidator(2100)]
    )
    complete = models.BooleanField(
        _("已完整录入"),
        default=False,
        help_text=_("该年全部法定节假日与调休上班日均已录入后再勾选;未勾选的年份无法计算期限。"),
    )
    note = models.CharField(_("说明"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("日历年份")
        verbose_name_plural = _("日历年份")
        ordering = ["year"]

    def __str__(self) -> str:
        return f"{self.year} {_('已完整录入') if self.complete else _('未完整录入')}"
