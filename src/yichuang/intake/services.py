"""State changes of intake: accept (submit), refuse, attach a file, clear a deferral mark.

`submit` and `refuse` first check everything and raise ONE ValidationError naming every problem by its field
path (`applicant.id_number`, `matters[1]`, `materials[2].status`, `bundle`, `window`, …) — the API turns it
into a 422 with each field and reason, the desk shows each message at its field. Nothing is written then.
Only when all is well does one transaction create the submission, its merged materials, one case per matter
with its due time and snapshot, the dispatch (department inbox, or the open pickup batch of a delegated
department), the timeline, the audit events and the notification to the applicant.

The material rules (容缺 deferral, 告知承诺 pledge, required and core materials) are in `intake.materials`; the
check behind every upload in `intake.uploads`; the error collector and code checks in `intake.checks`.
"""

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yichuang.catalogue.models import Bundle, Matter
from yichuang.catalogue.queries import default_site
from yichuang.clock import caseclock
from yichuang.clock.workcalendar import CalendarUnknown
from yichuang.core import audit, counters, rows
from yichuang.core.phones import clean_phone
from yichuang.exchange import outbox as exchange_outbox
from yichuang.fees import services as fees
from yichuang.licences import reuse
from yichuang.organisation.models import Seat, Site, Window
from yichuang.organisation.roles import Role, acts_as
from yichuang.performance import services as performance

from . import applicants, deadlines, identity, reference
from .checks import CONTROL_RE, Errors
from .checks import is_code as _is_code
from .checks import shown as _shown
from .materials import MaterialInput, check_material_rules, read_materials
from .models import (
    Applicant,
    ApplicantKind,
    Attachment,
    Case,
    Channel,
    Handoff,
    MaterialStatus,
    ReferenceRevision,
    Refusal,
    Submission,
    SubmissionCounter,
    SubmissionMaterial,
    TimelineEvent,
)
from .uploads import FILE_KINDS, sniff, upload_problem

logger = logging.getLogger(__name__)
# The choices as sets, once: `Choices.values` builds a new list on every use, and an intake asks per material.
_APPLICANT_KINDS = frozenset(ApplicantKind.values)
_CHANNELS = frozenset(Channel.values)
INTAKE_ROLES = (Role.WINDOW_CLERK, Role.HALL_ADMIN)
INTAKE_WINDOW_KINDS = (Window.Kind.INTAKE, Window.Kind.ASSIST, Window.Kind.SPECIALIZED)
MAX_MATTERS = 99  # case numbers have two digits


# --- checking the input -----------------------------------------------------------------------------


def _text(value, limit: int) -> str:
    return str(value if value is not None else "").strip()[:limit]


@dataclass
class Person:
    kind: str = ""
    name: str = ""
    id_number: str = ""
    phone: str = ""


def _check_applicant(data, errors: Errors, *, today: dt.date) -> Person:
    if not isinstance(data, dict):
        errors.add("applicant", _("请填写申请人信息。"))
        return Person()
    person = Person(kind=_text(data.get("kind"), 8), name=_text(data.get("name"), 200))
    if person.kind not in _APPLICANT_KINDS:
        errors.add("applicant.kind", _("请选择申请人类别：自然人（person）或法人（org）。"))
    if not person.name:
        errors.add(
            "applicant.name", _("请填写单位名称。") if person.kind == ApplicantKind.ORG else _("请填写申请人姓名。")
        )
    elif CONTROL_RE.search(person.name):
        errors.add("applicant.name", _("名称含有不可见的控制字符。"))
    elif len(person.name) > 100:
        errors.add("applicant.name", _("名称不能超过 100 个字。"))
    try:
        if person.kind == ApplicantKind.ORG:
            person.id_number = identity.validate_credit_code(data.get("id_number"))
        elif person.kind == ApplicantKind.PERSON:
            person.id_number = identity.validate_resident_id(data.get("id_number"), today=today)
    except ValidationError as exc:
        errors.add_exc("applicant.id_number", exc)
    try:
        person.phone = clean_phone(data.get("phone"))
    except ValidationError as exc:
        errors.add_exc("applicant.phone", exc)
    return person


def _check_agent(data, errors: Errors, *, today: dt.date) -> Person | None:
    if data is None:
        return None
    if not isinstance(data, dict):
        errors.add("agent", _("代办人信息格式不正确。"))
        return None
    if not any(str(v or "").strip() for v in data.values()):
        return None
    agent = Person(kind=ApplicantKind.PERSON, name=_text(data.get("name"), 200))
    if not agent.name:
        errors.add("agent.name", _("请填写代办人姓名。"))
    elif CONTROL_RE.search(agent.name):
        errors.add("agent.name", _("姓名含有不可见的控制字符。"))
    elif len(agent.name) > 50:
        errors.add("agent.name", _("姓名不能超过 50 个字。"))
    try:
        agent.id_number = identity.validate_resident_id(data.get("id_number"), today=today)
    except ValidationError as exc:
        errors.add_exc("agent.id_number", exc)
    try:
        agent.phone = clean_phone(data.get("phone"))
    except ValidationError as exc:
        errors.add_exc("agent.phone", exc)
    return agent


def check_people(applicant, agent=None, *, today: dt.date | None = None) -> tuple[Person, Person | None]:
    """submit()'s checks of the applicant and the agent alone, for a form that collects them ahead of the visit (a
    pre-filled application, 预填). Raises ValidationError with the same field paths."""
    errors = Errors()
    today = today or timezone.localdate()
    person = _check_applicant(applicant, errors, today=today)
    agent_person = _check_agent(agent, errors, today=today)
    if not person.phone and not (agent_person and agent_person.phone) and "applicant.phone" not in errors.by_field:
        errors.add("applicant.phone", _("请填写联系电话，用于告知办理进度。"))
    errors.raise_if_any()
    return person, agent_person


def _check_window(
    actor, window, channel: str, errors: Errors, ref: reference.Reference, seat_window: int | None
) -> Window | None:
    """The intake window: the clerk's seat, or one given (a hall admin may take in at any window)."""
    if channel == Channel.ONLINE:
        if window not in (None, ""):
            errors.add("window", _("网上申请不经窗口，不能指定窗口。"))
        return None
    if window in (None, ""):
        if seat_window is None:
            errors.add("window", _("您今天尚未在窗口入座，请指定受理窗口。"))
            return None
        chosen = reference.window(ref, seat_window)
    else:
        window_id = window.pk if isinstance(window, Window) else window
        try:
            chosen = reference.window(ref, int(window_id))
        except (TypeError, ValueError):
            chosen = None
        if chosen is None:
            errors.add("window", _("没有这个窗口。"))
            return None
        seated_here = seat_window == chosen.pk
        if not seated_here and not acts_as(actor, Role.HALL_ADMIN):
            errors.add(
                "window",
                _("您没有在 %(number)s 号窗口入座，不能以该窗口受理。") % {"number": chosen.number},
            )
            return None
    if chosen.kind not in INTAKE_WINDOW_KINDS:
        errors.add(
            "window",
            _("%(number)s 号窗口是%(kind)s窗口，不受理申请。")
            % {"number": chosen.number, "kind": chosen.get_kind_display()},
        )
        return None
    if not chosen.is_open:
        errors.add("window", _("%(number)s 号窗口已关闭。") % {"number": chosen.number})
        return None
    return chosen


def _check_ticket(ticket, window: Window | None, channel: str, errors: Errors):
    from yichuang.queue.models import Ticket

    if ticket in (None, ""):
        return None
    if channel == Channel.ONLINE:
        errors.add("ticket", _("网上申请没有排队号。"))
        return None
    ticket_id = ticket.pk if isinstance(ticket, Ticket) else ticket
    try:
        found = Ticket.objects.get(pk=int(ticket_id))
    except (TypeError, ValueError, Ticket.DoesNotExist):
        errors.add("ticket", _("没有这个排队号。"))
        return None
    if window is not None and found.window_id != window.pk:
        errors.add("ticket", _("排队号 %(number)s 不在本窗口。") % {"number": found.number})
        return None
    if found.status not in (Ticket.Status.CALLED, Ticket.Status.SERVING):
        errors.add(
            "ticket",
            _("排队号 %(number)s 当前状态为“%(status)s”，不能受理。")
            % {"number": found.number, "status": found.get_status_display()},
        )
        return None
    return found


@dataclass
class Chosen:
    """The matters of the application, each with the field path that names it in errors."""

    bundle: Bundle | None = None
    matters: list[Matter] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)


def _check_matters(matters, bundle, errors: Errors, ref: reference.Reference) -> Chosen:
    chosen = Chosen()
    codes = matters if isinstance(matters, list | tuple) else None
    if codes is None:
        errors.add("matters", _("事项应为事项编码的列表。"))
        codes = []
    if bundle not in (None, ""):
        found, bundle_matters = (
            reference.bundle_with_matters(ref, bundle) if _is_code(bundle) else (None, [])
        )  # a code that cannot exist is not looked up (PostgreSQL refuses NUL in text)
        if found is None:
            errors.add("bundle", _("没有编码为“%(code)s”的一件事。") % {"code": _shown(bundle)})
        elif found.status != Matter.Status.IN_USE:
            errors.add(
                "bundle",
                _("一件事“%(name)s”已%(status)s，暂不受理。")
                % {"name": found.name, "status": found.get_status_display()},
            )
        chosen.bundle = found
    elif not codes:
        errors.add("matters", _("请选择要办理的事项或一件事。"))
    if len(codes) > MAX_MATTERS:
        errors.add("matters", _("一次最多受理 %(n)d 个事项。") % {"n": MAX_MATTERS})
        return chosen
    in_bundle = None
    if chosen.bundle is not None:
        in_bundle = list(bundle_matters)
        if not codes:
            chosen.matters = in_bundle
            chosen.paths = ["bundle"] * len(in_bundle)
            return chosen
    by_code = reference.matters_by_code(ref, [c for c in codes if _is_code(c)])
    seen = set()
    for i, code in enumerate(codes):
        path = f"matters[{i}]"
        if not isinstance(code, str) or not code.strip():
            errors.add(path, _("事项编码不能为空。"))
            continue
        matter = by_code.get(code)
        if matter is None:
            errors.add(path, _("没有编码为“%(code)s”的事项。") % {"code": _shown(code)})
            continue
        if code in seen:
            errors.add(path, _("事项“%(name)s”重复。") % {"name": matter.name})
            continue
        seen.add(code)
        if in_bundle is not None and matter.pk not in {m.pk for m in in_bundle}:
            errors.add(
                path,
                _("事项“%(name)s”不属于一件事“%(bundle)s”。") % {"name": matter.name, "bundle": chosen.bundle.name},
            )
            continue
        chosen.matters.append(matter)
        chosen.paths.append(path)
    return chosen


def _check_take_in(
    chosen: Chosen, window: Window | None, channel: str, errors: Errors, ref: reference.Reference
) -> None:
    """The catalogue's rules for each matter at this window (zone, specialized-only, status); online: status
    and whether the matter may be applied for online."""
    for matter, path in zip(chosen.matters, chosen.paths, strict=True):
        if channel == Channel.ONLINE:
            if matter.status != Matter.Status.IN_USE:
                errors.add(
                    path,
                    _("事项“%(name)s”已%(status)s，暂不受理。")
                    % {"name": matter.name, "status": matter.get_status_display()},
                )
            elif not matter.online:
                errors.add(path, _("事项“%(name)s”不能网上办理，请到大厅窗口申请。") % {"name": matter.name})
        elif window is not None:
            for message in reference.take_in_problems(ref, matter, window):
                errors.add(path, message)


def _site_for(window: Window | None, site: Site | None) -> Site | None:
    if window is not None:
        return window.zone.site
    return site or default_site()


def _unknown_year_text(year: int, channel: str, site: Site, *, pickup: bool = False) -> str:
    """What the person at the form reads when a year's holidays are missing: online, the applicant a plain sentence
    (what is missing, that what they entered is kept, what they can do); at a window, the clerk what the
    administrator must do. Either way nothing is guessed and nothing is saved."""
    if channel == Channel.ONLINE:
        phone = (site.phone or "").strip()
        return _(
            "本事项的办理期限需要用到%(year)d年的节假日安排，该安排尚未录入本系统，暂时无法在网上提交。"
            "您填写的内容和上传的文件已保存，安排录入后可直接提交；也可拨打大厅电话%(phone)s咨询。"
        ) % {"year": year, "phone": f" {phone} " if phone else ""}
    if pickup:
        return _("%(year)d年的工作日历尚未录入，无法安排部门取件；请管理员录入该年节假日安排。") % {"year": year}
    return _("%(year)d年的工作日历尚未录入，无法计算办结期限；请管理员录入该年节假日安排。") % {"year": year}


def _log_unknown_years(channel: str, years: dict[int, list[str]], what: str) -> None:
    # One line for the administrator in the server log (matter codes only, no personal data).
    for year, codes in sorted(years.items()):
        logger.warning(
            "intake refused (%s): the holidays of %s are not entered, needed for the %s of %s; "
            "enter that year in the admin (日历年份)",
            channel,
            year,
            what,
            ", ".join(codes),
        )


def _due_times(
    chosen: Chosen, clock: deadlines.SiteClock, now: dt.datetime, errors: Errors, channel: str = Channel.WINDOW
) -> dict[str, dt.datetime]:
    dues = {}
    unknown: dict[int, list[str]] = {}
    for matter, path in zip(chosen.matters, chosen.paths, strict=True):
        try:
            dues[matter.code] = clock.due(matter.limit_unit, Decimal(matter.promised_limit), now)
        except CalendarUnknown as exc:
            errors.add(path, _unknown_year_text(exc.year, channel, clock.site))
            unknown.setdefault(exc.year, []).append(matter.code)
    _log_unknown_years(channel, unknown, "due time")
    return dues


def _ensure_may_take_in(actor, channel: str, reads: "FirstReads") -> None:
    if channel == Channel.ONLINE:
        return
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise PermissionDenied(_("请先登录。"))
    if not (actor.is_superuser or reads.intake_role):
        raise PermissionDenied(_("您没有综合受理岗位，不能受理申请。"))


def _check_key(key) -> str | None:
    if key in (None, ""):
        return None
    key = str(key).strip()
    if not key or len(key) > 200 or not key.isprintable():
        raise ValidationError({"idempotency_key": [_("Idempotency-Key 应为 1–200 个可打印字符。")]})
    return key


@dataclass
class FirstReads:
    token: str | None  # the reference data's revision (reference.py)
    seat_window: int | None  # the window the actor sits at today
    existing: int | None  # the submission already made with the Idempotency-Key
    intake_role: bool  # the actor holds one of INTAKE_ROLES (the test of User.has_role: a group of that name)


@cache
def _first_reads_sql() -> str:
    q = connection.ops.quote_name
    seat, revision = Seat._meta, ReferenceRevision._meta
    user_groups = seat.get_field("user").related_model.groups.through._meta
    group = user_groups.get_field("group").related_model._meta
    return (
        f"SELECT (SELECT {q('token')} FROM {q(revision.db_table)} WHERE {q('id')} = %s), "
        f"(SELECT {q(seat.get_field('window').column)} FROM {q(seat.db_table)} WHERE {q(seat.get_field('user').column)}"
        f" = %s AND {q('date')} = %s AND {q('until')} IS NULL), "
        f"(SELECT {q('id')} FROM {q(Submission._meta.db_table)} WHERE {q('idempotency_key')} = %s), "
        f"(SELECT count(*) FROM {q(user_groups.db_table)} ug JOIN {q(group.db_table)} g "
        f"ON g.{q('id')} = ug.{q(user_groups.get_field('group').column)} "
        f"WHERE ug.{q(user_groups.get_field('user').column)} = %s AND g.{q('name')} IN (%s, %s))"
    )


def _first_reads(actor, key: str | None) -> FirstReads:
    """What every intake reads before anything else, in one round trip."""
    today = connection.ops.adapt_datefield_value(timezone.localdate())
    user = getattr(actor, "pk", None)
    with connection.cursor() as cursor:
        cursor.execute(_first_reads_sql(), [reference.ROW_ID, user, today, key, user, *(str(r) for r in INTAKE_ROLES)])
        token, seat_window, existing, roles = cursor.fetchone()
    return FirstReads(token, seat_window, existing, bool(roles))


def _replay(key: str, actor, applicant, found: int | None = None) -> Submission | None:
    """The submission already made with this key, if it is the same caller's; ValidationError if it is not."""
    if found is None:
        found = Submission.objects.filter(idempotency_key=key).values_list("pk", flat=True).first()
    if found is None:
        return None
    first = Submission.objects.select_related("applicant").get(pk=found)
    same_caller = (
        first.accepted_by_id == actor.pk
        if getattr(actor, "pk", None)
        else isinstance(applicant, dict)
        and first.applicant.id_number == identity.normalise(applicant.get("id_number"))
        and first.applicant.kind == applicant.get("kind")
    )
    if not same_caller:
        raise ValidationError({"idempotency_key": [_("该 Idempotency-Key 已用于另一次提交。")]})
    first.replayed = True
    return first


# --- accepting ---------------------------------------------------------------------------------------


def submit(
    *,
    actor=None,
    applicant: dict,
    matters: list[str] | tuple = (),
    bundle: str | None = None,
    materials: list[dict] | tuple = (),
    agent: dict | None = None,
    channel: str = Channel.WINDOW,
    window=None,
    ticket=None,
    site: Site | None = None,
    situation: dict | None = None,
    assistance=None,
    idempotency_key: str | None = None,
    now: dt.datetime | None = None,
    request=None,
) -> Submission:
    """Accept an application (一窗受理): one submission, one case per matter, dispatched in one transaction.

    Arguments (keyword only):
      actor        the member of staff taking it in (a User with the window clerk or hall admin role); for
                   channel "online" None (the applicant's own session) or the member of staff helping.
      applicant    {"kind": "person"|"org", "name", "id_number" (resident ID / unified social credit code),
                   "phone"} — phone optional when the agent gives one.
      matters      matter codes; or []/() with `bundle`; with `bundle`, a subset of the bundle's matters.
      bundle       bundle code (一件事) or None.
      materials    [{"material": code, "status": "received"|"deferred"|"pledged"|"missing", "due": date or
                   "YYYY-MM-DD" (deferred only), "originals": int, "copies": int (optional, received only:
                   default the required counts)}]; a material of the merged list not listed is missing.
      agent        None or {"name", "id_number" (resident ID), "phone"} (代办人).
      channel      "window" | "online".
      window       Window or window id; default the actor's seat today; another window only for a hall admin.
                   Must be None online.
      ticket       queue Ticket or id (called or being served at the window) or None.
      site         online only: the site that receives it (default: the default site).
      situation    None or {"version": id of a published (or since retired) situation guide version of the bundle
                   or matter, "answers": {question id: option id}}: every question asked must be answered; the
                   answers choose the matters (with a bundle and no `matters`, those of the answers; given matters
                   must be exactly those) and tailor the material list (materials the situation requires are
                   required). The submission keeps the version and the answers that counted.
      assistance   None or the id of an assisted service (帮办代办) this is made for: the actor must be its helper,
                   it must be active with consent to submit, and the applicant its person or enterprise; the
                   submission records it and the helper as agent (代理人), and the project's log the submission.
      idempotency_key  a retry with the same key by the same caller returns the first submission and creates
                   nothing (`submission.replayed` is True then, False for a new one).
      now          the moment of acceptance (tests); default timezone.now().
      request      for the audit log's client address.

    Returns the Submission (number and cases set). Raises ValidationError (error_dict: field path → messages,
    every problem at once; nothing written) or PermissionDenied (the actor may not take in).
    """
    key = _check_key(idempotency_key)
    reads = _first_reads(actor, key)
    _ensure_may_take_in(actor, channel, reads)
    if reads.existing is not None:
        return _replay(key, actor, applicant, reads.existing)
    now = now or timezone.now()
    plan = _plan(
        reads,
        actor=actor,
        applicant=applicant,
        matters=matters,
        bundle=bundle,
        materials=materials,
        agent=agent,
        channel=channel,
        window=window,
        ticket=ticket,
        site=site,
        situation=situation,
        assistance=assistance,
        now=now,
    )
    try:
        submission = _accept(plan, draw_number(plan.site, now), actor=actor, key=key, now=now, request=request)
    except IntegrityError:
        # The same key committed by a concurrent request between our check and our insert.
        first = _replay(key, actor, applicant) if key is not None else None
        if first is None:
            raise
        return first
    submission.replayed = False
    return submission


@dataclass
class Plan:
    """Everything checked, ready to be written."""

    person: Person
    agent: Person | None
    chosen: Chosen
    entries: list[MaterialInput]
    dues: dict[str, dt.datetime]
    channel: str
    window: Window | None
    ticket: object
    site: Site
    clock: deadlines.SiteClock
    pickups: dict[int, dt.datetime]  # delegated department id → its next pickup
    ref: reference.Reference
    known: applicants.Known | None = None  # the applicant on record for the ID number, if any
    situation: object = None  # situation.rules.Outcome of the guide's answers, when one was used
    situation_version: object = None
    assistance: object = None  # assistance.Assistance it is made for (帮办代办), checked


def _plan(
    reads: FirstReads,
    *,
    actor,
    applicant,
    matters,
    bundle,
    materials,
    agent,
    channel,
    window,
    ticket,
    site,
    now,
    situation=None,
    assistance=None,
) -> Plan:
    errors = Errors()
    ref = reference.Reference(reads.token)
    today = timezone.localdate(now)
    if not isinstance(channel, str) or channel not in _CHANNELS:
        errors.add("channel", _("渠道应为 window 或 online。"))
        channel = Channel.WINDOW
    person = _check_applicant(applicant, errors, today=today)
    agent_person = _check_agent(agent, errors, today=today)
    if not person.phone and not (agent_person and agent_person.phone) and "applicant.phone" not in errors.by_field:
        errors.add("applicant.phone", _("请填写联系电话，用于告知办理进度。"))
    chosen_window = _check_window(actor, window, channel, errors, ref, reads.seat_window)
    chosen_ticket = _check_ticket(ticket, chosen_window, channel, errors)
    chosen = _check_matters(list(matters) if isinstance(matters, tuple) else matters, bundle, errors, ref)
    guided = _check_situation(situation, chosen, bool(matters), errors, ref)
    _check_take_in(chosen, chosen_window, channel, errors, ref)
    the_site = _site_for(chosen_window, site)
    clock = None
    dues: dict[str, dt.datetime] = {}
    if the_site is None:
        errors.add("site", _("尚未设置服务场所。"))
    else:
        clock = reference.site_clock(ref, the_site)
        dues = _due_times(chosen, clock, now, errors, channel)
    pickups = _pickups(chosen, clock, now, errors, ref, channel) if clock is not None else {}
    if guided is not None:
        lines = guided[1].materials
    else:
        lines = reference.merged(ref, chosen.matters) if chosen.matters else []
    entries = read_materials(materials, lines, errors)
    assisted = None
    if assistance not in (None, ""):
        from yichuang.assistance.services import check_submission

        found = check_submission(assistance, actor=actor, id_number=person.id_number)
        if isinstance(found, str):
            errors.add("assistance", found)
        else:
            assisted = found
            if agent_person is None:  # the helper is the agent (代理人) of every submission made for the assistance
                helper_name = found.helper.get_full_name().strip() or found.helper.get_username()
                agent_person = Person(kind=ApplicantKind.PERSON, name=helper_name[:50])
    known = applicants.known(person.kind, person.id_number)
    earlier = applicants.check_name(person, known, applicant, errors, staff=bool(getattr(actor, "pk", None)))
    check_material_rules(entries, dues, known, errors, today=today)
    reuse.check(entries, person.kind, person.id_number, errors, today=today)
    applicants.raise_if_any(errors, earlier)
    return Plan(
        person,
        agent_person,
        chosen,
        entries,
        dues,
        channel,
        chosen_window,
        chosen_ticket,
        the_site,
        clock,
        pickups,
        ref,
        known,
        guided[1] if guided else None,
        guided[0] if guided else None,
        assisted,
    )


def _check_situation(situation, chosen: Chosen, explicit: bool, errors: Errors, ref: reference.Reference):
    """The situation guide's answers (情形引导) for the chosen bundle or matter: (version, outcome), or None without
    one. With a bundle and no matters given, the answers choose the matters; matters given must be theirs."""
    from yichuang.situation import queries as situation_queries

    if situation in (None, {}):
        return None
    if not isinstance(situation, dict) or not isinstance(situation.get("answers", {}), dict):
        errors.add("situation", _("情形引导应为 {version, answers}。"))
        return None
    try:
        version = situation_queries.usable_version(situation.get("version"))
    except ValidationError as exc:
        errors.add("situation", exc.message_dict["situation"][0])
        return None
    guide = version.guide
    if not situation_queries.fits(guide, chosen.bundle, chosen.matters):
        errors.add("situation", _("情形引导“%(name)s”不适用于所选事项。") % {"name": guide.name})
        return None
    answers = {str(k)[:32]: str(v)[:32] for k, v in list(situation.get("answers", {}).items())[:100]}
    outcome = situation_queries.outcome(version, answers, merged=lambda matters: reference.merged(ref, matters))
    if not outcome.complete:
        errors.add("situation", _("请回答情形引导的全部问题（还有 %(n)d 个未回答）。") % {
            "n": len(outcome.asked) - len(outcome.answers)})  # fmt: skip
    elif not outcome.matters:
        errors.add("situation", _("按这些回答没有需要办理的事项，请核对回答。"))
    if chosen.bundle is not None:
        by_code = {m.code: m for m in guide.scope()}
        if not explicit:
            chosen.matters = [by_code[c] for c in outcome.matters]
            chosen.paths = ["bundle"] * len(chosen.matters)
        elif {m.code for m in chosen.matters} != set(outcome.matters):
            errors.add(
                "matters",
                _("所选事项与情形引导的结果不一致：按回答应办理 %(names)s。")
                % {"names": "、".join(by_code[c].name for c in outcome.matters)},
            )
    return version, outcome


def _applicant_record(person: Person, known: "applicants.Known | None") -> str:
    """For the audit event: how the applicant as given relates to the record (no personal data)."""
    if known is None:
        return "new"
    if applicants.name_is_new(person, known):
        return "new_name"
    return "new_contact" if applicants.contact_is_new(person, known) else "known"


def _material_values(submission: Submission, entries: list[MaterialInput], ref: reference.Reference) -> list[dict]:
    """The submission's material rows (SubmissionMaterial columns): the merged list's lines with what came in."""
    material_ids = reference.material_ids(ref, [e.line.material for e in entries])
    return [
        {
            "submission_id": submission.pk,
            "order": i,
            "material_id": material_ids[e.line.material],
            "code": e.line.material,
            "name": e.line.name,
            "required": e.line.required,
            "core": e.line.core,
            "originals_required": e.line.originals,
            "copies_required": e.line.copies,
            "matters": list(e.line.matters),
            "status": e.status or MaterialStatus.MISSING,
            "originals": e.originals if e.status == MaterialStatus.RECEIVED else 0,
            "copies": e.copies if e.status == MaterialStatus.RECEIVED else 0,
            "due": e.due if e.status == MaterialStatus.DEFERRED else None,
            "licence_id": e.licence if e.status == MaterialStatus.REUSED else None,
            "reused_from_id": e.reuse if e.status == MaterialStatus.REUSED else None,
        }
        for i, e in enumerate(entries)
    ]


def _pickups(
    chosen: Chosen,
    clock: deadlines.SiteClock,
    now: dt.datetime,
    errors: Errors,
    ref: reference.Reference,
    channel: str = Channel.WINDOW,
) -> dict[int, dt.datetime]:
    """The next scheduled pickup of each delegated department among the matters."""
    delegated = {
        m.department_id: (path, m.code)
        for m, path in zip(chosen.matters, chosen.paths, strict=True)
        if m.department.is_delegated
    }
    pickups = {}
    unknown: dict[int, list[str]] = {}
    for dept_id, (path, code) in delegated.items():
        try:
            pickups[dept_id] = deadlines.next_pickup(reference.pickup_slots(ref, dept_id), clock, now)
        except CalendarUnknown as exc:
            # The due time of the same matter usually failed for the same year: said and logged once.
            said = errors.by_field.get(path, [])
            if _unknown_year_text(exc.year, channel, clock.site) not in said:
                unknown.setdefault(exc.year, []).append(code)
            errors.add(path, _unknown_year_text(exc.year, channel, clock.site, pickup=True))
    _log_unknown_years(channel, unknown, "pickup")
    return pickups


def _handoffs(plan: Plan, now: dt.datetime) -> dict[int, Handoff]:
    """The open pickup batch (交接单) of each delegated department among the cases, created when needed.

    The batch row is locked (SELECT … FOR UPDATE) until the intake commits, as `backoffice.services.collect_handoff`
    locks it: a department collecting the batch at that moment waits and takes this case along, and a batch it
    collected meanwhile is no longer open when the lock is granted (PostgreSQL reads the row again), so the case
    goes into a new open batch — never into a collected one, where no worklist would show it. Departments are
    locked in the order of their id, so two intakes never wait on each other."""
    result = {}
    for dept_id, scheduled in sorted(plan.pickups.items()):
        lookup = {"department_id": dept_id, "site": plan.site, "scheduled_for": scheduled}
        handoff = Handoff.objects.select_for_update().filter(**lookup, status=Handoff.Status.OPEN).first()
        if handoff is None:
            try:
                with transaction.atomic():
                    handoff = Handoff.objects.create(**lookup, status=Handoff.Status.OPEN, created_at=now)
            except IntegrityError:  # another intake opened it at the same instant
                handoff = Handoff.objects.select_for_update().get(**lookup, status=Handoff.Status.OPEN)
        result[dept_id] = handoff
    return result


def draw_number(site: Site, now: dt.datetime) -> str:
    """The next submission number of the site's division on the day of `now`: `<division>-<yyyymmdd>-<000001>`.

    Drawn from the counter row in one statement (counters.bump), in a transaction of its own just before the
    intake's transaction: the row is locked only for that statement, never while an intake is being written,
    so intakes at many windows run side by side. Numbers are unique and increase in the order they are drawn;
    a number drawn for an intake whose transaction then fails (a database error, or a concurrent retry with the
    same Idempotency-Key) stays unused — a rare gap, never a duplicate. On PostgreSQL that statement commits
    without waiting for the disk: the intake's own commit flushes the log past it (core/counters.py). Inside an
    outer transaction the number belongs to that transaction (and its row stays locked until it ends).
    """
    day = timezone.localdate(now)
    seq = counters.bump(SubmissionCounter, flush=False, division_code=site.division_code, date=day)
    return f"{site.division_code}-{day:%Y%m%d}-{seq:06d}"


@transaction.atomic
def _accept(plan: Plan, number: str, *, actor, key: str | None, now: dt.datetime, request) -> Submission:
    applicant = applicants.upsert(plan.person)
    if applicant.deferral_blocked and any(e.status == MaterialStatus.DEFERRED for e in plan.entries):
        # Marked between the check and now: the rule still holds.
        raise ValidationError({"materials": [_("申请人有未履行的容缺承诺，管理员解除标记前不能容缺受理。")]})
    staff = actor if getattr(actor, "pk", None) else None
    agent = plan.agent or Person()
    submission = Submission(
        number=number,
        site=plan.site,
        applicant=applicant,
        applicant_name=plan.person.name,
        applicant_id_number=plan.person.id_number,
        applicant_phone=plan.person.phone,
        agent_name=agent.name,
        agent_id_number=agent.id_number,
        agent_phone=agent.phone,
        bundle=plan.chosen.bundle,
        situation_version=plan.situation_version,
        situation_answers=plan.situation.answers if plan.situation else {},
        assistance=plan.assistance,
        assisted_by=staff if plan.assistance is not None else None,
        channel=plan.channel,
        window=plan.window,
        ticket=plan.ticket,
        accepted_by=staff,
        accepted_at=now,
        status=Submission.Status.ACCEPTED,
        idempotency_key=key,
    )
    rows.insert([submission], returning=True)
    performance.touch(now)  # taken in on a day that is over (a backdated `now`): that day's rollup is stale
    if applicants.contact_is_new(plan.person, plan.known):
        applicants.add_contact(applicant.pk, plan.person, submission.pk, now)
    rows.insert_values(SubmissionMaterial, _material_values(submission, plan.entries, plan.ref))
    reuse.attach(submission, plan.entries, staff, now)  # 免提交: the earlier files, linked, not scanned again
    handoffs = _handoffs(plan, now)
    cases = [
        Case(
            number=f"{number}-{n:02d}",
            submission=submission,
            seq=n,
            matter=matter,
            department=matter.department,
            matter_snapshot=reference.snapshot(plan.ref, matter),
            accepted_at=now,
            due_at=plan.dues[matter.code],
            status=Case.Status.ACCEPTED,
            # A stationed department has the case at once; a delegated one when it collects the batch.
            received_at=None if matter.department_id in handoffs else now,
            handoff=handoffs.get(matter.department_id),
            window=plan.window,
        )
        for n, matter in enumerate(plan.chosen.matters, start=1)
    ]
    rules = reference.clock_rules(plan.ref)
    for case in cases:
        caseclock.start(case, plan.clock.calendar, plan.clock.day_us, rules)
    rows.insert(cases, returning=True)
    fees.case_changed(cases, staff, now=now, ref=plan.ref, request=request)  # notices of fees at acceptance
    _timeline_of_acceptance(submission, cases, plan, staff, now)
    if plan.assistance is not None:
        from yichuang.assistance.services import record_submission

        record_submission(plan.assistance, submission, staff)
    deferred = [e for e in plan.entries if e.status == MaterialStatus.DEFERRED]
    what = plan.chosen.bundle.name if plan.chosen.bundle else "、".join(m.name for m in plan.chosen.matters)
    audit.record(
        staff,
        "intake.accept",
        submission,
        summary=f"{number} {what}"[:255],
        request=request,
        channel=plan.channel,
        window=plan.window.number if plan.window else None,
        cases=[c.number for c in cases],
        deferred=[e.line.material for e in deferred],
        pledged=[e.line.material for e in plan.entries if e.status == MaterialStatus.PLEDGED],
        applicant=_applicant_record(plan.person, plan.known),
    )
    notify_applicant(submission, "accepted", {"cases": len(cases), "deferred": bool(deferred)})
    submission.accepted_cases = cases
    return submission


def _timeline_of_acceptance(submission, cases, plan: Plan, staff, now) -> None:
    common = {
        "submission_id": submission.pk,
        "at": now,
        "actor_id": staff.pk if staff else None,
        "window_id": plan.window.pk if plan.window else None,
    }
    events = [
        {
            **common,
            "kind": TimelineEvent.Kind.ACCEPTED,
            "detail": {
                "channel": plan.channel,
                "bundle": plan.chosen.bundle.code if plan.chosen.bundle else None,
                "ticket": plan.ticket.number if plan.ticket else None,
                "cases": len(cases),
            },
        }
    ]
    for case in cases:
        department = case.matter.department
        detail = {"department": department.code, "department_name": department.name}
        if case.handoff_id:
            detail["handoff"] = case.handoff_id
            detail["scheduled_for"] = case.handoff.scheduled_for.isoformat()
        kind = TimelineEvent.Kind.AWAITING_PICKUP if case.handoff_id else TimelineEvent.Kind.DISPATCHED
        events.append({**common, "case_id": case.pk, "kind": kind, "detail": detail})
    for e in plan.entries:
        if e.status in (MaterialStatus.DEFERRED, MaterialStatus.PLEDGED):
            kind = (
                TimelineEvent.Kind.MATERIAL_DEFERRED
                if e.status == MaterialStatus.DEFERRED
                else TimelineEvent.Kind.MATERIAL_PLEDGED
            )
            detail = {"material": e.line.material, "name": e.line.name, "due": e.due.isoformat() if e.due else None}
            events.append({**common, "kind": kind, "detail": detail})
    rows.insert_values(TimelineEvent, events)
    exchange_outbox.publish(events)


def notify_applicant(submission: Submission, kind: str, context: dict):
    """Hook to the notification outbox (yichuang.notifications): the message is stored in the caller's
    transaction and delivered by the task worker after the commit. The message names the submission's site."""
    from yichuang.notifications.services import notify

    context = {"site_name": submission.site.name, **context}
    return notify(submission.contact_phone, kind, context, submission=submission.number)


# --- refusing ----------------------------------------------------------------------------------------


def refuse(
    *,
    actor,
    applicant: dict,
    reasons: str,
    matters: list[str] | tuple = (),
    bundle: str | None = None,
    materials: list[dict] | tuple = (),
    agent: dict | None = None,
    window=None,
    ticket=None,
    situation: dict | None = None,
    now: dt.datetime | None = None,
    request=None,
) -> Submission:
    """不予受理: a written refusal with reasons and the one-time notice of what is missing.

    Same arguments as `submit` (window channel only; `situation` tailors the list as there) plus `reasons`
    (required text). The matters need only
    exist (a refusal may be because a matter is not taken in here); the missing materials are the required
    lines of the merged list not received, deferred or pledged. Creates a submission with status refused,
    its materials, the Refusal, timeline, audit and notification. Raises ValidationError like `submit`.
    """
    reads = _first_reads(actor, None)
    _ensure_may_take_in(actor, Channel.WINDOW, reads)
    now = now or timezone.now()
    today = timezone.localdate(now)
    errors = Errors()
    ref = reference.Reference(reads.token)
    person = _check_applicant(applicant, errors, today=today)
    agent_person = _check_agent(agent, errors, today=today)
    chosen_window = _check_window(actor, window, Channel.WINDOW, errors, ref, reads.seat_window)
    chosen_ticket = _check_ticket(ticket, chosen_window, Channel.WINDOW, errors)
    chosen = _check_matters(list(matters) if isinstance(matters, tuple) else matters, bundle, errors, ref)
    reasons = str(reasons or "").strip()
    if not reasons:
        errors.add("reasons", _("请写明不予受理的理由。"))
    elif CONTROL_RE.search(reasons):
        errors.add("reasons", _("理由含有不可见的控制字符。"))
    elif len(reasons) > 2000:
        errors.add("reasons", _("理由不能超过 2000 字。"))
    guided = _check_situation(situation, chosen, bool(matters), errors, ref)
    if guided is not None:
        lines = guided[1].materials
    else:
        lines = reference.merged(ref, chosen.matters) if chosen.matters else []
    entries = read_materials(materials, lines, errors)
    reuse.check(entries, person.kind, person.id_number, errors, today=timezone.localdate(now))
    known = applicants.known(person.kind, person.id_number)
    applicants.raise_if_any(errors, applicants.check_name(person, known, applicant, errors, staff=True))
    number = draw_number(chosen_window.zone.site, now)
    return _refuse(
        ref, number, person, agent_person, chosen, entries, reasons, chosen_window, chosen_ticket, actor, now, request,
        known=known,
    )  # fmt: skip


@transaction.atomic
def _refuse(
    ref, number, person, agent, chosen, entries, reasons, window, ticket, actor, now, request, *, known=None
) -> Submission:
    applicant = applicants.upsert(person)
    agent = agent or Person()
    site = window.zone.site
    submission = Submission.objects.create(
        number=number,
        site=site,
        applicant=applicant,
        applicant_name=person.name,
        applicant_id_number=person.id_number,
        applicant_phone=person.phone,
        agent_name=agent.name,
        agent_id_number=agent.id_number,
        agent_phone=agent.phone,
        bundle=chosen.bundle,
        channel=Channel.WINDOW,
        window=window,
        ticket=ticket,
        accepted_by=actor,
        accepted_at=now,
        status=Submission.Status.REFUSED,
    )
    if applicants.contact_is_new(person, known):
        applicants.add_contact(applicant.pk, person, submission.pk, now)
    rows.insert_values(SubmissionMaterial, _material_values(submission, entries, ref))
    missing = [
        {"material": e.line.material, "name": e.line.name, "originals": e.line.originals, "copies": e.line.copies}
        for e in entries
        if e.line.required
        and e.status not in (MaterialStatus.RECEIVED, MaterialStatus.DEFERRED, MaterialStatus.PLEDGED)
    ]
    Refusal.objects.create(
        submission=submission,
        reasons=reasons,
        matters=[{"code": m.code, "name": m.name, "department": m.department.name} for m in chosen.matters],
        missing=missing,
    )
    TimelineEvent.objects.create(
        submission=submission,
        kind=TimelineEvent.Kind.REFUSED,
        at=now,
        actor=actor,
        window=window,
        detail={"number": number, "missing": [m["material"] for m in missing]},
    )
    audit.record(
        actor, "intake.refuse", submission, summary=number, request=request, missing=len(missing),
        applicant=_applicant_record(person, known),
    )  # fmt: skip
    notify_applicant(submission, "refused", {"reasons": reasons})
    return submission


# --- deferral marks ----------------------------------------------------------------------------------


@transaction.atomic
def mark_deferral_broken(applicant: Applicant, *, reason: str, actor=None, request=None) -> Applicant:
    """Mark an applicant who did not supply a deferred material in time: no deferral until an admin clears it."""
    applicant = Applicant.objects.select_for_update().get(pk=applicant.pk)
    applicant.deferral_blocked = True
    applicant.deferral_blocked_at = timezone.now()
    applicant.deferral_block_reason = str(reason)[:200]
    applicant.save(update_fields=["deferral_blocked", "deferral_blocked_at", "deferral_block_reason", "updated_at"])
    audit.record(actor, "intake.mark_deferral_broken", applicant, summary=str(reason)[:200], request=request)
    return applicant


@transaction.atomic
def clear_deferral_block(applicant: Applicant, admin, *, request=None) -> Applicant:
    """A hall admin clears an applicant's broken-pledge mark, so that deferral is allowed again."""
    if not acts_as(admin, Role.HALL_ADMIN):
        raise PermissionDenied(_("只有大厅管理员可以解除容缺失信标记。"))
    applicant = Applicant.objects.select_for_update().get(pk=applicant.pk)
    if not applicant.deferral_blocked:
        raise ValidationError(_("该申请人没有容缺失信标记。"))
    applicant.deferral_blocked = False
    applicant.deferral_cleared_by = admin
    applicant.deferral_cleared_at = timezone.now()
    applicant.save(update_fields=["deferral_blocked", "deferral_cleared_by", "deferral_cleared_at", "updated_at"])
    audit.record(admin, "intake.clear_deferral_block", applicant, summary=applicant.masked_id_number, request=request)
    return applicant


# --- files -------------------------------------------------------------------------------------------


def _refuse_file(submission: Submission, material_code: str, name: str, reason: str, actor) -> ValidationError:
    with transaction.atomic():
        TimelineEvent.objects.create(
            submission=submission,
            kind=TimelineEvent.Kind.FILE_REFUSED,
            actor=actor if getattr(actor, "pk", None) else None,
            detail={"material": material_code, "name": name[:255], "reason": reason},
        )
    return ValidationError({"file": [reason]})


def attach_file(submission: Submission, material_code: str, uploaded_file, *, actor=None, request=None) -> Attachment:
    """Attach a scanned or uploaded material (PDF, JPEG, PNG, OFD — judged by content, not by name), at most
    INTAKE_MAX_UPLOAD_MB. Stored through Django's storage under intake/ (not served publicly) with its SHA-256.

    A file that is refused (type, size, empty) raises ValidationError({"file": [reason]}) and is recorded on the
    timeline; nothing else of the submission changes.
    """
    name = str(getattr(uploaded_file, "name", "") or "file")[-255:]
    line = submission.materials.filter(code=material_code).first() if _is_code(material_code) else None
    if line is None:
        raise ValidationError(
            {"material": [_("材料“%(code)s”不在本次申请的材料清单中。") % {"code": _shown(material_code)}]}
        )
    if (problem := upload_problem(uploaded_file)) is not None:
        raise _refuse_file(submission, line.code, name, problem, actor)
    kind = sniff(uploaded_file)
    size = uploaded_file.size
    digest = hashlib.sha256()
    for chunk in uploaded_file.chunks():
        digest.update(chunk)
    uploaded_file.seek(0)
    sha = digest.hexdigest()
    day = timezone.localdate()
    path = f"intake/{day:%Y/%m}/{submission.number or submission.pk}/{line.code}-{sha[:16]}.{kind}"
    stored = default_storage.save(path, uploaded_file)
    try:
        with transaction.atomic():
            attachment = Attachment(
                submission=submission,
                material_code=line.code,
                sha256=sha,
                content_type=FILE_KINDS[kind],
                size=size,
                original_name=name,
                uploaded_by=actor if getattr(actor, "pk", None) else None,
            )
            attachment.file.name = stored
            attachment.save()
            TimelineEvent.objects.create(
                submission=submission,
                kind=TimelineEvent.Kind.FILE_ATTACHED,
                actor=attachment.uploaded_by,
                detail={"material": line.code, "name": name, "sha256": sha, "size": size},
            )
            audit.record(
                attachment.uploaded_by,
                "intake.attach_file",
                attachment,
                summary=f"{submission.number} {line.code} {kind}",
                request=request,
                sha256=sha,
                size=size,
            )
    except Exception:
        default_storage.delete(stored)
        raise
    return attachment


# --- reading a person's full data --------------------------------------------------------------------


def record_personal_data_view(submission: Submission, actor, *, request=None) -> None:
    """A member of staff looked at the applicant's full ID number and phone: written to the audit log."""
    audit.record(
        actor, "intake.view_personal_data", submission.applicant, summary=submission.number or "", request=request
    )


# --- supplying a material afterwards (容缺补交, 补正) -------------------------------------------------


def supply_material(
    submission: Submission, material_code: str, uploaded_file, *, actor=None, window=None, request=None, now=None
) -> SubmissionMaterial:
    """The applicant supplies a deferred material (容缺补交), or a corrected or further copy of any material of
    the list (补正), as a file: online (actor None) or at a window (actor the clerk, window optional).

    The file is checked and stored by attach_file first (a refused file raises ValidationError({"file": …}),
    recorded on the timeline, and changes nothing else). Then, in one transaction: a deferred or missing line
    becomes received (its required counts, supplied_at set); the timeline gets "material_supplied" (with the
    status it had, and whether it was a correction); the audit log an event; the applicant a notification
    ("material_received"). Raises ValidationError for a submission that was not accepted or a material not
    on its list.
    """
    if submission.status != Submission.Status.ACCEPTED:
        raise ValidationError({"material": [_("未受理的申请不能补交材料。")]})
    line = submission.materials.filter(code=material_code).first() if _is_code(material_code) else None
    if line is None:
        raise ValidationError(
            {"material": [_("材料“%(code)s”不在本次申请的材料清单中。") % {"code": _shown(material_code)}]}
        )
    attachment = attach_file(submission, line.code, uploaded_file, actor=actor, request=request)
    return _record_supply(submission, line.pk, attachment, actor, window, request, now or timezone.now())


@transaction.atomic
def _record_supply(submission, line_pk, attachment, actor, window, request, now) -> SubmissionMaterial:
    line = SubmissionMaterial.objects.select_for_update().get(pk=line_pk)
    was = line.status
    awaited = was in (MaterialStatus.DEFERRED, MaterialStatus.MISSING)
    if awaited:
        line.status = MaterialStatus.RECEIVED
        line.originals = line.originals_required
        line.copies = line.copies_required
        line.supplied_at = now
        line.save(update_fields=["status", "originals", "copies", "supplied_at"])
    staff = actor if getattr(actor, "pk", None) else None
    TimelineEvent.objects.create(
        submission=submission,
        kind="material_supplied",
        at=now,
        actor=staff,
        window=window,
        detail={
            "material": line.code,
            "name": line.name,
            "was": was,
            "correction": not awaited,
            "attachment": attachment.pk,
            "channel": Channel.WINDOW if staff else Channel.ONLINE,
        },
    )
    audit.record(
        staff, "intake.supply_material", line, summary=f"{submission.number} {line.code}", request=request, was=was
    )
    notify_applicant(submission, "material_received", {"material": line.name})
    return line
