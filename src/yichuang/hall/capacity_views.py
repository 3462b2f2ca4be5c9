"""窗口承载力 `/hall/capacity/`: the capacity planner's page for hall admins and supervisors.

A GET form (so that a plan has an address): zone (or 全部), weekday, weeks of history, target (% called within so many
minutes), patience (on/off, optionally the minutes), a what-if on the windows of one zone (add or remove in a half
hour or all day) and a merge of two zones. Bad input is shown at its field and nothing is computed; the plan itself
is `capacity.plan`. Below the plan, the accuracy of the queue's wait estimates over the same weeks
(`capacity.accuracy.wait_accuracy`, per zone).
"""

import datetime

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from yichuang.organisation.models import Site, Zone
from yichuang.organisation.roles import Role, acts_as

from .capacity import erlang, plan

ALL = ""
WEEKDAY_CHOICES = [(str(i + 1), name) for i, name in enumerate(plan.WEEKDAYS)]
CHANGE_CHOICES = [("", gettext_lazy("不调整"))] + [
    (str(n), f"{'+' if n > 0 else '−'}{abs(n)}") for n in (3, 2, 1, -1, -2, -3)
]
REPLICATIONS_ONE = 20  # simulated days per plan when one zone is shown
REPLICATIONS_ALL = 10  # per zone when every zone of the site is shown (the page stays quick)


def may_plan(user) -> bool:
    return acts_as(user, Role.HALL_ADMIN, Role.SUPERVISOR)


def _ensure(user) -> None:
    if not may_plan(user):
        raise PermissionDenied(_("窗口承载力测算仅供大厅管理员和督办人员查看。"))


class CapacityForm(forms.Form):
    zone = forms.ChoiceField(label=gettext_lazy("服务区"), required=False)
    weekday = forms.ChoiceField(label=gettext_lazy("星期"), choices=WEEKDAY_CHOICES)
    weeks = forms.IntegerField(label=gettext_lazy("历史周数"), min_value=1, max_value=26, initial=plan.DEFAULT_WEEKS)
    target = forms.IntegerField(label=gettext_lazy("目标：按时叫号比例（%）"), min_value=1, max_value=99, initial=80)
    within = forms.DecimalField(
        label=gettext_lazy("目标：等候不超过（分钟）"), min_value=0, max_value=240, decimal_places=1, initial=10
    )
    patience = forms.BooleanField(label=gettext_lazy("计入等不及离开的人（Erlang A）"), required=False, initial=True)
    patience_minutes = forms.DecimalField(
        label=gettext_lazy("平均耐心（分钟，留空按历史估计）"),
        required=False,
        min_value=0.5,
        max_value=600,
        decimal_places=1,
    )
    change_by = forms.ChoiceField(label=gettext_lazy("假设：窗口增减"), choices=CHANGE_CHOICES, required=False)
    change_slot = forms.CharField(label=gettext_lazy("假设：调整时段"), required=False, max_length=5)
    merge_a = forms.ChoiceField(label=gettext_lazy("假设：合并服务区"), required=False)
    merge_b = forms.ChoiceField(label=gettext_lazy("与"), required=False)

    def __init__(self, *args, zones: list[Zone], **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(z.code, z.name) for z in zones]
        self.fields["zone"].choices = [(ALL, _("全部服务区")), *choices]
        self.fields["merge_a"].choices = [("", _("（不合并）")), *choices]
        self.fields["merge_b"].choices = [("", _("（选择另一个服务区）")), *choices]

    def clean(self):
        data = super().clean()
        a, b = data.get("merge_a"), data.get("merge_b")
        if a and not b:
            self.add_error("merge_b", _("请选择要合并的另一个服务区。"))
        elif b and not a:
            self.add_error("merge_a", _("请选择要合并的服务区。"))
        elif a and a == b:
            self.add_error("merge_b", _("请选择两个不同的服务区。"))
        if data.get("change_by") and not data.get("zone"):
            self.add_error("change_by", _("窗口增减请先选择一个服务区。"))
        return data


def _site(request) -> Site:
    code = request.GET.get("site")
    if code:
        return get_object_or_404(Site, code=code)
    site = (
        getattr(request.user, "site", None)
        or Site.objects.filter(is_default=True).first()
        or Site.objects.order_by("code").first()
    )
    if site is None:
        raise PermissionDenied(_("尚未设置服务场所。"))
    return site


def _default_weekday() -> str:
    """Today's weekday, or Monday at the weekend (the hall plans its working days)."""
    today = timezone.localdate().isoweekday()
    return str(today if today <= 5 else 1)


def _accuracy(zones: list[Zone], start: datetime.date, end: datetime.date) -> list[dict]:
    from .capacity.accuracy import past_wait_accuracy

    return [_accuracy_row(zone, past_wait_accuracy(zone, start, end)) for zone in zones]


# --- figures as the page shows them ------------------------------------------------------------------------------


def pct(value) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def minutes(value) -> str:
    if value is None:
        return "—"
    return "∞" if value == float("inf") else f"{value:.1f}"


def number(value, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _low(value, target: float) -> bool:
    return value is not None and value < target


def _slot_rows(zone_plan: plan.ZonePlan) -> list[dict]:
    target = zone_plan.options.target
    rows = []
    for slot in zone_plan.slots:
        e, sim = slot.expected, slot.simulated
        rows.append(
            {
                "label": slot.label,
                "arrivals": number(slot.arrivals),
                "c_windows": slot.erlang_c.windows,
                "a_windows": slot.erlang_a.windows if slot.erlang_a else "—",
                "windows": slot.windows,
                "wait": minutes(e.mean_wait_minutes) if slot.arrivals else "—",
                "within": pct(e.service_level) if slot.arrivals else "—",
                "abandon": pct(e.p_abandon) if slot.arrivals and e.p_abandon is not None else "—",
                "sim_within": pct(sim.within_share),
                "sim_wait": minutes(sim.mean_wait_minutes),
                "sim_abandon": pct(sim.abandon_share) if zone_plan.patience_minutes else "—",
                "sim_low": _low(sim.within_share, target),
            }
        )
    return rows


def _day_row(day: plan.Day, target: float) -> dict:
    return {
        "arrivals": number(day.arrivals),
        "window_hours": number(day.window_hours),
        "within": pct(day.within_share),
        "wait": minutes(day.mean_wait_minutes),
        "abandon": pct(day.abandon_share),
        "low": _low(day.within_share, target),
    }


def _zone_row(zone_plan: plan.ZonePlan) -> dict:
    h, target = zone_plan.history, zone_plan.options.target
    a_windows = zone_plan.erlang_a_windows
    return {
        "zone": zone_plan.zone,
        "arrivals": number(sum(zone_plan.arrivals)),
        "handle": minutes(zone_plan.handle_minutes),
        "handle_source": zone_plan.handle_source,
        "patience": minutes(zone_plan.patience_minutes),
        "patience_source": zone_plan.patience_source,
        "no_show": pct(h.no_show_share),
        "open_windows": zone_plan.open_windows,
        "peak_c": max(zone_plan.erlang_c_windows, default=0),
        "peak_a": max(a_windows, default=0) if a_windows is not None else "—",
        "expected": _day_row(zone_plan.expected_day, target),
        "simulated": _day_row(plan.simulated_day(zone_plan.windows, zone_plan.simulation), target),
        "windows": zone_plan.windows,
    }


def _variant_rows(base: plan.ZonePlan, variant: plan.Variant) -> dict:
    target = base.options.target
    return {
        "label": variant.label,
        "slots": [
            {"label": slot.label, "before": slot.windows, "after": after, "changed": after != slot.windows}
            for slot, after in zip(base.slots, variant.windows, strict=True)
        ],
        "unstable": [slot.label for slot, p in zip(base.slots, variant.expected, strict=True) if not p.stable],
        "before": {
            "expected": _day_row(base.expected_day, target),
            "simulated": _day_row(plan.simulated_day(base.windows, base.simulation), target),
        },
        "after": {
            "expected": _day_row(variant.expected_day, target),
            "simulated": _day_row(plan.simulated_day(variant.windows, variant.simulation), target),
        },
    }


def _merge_rows(merge: plan.Merge) -> dict:
    target = merge.a.options.target
    separate_expected = merge.separate_expected
    pooled_sim = plan.simulated_day(merge.pooled.windows, merge.pooled.simulation)
    fewest_sim = plan.simulated_day(merge.pooled_minimum.windows, merge.pooled_minimum.simulation)
    before, after = merge.separate.mean_wait_minutes, pooled_sim.mean_wait_minutes
    return {
        "a": merge.a.zone,
        "b": merge.b.zone,
        "handle": minutes(merge.handle_minutes),
        "patience": minutes(merge.patience_minutes),
        "columns": [
            {
                "label": _("分设两个队列（现方案）"),
                "expected": _day_row(separate_expected, target),
                "simulated": _day_row(merge.separate, target),
            },
            {
                "label": merge.pooled.label,
                "expected": _day_row(merge.pooled.expected_day, target),
                "simulated": _day_row(pooled_sim, target),
            },
            {
                "label": merge.pooled_minimum.label,
                "expected": _day_row(merge.pooled_minimum.expected_day, target),
                "simulated": _day_row(fewest_sim, target),
            },
        ],  # fmt: skip
        "wait_before": minutes(before),
        "wait_after": minutes(after),
        "wait_saved": pct((before - after) / before) if before and after is not None and before > 0 else None,
        "hours_before": number(merge.separate.window_hours),
        "hours_after": number(merge.pooled_minimum.expected_day.window_hours),
        "hours_saved": number(merge.window_hours_saved),
        "slots": [
            {"label": slot.label, "a": slot.windows, "b": other.windows, "pooled": fewest}
            for slot, other, fewest in zip(merge.a.slots, merge.b.slots, merge.pooled_minimum.windows, strict=True)
        ],
    }


def _accuracy_row(zone: Zone, figures) -> dict:
    return {
        "zone": zone,
        "tickets": figures.tickets,
        "inside": pct(figures.inside_share),
        "rse": number(figures.relative_squared_error, 2),
        "theory": number(figures.theory_queue_length, 2),
        "les": number(figures.last_to_enter_service_error, 2),
        "utilisation": pct(figures.utilisation),
    }


@login_required
@never_cache
def capacity(request):
    _ensure(request.user)
    site = _site(request)
    zones = list(Zone.objects.filter(site=site).select_related("site").order_by("order", "code"))
    submitted = "weekday" in request.GET
    initial = {"weekday": _default_weekday(), "zone": ALL}
    form = CapacityForm(request.GET if submitted else None, zones=zones, initial=initial)
    context = {"form": form, "site": site, "plans": [], "zones": zones}
    if submitted and not form.is_valid():
        return render(request, "hall/capacity.html", context, status=200)
    data = form.cleaned_data if submitted else {**{n: f.initial for n, f in form.fields.items()}, **initial}
    by_code = {z.code: z for z in zones}
    one = by_code.get(data.get("zone") or "")
    merging = [by_code[c] for c in (data.get("merge_a"), data.get("merge_b")) if c]
    patience_minutes = data.get("patience_minutes")
    options = plan.Options(
        target=int(data["target"]) / 100,
        within_minutes=float(data["within"]),
        patience=bool(data["patience"]),
        patience_minutes=float(patience_minutes) if patience_minutes is not None else None,
        weeks=int(data["weeks"]),
        replications=REPLICATIONS_ONE if one else REPLICATIONS_ALL,
    )
    weekday = int(data["weekday"]) - 1
    shown = [one] if one else zones
    wanted = [*shown, *(z for z in merging if z not in shown)]
    try:
        plans = plan.plan_zones(wanted, weekday, options)
    except erlang.CapacityError as exc:
        form.add_error(None, str(exc))
        return render(request, "hall/capacity.html", context)
    by_zone = {p.zone.pk: p for p in plans}
    context["plans"] = [by_zone[z.pk] for z in shown]
    context["one"] = by_zone[one.pk] if one else None
    context["zone_rows"] = [_zone_row(p) for p in context["plans"]]
    if context["one"]:
        context["slot_rows"] = _slot_rows(context["one"])
    context["weekday_name"] = plan.WEEKDAYS[weekday]
    first = plans[0].history if plans else None
    context["history"] = first
    context["target_percent"] = int(data["target"])
    context["within"] = float(data["within"])
    context["slot_labels"] = [f"{s:%H:%M}" for s, _e in first.slots] if first else []

    if one and data.get("change_by"):
        by = int(data["change_by"])
        slot = data.get("change_slot") or ""
        labels = context["slot_labels"]
        if slot and slot not in labels:
            form.add_error("change_slot", _("所选时段不在该日的开放时间内。"))
        else:
            variant = plan.change_windows(context["one"], by, [labels.index(slot)] if slot else None)
            context["variant"] = _variant_rows(context["one"], variant)
    if len(merging) == 2:
        try:
            context["merge"] = _merge_rows(plan.merge(by_zone[merging[0].pk], by_zone[merging[1].pk]))
        except plan.PlanError as exc:
            form.add_error("merge_b", str(exc))
    if first is not None:
        # The history's end is exclusive (today, not over); the replay's days are inclusive.
        context["accuracy"] = _accuracy(shown, first.start, first.end - datetime.timedelta(days=1))
    return render(request, "hall/capacity.html", context)
