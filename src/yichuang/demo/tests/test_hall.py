"""The demo hall as the reform plan (沈“放管服”办〔2022〕16号) sets it out, and loading it twice."""

import datetime
from collections import Counter

import pytest
from django.apps import apps
from django.contrib.auth import authenticate
from django.contrib.auth.models import Group
from django.utils import timezone

from yichuang.core.models import AuditEvent
from yichuang.demo import hall
from yichuang.organisation.models import Department, OpeningPeriod, PickupSlot, Seat, Site, User, Window, Zone
from yichuang.organisation.roles import Role

pytestmark = pytest.mark.django_db


DELEGATED = {"civil_affairs", "water_resources", "agriculture", "commerce", "culture_tourism", "health"}
ZONES = {
    "sq-realestate": ("A", Zone.Kind.SPECIALIZED),
    "sq-fund": ("B", Zone.Kind.SPECIALIZED),
    "sq-enterprise": ("C", Zone.Kind.SPECIALIZED),
    "sq-police": ("D", Zone.Kind.SPECIALIZED),
    "sq-hrss": ("E", Zone.Kind.SPECIALIZED),
    "sq-medical": ("F", Zone.Kind.SPECIALIZED),
    "sq-investment": ("G", Zone.Kind.COMPREHENSIVE),
    "sq-comprehensive": ("H", Zone.Kind.COMPREHENSIVE),
    "sq-consult": ("J", Zone.Kind.CONSULTATION),
    "sq-feature": ("K", Zone.Kind.FEATURE),
    "sq-tax": ("L", Zone.Kind.SPECIALIZED),
    "sq-transport-agri": ("M", Zone.Kind.COMPREHENSIVE),
}


def load_hall_and_staff():
    """The first two steps of `load_demo` (the catalogue step is the importer's, tested with the command)."""
    data = hall.read_hall()
    tallies = hall.Tally(), hall.Tally()
    site = hall.load_hall(data, tallies[0])
    hall.load_staff(data, site, tallies[1])
    return site, tallies


def counts() -> dict:
    return {
        "sites": Site.objects.count(),
        "periods": OpeningPeriod.objects.count(),
        "departments": Department.objects.count(),
        "pickups": PickupSlot.objects.count(),
        "zones": Zone.objects.count(),
        "windows": Window.objects.count(),
        "users": User.objects.count(),
        "memberships": User.groups.through.objects.count(),
        "seats": Seat.objects.count(),
        "groups": Group.objects.count(),
    }


def test_loading_twice_changes_nothing():
    load_hall_and_staff()
    first = counts()
    passwords = dict(User.objects.values_list("username", "password"))
    events = AuditEvent.objects.count()

    _site, (hall_tally, staff_tally) = load_hall_and_staff()
    assert counts() == first
    assert not hall_tally.changed and not staff_tally.changed
    assert dict(User.objects.values_list("username", "password")) == passwords
    assert AuditEvent.objects.count() == events  # nothing changed, nothing to record
    assert first["windows"] == 49 and first["users"] == 41


def test_reload_restores_what_was_changed():
    load_hall_and_staff()
    window = Window.objects.get(number=29)
    window.name = "改坏的名字"
    window.save()
    clerk = User.objects.get(username="clerk1")
    clerk.set_password("something-else-1")
    clerk.save()
    clerk.groups.clear()
    PickupSlot.objects.create(department=Department.objects.get(code="health"), weekday=5, time=datetime.time(9))

    _site, (hall_tally, staff_tally) = load_hall_and_staff()
    assert Window.objects.get(number=29).name == "综合审批受理"
    assert authenticate(username="clerk1", password=hall.DEMO_PASSWORD) is not None
    assert User.objects.get(username="clerk1").has_role(Role.WINDOW_CLERK)
    assert not PickupSlot.objects.filter(department__code="health", weekday=5).exists()
    assert hall_tally.updated["organisation.Window"] == 1 and hall_tally.deleted["organisation.PickupSlot"] == 1
    assert staff_tally.updated["organisation.User"] == 1
    assert AuditEvent.objects.filter(action="demo.load_hall").count() == 2


def test_site_and_opening_hours():
    site, _ = load_hall_and_staff()
    assert site.code == "shenqiu" and site.is_default and site.division_code == "411624"
    assert site.name == "沈丘县政务服务中心" and "沈丘县" in site.address
    for weekday in range(5):
        assert site.hours_on(weekday) == [
            (datetime.time(9), datetime.time(12)),
            (datetime.time(13, 30), datetime.time(17, 30)),
        ]
    assert site.hours_on(5) == [] and site.hours_on(6) == []


def test_departments_and_delegation():
    load_hall_and_staff()
    assert Department.objects.count() == 33
    delegated = set(Department.objects.filter(presence=Department.Presence.DELEGATED).values_list("code", flat=True))
    assert delegated == DELEGATED
    assert Department.objects.get(code="civil_affairs").name == "县民政局"
    utilities = set(Department.objects.filter(kind=Department.Kind.UTILITY).values_list("code", flat=True))
    assert utilities == {"power", "water_supply", "gas", "heating", "drainage", "broadcast"}
    assert Department.objects.get(code="pboc").kind == Department.Kind.FINANCIAL
    # Every delegated department collects at set times; a stationed one has no pickup schedule.
    for dept in Department.objects.all():
        slots = list(dept.pickup_slots.all())
        if dept.code in DELEGATED:
            assert len(slots) >= 2, dept.code
            assert {slot.weekday for slot in slots} <= {0, 1, 2, 3, 4}
        else:
            assert slots == [], dept.code
    # Each pickup time falls inside the hall's opening hours.
    site = Site.objects.get(code="shenqiu")
    for slot in PickupSlot.objects.all():
        assert any(start <= slot.time < end for start, end in site.hours_on(slot.weekday)), slot


def test_zones_and_windows_match_the_plan():
    site, _ = load_hall_and_staff()
    zones = {z.code: z for z in Zone.objects.filter(site=site)}
    assert {code: (z.ticket_letter, z.kind) for code, z in zones.items()} == ZONES
    assert zones["sq-realestate"].lead_department.code == "natural_resources"
    assert zones["sq-enterprise"].lead_department.code == "market"
    assert zones["sq-comprehensive"].lead_department.code == "data_bureau"

    windows = list(Window.objects.filter(zone__site=site).select_related("zone"))
    assert sorted(w.number for w in windows) == list(range(1, len(windows) + 1))
    for window in windows:
        window.full_clean()
        assert window.name and not window.name.isascii()

    # The 16 new comprehensive windows: 2 utility + 2 enterprise + 3 investment + 9 comprehensive.
    new = [w for w in windows if w.is_new]
    assert len(new) == 16
    assert Counter(w.zone.code for w in new) == {
        "sq-realestate": 2,
        "sq-enterprise": 2,
        "sq-investment": 3,
        "sq-comprehensive": 9,
    }
    by_zone = lambda code: Counter(w.kind for w in new if w.zone.code == code)  # noqa: E731
    assert by_zone("sq-realestate") == {Window.Kind.INTAKE: 2}
    assert all("市政公用" in w.name for w in new if w.zone.code == "sq-realestate")
    assert by_zone("sq-enterprise") == {Window.Kind.INTAKE: 2}
    assert by_zone("sq-investment") == {Window.Kind.INTAKE: 3}
    assert sum("报装" in w.name for w in new if w.zone.code == "sq-investment") == 1
    assert by_zone("sq-comprehensive") == {Window.Kind.INTAKE: 6, Window.Kind.OUTPUT: 3}

    # The other windows the plan names.
    kinds = lambda code: Counter(w.kind for w in windows if w.zone.code == code and not w.is_new)  # noqa: E731
    assert kinds("sq-realestate")[Window.Kind.INTAKE] >= 1
    assert kinds("sq-realestate")[Window.Kind.CASHIER] == 1 and kinds("sq-realestate")[Window.Kind.CONSULT] == 1
    fund = {w.name for w in windows if w.zone.code == "sq-fund"}
    assert any("个人业务" in n for n in fund) and any("对公业务" in n for n in fund)
    for code in ("sq-police", "sq-hrss", "sq-medical"):
        assert {Window.Kind.INTAKE, Window.Kind.CONSULT, Window.Kind.OUTPUT} <= set(kinds(code)), code
    assert kinds("sq-consult")[Window.Kind.CONSULT] >= 2
    assert any("远程视频" in w.name for w in windows if w.zone.code == "sq-consult")
    feature = [w for w in windows if w.zone.code == "sq-feature"]
    assert any(w.kind == Window.Kind.INTAKE and "一件事一次办" in w.name for w in feature)
    assert any(w.kind == Window.Kind.ASSIST and "沈速办帮您办" in w.name for w in feature)
    assert kinds("sq-tax")[Window.Kind.INTAKE] >= 1 and kinds("sq-transport-agri")[Window.Kind.INTAKE] >= 1
    # 县能源局 moves in with its own window; no other window belongs to a department.
    specialized = [w for w in windows if w.kind == Window.Kind.SPECIALIZED]
    assert [(w.zone.code, w.department.code) for w in specialized] == [("sq-investment", "energy")]


def test_half_of_the_new_windows_are_staffed_today():
    load_hall_and_staff()
    seats = Seat.objects.filter(date=timezone.localdate(), until__isnull=True).select_related("window", "user")
    on_new = [s for s in seats if s.window.is_new]
    assert len(on_new) == 8  # 8 staff for 16 windows: the gap the plan leaves to 县人社局 to fill
    assert len({s.window_id for s in on_new}) == 8
    assert Window.objects.filter(is_new=True).exclude(seats__in=on_new).count() == 8
    for seat in seats:
        assert seat.user.has_role(Role.WINDOW_CLERK, Role.OUTPUT_CLERK, Role.CONSULTANT), seat
        if seat.window.kind == Window.Kind.OUTPUT:
            assert seat.user.has_role(Role.OUTPUT_CLERK)
    # Every zone has at least one person at a window today.
    assert {s.window.zone.code for s in seats} == set(ZONES)


def test_every_role_has_a_demo_user_who_can_sign_in(client):
    load_hall_and_staff()
    for role in Role:
        users = User.objects.filter(groups__name=str(role))
        assert users.exists(), role
        for user in users:
            assert user.has_role(role) and len(user.role_names()) == 1
            assert authenticate(username=user.username, password=hall.DEMO_PASSWORD) == user
    for username in [
        "clerk1",
        "officer_market",
        "lead_market",
        "output1",
        "consultant1",
        "supervisor",
        "admin",
        "auditor",
    ]:
        assert User.objects.filter(username=username).exists(), username
    officers = {u.department.code for u in User.objects.filter(groups__name=Role.BACKOFFICE_OFFICER)}
    assert {"market", "natural_resources", "tax", "civil_affairs"} <= officers
    assert not User.objects.filter(is_superuser=True).exists()
    for user in User.objects.all():
        assert not user.last_name.isascii() and not user.first_name.isascii()
        user.full_clean()

    # The hall admin manages the hall in the Django admin without being a superuser.
    admin = User.objects.get(username="admin")
    assert admin.is_staff and admin.has_perm("organisation.change_window") and admin.has_perm("catalogue.add_matter")
    client.force_login(admin)
    assert client.get("/admin/organisation/window/").status_code == 200
    client.force_login(User.objects.get(username="clerk1"))
    assert client.get("/admin/").status_code == 302  # a clerk is not staff


def test_start_page_group_lists_demo_accounts_once_loaded(rf):
    config = apps.get_app_config("demo")
    request = rf.get("/")
    assert config.surfaces(request) is None
    load_hall_and_staff()
    AuditEvent.objects.filter(action__startswith="demo.").delete()
    assert config.surfaces(request) is None  # same usernames alone are not a loaded demo
    User.objects.filter(username="clerk2").update(last_name="钱")  # a change, so this load is recorded
    load_hall_and_staff()

    group = config.surfaces(request)
    assert group["title"] == "演示账号"
    # The sentence above the list says what these are and why they exist.
    assert "演示账号" in group["intro"] and "载入了沈丘县演示数据" in group["intro"]
    assert [link["label"] for link in group["links"]] == [row["username"] for row in hall.hall_data()["staff"]]
    notes = {link["label"]: link["note"] for link in group["links"]}
    assert notes["clerk1"] == "综合受理人员 · 王芳 · 11 号窗口（企业开办服务专区）"  # where the README's walk starts
    assert notes["officer_police"] == "后台审批人员 · 彭军 · 县公安局" and notes["admin"].startswith("大厅管理员")
    Seat.objects.filter(user__username="clerk1").update(until=timezone.now())  # left the window: not claimed there
    assert config.surfaces(request)["links"][0]["note"] == "综合受理人员 · 王芳"
    assert all(link["url"].startswith("/accounts/login/") for link in group["links"])
    assert hall.DEMO_PASSWORD not in repr(group)
    User.objects.filter(username="auditor").update(is_active=False)
    assert "auditor" not in [link["label"] for link in config.surfaces(request)["links"]]
