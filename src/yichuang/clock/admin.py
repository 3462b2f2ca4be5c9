import calendar as month_calendar

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yichuang.core.admin import AuditedAdminMixin

from . import services
from .models import CalendarOverride, CalendarYear, ClockRules
from .notice import NoticeError, decode_notice, parse_notice
from .queries import calendar_source
from .workcalendar import SHANGHAI, calendar_warnings

IMPORT_PERMISSION = "clock.change_calendaroverride"
MAX_NOTICE_BYTES = 256 * 1024


def _today():
    return timezone.localdate()


class CalendarWarningsMixin:
    """Shows on the changelist, ahead of time, that next year's holidays still have to be entered."""

    def changelist_view(self, request, extra_context=None):
        if request.method == "GET":
            for warning in calendar_warnings(_today()):
                messages.warning(request, warning)
        extra_context = {**(extra_context or {}), "can_import_notice": request.user.has_perm(IMPORT_PERMISSION)}
        return super().changelist_view(request, extra_context)


# --- 导入节假日通知 ----------------------------------------------------------------------------------


class NoticeForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("通知全文"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 16, "cols": 90}),
        help_text=gettext_lazy("从中国政府网复制《国务院办公厅关于YYYY年部分节假日安排的通知》全文（含标题），粘贴到这里。"),
    )
    file = forms.FileField(
        label=gettext_lazy("或上传文本文件"),
        required=False,
        help_text=gettext_lazy(".txt 文本文件，UTF-8 或 GB18030（Windows 记事本“ANSI”）编码。"),
    )

    def clean(self):
        data = super().clean()
        upload = data.get("file")
        text = data.get("text") or ""
        if upload is not None:
            if upload.size > MAX_NOTICE_BYTES:
                raise forms.ValidationError({"file": _("文件过大：通知全文不超过 256 KB。")})
            try:
                text = decode_notice(upload.read())
            except NoticeError as exc:
                raise forms.ValidationError({"file": str(exc)}) from exc
        if len(text) > MAX_NOTICE_BYTES:
            raise forms.ValidationError({"text": _("内容过长：通知全文不超过 256 KB。")})
        if not text.strip():
            raise forms.ValidationError({"text": _("请粘贴通知全文或上传文本文件。")})
        try:
            data["notice"] = parse_notice(text)
        except NoticeError as exc:
            field = "file" if upload is not None else "text"
            raise forms.ValidationError({field: [_("未能完整读取，未做任何修改：")] + str(exc).splitlines()}) from exc
        data["text"] = text
        return data


def _month_grids(notice):
    """12 month grids of the notice's year: weeks of (day, kind, mark, name) cells, Monday first."""
    named = notice.by_date()
    grids = []
    for month in range(1, 13):
        weeks = []
        for week in month_calendar.Calendar().monthdatescalendar(notice.year, month):
            cells = []
            for day in week:
                if day.month != month:
                    cells.append(None)
                    continue
                entry = named.get(day)
                weekend = day.weekday() >= 5
                if entry is None:
                    kind, mark, name = ("weekend" if weekend else "plain"), "", ""
                elif entry.is_workday:
                    kind, mark, name = "plain", "", entry.name
                    if entry.differs:
                        kind, mark = "workday", _("班")
                else:
                    kind, mark, name = ("holiday" if entry.differs else "holiday-weekend"), _("休"), entry.name
                cells.append({"day": day, "kind": kind, "mark": mark, "name": name})
            weeks.append(cells)
        grids.append({"month": month, "weeks": weeks})
    return grids


class NoticeImportMixin:
    """The admin view 导入节假日通知: paste or upload → preview (the year as 12 month grids, what changes, the
    running cases whose deadline moves) → confirm. The confirmation carries the text and parses it again."""

    def get_urls(self):
        return [
            path("import-notice/", self.admin_site.admin_view(self.import_notice_view), name="clock_import_notice"),
            *super().get_urls(),
        ]

    def import_notice_view(self, request):
        if not request.user.has_perm(IMPORT_PERMISSION):
            raise PermissionDenied
        plan = None
        if request.method == "POST":
            form = NoticeForm(request.POST, request.FILES)
            if form.is_valid():
                notice = form.cleaned_data["notice"]
                if request.POST.get("confirm"):
                    try:
                        plan = services.apply_notice(notice, request.user, request=request)
                    except NoticeError as exc:
                        form.add_error("text", str(exc))
                    else:
                        self._report(request, plan)
                        changelist = reverse("admin:clock_calendaroverride_changelist")
                        return redirect(f"{changelist}?date__year={notice.year}")
                else:
                    try:
                        plan = services.preview_notice(notice)
                    except NoticeError as exc:
                        form.add_error("text", str(exc))
        else:
            form = NoticeForm()
        context = {
            **self.admin_site.each_context(request),
            "opts": CalendarOverride._meta,
            "title": _("导入节假日通知"),
            "form": form,
            "plan": plan,
            "notice": plan.notice if plan else None,
            "grids": _month_grids(plan.notice) if plan else [],
            "differing": plan.notice.differing() if plan else [],
            "weekdays": ["一", "二", "三", "四", "五", "六", "日"],
            "text": form.cleaned_data.get("text", "") if plan else "",
        }
        return TemplateResponse(request, "clock/import_notice.html", context)

    def _report(self, request, plan):
        notice = plan.notice
        if not plan.changed:
            messages.info(request, _("%(year)d年的日历已与该通知一致，没有任何修改。") % {"year": notice.year})
            return
        messages.success(
            request,
            _("已导入%(source)s：写入 %(written)d 天，删除 %(removed)d 条调整。")
            % {"source": notice.source, "written": len(plan.write), "removed": len(plan.remove)},
        )
        _report_moves(request, plan.moves)


def _local(moment):
    return timezone.localtime(moment, SHANGHAI).strftime("%Y-%m-%d %H:%M")


def _report_moves(request, moves):
    for move in moves:
        case = move.case
        messages.info(
            request,
            _("办件 %(number)s（%(matter)s，%(department)s）办结期限由 %(before)s 调整为 %(after)s%(told)s。")
            % {
                "number": case.number,
                "matter": case.matter_name,
                "department": case.department.name,
                "before": _local(move.before),
                "after": _local(move.after),
                "told": _("，已通知申请人") if move.day_moved else "",
            },
        )


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(NoticeImportMixin, CalendarWarningsMixin, AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["date", "is_workday", "note", "source", "updated_at"]
    list_filter = ["is_workday"]
    search_fields = ["note", "source"]
    date_hierarchy = "date"
    change_list_template = "admin/clock/change_list.html"

    # A single override saved or deleted here moves the running cases' deadlines at once (the same rule as an
    # import), and the admin is told which moved. The change and the moves are one transaction (the admin's).

    def save_model(self, request, obj, form, change):
        before = calendar_source()
        super().save_model(request, obj, form, change)
        self._moved(request, before, _("工作日调整：%(date)s %(what)s %(note)s") % {
            "date": obj.date.isoformat(), "what": _("上班") if obj.is_workday else _("放假"), "note": obj.note,
        })

    def delete_model(self, request, obj):
        before = calendar_source()
        super().delete_model(request, obj)
        self._moved(request, before, _("删除工作日调整：%(date)s") % {"date": obj.date.isoformat()})

    def delete_queryset(self, request, queryset):
        before = calendar_source()
        dates = ", ".join(d.isoformat() for d in queryset.values_list("date", flat=True))
        with transaction.atomic():
            for obj in queryset:
                obj.delete()
            self._moved(request, before, _("删除工作日调整：%(date)s") % {"date": dates[:150]})

    def _moved(self, request, before, reason):
        moves = services.calendar_changed(before, request.user, reason, request=request)
        if moves:
            messages.warning(
                request,
                _("这项调整改变了 %(n)d 件在办办件的办结期限，已重新计算并记入时间线：") % {"n": len(moves)},
            )
            _report_moves(request, moves)


@admin.register(CalendarYear)
class CalendarYearAdmin(CalendarWarningsMixin, AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["year", "complete", "assumed", "source", "note", "updated_at"]
    list_filter = ["complete", "assumed"]
    change_list_template = "admin/clock/change_list.html"


@admin.register(ClockRules)
class ClockRulesAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "yellow_days", "yellow_hours", "correction_days", "max_extension_days", "updated_at"]

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not ClockRules.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False
