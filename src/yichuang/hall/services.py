"""Alerts for the hall manager: raised, cleared and acknowledged here, each in a transaction and audited.

Each alert is raised once: the database allows one open alert per condition (`Alert.key`), so the worker's
check running on two workers at once, or again a minute later, raises nothing twice; the manager's text
message is stored in the same transaction as the alert (the notifications outbox), so a message goes out
exactly when an alert was raised.

- 等候过久 (`long_wait:<zone>`): at least `wait_count` tickets of a zone have waited `wait_minutes` or longer.
  The suggestion names an idle window of the coldest other zone (windows are 无差别, any clerk can take the
  zone's tickets), or a closed window of the zone that could open. Cleared when fewer wait that long.
- 窗口空闲 (`idle_window:<window>`): an open window with someone seated has had no ticket for `idle_minutes`
  (since its last call, or since the clerk sat down) — during opening hours only. Cleared when it calls.
- 差评 (`bad_rating:<evaluation>`): raised in the rating's own transaction (`feedback.services` calls
  `bad_rating`), so it shows on the live page at its next refresh and its message leaves with the rating.
"""

import datetime as dt
import logging

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yichuang.core import audit
from yichuang.core.masking import mask_text
from yichuang.notifications.services import notify
from yichuang.organisation.models import Site, Window, Zone
from yichuang.organisation.roles import Role

from . import queries
from .models import Alert, AlertRules

logger = logging.getLogger("yichuang.hall")


def managers_phones(site: Site) -> list[str]:
    """The hall admins of the site (or of every site) who left a mobile number."""
    from yichuang.organisation.models import User

    users = User.objects.filter(is_active=True, groups__name=Role.HALL_ADMIN).exclude(phone="")
    users = users.filter(site__isnull=True) | users.filter(site=site)
    return sorted({u.phone for u in users})


def _raise(
    site: Site, rules: AlertRules, *, kind: str, key: str, text: str, now: dt.datetime, **fields
) -> Alert | None:
    """Insert the alert unless one of the same condition is open; message the managers with it."""
    try:
        with transaction.atomic():
            alert = Alert.objects.create(site=site, kind=kind, key=key, text=text[:300], raised_at=now, **fields)
            audit.record(None, "hall.alert_raised", alert, f"{alert.get_kind_display()} {key}", kind=kind)
            if rules.message:
                context = {"site_name": site.name, "text": alert.text, "suggestion": alert.suggestion}
                for phone in managers_phones(site):
                    notify(phone, "hall_alert", context, expires_at=now + dt.timedelta(hours=2))
    except IntegrityError:
        return None  # an open alert of this condition exists: raised once
    return alert


def _clear(site: Site, keys: set[str], kind: str, now: dt.datetime) -> int:
    """Close the open alerts of `kind` whose condition no longer holds."""
    stale = Alert.objects.filter(site=site, kind=kind, cleared_at__isnull=True).exclude(key__in=keys)
    return stale.update(cleared_at=now)


def _suggestion(site: Site, zone: Zone, idle: list[queries.IdleWindow], waiting: dict[int, int], now) -> tuple:
    """(text, window): an idle window of the coldest other zone, longest idle first; else a closed window of
    the zone itself that could be opened; else nothing."""
    helpers = [i for i in idle if i.zone.pk != zone.pk]
    if helpers:
        best = min(helpers, key=lambda i: (waiting.get(i.zone.pk, 0), i.idle_since, i.window.number))
        minutes = max(int((now - best.idle_since).total_seconds() // 60), 0)
        text = _(
            "建议：%(zone)s %(number)s 号窗口（%(staff)s，已空闲 %(minutes)s 分钟）协助叫%(hot)s的号——综合窗口无差别受理。"  # noqa: E501
        ) % {
            "zone": best.zone.name,
            "number": best.window.number,
            "staff": best.staff,
            "minutes": minutes,
            "hot": zone.name,
        }
        return text, best.window
    closed = Window.objects.filter(zone=zone, is_open=False).order_by("number").first()
    if closed is not None:
        return _("建议：开放%(zone)s %(number)s 号窗口。") % {"zone": zone.name, "number": closed.number}, closed
    return _("全厅暂无空闲窗口，可安排后台人员支援。"), None


def check(site: Site, *, now: dt.datetime | None = None) -> dict:
    """Raise the alerts whose condition holds now and clear those whose condition is over (the worker's job)."""
    from yichuang.queue.queries import opening_periods

    now = now or timezone.now()
    rules = AlertRules.for_site(site)
    raised = {"long_wait": 0, "idle_window": 0}
    idle = queries.idle_windows(site, now)
    long = queries.long_waits(site, now, rules.wait_minutes)
    waiting = queries.waiting_by_zone(site, now)
    zones = {z.pk: z for z in Zone.objects.filter(site=site, pk__in=list(long))}
    wait_keys = set()
    for zone_id, (count, oldest) in long.items():
        if count < rules.wait_count:
            continue
        zone = zones[zone_id]
        key = f"long_wait:{zone_id}"
        wait_keys.add(key)
        text = _("%(zone)s有 %(count)s 人等候超过 %(minutes)s 分钟（最长 %(longest)s 分钟）。") % {
            "zone": zone.name,
            "count": count,
            "minutes": rules.wait_minutes,
            "longest": int((now - oldest).total_seconds() // 60),
        }
        suggestion, window = _suggestion(site, zone, idle, waiting, now)
        made = _raise(
            site, rules, kind=Alert.Kind.LONG_WAIT, key=key, text=text, now=now, zone=zone,
            suggestion=suggestion, suggested_window=window,
        )  # fmt: skip
        raised["long_wait"] += made is not None
    local = timezone.localtime(now)
    open_now = any(a <= local.time() < b for a, b in opening_periods(site.pk, local.date()))
    idle_keys = set()
    if open_now:
        for row in idle:
            minutes = (now - row.idle_since).total_seconds() / 60
            if minutes < rules.idle_minutes:
                continue
            key = f"idle_window:{row.window.pk}"
            idle_keys.add(key)
            text = _("%(zone)s %(number)s 号窗口（%(staff)s）已 %(minutes)s 分钟没有叫号。") % {
                "zone": row.zone.name,
                "number": row.window.number,
                "staff": row.staff,
                "minutes": int(minutes),
            }
            others = sum(n for z, n in waiting.items() if z != row.zone.pk)
            suggestion = (
                _("其他服务区有 %(n)s 人等候，可协助叫号。") % {"n": others}
                if others
                else _("本窗口所在服务区暂无人等候。")
            )
            made = _raise(
                site, rules, kind=Alert.Kind.IDLE_WINDOW, key=key, text=text, now=now, zone=row.zone,
                window=row.window, suggestion=suggestion,
            )  # fmt: skip
            raised["idle_window"] += made is not None
    cleared = _clear(site, wait_keys, Alert.Kind.LONG_WAIT, now) + _clear(site, idle_keys, Alert.Kind.IDLE_WINDOW, now)
    return {**raised, "cleared": cleared}


def check_all(*, now: dt.datetime | None = None) -> dict:
    """Every site, each on its own: one site's failure does not stop the others' alerts."""
    totals = {"sites": 0, "long_wait": 0, "idle_window": 0, "cleared": 0, "failed": 0}
    for site in Site.objects.order_by("code"):
        try:
            result = check(site, now=now)
        except Exception:
            logger.exception("hall alerts failed for site %s", site.code)
            totals["failed"] += 1
            continue
        totals["sites"] += 1
        for k, v in result.items():
            totals[k] += v
    if totals["failed"]:
        raise RuntimeError(f"hall alerts failed for {totals['failed']} site(s)")
    return totals


def bad_rating(evaluation) -> Alert | None:
    """A bad rating (level 1–2): an alert at once, in the rating's transaction (called by feedback.services)."""
    window = evaluation.window
    zone = evaluation.zone
    site = zone.site if zone is not None else None
    if site is None and evaluation.case_id:
        site = evaluation.case.submission.site
    if site is None:
        return None
    rules = AlertRules.for_site(site)
    if not rules.bad_rating:
        return None
    where = _("%(number)s 号窗口") % {"number": window.number} if window else (zone.name if zone else site.name)
    staff = evaluation.staff.display_name if evaluation.staff_id else ""
    text = _("%(where)s%(staff)s收到差评（%(level)s）。%(comment)s") % {
        "where": where,
        "staff": f"（{staff}）" if staff else "",
        "level": evaluation.get_level_display(),
        "comment": mask_text(evaluation.comment)[:80],
    }
    return _raise(
        site, rules, kind=Alert.Kind.BAD_RATING, key=f"bad_rating:{evaluation.pk}", text=text,
        now=evaluation.created_at, zone=zone, window=window, evaluation=evaluation,
        suggestion=_("请在差评整改中跟进。"),
    )  # fmt: skip


@transaction.atomic
def acknowledge(alert: Alert, actor, *, now: dt.datetime | None = None, request=None) -> Alert:
    """The manager has seen it. Acknowledging twice keeps the first (who and when)."""
    now = now or timezone.now()
    changed = Alert.objects.filter(pk=alert.pk, acknowledged_at__isnull=True).update(
        acknowledged_at=now, acknowledged_by=actor
    )
    alert.refresh_from_db()
    if changed:
        audit.record(
            actor, "hall.alert_acknowledged", alert, f"{alert.get_kind_display()} {alert.key}", request=request
        )
        queries.forget(alert.site)
    return alert
