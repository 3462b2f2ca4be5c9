"""`yichuang capacity`: the capacity planner (窗口承载力) for scripts and checks; each prints one JSON object.

    yichuang capacity erlang --arrivals-per-hour 43 --handle-minutes 12 --target 0.8 --within-minutes 10
    yichuang capacity erlang ... --patience-minutes 20     # Erlang A: people give up after 20 minutes on average
    yichuang capacity erlang ... --windows 9               # the figures of 9 windows instead of the fewest
    yichuang capacity plan --zone sq-police --weekday 1 --weeks 6    # a zone's plan for Mondays (1 = 星期一)
    yichuang capacity plan --zone all --merge sq-fund,sq-realestate  # every zone of the site, and a merge

`--target` is a share (0.8) or a percentage (80, 80%). `erlang` prints `windows` (the fewest meeting the target, or
the given number), `service_level` (the share called within the minutes), `p_wait`, `mean_wait_minutes`, and with a
patience `p_abandon`. `plan` reports its progress per zone on stderr. Bad input: a message and exit status 1.
"""

import argparse
import json
import math

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from yichuang.hall.capacity import erlang, plan
from yichuang.organisation.models import Site, Zone


def _number(name: str):
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name}须为数字（收到 {text!r}）。") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{name}须为有限的数字。")
        return value

    return parse


def _whole(name: str):
    def parse(text: str) -> int:
        try:
            return int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name}须为整数（收到 {text!r}）。") from None

    return parse


def parse_target(text: str) -> float:
    """0.8, 80 or 80% → 0.8."""
    raw = str(text).strip().rstrip("%").strip()
    try:
        value = float(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"目标比例须为 0 至 1 之间的小数或百分数（收到 {text!r}）。") from None
    if str(text).strip().endswith("%") or value > 1:
        value /= 100
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError("目标比例须大于 0 且小于 1（如 0.8 或 80%）。")
    return value


class Command(BaseCommand):
    help = "Capacity planner: 'erlang' (Erlang C/A for one stream of arrivals), 'plan' (a zone's plan from history)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        e = sub.add_parser("erlang", help="The fewest windows for a target (Erlang C; Erlang A with a patience).")
        e.add_argument("--arrivals-per-hour", type=_number("每小时到达人数"), required=True)
        e.add_argument("--handle-minutes", type=_number("平均办理时长"), required=True)
        e.add_argument("--target", type=parse_target, help="Share called within the minutes: 0.8, 80 or 80%%.")
        e.add_argument("--within-minutes", type=_number("目标等候时长"), required=True)
        e.add_argument("--patience-minutes", type=_number("耐心时长"), help="Mean patience: Erlang A.")
        e.add_argument("--windows", type=_whole("窗口数"), help="Figures for this many windows instead.")

        p = sub.add_parser("plan", help="A zone's plan (or every zone's) for a weekday from the hall's history.")
        p.add_argument("--zone", required=True, help="A zone's code, or 'all' for every zone of the site.")
        p.add_argument("--site", help="The site's code (default: the default site), for --zone all.")
        p.add_argument("--weekday", type=_whole("星期"), help="1 = 星期一 … 7 = 星期日 (default: today's).")
        p.add_argument("--weeks", type=_whole("历史周数"), default=plan.DEFAULT_WEEKS, help="Weeks of history.")
        p.add_argument("--target", type=parse_target, default=0.8)
        p.add_argument("--within-minutes", type=_number("目标等候时长"), default=10.0)
        p.add_argument("--no-patience", action="store_true", help="Ignore people who give up (Erlang C only).")
        p.add_argument("--patience-minutes", type=_number("耐心时长"), help="Instead of the history's estimate.")
        p.add_argument("--replications", type=_whole("模拟次数"), default=plan.REPLICATIONS)
        p.add_argument("--seed", type=_whole("随机种子"), default=0)
        p.add_argument("--merge", help="Two zone codes, comma-separated: what pooling them would change.")

    def handle(self, *args, action: str, **options):
        data = self._erlang(options) if action == "erlang" else self._plan(options)
        self.stdout.write(json.dumps(data, ensure_ascii=False, indent=None if action == "erlang" else 1))

    # --- erlang -----------------------------------------------------------------------------------------------

    def _erlang(self, o) -> dict:
        lam, h, t = o["arrivals_per_hour"], o["handle_minutes"], o["within_minutes"]
        patience, windows, target = o.get("patience_minutes"), o.get("windows"), o.get("target")
        if windows is None and target is None:
            raise CommandError("请给出 --target（求最少窗口数），或 --windows（计算给定窗口数的指标）。")
        try:
            if windows is None:
                result = erlang.minimum_windows(lam, h, target, t, patience)
            else:
                result = erlang.performance(lam, h, windows, t, patience)
        except erlang.CapacityError as exc:
            raise CommandError(str(exc)) from exc
        if not result.stable:
            raise CommandError(
                f"{result.windows} 个窗口承接不了负荷 {result.offered_load:.2f}（到达人数 × 办理时长）："
                f"排队会越来越长，至少需要 {math.floor(result.offered_load) + 1} 个窗口。"
            )
        data = result.as_dict()
        if target is not None:
            data["target"] = target
            data["meets_target"] = result.service_level >= target
        return data

    # --- plan -------------------------------------------------------------------------------------------------

    def _plan(self, o) -> dict:
        site = self._site(o.get("site"))
        weekday = o.get("weekday")
        if weekday is None:
            weekday = timezone.localdate().isoweekday()
        if not 1 <= weekday <= 7:
            raise CommandError("--weekday 须为 1（星期一）至 7（星期日）。")
        if o["zone"] == "all":
            zones = list(Zone.objects.filter(site=site).select_related("site").order_by("order", "code"))
        else:
            zones = [self._zone(o["zone"])]
        merge_codes = [c.strip() for c in o["merge"].split(",")] if o.get("merge") else []
        if merge_codes and len(merge_codes) != 2:
            raise CommandError("--merge 须为两个服务区编码，以逗号分隔。")
        merging = [self._zone(code) for code in merge_codes]
        for zone in merging:
            if zone not in zones:
                zones.append(zone)
        options = plan.Options(
            target=o["target"],
            within_minutes=o["within_minutes"],
            patience=not o["no_patience"],
            patience_minutes=o.get("patience_minutes"),
            weeks=o["weeks"],
            replications=o["replications"],
            seed=o["seed"],
        )

        def progress(line: str) -> None:
            self.stderr.write(f"容量规划 {line}")
            self.stderr.flush()

        try:
            plans = plan.plan_zones(zones, weekday - 1, options, progress=progress)
            by_code = {p.zone.code: p for p in plans}
            merged = plan.merge(by_code[merge_codes[0]], by_code[merge_codes[1]]) if merging else None
        except (erlang.CapacityError, plan.PlanError) as exc:
            raise CommandError(str(exc)) from exc
        start, end = plans[0].history.start, plans[0].history.end
        shown = plans if o["zone"] == "all" else plans[:1]
        return {
            "weekday": weekday,
            "weekday_name": plan.WEEKDAYS[weekday - 1],
            "history": {"start": start.isoformat(), "end": end.isoformat(), "weeks": options.weeks},
            "target": options.target,
            "within_minutes": options.within_minutes,
            "zones": [p.as_dict() for p in shown],
            "merge": merged.as_dict() if merged else None,
        }

    def _site(self, code: str | None) -> Site:
        site = Site.objects.filter(code=code).first() if code else Site.objects.filter(is_default=True).first()
        site = site or (Site.objects.order_by("code").first() if not code else None)
        if site is None:
            raise CommandError(f"没有编码为 {code} 的服务场所。" if code else "还没有服务场所。")
        return site

    def _zone(self, code: str) -> Zone:
        zone = Zone.objects.select_related("site").filter(code=code).first()
        if zone is None:
            raise CommandError(f"没有编码为 {code} 的服务区。")
        return zone
