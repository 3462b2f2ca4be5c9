"""The demo hall's consultations (called by yichuang.demo after the back-office history).

A day at the consultation desk played through `consultation.services` at past moments: questions at window 39 from
the tickets consultant1 served there this morning (the queue history), by phone and by video, one asked online
yesterday and answered at the desk, one still waiting; some solved on the spot, some escalated — one to 县人社局
two working days ago and still unanswered, so the supervision board shows it red; one answered by
县自然资源局 and rated; one escalated this morning, due at the next close. Only past moments are used; a question
whose deadline needs a year nobody entered is left out (the report says why).

Loading again changes nothing: the history is there once any consultation exists.
"""

import datetime as dt
from collections import Counter

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from yichuang.clock.workcalendar import SHANGHAI, CalendarUnknown
from yichuang.intake import deadlines
from yichuang.organisation.models import Seat, Site, User
from yichuang.queue.models import Ticket

from . import services
from .models import Consultation, ConsultationRules

WINDOW_QUESTIONS = [
    ("个体工商户营业执照需要带哪些材料？可以当天拿到吗？", ["411624-XK-SCJG-004"],
     "带经营者身份证原件和经营场所使用证明；材料齐全的当场办结，营业执照在综合出件窗口领取。", "刘桂兰", "13803942101"),
    ("租房提取住房公积金一年能提几次？要不要房东签字？", ["411624-GG-GJJ-003"],
     "租赁住房提取每年可办理一次，无需房东签字，本人身份证和银行卡即可；可在综合受理窗口或网上办理。", "", ""),
    ("企业变更法定代表人，股东会决议要原件吗？", ["411624-XK-SCJG-002"],
     "需要股东会决议原件和新任法定代表人身份证复印件；可以使用信息库中的填报样表。", "周建设", "13803942103"),
]  # fmt: skip


def _days_back(clock, day: dt.date, n: int) -> dt.date:
    while n:
        day -= dt.timedelta(days=1)
        if clock.calendar.is_workday(day):
            n -= 1
    return day


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SHANGHAI)


def _morning(today: dt.date, now: dt.datetime, hour: int, minute: int = 0) -> dt.datetime:
    """A moment this morning, never after now (loaded early, the moment moves before now)."""
    return min(_at(today, hour, minute), now - dt.timedelta(minutes=30))


def load_consultation_history(site: Site | None = None, *, now: dt.datetime | None = None) -> str:
    """The desk's consultations, once; a line for the demo loader's report."""
    site = site or Site.objects.filter(is_default=True).first()
    if site is None:
        return "咨询：没有服务场所"
    if Consultation.objects.exists():
        return "咨询：已有，未改动"
    names = ["consultant1", "consultant2", "officer_hrss", "officer_natural_resources", "officer_market"]
    users = {u.username: u for u in User.objects.filter(username__in=names)}
    if any(name not in users for name in names):
        return "咨询：缺少演示咨询人员或部门人员，未载入"
    ConsultationRules.objects.get_or_create(pk=1, defaults={"escalation_days": 1})
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    clock = deadlines.site_calendar(site)
    zx1, zx2 = users["consultant1"], users["consultant2"]
    made, skipped = [], Counter()

    def play(step):
        try:
            with transaction.atomic():
                result = step()
                if result is not None:
                    made.append(result)
        except CalendarUnknown as exc:
            skipped[f"{exc.year}年节假日安排尚未录入"] += 1
        except (ValidationError, PermissionDenied) as exc:
            skipped["；".join(getattr(exc, "messages", [str(exc)]))] += 1

    # At window 39, from the tickets consultant1 served there this morning (queue history).
    seat = Seat.objects.filter(user=zx1, date=today, until__isnull=True).select_related("window").first()
    tickets = []
    if seat is not None:
        tickets = list(
            Ticket.objects.filter(
                window=seat.window, date=today, called_by=zx1, status=Ticket.Status.FINISHED, finished_at__lte=now
            ).order_by("finished_at")[: len(WINDOW_QUESTIONS)]
        )
    for ticket, (question, matters, answer, name, phone) in zip(tickets, WINDOW_QUESTIONS, strict=False):
        moment = ticket.finished_at - dt.timedelta(minutes=1)
        play(lambda t=ticket, q=question, m=matters, a=answer, n=name, p=phone, at=moment: services.record(
            zx1, channel="window", ticket=t, question=q, matters=m, answer=a, solved=True, asker_name=n,
            asker_phone=p, now=at))  # fmt: skip
    try:
        workday = clock.calendar.is_workday(today)
        two_back = _days_back(clock, today, 2)
        one_back = _days_back(clock, today, 1)
    except CalendarUnknown as exc:
        return f"咨询：{exc.year}年节假日安排尚未录入，未载入"

    # By phone this morning: solved.
    play(lambda: services.record(
        zx1, channel="phone", question="不动产权证书丢了，补证要登报吗？", matters=["411624-QR-ZRZY-008"],
        answer="需在县级以上报刊或门户网站刊登遗失声明，满 15 个工作日后凭身份证和声明申请补证。", solved=True,
        asker_phone="13803942111", now=_morning(today, now, 9, 12)))  # fmt: skip
    # By video with a township centre (consultant2 at window 40): solved.
    play(lambda: services.record(
        zx2, channel="video", question="乡镇便民服务中心：失业保险金申领需要原单位出证明吗？",
        matters=["411624-GF-RS-002"], answer="不需要，单位已在系统中办理减员即可，本人在线申领。", solved=True,
        now=_morning(today, now, 9, 40)))  # fmt: skip

    # Two working days ago, by phone: escalated to 县人社局 and still unanswered — red on the supervision board.
    play(lambda: services.record(
        zx1, channel="phone", question="在外省缴纳的养老保险转回沈丘，退休待遇核定时缴费年限怎么合并计算？",
        matters=["411624-GF-RS-003"], solved=False, note="涉及跨省转移接续，需人社局业务科室答复。",
        asker_name="孙德华", asker_phone="13803942121", now=_at(two_back, 10, 20)))  # fmt: skip

    # Two working days ago: escalated to 县自然资源局, answered yesterday, then rated by the asker.
    def answered_and_rated():
        c = services.record(
            zx1, channel="phone", question="父母的房产过户给子女，是走继承还是赠与？哪种税费少？",
            matters=["411624-QR-ZRZY-003"], solved=False, asker_name="陈晓", asker_phone="13803942122",
            now=_at(two_back, 14, 5),
        )  # fmt: skip
        services.answer(
            c, users["officer_natural_resources"], now=_at(one_back, 10, 30),
            reply="父母健在只能赠与或买卖；赠与需缴契税 3%，直系亲属免个税。继承在父母身故后办理，免契税。"
            "具体以税务部门核定为准，可预约不动产登记窗口。",
        )  # fmt: skip
        services.rate(c, level=5, comment="解释得很清楚", now=_at(one_back, 11, 2))
        return c

    play(answered_and_rated)

    # Asked online yesterday afternoon, answered at the desk this morning.
    def online_answered():
        c = services.ask_online(
            question="社保卡丢了，在哪里补办？当天能拿到吗？", matters=["411624-GG-RS-008"],
            asker_phone="13803942131", now=_at(one_back, 16, 40),
        )  # fmt: skip
        services.reply_at_desk(
            c, zx1, answer="可到人社业务综合受理窗口即时制卡，带身份证，约 10 分钟当场领取。",
            now=_morning(today, now, 8, 45),
        )  # fmt: skip
        return c

    play(online_answered)

    if workday:
        # This morning by phone: escalated to 县市场监督管理局, due at the next close (yellow in its queue).
        play(lambda: services.record(
            zx1, channel="phone", question="在家做烘焙网上销售，能不能办食品经营许可？住宅可以做经营场所吗？",
            matters=["411624-XK-SCJG-005"], solved=False, asker_name="王丽", asker_phone="13803942141",
            now=_morning(today, now, 10, 5)))  # fmt: skip
    # Asked online this morning, waiting at the desk.
    play(lambda: services.ask_online(
        question="公司注销前要先清税吗？网上能办吗？", asker_phone="13803942151", asker_name="赵先生",
        now=_morning(today, now, 9, 55)))  # fmt: skip

    # Counted from the database: the objects in `made` may predate a later step (answered, replied at the desk).
    mine = Consultation.objects.filter(pk__in=[c.pk for c in made])
    open_ = mine.filter(status=Consultation.Status.OPEN).count()
    escalated = mine.filter(escalation__isnull=False).count()
    overdue = mine.filter(status=Consultation.Status.ESCALATED, escalation__due_at__lt=now).count()
    line = f"咨询：{len(made)} 条（转办 {escalated}，其中超期未答复 {overdue}；网上待答复 {open_}）"
    if skipped:
        line += "；未载入：" + "；".join(f"{reason}（{n} 条）" for reason, n in skipped.items())
    return line
