"""Assisted service's transitions: take a person or project on with their consent, reassign, note, end or withdraw;
and the rule every submission made for an assistance meets (`check_submission`, called by intake.services.submit),
recorded on the project's log in intake's transaction (`record_submission`)."""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yichuang.core import audit
from yichuang.core.counters import bump
from yichuang.intake import identity
from yichuang.intake.uploads import upload_problem
from yichuang.organisation.roles import Role, acts_as

from .models import Assistance, AssistanceCounter, AssistanceEvent

HELPER_ROLES = (Role.WINDOW_CLERK, Role.HALL_ADMIN)


def may_manage(user, assistance: Assistance | None = None) -> bool:
    """Hall admins manage every assistance; a helper only those assigned to them."""
    if acts_as(user, Role.HALL_ADMIN):
        return True
    return assistance is not None and acts_as(user, Role.WINDOW_CLERK) and assistance.helper_id == user.pk


def may_view(user, assistance: Assistance) -> bool:
    return may_manage(user, assistance) or acts_as(user, Role.SUPERVISOR)


def _number(now: dt.datetime) -> str:
    year = timezone.localtime(now).year
    return f"BB-{year}-{bump(AssistanceCounter, year=year):04d}"


@transaction.atomic
def start(
    *,
    actor,
    category: str,
    subject: dict,
    project_name: str = "",
    helper=None,
    consent_submit: bool,
    consent_collect: bool = False,
    consent_file=None,
    consent_confirmed: bool = False,
    request=None,
) -> Assistance:
    """Take a person or a project on (a helper for themselves; a hall admin for any helper). The consent must be
    given in person (`consent_confirmed`) and its signed form scanned (`consent_file`); the person is told, with
    their link. Raises ValidationError (field paths) with nothing saved."""
    helper = helper or actor
    if not acts_as(actor, *HELPER_ROLES) or (helper.pk != actor.pk and not acts_as(actor, Role.HALL_ADMIN)):
        raise PermissionDenied(_("只有帮办员本人或大厅管理员可以建立帮办。"))
    errors: dict[str, list[str]] = {}
    if category not in Assistance.Category.values:
        errors["category"] = [_("请选择服务对象。")]
    kind = subject.get("kind")
    name = (subject.get("name") or "").strip()
    if kind not in ("person", "org"):
        errors["subject.kind"] = [_("请选择自然人或法人。")]
    if not name or len(name) > 100:
        errors["subject.name"] = [_("请填写姓名或单位名称（不超过 100 个字）。")]
    try:
        id_number = (
            identity.validate_credit_code(subject.get("id_number"))
            if kind == "org"
            else identity.validate_resident_id(subject.get("id_number"))
        )
    except ValidationError as exc:
        errors["subject.id_number"] = exc.messages
        id_number = ""
    from yichuang.core.phones import clean_mobile

    try:
        phone = clean_mobile(subject.get("phone"))
    except ValidationError as exc:
        errors["subject.phone"] = exc.messages
        phone = ""
    if category == Assistance.Category.PROJECT and not (project_name or "").strip():
        errors["project_name"] = [_("企业投资项目请填写项目名称。")]
    if not acts_as(helper, *HELPER_ROLES):
        errors["helper"] = [_("帮办员须有综合受理岗位。")]
    if not consent_submit:
        errors["consent_submit"] = [_("帮办代办须经本人同意代为准备和提交申请。")]
    if not consent_confirmed:
        errors["consent_confirmed"] = [_("请当面确认本人（或法定代表人）的意愿后勾选。")]
    if consent_file is None:
        errors["consent_file"] = [_("请上传本人签字的授权委托书扫描件。")]
    elif (problem := upload_problem(consent_file)) is not None:
        errors["consent_file"] = [str(problem)]
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    assistance = Assistance(
        number=_number(now), category=category, subject_kind=kind, subject_name=name, subject_id_number=id_number,
        subject_phone=phone, project_name=(project_name or "").strip()[:200], helper=helper,
        consent_submit=True, consent_collect=bool(consent_collect), consent_at=now, consent_recorded_by=actor,
    )  # fmt: skip
    assistance.consent_file.save(f"{assistance.number}-consent", consent_file, save=False)
    stored = assistance.consent_file.name
    try:  # the scan is personal data: if anything below fails and the transaction rolls back, it goes too
        _record_start(assistance, helper, actor, request)
    except Exception:
        assistance.consent_file.storage.delete(stored)
        raise
    return assistance


def _record_start(assistance: Assistance, helper, actor, request) -> None:
    assistance.save()
    AssistanceEvent.objects.create(assistance=assistance, kind=AssistanceEvent.Kind.STARTED, actor=actor,
                                   text=_("帮办员：%(name)s") % {"name": helper.get_full_name()})  # fmt: skip
    audit.record(actor, "assistance.start", assistance, summary=f"{assistance.number} {assistance.category}",
                 request=request, helper=helper.pk)  # fmt: skip
    from yichuang.notifications.services import notify

    from .queries import person_url

    notify(assistance.subject_phone, "assistance_started",
           {"number": assistance.number, "helper": helper.get_full_name(), "url": person_url(assistance)})  # fmt: skip


def _locked(assistance: Assistance) -> Assistance:
    return Assistance.objects.select_for_update().get(pk=assistance.pk)


@transaction.atomic
def note(assistance: Assistance, text: str, *, actor, request=None) -> AssistanceEvent:
    if not may_manage(actor, assistance):
        raise PermissionDenied(_("这不是您负责的帮办。"))
    text = (text or "").strip()
    if not text or len(text) > 500:
        raise ValidationError({"text": [_("请填写跟进记录（不超过 500 个字）。")]})
    event = AssistanceEvent.objects.create(
        assistance=assistance, kind=AssistanceEvent.Kind.NOTE, actor=actor, text=text
    )
    audit.record(actor, "assistance.note", assistance, summary=assistance.number, request=request)
    return event


@transaction.atomic
def reassign(assistance: Assistance, helper, *, actor, request=None) -> Assistance:
    if not acts_as(actor, Role.HALL_ADMIN):
        raise PermissionDenied(_("只有大厅管理员可以更换帮办员。"))
    if not acts_as(helper, *HELPER_ROLES):
        raise ValidationError({"helper": [_("帮办员须有综合受理岗位。")]})
    assistance = _locked(assistance)
    assistance.helper = helper
    assistance.save(update_fields=["helper"])
    AssistanceEvent.objects.create(assistance=assistance, kind=AssistanceEvent.Kind.REASSIGNED, actor=actor,
                                   text=helper.get_full_name())  # fmt: skip
    audit.record(actor, "assistance.reassign", assistance, summary=assistance.number, request=request, helper=helper.pk)
    return assistance


@transaction.atomic
def end(assistance: Assistance, *, actor, withdrawn: bool = False, reason: str = "", request=None) -> Assistance:
    """End the assistance (the work is done), or record that the person withdrew their consent: no submission is
    made for it afterwards."""
    if not may_manage(actor, assistance):
        raise PermissionDenied(_("这不是您负责的帮办。"))
    assistance = _locked(assistance)
    if assistance.status != Assistance.Status.ACTIVE:
        raise ValidationError(_("该帮办已结束。"))
    assistance.status = Assistance.Status.WITHDRAWN if withdrawn else Assistance.Status.CLOSED
    assistance.ended_at = timezone.now()
    assistance.save(update_fields=["status", "ended_at"])
    kind = AssistanceEvent.Kind.WITHDRAWN if withdrawn else AssistanceEvent.Kind.CLOSED
    AssistanceEvent.objects.create(assistance=assistance, kind=kind, actor=actor, text=(reason or "").strip()[:500])
    audit.record(actor, f"assistance.{kind}", assistance, summary=assistance.number, request=request)
    return assistance


def check_submission(assistance_id, *, actor, id_number: str) -> Assistance | str:
    """The rule of a submission made for an assistance (intake.services.submit): the assistance is active with
    consent to submit, the actor is its helper, and the applicant is its person or enterprise. The assistance, or
    what is wrong."""
    assistance = (
        Assistance.objects.select_related("helper")
        .filter(pk=assistance_id if str(assistance_id).isdigit() else None)
        .first()
    )
    if assistance is None:
        return _("没有这个帮办代办。")
    if assistance.status != Assistance.Status.ACTIVE or not assistance.consent_submit:
        return _("帮办 %(n)s 已结束或未经同意代为提交，不能以帮办名义受理。") % {"n": assistance.number}
    if getattr(actor, "pk", None) != assistance.helper_id:
        return _("只有该帮办的帮办员 %(name)s 可以代为提交。") % {"name": assistance.helper.get_full_name()}
    if id_number != assistance.subject_id_number:
        return _("申请人与帮办对象不一致：帮办 %(n)s 为“%(name)s”办理。") % {
            "n": assistance.number, "name": assistance.subject_name}  # fmt: skip
    return assistance


def record_submission(assistance: Assistance, submission, actor) -> None:
    """In intake's transaction: the project's log says which submission the helper made for it."""
    AssistanceEvent.objects.create(assistance=assistance, kind=AssistanceEvent.Kind.SUBMITTED, actor=actor,
                                   text=submission.number)  # fmt: skip
