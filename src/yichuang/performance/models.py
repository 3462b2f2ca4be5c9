"""The daily rollup of the performance report (绩效日汇总): sums and counts per day, never averages, so that any
period is the exact sum of its days.

`DayFigures` holds, for one local day (Asia/Shanghai) and one kind, the figures of one group of that day's rows
(see `Kind`: which source, grouped by which columns). Its keys are the stable ids the source rows carry (who
called the ticket, the window, the rating's zone, the case's department); what can change later — a staff
member's department, a window's zone — is joined when the report is read, never stored here. A column that is
not part of the kind's group is NULL; a measure that is not the source's is NULL too.

`RollupDay` is one day's state: `changes` counts the late writes of the day (a row the report counts, stamped
on the day, written after the day was over: `services.touch`), `built` is the value of `changes` the day's rows
were built from. The report reads a day's rows only while `built == changes`; any other day is computed from
the source rows, so the report is exact whatever the worker has done or not done yet.

Both tables are bookkeeping derived from the domain's rows: only `performance.services` writes them, and
`yichuang performance rollup` rebuilds them from scratch.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Kind(models.IntegerChoices):
    """Which source a row sums and by which columns it is grouped (the other key columns are NULL).

    Staff and department reads of cases and ratings sum the (staff, department) rows; window and zone reads use
    the rows without the department for everyone and the ones with it for a department's lead. Submissions with a
    case of a department are not additive across departments (one submission may have cases of several), hence
    their own kinds."""

    TICKETS = 1, _("办结排队号：人员 × 窗口 × 服务区")
    SUBMISSIONS = 2, _("受理件：人员 × 窗口")
    SUBMISSIONS_OF_DEPARTMENT = 3, _("含本部门办件的受理件：人员 × 窗口 × 部门")
    SUBMISSIONS_PER_DEPARTMENT = 4, _("受理件：部门")
    CASES_BY_STAFF = 5, _("办结件：人员 × 部门")
    CASES_BY_WINDOW = 6, _("办结件：窗口")
    CASES_BY_WINDOW_OF_DEPARTMENT = 7, _("办结件：窗口 × 部门")
    RATINGS_BY_STAFF = 8, _("评价：人员 × 部门")
    RATINGS_BY_WINDOW = 9, _("评价：窗口 × 服务区")
    RATINGS_BY_WINDOW_OF_DEPARTMENT = 10, _("评价：窗口 × 服务区 × 部门")


# The measures of each source (the names of `performance.queries.Row`'s counters).
TICKET_MEASURES = ("tickets", "handled", "handling_us", "waited", "waiting_us")
SUBMISSION_MEASURES = ("submissions", "assisted")
CASE_MEASURES = ("within", "past")
RATING_MEASURES = ("ratings", "level_sum", "satisfied", "bad")
MEASURES = {
    Kind.TICKETS: TICKET_MEASURES,
    Kind.SUBMISSIONS: SUBMISSION_MEASURES,
    Kind.SUBMISSIONS_OF_DEPARTMENT: SUBMISSION_MEASURES,
    Kind.SUBMISSIONS_PER_DEPARTMENT: SUBMISSION_MEASURES,
    Kind.CASES_BY_STAFF: CASE_MEASURES,
    Kind.CASES_BY_WINDOW: CASE_MEASURES,
    Kind.CASES_BY_WINDOW_OF_DEPARTMENT: CASE_MEASURES,
    Kind.RATINGS_BY_STAFF: RATING_MEASURES,
    Kind.RATINGS_BY_WINDOW: RATING_MEASURES,
    Kind.RATINGS_BY_WINDOW_OF_DEPARTMENT: RATING_MEASURES,
}


def _key(model: str, label):
    # PROTECT like every source row's own key: whatever a rollup row names, a source row names too.
    return models.ForeignKey(
        model, verbose_name=label, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )


def _measure(label, big: bool = False):
    field = models.BigIntegerField if big else models.IntegerField
    return field(label, null=True, blank=True)


class DayFigures(models.Model):
    day = models.DateField(_("日期"))
    kind = models.PositiveSmallIntegerField(_("类别"), choices=Kind.choices)
    staff = _key(settings.AUTH_USER_MODEL, _("人员"))
    window = _key("organisation.Window", _("窗口"))
    zone = _key("organisation.Zone", _("服务区"))
    department = _key("organisation.Department", _("部门"))

    tickets = _measure(_("办结排队号"))
    handled = _measure(_("有开始办理时间的排队号"))
    handling_us = _measure(_("办理时长合计（微秒）"), big=True)
    waited = _measure(_("有首次叫号时间的排队号"))
    waiting_us = _measure(_("等候时长合计（微秒）"), big=True)
    submissions = _measure(_("受理件数"))
    assisted = _measure(_("帮办代办件数"))
    within = _measure(_("按时办结"))
    past = _measure(_("超期办结"))
    ratings = _measure(_("评价数"))
    level_sum = _measure(_("评价等级合计"))
    satisfied = _measure(_("满意及非常满意"))
    bad = _measure(_("差评数"))

    class Meta:
        verbose_name = _("绩效日汇总")
        verbose_name_plural = _("绩效日汇总")
        indexes = [
            models.Index(fields=["kind", "day"], name="dayfigures_kind_day"),
            # A department lead's reads: their department's rows of a kind over the period.
            models.Index(
                fields=["kind", "department", "day"],
                name="dayfigures_department",
                condition=Q(department__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.get_kind_display()}"


class RollupDay(models.Model):
    day = models.DateField(_("日期"), primary_key=True)
    changes = models.PositiveIntegerField(_("迟到的写入"), default=0)
    built = models.PositiveIntegerField(_("汇总时的写入计数"), null=True, blank=True)
    built_at = models.DateTimeField(_("汇总时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("绩效日汇总状态")
        verbose_name_plural = _("绩效日汇总状态")
        ordering = ["-day"]

    def __str__(self) -> str:
        return str(self.day)

    @property
    def current(self) -> bool:
        """The day's rows hold its figures: built, and no late write since."""
        return self.built is not None and self.built == self.changes
