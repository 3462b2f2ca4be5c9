"""集中咨询: every change to a consultation, one function per transition.

- `record` — the consultant records a question asked at the consultation window (from the ticket called there),
  by phone or by video (linked to the video call the consultant answered, in the same transaction): solved on the
  spot (with the answer), or escalated at once to the department responsible. With an Idempotency-Key (the API),
  a retry returns the first consultation, as intake does.
- `ask_online` — a citizen's question from the online hall; it waits at the desk (`reply_at_desk` or `escalate`).
- `escalate` — 咨询转办 (by default to the department of the matters the asker chose): the department answers
  by the close of the n-th working day (`ConsultationRules`) on the working-time clock; a year whose holidays
  nobody entered refuses the escalation with the reason (never guessed).
- `answer` — the department's expert (an officer or the lead of THAT department) answers an escalation.
- `rate` — 一次一评: once per consultation, five levels; a second rating is refused (the one-to-one row decides,
  also for two at once).
- `suggest_article` — 建议入库 from the desk: the consultant who answered on the spot suggests the answer to the
  department's editors; `propose_article` — they (or the escalation's department) draft the knowledge article.

An answer reaches the asker through the outbox (`notifications.services.notify`) with the link to read and rate it.
Each function checks its whole input before writing anything and records one audit event.
"""

import datetime as dt
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from yichuang.catalogue.models import Matter
from yichuang.clock.workcalendar import DEFAULT_HOURS, SHANGHAI, CalendarUnknown, WorkCalendar
from yichuang.core import audit, phones
from yichuang.core.counters import bump
from yichuang.core.links import absolute
from yichuang.intake import deadlines
from yichuang.notifications.models import Message
from yichuang.notifications.services import notify
from yichuang.organisation.models import Department, Seat, Site
from yichuang.organisation.roles import Role, acts_as, member_of
from yichuang.queue.models import Ticket

from .models import Consultation, ConsultationCounter, ConsultationRating, ConsultationRules, Escalation

TEXT_LIMIT = 2000
NAME_LIMIT = 50
Channel = Consultation.Channel
Status = Consultation.Status
# Rating levels as in feedback (一次一评): 5 非常满意 … 1 非常不满意.
LEVELS = (1, 2, 3, 4, 5)


# --- who may act -------------------------------------------------------------------------------------


def may_record(user) -> bool:
    """Consultants (and window clerks, who answer questions at their windows) record consultations."""
    return acts_as(user, Role.CONSULTANT, Role.WINDOW_CLERK)


def may_answer(user, escalation: Escalation) -> bool:
    """An officer or the lead of the department the question was escalated to."""
    return member_of(user, escalation.department_id, Role.BACKOFFICE_OFFICER, Role.DEPARTMENT_LEAD)


def sees_personal_data(user, consultation: Consultation) -> bool:
    """The asker's name and phone in full: the member of staff who recorded the question, and the expert who
    answers it (any officer or lead of the department while it is open, the one who answered afterwards)."""
    if not getattr(user, "pk", None):
        return False
    if consultation.staff_id and consultation.staff_id == user.pk:
        return True
    escalation = getattr(consultation, "escalation", None) if consultation.pk else None
    if escalation is None:
        return False
    if escalation.status == Escalation.Status.ANSWERED:
        return escalation.expert_id == user.pk
    return may_answer(user, escalation)


# --- input -------------------------------------------------------------------------------------------


class Errors(dict):
    def add(self, field: str, message: str) -> None:
        self.setdefault(field, []).append(str(message))

    def check(self) -> None:
        if self:
            raise ValidationError(dict(self))


def _text(value, field: str, errors: Errors, *, required: bool = True, limit: int = TEXT_LIMIT) -> str:
    text = str(value or "").strip()
    if "\x00" in text:
        errors.add(field, _("内容含有不允许的控制字符。"))
        return ""
    if required and not text:
        errors.add(field, _("此项为必填。"))
    elif len(text) > limit:
        errors.add(field, _("不能超过 %(n)d 个字。") % {"n": limit})
    return text


def _phone(value, errors: Errors, *, required: bool = False, mobile: bool = False) -> str:
    try:
        phone = phones.clean_mobile(value, blank=True) if mobile else phones.clean_phone(value)
    except ValidationError as exc:
        errors.add("asker_phone", exc.messages[0])
        return ""
    if required and not phone:
        errors.add("asker_phone", _("请留下手机号码，答复会以短信告知您。"))
    return phone


def _matters(values, errors: Errors) -> list[Matter]:
    """Matters by object, id or code (the API sends codes)."""
    found: list[Matter] = []
    for value in values or ():
        if isinstance(value, Matter):
            found.append(value)
            continue
        text = str(value).strip()
        matter = None
        if text and "\x00" not in text:
            matter = (
                Matter.objects.filter(pk=int(text)) if text.isdigit() and len(text) < 18 else Matter.objects.none()
            ).first()
            matter = matter or Matter.objects.filter(code=text).first()
        if matter is None:
            errors.add("matters", _("没有事项“%(code)s”。") % {"code": text[:40]})
        else:
            found.append(matter)
    return list({m.pk: m for m in found}.values())


def _articles(values, errors: Errors) -> list:
    """Published knowledge articles by object or id."""
    from yichuang.knowledge.models import Article

    found = []
    for value in values or ():
        if isinstance(value, Article):
            found.append(value)
            continue
        text = str(value).strip()
        article = Article.objects.filter(pk=int(text)).first() if text.isdigit() and len(text) < 18 else None
        if article is None or not article.published_id:
            errors.add("articles", _("没有已发布的文章 %(id)s。") % {"id": text[:20]})
        else:
            found.append(article)
    return list({a.pk: a for a in found}.values())


def _department(value, errors: Errors, field: str = "department") -> Department | None:
    if value is None or value == "":
        return None
    if isinstance(value, Department):
        return value
    text = str(value).strip()
    department = None
    if text and "\x00" not in text:
        department = Department.objects.filter(code=text).first()
        if department is None and text.isdigit() and len(text) < 18:
            department = Department.objects.filter(pk=int(text)).first()
    if department is None:
        errors.add(field, _("没有部门“%(code)s”。") % {"code": text[:40]})
    return department


def _video_call(value, actor, channel: str, errors: Errors):
    """The video call a desk consultation came by, locked until the link is written: a citizen's call to the
    consultation desk that the actor answered and that no other consultation has yet."""
    from yichuang.video.models import Call

    if value is None or value == "":
        return None
    text = str(value.pk if isinstance(value, Call) else value).strip().lstrip("#")
    call = None
    if text.isdigit() and len(text) < 18:
        call = Call.objects.select_for_update().filter(pk=int(text)).first()
    if call is None:
        errors.add("video_call", _("没有视频通话 %(id)s。") % {"id": text[:20]})
        return None
    if call.kind != Call.Kind.CONSULT or call.callee_id is None or call.callee_id != getattr(actor, "pk", None):
        errors.add("video_call", _("视频通话 #%(id)d 不是您接听的远程视频咨询，不能关联。") % {"id": call.pk})
        return None
    if call.consultation_id:
        errors.add("video_call", _("视频通话 #%(id)d 已关联咨询 %(n)s。") % {
            "id": call.pk, "n": call.consultation.number})  # fmt: skip
        return None
    if channel != Channel.VIDEO:
        errors.add("channel", _("来自视频通话的咨询，渠道须为“远程视频”。"))
    return call


def _link_call(call, consultation: Consultation, actor, request) -> None:
    """The video app's own transition; its refusal undoes the whole record (we are inside record's atomic)."""
    from yichuang.video import services as video

    try:
        video.link_consultation(call, consultation, actor, request=request)
    except PermissionDenied as exc:
        raise ValidationError({"video_call": [str(exc)]}) from exc
    except video.Refused as exc:
        raise ValidationError({"video_call": [exc.message]}) from exc


def _seat_window(actor):
    seat = (
        Seat.objects.select_related("window__zone__site")
        .filter(user_id=getattr(actor, "pk", None), date=timezone.localdate(), until__isnull=True)
        .first()
    )
    return seat.window if seat is not None else None


def called_ticket(actor) -> Ticket | None:
    """The ticket called (or being served) at the window where the member of staff sits now."""
    window = _seat_window(actor)
    if window is None:
        return None
    return (
        Ticket.objects.select_related("zone", "matter")
        .filter(window=window, date=timezone.localdate(), status__in=(Ticket.Status.CALLED, Ticket.Status.SERVING))
        .order_by("-called_at", "-id")
        .first()
    )


def _from_my_window(ticket: Ticket, window, actor, now: dt.datetime) -> bool:
    """The ticket was called at the consultant's window today: still open there, or finished by them (a question
    may be recorded just after the visit ended)."""
    if ticket.window_id != window.pk or ticket.date != timezone.localtime(now).date():
        return False
    if ticket.status in (Ticket.Status.CALLED, Ticket.Status.SERVING):
        return True
    return ticket.status == Ticket.Status.FINISHED and ticket.called_by_id == actor.pk


# --- numbers, links, the clock -------------------------------------------------------------------------


def next_number(now: dt.datetime) -> str:
    """ZX-<year>-<seq>: drawn in the caller's transaction, so a rolled-back consultation leaves no gap."""
    year = timezone.localtime(now).year
    return f"ZX-{year}-{bump(ConsultationCounter, year=year):04d}"


def reading_url(consultation: Consultation) -> str:
    """The asker's link to the question, its answer and the rating form (absolute, for messages)."""
    return absolute(reverse("consultation:citizen", args=[consultation.token]))


def rules() -> ConsultationRules:
    return ConsultationRules.objects.order_by("pk").first() or ConsultationRules()


def escalation_due(site: Site | None, now: dt.datetime, days: int) -> dt.datetime:
    """The close of the `days`-th working day after the day of escalation (that day never counts), on the site's
    opening hours. Raises CalendarUnknown when the count needs a year whose holidays nobody entered."""
    day = timezone.localtime(now, SHANGHAI).date()
    site = site or Site.objects.filter(is_default=True).first()
    if site is None:
        last = WorkCalendar.default().add_working_days(day, days)
        return dt.datetime.combine(last, dt.time.fromisoformat(DEFAULT_HOURS[-1][1]), tzinfo=SHANGHAI)
    clock = deadlines.site_calendar(site)
    return clock.close(clock.calendar.add_working_days(day, days))


def _unknown_year(year: int) -> str:
    return _("%(year)d年的工作日历尚未录入，无法计算转办答复期限；请管理员录入该年节假日安排后再转办。") % {
        "year": year
    }


def _tell_answer(consultation: Consultation) -> None:
    """The answer to the asker's phone through the outbox (a landline cannot take a text: nothing is sent)."""
    if consultation.asker_phone and phones.is_mobile(consultation.asker_phone):
        notify(
            consultation.asker_phone,
            Message.Kind.CONSULTATION_ANSWERED,
            {"number": consultation.number, "url": reading_url(consultation)},
        )


def _new(channel: str, *, site, now, **fields) -> Consultation:
    return Consultation.objects.create(
        number=next_number(now), channel=channel, site=site, token=secrets.token_urlsafe(24), created_at=now, **fields
    )


# --- transitions -------------------------------------------------------------------------------------


def record(actor, *, idempotency_key: str | None = None, **fields) -> Consultation:
    """登记咨询 (see `_record` for the fields). `idempotency_key` (the API's Idempotency-Key header, as at
    intake): a retry with the same key by the same member of staff returns the first consultation and writes
    nothing (`consultation.replayed` is True then, False for a new one); the same key with another question, or
    from someone else, is refused at `idempotency_key` with the reason. Two requests with one key at once: the
    unique key decides, the loser answers with the winner's consultation."""
    key = _check_key(idempotency_key)
    if key is not None:
        first = _replay(key, actor, fields)
        if first is not None:
            return first
    try:
        consultation = _record(actor, idempotency_key=key, **fields)
    except IntegrityError:
        # The same key committed by a concurrent request between our look-up and our insert.
        first = _replay(key, actor, fields) if key is not None else None
        if first is None:
            raise
        return first
    consultation.replayed = False
    return consultation


def _check_key(key) -> str | None:
    if key in (None, ""):
        return None
    key = str(key).strip()
    if not key or len(key) > 200 or not key.isprintable():
        raise ValidationError({"idempotency_key": [_("Idempotency-Key 应为 1–200 个可打印字符。")]})
    return key


def _differences(first: Consultation, fields: dict) -> list[str]:
    """What a retry asks differently from the consultation made with its key (inputs read as `_record` reads
    them; anything unreadable counts as different)."""
    scratch = Errors()
    differ = []
    same_text = {
        "channel": (str(fields.get("channel") or ""), first.channel),
        "question": (str(fields.get("question") or "").strip(), first.question),
        "answer": (str(fields.get("answer") or "").strip(), first.answer),
        "asker_name": (str(fields.get("asker_name") or "").strip(), first.asker_name),
        "asker_phone": (_phone(fields.get("asker_phone"), scratch), first.asker_phone),
        "solved": (bool(fields.get("solved")), first.solved),
    }
    differ += [name for name, (asked, made) in same_text.items() if asked != made]
    if {m.pk for m in _matters(fields.get("matters"), scratch)} != {m.pk for m in first.matters.all()}:
        differ.append("matters")
    if {a.pk for a in _articles(fields.get("articles"), scratch)} != {a.pk for a in first.articles.all()}:
        differ.append("articles")
    escalation = Escalation.objects.filter(consultation=first).first()
    target = _department(fields.get("department"), scratch)
    if target is not None and (escalation is None or escalation.department_id != target.pk):
        differ.append("department")
    if escalation is not None and str(fields.get("note") or "").strip() != escalation.note:
        differ.append("note")
    call = fields.get("video_call")
    if call not in (None, ""):
        text = str(getattr(call, "pk", call)).strip().lstrip("#")
        if not (text.isdigit() and len(text) < 18 and first.calls.filter(pk=int(text)).exists()):
            differ.append("video_call")
    return differ + (["errors"] if scratch and not differ else [])


def _replay(key: str, actor, fields: dict) -> Consultation | None:
    """The consultation already made with this key, if the same member of staff asked the same; ValidationError
    if not (another caller's key, or the same key with another question)."""
    first = Consultation.objects.filter(idempotency_key=key).first()
    if first is None:
        return None
    if first.staff_id != getattr(actor, "pk", None):
        raise ValidationError({"idempotency_key": [_("该 Idempotency-Key 已用于另一次提交。")]})
    differ = _differences(first, fields)
    if differ:
        labels = {f.name: str(f.verbose_name) for f in Consultation._meta.get_fields() if hasattr(f, "verbose_name")}
        labels.update(
            {"department": _("转办部门"), "note": _("转办说明"), "video_call": _("视频通话"), "errors": _("内容")}
        )
        raise ValidationError({"idempotency_key": [
            _("该 Idempotency-Key 已用于咨询 %(n)s，本次内容不同（%(f)s）；新的咨询请使用新的 Idempotency-Key。")
            % {"n": first.number, "f": "、".join(labels.get(name, name) for name in differ)}
        ]})  # fmt: skip
    first.replayed = True
    return first


@transaction.atomic
def _record(
    actor,
    *,
    channel: str,
    question: str,
    matters=(),
    asker_name: str = "",
    asker_phone: str = "",
    answer: str = "",
    articles=(),
    solved: bool = False,
    ticket: Ticket | None = None,
    department=None,
    note: str = "",
    video_call=None,
    idempotency_key: str | None = None,
    now: dt.datetime | None = None,
    request=None,
) -> Consultation:
    """登记咨询 at the desk: solved on the spot (the answer required), or escalated to `department` at once
    (a question not solved is never left without someone responsible). `video_call` (a video.Call or its id):
    the citizen's video call this question came by, answered by the actor; it is linked to the consultation in
    the same transaction (video.services.link_consultation), or nothing is saved."""
    if not may_record(actor):
        raise PermissionDenied(_("只有咨询人员可以登记咨询。"))
    now = now or timezone.now()
    errors = Errors()
    if channel not in (Channel.WINDOW, Channel.PHONE, Channel.VIDEO):
        errors.add("channel", _("渠道须为咨询窗口、电话或远程视频。"))
    question = _text(question, "question", errors)
    asker_name = _text(asker_name, "asker_name", errors, required=False, limit=NAME_LIMIT)
    asker_phone = _phone(asker_phone, errors)
    chosen = _matters(matters, errors)
    used = _articles(articles, errors)
    answer = _text(answer, "answer", errors, required=bool(solved))
    note = _text(note, "note", errors, required=False)
    call = _video_call(video_call, actor, channel, errors)
    window = _seat_window(actor)
    if channel == Channel.WINDOW:
        # Judge the ticket as it is now, not as the caller last read it.
        ticket = called_ticket(actor) if ticket is None else Ticket.objects.filter(pk=ticket.pk).first()
        if window is None:
            errors.add("ticket", _("您今天尚未在窗口入座，不能登记窗口咨询。"))
        elif ticket is None:
            errors.add("ticket", _("您的窗口当前没有叫到的号码；电话咨询请选择“电话”。"))
        elif not _from_my_window(ticket, window, actor, now):
            errors.add("ticket", _("号码 %(number)s 不是您窗口今天叫到的号码。") % {"number": ticket.number})
    else:
        ticket = None
    target = None
    if not solved:
        target = _department(department, errors)
        if target is None and "department" not in errors:
            departments = {m.department_id for m in chosen if m.department_id}
            if len(departments) == 1:
                target = Department.objects.get(pk=departments.pop())
            else:
                errors.add("department", _("未当场解决的咨询须转办到负责的部门，请选择部门。"))
    errors.check()
    site = (window.zone.site if window is not None else None) or Site.objects.filter(is_default=True).first()
    due = None
    if target is not None:
        try:
            due = escalation_due(site, now, rules().escalation_days)
        except CalendarUnknown as exc:
            raise ValidationError({"department": [_unknown_year(exc.year)]}) from exc
    consultation = _new(
        channel,
        site=site,
        now=now,
        ticket=ticket,
        window=window,
        asker_name=asker_name,
        asker_phone=asker_phone,
        question=question,
        answer=answer,
        solved=bool(solved),
        status=Status.ANSWERED if solved else Status.ESCALATED,
        staff=actor,
        answered_at=now if solved else None,
        idempotency_key=idempotency_key,
    )
    consultation.matters.set(chosen)
    consultation.articles.set(used)
    if call is not None:
        _link_call(call, consultation, actor, request)
    audit.record(
        actor, "consultation.record", consultation, summary=f"{consultation.number} {channel}", request=request,
        solved=bool(solved), ticket=ticket.number if ticket else None,
    )  # fmt: skip
    if target is not None:
        _escalate(consultation, actor, target, note, due, now, request)
    return consultation


@transaction.atomic
def ask_online(
    *, question: str, asker_phone: str, asker_name: str = "", matters=(), now=None, request=None
) -> Consultation:
    """我要咨询: a citizen's question from the online hall; the desk answers it or passes it on."""
    now = now or timezone.now()
    errors = Errors()
    question = _text(question, "question", errors)
    asker_name = _text(asker_name, "asker_name", errors, required=False, limit=NAME_LIMIT)
    asker_phone = _phone(asker_phone, errors, required=True, mobile=True)
    chosen = _matters(matters, errors)
    errors.check()
    consultation = _new(
        Channel.ONLINE,
        site=Site.objects.filter(is_default=True).first(),
        now=now,
        asker_name=asker_name,
        asker_phone=asker_phone,
        question=question,
        status=Status.OPEN,
    )
    consultation.matters.set(chosen)
    audit.record(None, "consultation.ask_online", consultation, summary=consultation.number, request=request)
    return consultation


def _locked(consultation: Consultation) -> Consultation:
    return Consultation.objects.select_for_update().get(pk=consultation.pk)


@transaction.atomic
def reply_at_desk(
    consultation: Consultation, actor, *, answer: str, articles=(), now=None, request=None
) -> Consultation:
    """The desk answers a question waiting for it (asked online); the asker is told."""
    if not may_record(actor):
        raise PermissionDenied(_("只有咨询人员可以答复咨询。"))
    consultation = _locked(consultation)
    now = now or timezone.now()
    errors = Errors()
    answer = _text(answer, "answer", errors)
    used = _articles(articles, errors)
    if consultation.status != Status.OPEN:
        errors.add("answer", _("咨询 %(n)s 当前状态为“%(s)s”，不能再由咨询台答复。") % {
            "n": consultation.number, "s": consultation.get_status_display()})  # fmt: skip
    errors.check()
    consultation.answer = answer
    consultation.solved = True
    consultation.status = Status.ANSWERED
    consultation.answered_at = now
    consultation.staff = consultation.staff or actor
    consultation.save(update_fields=["answer", "solved", "status", "answered_at", "staff"])
    consultation.articles.add(*used)
    audit.record(actor, "consultation.reply_at_desk", consultation, summary=consultation.number, request=request)
    _tell_answer(consultation)
    return consultation


def _escalate(consultation, actor, department, note, due, now, request) -> Escalation:
    escalation = Escalation.objects.create(
        consultation=consultation,
        department=department,
        note=note,
        due_at=due,
        escalated_by=actor,
        escalated_at=now,
    )
    audit.record(
        actor, "consultation.escalate", consultation, summary=f"{consultation.number} → {department.code}",
        request=request, department=department.code, due_at=due.isoformat(),
    )  # fmt: skip
    return escalation


def matters_department(consultation: Consultation) -> Department | None:
    """The one department all of the consultation's matters belong to (where an escalation goes by default)."""
    ids = set(consultation.matters.exclude(department_id=None).values_list("department_id", flat=True))
    return Department.objects.filter(pk=ids.pop()).first() if len(ids) == 1 else None


@transaction.atomic
def escalate(consultation: Consultation, actor, *, department, note: str = "", now=None, request=None) -> Escalation:
    """咨询转办 of a question still waiting (asked online, or recorded open): to the department responsible —
    `department`, or when none is given the department of the matters the asker chose (if they are all one
    department's)."""
    if not may_record(actor):
        raise PermissionDenied(_("只有咨询人员可以转办咨询。"))
    consultation = _locked(consultation)
    now = now or timezone.now()
    errors = Errors()
    target = _department(department, errors)
    if target is None and "department" not in errors:
        target = matters_department(consultation)
    if target is None and "department" not in errors:
        errors.add("department", _("请选择承办部门（所涉事项不属于同一部门，或未选择事项）。"))
    note = _text(note, "note", errors, required=False)
    if consultation.status != Status.OPEN:
        errors.add("department", _("咨询 %(n)s 当前状态为“%(s)s”，不能转办。") % {
            "n": consultation.number, "s": consultation.get_status_display()})  # fmt: skip
    errors.check()
    try:
        due = escalation_due(consultation.site, now, rules().escalation_days)
    except CalendarUnknown as exc:
        raise ValidationError({"department": [_unknown_year(exc.year)]}) from exc
    consultation.status = Status.ESCALATED
    consultation.staff = consultation.staff or actor
    consultation.save(update_fields=["status", "staff"])
    return _escalate(consultation, actor, target, note, due, now, request)


@transaction.atomic
def answer(consultation: Consultation, actor, *, reply: str, articles=(), now=None, request=None) -> Escalation:
    """部门答复: the expert of the department the question went to answers it; the asker is told."""
    consultation = _locked(consultation)
    escalation = Escalation.objects.select_for_update().filter(consultation=consultation).first()
    if escalation is None or not may_answer(actor, escalation):
        raise PermissionDenied(_("只有承办部门的工作人员可以答复转办的咨询。"))
    now = now or timezone.now()
    errors = Errors()
    reply = _text(reply, "reply", errors)
    used = _articles(articles, errors)
    if escalation.status != Escalation.Status.OPEN:
        errors.add("reply", _("咨询 %(n)s 已答复。") % {"n": consultation.number})
    errors.check()
    escalation.status = Escalation.Status.ANSWERED
    escalation.reply = reply
    escalation.expert = actor
    escalation.replied_at = now
    escalation.save(update_fields=["status", "reply", "expert", "replied_at"])
    consultation.status = Status.REPLIED
    consultation.answered_at = now
    consultation.save(update_fields=["status", "answered_at"])
    consultation.articles.add(*used)
    audit.record(
        actor, "consultation.answer", consultation, summary=consultation.number, request=request,
        overdue=now > escalation.due_at,
    )  # fmt: skip
    _tell_answer(consultation)
    return escalation


def _already_rated(consultation: Consultation) -> bool:
    return ConsultationRating.objects.filter(consultation=consultation).exists()


@transaction.atomic
def rate(consultation: Consultation, *, level, comment: str = "", now=None, request=None) -> ConsultationRating:
    """一次一评 through the asker's link: once, after an answer; never edited."""
    consultation = _locked(consultation)
    now = now or timezone.now()
    errors = Errors()
    try:
        level = int(level)
    except (TypeError, ValueError):
        level = 0
    if level not in LEVELS:
        errors.add("level", _("请选择评价等级（1–5）。"))
    comment = _text(comment, "comment", errors, required=False, limit=500)
    if consultation.status not in (Status.ANSWERED, Status.REPLIED):
        errors.add("level", _("咨询尚未答复，答复后才能评价。"))
    if _already_rated(consultation):
        errors.add("level", _("这次咨询已经评价过了，每次咨询只能评价一次。"))
    errors.check()
    try:
        with transaction.atomic():
            rating = ConsultationRating.objects.create(
                consultation=consultation, level=level, comment=comment, created_at=now
            )
    except IntegrityError as exc:  # two at once: the one-to-one row decides
        raise ValidationError({"level": [_("这次咨询已经评价过了，每次咨询只能评价一次。")]}) from exc
    audit.record(None, "consultation.rate", consultation, summary=f"{consultation.number} {level}", request=request)
    return rating


def may_suggest_article(user, consultation: Consultation) -> bool:
    """建议入库 from the desk: the consultant who answered the question on the spot, not yet suggested or drafted."""
    return (
        may_record(user)
        and bool(consultation.staff_id)
        and consultation.staff_id == getattr(user, "pk", None)
        and consultation.status == Status.ANSWERED
        and not consultation.article_suggested_by_id
        and not consultation.proposed_article_id
    )


@transaction.atomic
def suggest_article(consultation: Consultation, actor, *, department=None, now=None, request=None) -> Consultation:
    """建议入库 from the desk: the consultant who answered the question on the spot suggests the answer to the
    editors (officers and lead) of the department it concerns — the one department of its matters, else the one
    the consultant names — who draft the article from their queue (`propose_article`). Once per consultation."""
    consultation = _locked(consultation)
    if not may_record(actor) or not consultation.staff_id or consultation.staff_id != actor.pk:
        raise PermissionDenied(_("只有当场解答这条咨询的咨询人员可以建议入库。"))
    now = now or timezone.now()
    errors = Errors()
    if consultation.article_suggested_by_id or consultation.proposed_article_id:
        errors.add("department", _("咨询 %(n)s 已建议入库，不必重复提交。") % {"n": consultation.number})
    elif consultation.status != Status.ANSWERED:
        errors.add("department", _("只有当场解答的咨询可以由咨询台建议入库。"))
    target = matters_department(consultation)
    if target is None and not errors:
        target = _department(department, errors)
        if target is None and "department" not in errors:
            errors.add("department", _("请选择建议入库的部门（所涉事项不属于同一部门，或未选择事项）。"))
    errors.check()
    consultation.article_suggested_by = actor
    consultation.article_suggested_at = now
    consultation.article_suggested_department = target
    consultation.save(update_fields=["article_suggested_by", "article_suggested_at", "article_suggested_department"])
    audit.record(
        actor, "consultation.suggest_article", consultation, summary=f"{consultation.number} → {target.code}",
        request=request, department=target.code,
    )  # fmt: skip
    return consultation


def proposing_department(user, consultation: Consultation):
    """The department whose knowledge base the user may propose this answer to: the escalation's department for
    its officers and lead, the department the desk suggested it to for its officers and lead, else the user's own
    department when one of the consultation's matters is theirs."""
    escalation = getattr(consultation, "escalation", None) if consultation.pk else None
    if escalation is not None and may_answer(user, escalation):
        return escalation.department
    suggested = consultation.article_suggested_department_id
    if suggested and member_of(user, suggested, Role.BACKOFFICE_OFFICER, Role.DEPARTMENT_LEAD):
        return consultation.article_suggested_department
    own = getattr(user, "department_id", None)
    if own and member_of(user, own, Role.BACKOFFICE_OFFICER, Role.DEPARTMENT_LEAD):
        if consultation.matters.filter(department_id=own).exists():
            return user.department
    return None


@transaction.atomic
def propose_article(consultation: Consultation, actor, *, now=None, request=None):
    """咨询答复转为知识文章: a draft article (internal, version 1) from the question and its answer, written into
    the knowledge base of the department concerned by one of its editors (its officers and lead); the hall admin
    reviews and publishes it there as any other draft."""
    from yichuang.knowledge import services as knowledge
    from yichuang.knowledge.models import Article

    consultation = _locked(consultation)
    department = proposing_department(actor, consultation)
    if department is None:
        raise PermissionDenied(_("只有相关部门的后台审批人员或部门负责人可以把答复建议入库。"))
    if consultation.proposed_article_id:
        raise ValidationError(_("这条咨询已建议入库。"))
    if consultation.status not in (Status.ANSWERED, Status.REPLIED):
        raise ValidationError(_("咨询答复后才能建议入库。"))
    escalation = getattr(consultation, "escalation", None)
    reply = escalation.reply if escalation is not None and escalation.reply else consultation.answer
    title = " ".join(consultation.question.split())
    title = title if len(title) <= 60 else title[:59] + "…"
    article = knowledge.create_article(
        actor,
        department=department,
        title=title,
        body=_("问：%(q)s\n\n答：%(a)s") % {"q": consultation.question, "a": reply},
        kind=Article.Kind.QA,
        visibility=Article.Visibility.INTERNAL,
        matters=[m for m in consultation.matters.all() if m.department_id == department.pk],
        now=now,
        request=request,
    )
    consultation.proposed_article = article
    consultation.save(update_fields=["proposed_article"])
    audit.record(actor, "consultation.propose_article", consultation, summary=consultation.number, request=request)
    return article
