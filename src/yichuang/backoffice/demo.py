"""Back-office history for the demo hall (called by yichuang.demo after the ticket history).

Cases are taken in on past working days through the real intake (`intake.services.submit` with `now=`), then
worked through the real back-office services with the same past moments: claimed, sent for correction, put in a
special procedure, an extension requested (pending for `lead_market`), concluded; the delegated 县民政局 has a
pickup batch still open and an older one collected. Acceptance days are chosen from the working calendar so
that, when the demo is loaded, each department's worklist has green, yellow and red cases: a case meant to be
yellow is due on the next closing time ahead, a red one two working days ago, a green one three or more
working days ahead. Deadlines fall within days of today (matters with short limits): the calendar knows only
the years chinesecalendar knows, and a story it cannot date is left out (the report says how many and why).

Loading again changes nothing: the history is there once its first submission (idempotency key `demo-bo-…`)
exists.
"""

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from yichuang.catalogue.models import Matter
from yichuang.catalogue.queries import merged_materials
from yichuang.clock.workcalendar import SHANGHAI, CalendarUnknown
from yichuang.intake import deadlines
from yichuang.intake import services as intake
from yichuang.intake.identity import resident_id_check, uscc_check
from yichuang.intake.models import Case, Handoff, Submission
from yichuang.organisation.models import Seat, Site, User, Window

from . import services
from .models import Decision, Extension

KEY = "demo-bo-"


def _person(name: str, birth: str, seq: str, phone: str) -> dict:
    first17 = f"411624{birth}{seq}"
    return {"kind": "person", "name": name, "id_number": first17 + resident_id_check(first17), "phone": phone}


def _org(name: str, body: str, phone: str) -> dict:
    first17 = (body + "0" * 17)[:17]
    return {"kind": "org", "name": name, "id_number": first17 + uscc_check(first17), "phone": phone}


@dataclass
class Story:
    """One case: its matter, who applies, when it is due (`due`: "green" | "yellow" | "red" | "past" — a
    deadline that lies behind a concluded case), and what the department does with it (`steps`)."""

    key: str
    matter: str
    applicant: dict
    due: str
    steps: list[str] = field(default_factory=list)


STORIES = [
    # 县市场监督管理局 (officer_market, lead_market)
    Story("m1", "411624-XK-SCJG-005", _org("沈丘县槐店镇味之源餐饮店", "92411624MA9G1", "13803941201"), "green"),
    Story("m2", "411624-XK-SCJG-007", _org("河南周口沈丘建工机械有限公司", "91411624MA9G2", "13803941202"), "green",
          ["claim"]),
    Story("m3", "411624-XK-SCJG-005", _org("沈丘县老城镇惠民超市", "92411624MA9G3", "13803941203"), "yellow",
          ["claim", "extension"]),
    Story("m4", "411624-XK-SCJG-002", _org("沈丘县润田农业科技有限公司", "91411624MA9G4", "13803941204"), "red",
          ["claim"]),
    Story("m5", "411624-XK-SCJG-003", _org("沈丘县北城办事处佳美服装店", "92411624MA9G5", "13803941205"), "red"),
    Story("m6", "411624-XK-SCJG-005", _org("沈丘县付井镇喜来乐面馆", "92411624MA9G6", "13803941206"), "past",
          ["claim", "approve"]),
    Story("m7", "411624-XK-SCJG-002", _org("沈丘县顺达物流有限公司", "91411624MA9G7", "13803941207"), "past",
          ["claim", "reject"]),
    # 县自然资源局 (officer_natural_resources, lead_natural_resources)
    Story("n1", "411624-QR-ZRZY-003", _person("李建国", "19710512", "031", "13903941301"), "green",
          ["claim", "correction"]),
    Story("n2", "411624-XK-ZRZY-012", _org("沈丘县城投置业有限公司", "91411624MA9H2", "13903941302"), "green",
          ["claim", "special"]),
    Story("n3", "411624-QR-ZRZY-007", _person("王秀英", "19820923", "042", "13903941303"), "green", ["claim"]),
    Story("n4", "411624-QR-ZRZY-002", _person("陈志强", "19900117", "053", "13903941304"), "yellow", ["claim"]),
    Story("n5", "411624-QR-ZRZY-004", _person("赵丽娟", "19860305", "064", "13903941305"), "red", ["claim"]),
    Story("n6", "411624-QR-ZRZY-004", _person("孙德胜", "19680711", "075", "13903941306"), "past",
          ["claim", "approve"]),
    # 县税务局 (officer_tax): 发票申领, one working hour
    Story("t1", "411624-QT-SW-001", _org("沈丘县新民商贸有限公司", "91411624MA9J1", "13703941401"), "red",
          ["claim"]),
    Story("t2", "411624-QT-SW-001", _org("沈丘县金穗粮油有限公司", "91411624MA9J2", "13703941402"), "past",
          ["claim", "approve"]),
    # 县公积金中心 (officer_housing_fund)
    Story("f1", "411624-GG-GJJ-005", _person("刘洋", "19930214", "086", "13603941501"), "green"),
    Story("f2", "411624-GG-GJJ-002", _person("周敏", "19881030", "097", "13603941502"), "yellow", ["claim"]),
    # 县供水公司 (officer_water_supply)
    Story("w1", "411624-GG-GS-002", _org("沈丘县宏图置业有限公司", "91411624MA9K1", "13503941601"), "yellow",
          ["claim"]),
    Story("w2", "411624-GG-GS-003", _org("沈丘县宏图置业有限公司", "91411624MA9K1", "13503941601"), "past",
          ["claim", "approve"]),
    # 县民政局, delegated (officer_civil_affairs): one batch collected and worked, one still waiting for pickup
    Story("c1", "411624-GF-MZ-004", _person("张桂兰", "19420816", "108", "13403941701"), "green",
          ["collect", "claim"]),
    Story("c2", "411624-GF-MZ-004", _person("吴振海", "19450302", "119", "13403941702"), "pickup"),
    Story("c3", "411624-GF-MZ-004", _person("郑淑珍", "19440609", "120", "13403941703"), "pickup"),
    # 县农业局, delegated (officer_agriculture)
    Story("a1", "411624-XK-NYNC-001", _org("沈丘县丰收农资经营部", "92411624MA9L1", "13303941801"), "green",
          ["collect"]),
]  # fmt: skip

OFFICERS = {
    "market": "officer_market",
    "natural_resources": "officer_natural_resources",
    "tax": "officer_tax",
    "housing_fund": "officer_housing_fund",
    "water_supply": "officer_water_supply",
    "civil_affairs": "officer_civil_affairs",
    "agriculture": "officer_agriculture",
}
SIGNERS = {"civil_affairs": "唐亮", "agriculture": "冯娟"}


class _Days:
    """Working days around today on the site's calendar, and moments on them."""

    def __init__(self, clock: deadlines.SiteClock, now: dt.datetime):
        self.clock, self.now = clock, now
        self.today = timezone.localdate(now)

    def back(self, day: dt.date, n: int) -> dt.date:
        while n:
            day -= dt.timedelta(days=1)
            if self.clock.calendar.is_workday(day):
                n -= 1
        return day

    def ahead(self, day: dt.date, n: int) -> dt.date:
        return self.clock.calendar.add_working_days(day, n)

    def at(self, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SHANGHAI)

    def next_close_day(self) -> dt.date:
        """The day of the next closing time: today if the hall still works today, else the next working day."""
        if self.clock.calendar.is_workday(self.today) and self.now < self.clock.close(self.today):
            return self.today
        return self.ahead(self.today, 1)

    def last_moment(self) -> dt.datetime:
        """A recent moment during opening hours before now (for the batch still waiting for pickup)."""
        if self.clock.calendar.is_workday(self.today) and self.now >= self.at(self.today, 9, 40):
            return min(self.now - dt.timedelta(minutes=20), self.at(self.today, 16, 30))
        return self.at(self.back(self.today, 1), 16, 30)


def _accepted_at(story: Story, matter: Matter, days: _Days) -> dt.datetime:
    """When to take the story's case in so that it is due as the story says."""
    limit = int(matter.promised_limit) if matter.limit_unit == "working_days" else 0
    if story.due == "pickup":
        return days.last_moment()
    if matter.limit_unit != "working_days":  # hour limits: taken in on an earlier day, so overdue
        return days.at(days.back(days.today, 2 if story.due == "red" else 4), 10, 30)
    due_day = {
        "green": days.ahead(days.today, 3),
        "yellow": days.next_close_day(),
        "red": days.back(days.today, 2),
        "past": days.back(days.today, 3),
    }[story.due]
    return days.at(days.back(due_day, limit), 10, 15)


def _desk(matter: Matter, today: dt.date, admin: User | None) -> tuple[User, Window]:
    """A clerk seated today at an intake window of one of the matter's zones, or the hall admin at such a window."""
    zones = list(matter.zones.all())
    seat = (
        Seat.objects.select_related("window", "user")
        .filter(date=today, until__isnull=True, window__zone__in=zones, window__is_open=True)
        .filter(window__kind__in=intake.INTAKE_WINDOW_KINDS)
        .order_by("window__number")
        .first()
    )
    if seat is not None:
        return seat.user, seat.window
    window = (
        Window.objects.filter(zone__in=zones, is_open=True, kind__in=intake.INTAKE_WINDOW_KINDS)
        .order_by("number")
        .first()
    )
    return admin, window


def _play(story: Story, days: _Days, users: dict, admin: User | None) -> Case:
    matter = Matter.objects.select_related("department").get(code=story.matter)
    actor, window = _desk(matter, days.today, admin)
    accepted = _accepted_at(story, matter, days)
    materials = [
        {"material": line.material, "status": "received", "due": None}
        for line in merged_materials([matter])
        if line.required
    ]
    submission = intake.submit(
        actor=actor,
        applicant=story.applicant,
        matters=[matter.code],
        materials=materials,
        window=window,
        idempotency_key=KEY + story.key,
        now=accepted,
    )
    case = submission.cases.get()
    officer = users[OFFICERS[matter.department.code]]
    hours_limit = matter.limit_unit != "working_days"
    moment = accepted + dt.timedelta(minutes=5 if hours_limit else 60)
    for step in story.steps:
        case.refresh_from_db()
        if step == "collect":
            handoff = Handoff.objects.get(pk=case.handoff_id)
            if handoff.scheduled_for >= days.now:
                break  # its pickup is still ahead: the batch stays open
            moment = handoff.scheduled_for + dt.timedelta(minutes=10)
            services.collect_handoff(handoff, officer, signer=SIGNERS[matter.department.code], now=moment)
        elif step == "claim":
            moment += dt.timedelta(minutes=15 if hours_limit else 40)
            services.claim(case, officer, now=moment)
        elif step == "correction":
            moment = days.at(days.back(days.today, 1), 10, 5)
            line = submission.materials.order_by("order").first()
            services.request_correction(
                case,
                officer,
                items=[
                    {"material": line.code, "note": "复印件不清晰，请提交清晰的复印件并携带原件核验"},
                    {"name": "共有人同意出售的书面意见", "note": "房屋为夫妻共有，须共有人签字"},
                ],
                due=days.ahead(days.today, 5),
                note="请一次性补齐以上材料，补正期间办理时限暂停计算。",
                now=moment,
            )
        elif step == "special":
            moment = days.at(days.back(days.today, 1), 15, 20)
            services.start_special(
                case,
                officer,
                kind="expert_review",
                reason="项目涉及历史文化街区风貌控制，需组织专家对建筑设计方案进行评审。",
                limit_days=10,
                now=moment,
            )
        elif step == "extension":
            moment = days.at(days.back(days.today, 1), 16, 10)
            services.request_extension(
                case,
                officer,
                days=3,
                reason="经营场所现场核查需与县卫健委联合进行，联合检查时间已排定，需延长办理时限。",
                now=moment,
            )
        elif step in ("approve", "reject"):
            # Decided some hours before the deadline (hour limits: a few minutes), never after it.
            target = max(moment + dt.timedelta(hours=2), case.due_at - dt.timedelta(hours=5))
            moment = min(target, case.due_at - dt.timedelta(minutes=10))
            if moment <= case.accepted_at:
                moment = case.accepted_at + dt.timedelta(minutes=30)
            if step == "approve":
                services.conclude(
                    case,
                    officer,
                    outcome=Decision.Outcome.APPROVED,
                    certificate_number=f"SQ{accepted:%Y%m%d}{story.key.upper()}",
                    now=moment,
                )
            else:
                services.conclude(
                    case,
                    officer,
                    outcome=Decision.Outcome.REJECTED,
                    reasons="拟变更的住所不具备经营场所使用条件，申请人未能提供合法使用证明。",
                    legal_basis="《中华人民共和国市场主体登记管理条例》第十九条",
                    now=moment,
                )
    case.refresh_from_db()
    return case


def load_backoffice_history(site: Site | None = None, *, now: dt.datetime | None = None) -> str:
    """The back office's cases, once; a line for the demo loader's report."""
    site = site or Site.objects.filter(is_default=True).first()
    if site is None:
        return "后台审批历史：没有服务场所"
    if Submission.objects.filter(idempotency_key__startswith=KEY).exists():
        return "后台审批历史：已有，未改动"
    now = now or timezone.now()
    days = _Days(deadlines.site_calendar(site), now)
    users = {u.username: u for u in User.objects.filter(username__in=[*OFFICERS.values(), "admin"])}
    admin = users.get("admin")
    if any(name not in users for name in OFFICERS.values()):
        return "后台审批历史：缺少演示后台人员，未载入"
    cases, skipped = [], Counter()
    for story in STORIES:
        try:
            with transaction.atomic():
                cases.append(_play(story, days, users, admin))
        except CalendarUnknown as exc:  # the report says which year, and what to do
            skipped[f"{exc.year}年节假日安排尚未录入，请管理员录入{exc.year}年节假日安排"] += 1
        except ValidationError as exc:  # intake's and the office's own reasons (an unknown year among them)
            skipped["；".join(exc.messages)] += 1
        except (PermissionDenied, Matter.DoesNotExist) as exc:
            skipped[str(exc) or type(exc).__name__] += 1
    open_ = sum(1 for c in cases if c.is_open)
    pending = Extension.objects.filter(case__in=cases, status=Extension.Status.PENDING).count()
    batches = Handoff.objects.filter(cases__in=cases, status=Handoff.Status.OPEN).distinct().count()
    line = (
        f"后台审批历史：{len(cases)} 件（在办 {open_}，办结 {len(cases) - open_}），"
        f"待审批延期 {pending} 件，待取件交接单 {batches} 张"
    )
    if skipped:
        reasons = "；".join(f"{reason}（{n} 件）" for reason, n in skipped.items())
        line += f"；{skipped.total()} 件未载入：{reasons}"
    return line
