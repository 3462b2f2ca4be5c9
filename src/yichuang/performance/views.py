"""绩效考核 pages: the report (`/performance/`) and its export (`/performance/export.xlsx`).

Both take `from`, `to` (YYYY-MM-DD, `to` exclusive; default this month), `by` (staff, window, zone, department)
and `sort` (a column name, `-name` for descending). Supervisors and hall admins see every row, department leads
their department's work; anyone else gets a 403.
"""

import io

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from . import queries

CHART_ROWS = 15  # bars per chart: the first rows of the table in its current order

# (sort name, header) of the table's columns, in order.
HEADERS = [
    ("tickets", gettext_lazy("办结排队号")),
    ("handling", gettext_lazy("平均办理时长（分钟）")),
    ("waiting", gettext_lazy("平均等候时长（分钟）")),
    ("submissions", gettext_lazy("受理件数")),
    ("within", gettext_lazy("按时办结")),
    ("past", gettext_lazy("超期办结")),
    ("within_rate", gettext_lazy("按时办结率")),
    ("ratings", gettext_lazy("评价数")),
    ("level", gettext_lazy("平均评价等级")),
    ("satisfaction", gettext_lazy("满意率")),
    ("bad", gettext_lazy("差评数")),
    ("assisted", gettext_lazy("帮办代办件数")),
]


def _ensure(user) -> None:
    if not queries.may_see(user):
        raise PermissionDenied(_("绩效考核仅供督办人员、大厅管理员和部门负责人查看。"))


def _request_report(request):
    """(report, error): the period and dimension from the query string; a bad period falls back to this month
    with the error shown."""
    error = None
    try:
        period = queries.parse_period(request.GET.get("from"), request.GET.get("to"))
    except ValidationError as exc:
        error = " ".join(m for msgs in exc.message_dict.values() for m in msgs)
        period = queries.presets()["this_month"]
    by = request.GET.get("by") if request.GET.get("by") in queries.DIMENSIONS else "staff"
    return queries.report(period, by, request.user, sort=request.GET.get("sort", "")), error


def _bars(rows, attribute: str) -> list[dict]:
    bars = []
    for row in rows:
        value = getattr(row, attribute)
        if value is None:
            continue
        bars.append({"name": row.name, "value": value, "width": f"{value:.1f}"})
        if len(bars) == CHART_ROWS:
            break
    for i, bar in enumerate(bars):
        bar["y"] = i * 22
    return bars


@login_required
@never_cache
def report(request):
    _ensure(request.user)
    data, error = _request_report(request)
    period = data.period
    base = f"?{period.query()}&by={data.by}"
    columns = []
    for name, header in [("name", queries.DIMENSIONS[data.by]), *HEADERS]:
        descending = data.sort == f"-{name}"
        ascending = data.sort == name
        # A click sorts descending first (the largest figures on top), a second click ascending.
        columns.append(
            {
                "name": name,
                "header": str(header),
                "url": f"{base}&sort={name if descending else '-' + name}",
                "aria": "descending" if descending else "ascending" if ascending else "none",
            }
        )
    presets = queries.presets()
    chosen = next((key for key, p in presets.items() if p == period), None)
    context = {
        "report": data,
        "period": period,
        "error": error,
        "columns": columns,
        "dimensions": [(key, label, f"?{period.query()}&by={key}") for key, label in queries.DIMENSIONS.items()],
        "presets": [
            (key, label, presets[key], f"?{presets[key].query()}&by={data.by}")
            for key, label in (("this_month", _("本月")), ("last_month", _("上月")), ("this_year", _("今年")))
        ],
        "chosen": chosen,
        "scope": queries.scope(request.user),
        "export_url": f"export.xlsx{base}&sort={data.sort}",
        "satisfaction_bars": _bars(data.rows, "satisfaction_rate"),
        "within_bars": _bars(data.rows, "within_rate"),
        "today": timezone.localdate(),
    }
    for chart in ("satisfaction_bars", "within_bars"):
        context[f"{chart}_height"] = len(context[chart]) * 22
    return render(request, "performance/report.html", context)


def _fmt(value, digits=1):
    return None if value is None else round(value, digits)


@login_required
@never_cache
def export(request):
    """The current table as an .xlsx workbook: one sheet, a header row, one row per table row, the total last."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    _ensure(request.user)
    data, error = _request_report(request)
    if error:
        return HttpResponse(error, status=422, content_type="text/plain; charset=utf-8")
    period = data.period
    book = Workbook()
    sheet = book.active
    sheet.title = str(queries.DIMENSIONS[data.by])
    sheet.append(
        [
            _("绩效考核"),
            f"{period.start:%Y-%m-%d} — {period.last_day:%Y-%m-%d}",
            _("满意率 = 满意及非常满意评价数 ÷ 评价总数"),
        ]
    )
    header = [str(queries.DIMENSIONS[data.by]), _("备注"), *(str(h) for _n, h in HEADERS)]
    sheet.append(header)
    for cell in sheet[2]:
        cell.font = Font(bold=True)

    def line(row):
        return [
            row.name,
            row.note,
            row.tickets,
            _fmt(row.handling_minutes),
            _fmt(row.waiting_minutes),
            row.submissions,
            row.within,
            row.past,
            _fmt(row.within_rate),
            row.ratings,
            _fmt(row.level_avg, 2),
            _fmt(row.satisfaction_rate),
            row.bad,
            row.assisted,
        ]

    for row in data.rows:
        sheet.append(line(row))
    sheet.append(line(data.total))
    sheet.column_dimensions["A"].width = 28
    buffer = io.BytesIO()
    book.save(buffer)
    filename = f"performance-{data.by}-{period.start:%Y%m%d}-{period.last_day:%Y%m%d}.xlsx"
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
