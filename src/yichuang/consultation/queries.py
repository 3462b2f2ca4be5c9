"""Reads of the consultation desk shared by pages, the API, the supervision board and the online hall."""

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone

from yichuang.core.masking import mask_name, mask_phone
from yichuang.organisation.access import restrict_to_departments, sees_all_departments, visible_department_ids

from . import services
from .models import Consultation, Escalation

PAGE_SIZE = 50
SUGGESTIONS = 6


def _base() -> QuerySet:
    return Consultation.objects.select_related("escalation__department", "escalation__expert", "staff", "ticket")


def may_use_desk(user) -> bool:
    return services.may_record(user)


def visible(user) -> QuerySet:
    """Consultations the user may open: the desk and those who see every department all of them; a department's
    officers and lead those escalated to their department, and those the desk suggested to it for its knowledge
    base (建议入库)."""
    if services.may_record(user) or sees_all_departments(user):
        return _base()
    ids = visible_department_ids(user)
    if not ids:
        return Consultation.objects.none()
    return _base().filter(Q(escalation__department_id__in=ids) | Q(article_suggested_department_id__in=ids))


def detail(user, number: str) -> Consultation | None:
    return visible(user).filter(number=number).prefetch_related("matters", "articles").first()


def of_day(day: dt.date | None = None) -> QuerySet:
    """The day's consultations (the desk's list), the latest first."""
    day = day or timezone.localdate()
    start = dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())
    return (
        _base()
        .filter(created_at__gte=start, created_at__lt=start + dt.timedelta(days=1))
        .prefetch_related("matters")
        .order_by("-created_at", "-id")
    )


def waiting_at_desk() -> QuerySet:
    """Questions asked online that the desk has not answered or passed on yet, the oldest first."""
    return _base().filter(status=Consultation.Status.OPEN).prefetch_related("matters").order_by("created_at", "id")


def level(escalation: Escalation, now: dt.datetime | None = None) -> str:
    """red: past its reply deadline; yellow: due today; green otherwise; "" once answered."""
    if escalation.status != Escalation.Status.OPEN:
        return ""
    now = now or timezone.now()
    if escalation.due_at < now:
        return "red"
    if timezone.localtime(escalation.due_at).date() == timezone.localtime(now).date():
        return "yellow"
    return "green"


def escalations_for(user, *, open_only: bool = True) -> QuerySet:
    """The department's queue (its own escalations; every department for those who see all), due first."""
    qs = restrict_to_departments(Escalation.objects.all(), user)
    if open_only:
        qs = qs.filter(status=Escalation.Status.OPEN)
    return qs.select_related("consultation", "department", "escalated_by", "expert").order_by("due_at", "id")


def article_suggestions_for(user) -> QuerySet:
    """建议入库 from the desk waiting for the department's editors (suggested, no article drafted yet), oldest
    first; only the user's own departments (every department for those who see all)."""
    qs = Consultation.objects.filter(article_suggested_department__isnull=False, proposed_article__isnull=True)
    qs = restrict_to_departments(qs, user, field="article_suggested_department")
    return qs.select_related("article_suggested_department", "article_suggested_by").order_by(
        "article_suggested_at", "id"
    )


def overdue_escalations(user=None, *, now: dt.datetime, limit: int = 50) -> list[Escalation]:
    """Escalations still unanswered after their deadline (index `escalation_open_due_idx`), the most overdue first."""
    qs = Escalation.objects.filter(status=Escalation.Status.OPEN, due_at__lt=now)
    if user is not None:
        qs = restrict_to_departments(qs, user)
    return list(qs.select_related("consultation", "department").order_by("due_at", "id")[:limit])


def open_escalation(number: str) -> Escalation | None:
    """An escalation by its consultation's number, for the supervision order form."""
    return Escalation.objects.select_related("consultation", "department").filter(consultation__number=number).first()


def for_phone(phone: str, limit: int = 20) -> list[Consultation]:
    """The questions asked with this phone (the online hall's 我的申请), the latest first."""
    if not phone:
        return []
    return list(
        Consultation.objects.filter(asker_phone=phone).select_related("escalation").order_by("-created_at")[:limit]
    )


def asker(consultation: Consultation, *, full: bool) -> dict:
    """Who asked, in full or masked (name: first character; phone: 138****5678)."""
    name, phone = consultation.asker_name, consultation.asker_phone
    if not full:
        name = mask_name(name)
        phone = mask_phone(phone)
    return {"name": name, "phone": phone}


def suggest(text: str, *, public_only: bool, matters=None, limit: int = SUGGESTIONS, log: bool = True) -> list:
    """Knowledge articles for a question being typed (the knowledge base's search, the consult desk as source)."""
    from yichuang.knowledge import queries as knowledge
    from yichuang.knowledge.models import SearchLog

    text = (text or "").strip()[:100]
    if not text and not matters:
        return []
    return knowledge.search(
        text,
        public_only=public_only,
        matters=matters or None,
        limit=limit,
        source=SearchLog.Source.CONSULT if log else None,
    )


def video_call(user, value):
    """The video call named by the desk's link (/consult/?video_call=<id>), if the user answered it: shown above
    the form. Anything else shows nothing here; services.record refuses it at the field with the reason."""
    from yichuang.video.models import Call

    text = str(value or "").strip()
    if not (text.isdigit() and len(text) < 18):
        return None
    return (
        Call.objects.filter(pk=int(text), kind=Call.Kind.CONSULT, callee_id=getattr(user, "pk", None))
        .select_related("consultation")
        .first()
    )


def calls_of(consultation: Consultation) -> list[dict]:
    """The video calls the question came by: who (the citizen's name masked), who answered, when, how long."""
    rows = []
    for call in consultation.calls.select_related("callee").order_by("created_at", "id"):
        seconds = call.seconds
        rows.append({
            "call": call,
            "caller": mask_name(call.caller_name),
            "callee": call.callee.display_name if call.callee_id else "",
            "at": call.answered_at or call.created_at,
            "duration": f"{seconds // 60}:{seconds % 60:02d}" if seconds is not None else "",
        })  # fmt: skip
    return rows
