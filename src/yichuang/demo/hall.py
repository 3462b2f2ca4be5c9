"""Load the Shenqiu demo hall (data/hall.yaml), its staff and its catalogue (data/catalogue.yaml).

Everything is keyed by code (site, department, zone), by number (window) or by username (staff), so
loading again changes nothing and duplicates nothing; every object goes through full_clean(). An
audit event per step records what a load created, updated or removed (none when nothing changed).
"""

import datetime
import functools
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from yichuang.core import audit
from yichuang.core.models import AuditEvent
from yichuang.organisation import services as organisation_services
from yichuang.organisation.models import Department, OpeningPeriod, PickupSlot, Seat, Site, User, Window, Zone
from yichuang.organisation.roles import STAFF_ROLES, Role, sync_role_groups

DATA_DIR = Path(__file__).resolve().parent / "data"
HALL_PATH = DATA_DIR / "hall.yaml"
CATALOGUE_PATH = DATA_DIR / "catalogue.yaml"
HALL_FORMAT = "yichuang-hall/1"

# The one password of every demo account, set again on every load (printed by `yichuang demo`).
DEMO_PASSWORD = "yichuang-demo"

WEEKDAY_CODES = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
LOADED_ACTIONS = ("demo.load_hall", "demo.load_staff")

Progress = Callable[[str], None]


@dataclass
class Tally:
    """What one step did, per model: created / updated / deleted / unchanged."""

    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    deleted: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)

    @property
    def changed(self) -> bool:
        return bool(sum(self.created.values()) + sum(self.updated.values()) + sum(self.deleted.values()))

    def as_detail(self) -> dict:
        return {
            "created": dict(sorted(self.created.items())),
            "updated": dict(sorted(self.updated.items())),
            "deleted": dict(sorted(self.deleted.items())),
        }

    def line(self, label: str) -> str:
        total = self.created[label] + self.updated[label] + self.unchanged[label]
        parts = [f"{total}"]
        if self.created[label]:
            parts.append(f"新建 {self.created[label]}")
        if self.updated[label]:
            parts.append(f"更新 {self.updated[label]}")
        if self.deleted[label]:
            parts.append(f"删除 {self.deleted[label]}")
        return "，".join(parts)


@dataclass
class StaffMember:
    user: User
    role: Role
    window: Window | None
    seated: bool


@functools.cache
def _read_cached(path: str) -> dict:
    return read_hall(Path(path))


def read_hall(path: Path = HALL_PATH) -> dict:
    with open(path, encoding="utf-8") as f:
        data = yaml.safe_load(f)
    if not isinstance(data, dict) or data.get("format") != HALL_FORMAT:
        raise ValueError(f"{path}: not a {HALL_FORMAT} file")
    return data


def hall_data() -> dict:
    """The bundled hall description (parsed once per process)."""
    return _read_cached(str(HALL_PATH))


def _time(value: str) -> datetime.time:
    return datetime.time.fromisoformat(str(value))


def _weekday(value: str) -> int:
    try:
        return WEEKDAY_CODES[str(value).lower()]
    except KeyError:
        raise ValueError(f"unknown weekday {value!r} (use {', '.join(WEEKDAY_CODES)})") from None


def _upsert(obj: models.Model | None, model: type[models.Model], values: dict, tally: Tally) -> models.Model:
    """Create `model(**values)` if obj is None, else set the fields that differ; full_clean() before saving."""
    label = model._meta.label
    if obj is None:
        obj = model(**values)
        obj.full_clean()
        obj.save()
        tally.created[label] += 1
        return obj
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if not changed:
        tally.unchanged[label] += 1
        return obj
    for name in changed:
        setattr(obj, name, values[name])
    obj.full_clean()
    obj.save()
    tally.updated[label] += 1
    return obj


def _sync_set(model: type[models.Model], existing: models.QuerySet, wanted: list[dict], tally: Tally) -> None:
    """Make `existing` hold exactly the rows `wanted` (dicts of field values): create missing, delete extra."""
    label = model._meta.label
    keys = [tuple(sorted(w.items())) for w in wanted]
    fields = sorted(wanted[0]) if wanted else []
    have = {}
    for row in existing:
        have[tuple(sorted((f, getattr(row, f)) for f in fields))] = row
    for key, values in zip(keys, wanted, strict=True):
        if key in have:
            tally.unchanged[label] += 1
            continue
        obj = model(**values)
        obj.full_clean()
        obj.save()
        tally.created[label] += 1
    for key, row in have.items():
        if key not in keys:
            row.delete()
            tally.deleted[label] += 1


def load_hall(data: dict, tally: Tally) -> Site:
    """Site, opening hours, departments (with pickup slots), zones and windows."""
    s = data["site"]
    others = Site.objects.filter(is_default=True).exclude(code=s["code"])
    if s.get("is_default") and others.exists():
        tally.updated[Site._meta.label] += others.update(is_default=False)
    site = _upsert(
        Site.objects.filter(code=s["code"]).first(),
        Site,
        {
            "code": s["code"],
            "name": s["name"],
            "division_code": str(s["division_code"]),
            "address": s.get("address", ""),
            "phone": s.get("phone", ""),
            "instant_cutoff_minutes": int(s.get("instant_cutoff_minutes", 30)),
            "is_default": bool(s.get("is_default", False)),
        },
        tally,
    )
    periods = [
        {"site": site, "weekday": _weekday(day), "start": _time(p["start"]), "end": _time(p["end"])}
        for p in s["opening_hours"]
        for day in p["weekdays"]
    ]
    _sync_set(OpeningPeriod, OpeningPeriod.objects.filter(site=site), periods, tally)

    departments = {}
    for d in data["departments"]:
        dept = _upsert(
            Department.objects.filter(code=d["code"]).first(),
            Department,
            {
                "code": d["code"],
                "name": d["name"],
                "kind": d.get("kind", Department.Kind.GOVERNMENT),
                "presence": d.get("presence", Department.Presence.STATIONED),
                "phone": d.get("phone", ""),
            },
            tally,
        )
        departments[dept.code] = dept
        slots = [
            {"department": dept, "weekday": _weekday(slot["weekday"]), "time": _time(slot["time"])}
            for slot in d.get("pickup", [])
        ]
        _sync_set(PickupSlot, PickupSlot.objects.filter(department=dept), slots, tally)

    for order, z in enumerate(data["zones"], start=1):
        zone = _upsert(
            Zone.objects.filter(code=z["code"]).first(),
            Zone,
            {
                "site": site,
                "code": z["code"],
                "name": z["name"],
                "kind": z["kind"],
                "ticket_letter": z["letter"],
                "lead_department": departments[z["lead"]] if z.get("lead") else None,
                "description": z.get("description", ""),
                "order": order,
            },
            tally,
        )
        for w in z["windows"]:
            _upsert(
                Window.objects.filter(zone__site=site, number=w["number"]).first(),
                Window,
                {
                    "zone": zone,
                    "number": int(w["number"]),
                    "name": w["name"],
                    "kind": w["kind"],
                    "department": departments[w["department"]] if w.get("department") else None,
                    "is_open": bool(w.get("open", True)),
                    "is_new": bool(w.get("new", False)),
                },
                tally,
            )
    if tally.changed:
        audit.record(None, "demo.load_hall", site, summary=f"演示数据：{site.name}", **tally.as_detail())
    return site


def _role_group(role: Role) -> Group:
    group = Group.objects.filter(name=str(role)).first()
    if group is None:
        # Groups are made after migrate; if they are missing, make them all now, with their permissions.
        sync_role_groups()
        group = Group.objects.get(name=str(role))
    return group


def _demo_password_hash(users: list[User]) -> str:
    """A hash of DEMO_PASSWORD, reusing one already stored so that a second load changes nothing.

    Hashing is deliberately slow, so this checks each distinct stored hash once and makes at most one new one.
    """
    for encoded in sorted({u.password for u in users if u.password}):
        if check_password(DEMO_PASSWORD, encoded):
            return encoded
    return make_password(DEMO_PASSWORD)


def load_staff(data: dict, site: Site, tally: Tally, progress: Progress | None = None) -> list[StaffMember]:
    """Demo users with their roles, and today's seating at the windows named in the file."""
    rows = data["staff"]
    existing = {u.username: u for u in User.objects.filter(username__in=[r["username"] for r in rows])}
    password = _demo_password_hash(list(existing.values()))
    departments = {d.code: d for d in Department.objects.all()}
    label = User._meta.label
    members = []
    for r in rows:
        role = Role(r["role"])
        values = {
            "username": r["username"],
            "last_name": r["last_name"],
            "first_name": r["first_name"],
            "email": r.get("email", ""),
            "department": departments[r["department"]] if r.get("department") else None,
            "site": site,
            "phone": str(r.get("phone", "")),
            "is_active": True,
            "is_staff": role in STAFF_ROLES,
            "is_superuser": False,
        }
        user = existing.get(r["username"])
        if user is None:
            user = User(**values, password=password)
            changed = ["*"]
            tally.created[label] += 1
        else:
            changed = [name for name, value in values.items() if getattr(user, name) != value]
            for name in changed:
                setattr(user, name, values[name])
            if not is_demo_password(user.password, password):
                user.password = password
                changed.append("password")
            (tally.updated if changed else tally.unchanged)[label] += 1
        if changed:
            user.full_clean()
            user.save()
        group = _role_group(role)
        if set(user.groups.values_list("pk", flat=True)) != {group.pk}:
            user.groups.set([group])
            tally.updated["auth.Group.user_set"] += 1
        # With the roles in place, the model's invariants (e.g. an officer has a department) must hold.
        user.__dict__.pop("_role_names", None)
        user.full_clean()
        members.append(StaffMember(user=user, role=role, window=None, seated=False))

    today = timezone.localdate()
    for member, r in zip(members, rows, strict=True):
        if r.get("window") is None:
            continue
        window = Window.objects.select_related("zone").get(zone__site=site, number=r["window"])
        member.window = window
        if Seat.objects.filter(user=member.user, window=window, date=today, until__isnull=True).exists():
            member.seated = True
            tally.unchanged[Seat._meta.label] += 1
            continue
        try:
            organisation_services.take_seat(member.user, window)
        except ValidationError as exc:
            if progress:
                progress(f"  ! {member.user.username} 未能入座 {window}：{'；'.join(exc.messages)}")
            continue
        member.seated = True
        tally.created[Seat._meta.label] += 1
    if tally.changed:
        audit.record(None, "demo.load_staff", site, summary=f"演示账号：{len(members)} 人", **tally.as_detail())
    return members


def is_demo_password(stored: str, demo_hash: str) -> bool:
    """True when `stored` is the demo password: the same hash string, or another valid hash of it."""
    return stored == demo_hash or (bool(stored) and check_password(DEMO_PASSWORD, stored))


def load_catalogue(path: Path = CATALOGUE_PATH):
    """The demo catalogue (实施清单) through the catalogue's own importer."""
    from yichuang.catalogue.exchange import import_catalogue

    return import_catalogue(path)


@dataclass
class DemoLoad:
    site: Site
    staff: list[StaffMember]
    hall: Tally
    people: Tally
    catalogue: object = None  # the importer's ImportReport


def load_demo(progress: Progress | None = None, *, hall_path: Path = HALL_PATH, catalogue_path: Path = CATALOGUE_PATH):
    """Load hall, staff and catalogue in one transaction; report each step through `progress`."""
    say = progress or (lambda line: None)
    data = read_hall(hall_path)
    with transaction.atomic():
        say("1/3 服务场所、部门、服务区、窗口 …")
        hall = Tally()
        site = load_hall(data, hall)
        for label, name in [
            (Site._meta.label, "服务场所"),
            (OpeningPeriod._meta.label, "开放时段"),
            (Department._meta.label, "部门"),
            (PickupSlot._meta.label, "定时取件"),
            (Zone._meta.label, "服务区"),
            (Window._meta.label, "窗口"),
        ]:
            say(f"    {name}：{hall.line(label)}")

        say("2/3 演示工作人员和今日窗口排班 …")
        people = Tally()
        staff = load_staff(data, site, people, say)
        say(f"    工作人员：{people.line(User._meta.label)}")
        new_windows = Window.objects.filter(zone__site=site, is_new=True)
        staffed = sum(1 for m in staff if m.seated and m.window and m.window.is_new)
        say(
            f"    今日入座：{sum(1 for m in staff if m.seated)} 人；"
            f"改革新设综合窗口 {new_windows.count()} 个，已配备 {staffed} 人"
        )

        # The demo plays its history through the real clock, which refuses a year nobody has entered. It assumes
        # Monday–Friday for such years (this one and the next) and says so on the start page and in the admin.
        from yichuang.clock.services import assume_unknown_years

        assumed = assume_unknown_years(timezone.localdate().year + 1)
        if assumed:
            years = "、".join(str(y) for y in assumed)
            say(f"    工作日历：{years}年的节假日安排尚未录入，演示暂按周一至周五上班计算（非官方，首页和后台有提示）")

        say("3/3 事项目录（实施清单）…")
        result = load_catalogue(catalogue_path)
        say(f"    {result.summary()}")

        from yichuang.situation.demo import load_guides  # 情形引导 of 企业开办, published after its test cases

        say(f"    {load_guides()}")

        from yichuang.prefill.demo import load_prefills  # one application filled at home, awaiting pre-check

        say(f"    {load_prefills()}")

        from yichuang.assistance.demo import load_assistance  # 沈速办帮您办: a project with its first submission

        say(f"    {load_assistance()}")

        from yichuang.queue.demo import load_demo_history, open_booking  # yesterday's and this morning's tickets

        say(f"    {load_demo_history(site)}")
        say(f"    {open_booking(site)}")

        from yichuang.licences.demo import load_licence_types  # before the history: its approvals issue licences

        say(f"    {load_licence_types()}")

        from yichuang.backoffice.demo import load_backoffice_history  # cases worked by the departments

        say(f"    {load_backoffice_history(site)}")

        from yichuang.supervision.demo import load_tasks  # the reform plan's tasks, under supervision

        say(f"    {load_tasks()}")

        from yichuang.knowledge.demo import load_articles  # the departments' knowledge base

        say(f"    {load_articles()}")

        from yichuang.consultation.demo import load_consultation_history  # questions asked, some escalated

        say(f"    {load_consultation_history(site)}")

        from yichuang.fees.demo import load_fee_items  # after the history: its results are not held for fees

        say(f"    {load_fee_items()}")
    return DemoLoad(site=site, staff=staff, hall=hall, people=people, catalogue=result)


def is_loaded() -> bool:
    return AuditEvent.objects.filter(action__in=LOADED_ACTIONS).exists()


def demo_accounts() -> list[tuple[User, Role]]:
    """The demo accounts present in the database, in the file's order, with their role; [] if no demo was loaded."""
    return [(member.user, member.role) for member in demo_staff()]


def demo_staff() -> list[StaffMember]:
    """The demo accounts present in the database, in the file's order, with their role and the window the file
    seats them at (`seated`: they sit there today); [] if no demo was loaded."""
    if not is_loaded():
        return []
    rows = hall_data()["staff"]
    users = {
        u.username: u
        for u in User.objects.filter(username__in=[r["username"] for r in rows], is_active=True).select_related(
            "department"
        )
    }
    site = Site.objects.filter(code=hall_data()["site"]["code"]).first()
    windows = {w.number: w for w in Window.objects.filter(zone__site=site).select_related("zone")}
    today = timezone.localdate()
    seated = set(
        Seat.objects.filter(date=today, until__isnull=True, user__in=users.values()).values_list("user_id", "window_id")
    )
    members = []
    for r in rows:
        user = users.get(r["username"])
        if user is None:
            continue
        window = windows.get(r["window"]) if r.get("window") is not None else None
        members.append(
            StaffMember(
                user=user,
                role=Role(r["role"]),
                window=window,
                seated=window is not None and (user.pk, window.pk) in seated,
            )
        )
    return members
