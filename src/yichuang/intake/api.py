"""The intake API: `POST /api/submissions` (one intake, idempotent with `Idempotency-Key`) and
`GET /api/submissions/{number}` (with the timeline; personal data masked).

Every invalid part of a submission is a 422 `{"detail", "errors": [{"field", "reason"}]}` with field paths
such as `applicant.id_number`, `matters[1]`, `materials[2].status` (services.submit checks everything at once).
"""

import datetime
import functools
import re

from django.http import Http404, HttpResponse
from django.utils.timezone import localtime
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import BaseModel

from yichuang.organisation.api_auth import staff_auth
from yichuang.organisation.roles import acts_as
from yichuang.portal.api_auth import ApplicantSession, online_submission

from . import duplicates, queries, services
from .applicants import NameDiffers
from .models import ApplicantKind, Submission

router = Router(tags=["intake"])
NUMBER_RE = re.compile(r"^\d{6,12}-\d{8}-\d{6,7}$")


# Input is plain pydantic: ninja's Schema wraps every nested object in a getter for ORM attributes, which only
# output needs (a fifth of the time of reading an intake's body).


class ApplicantIn(BaseModel):
    kind: str = Field("", description='"person" (resident ID) or "org" (unified social credit code).')
    name: str = ""
    id_number: str = Field("", description="18-character resident ID (GB 11643) or credit code (GB 32100).")
    phone: str = Field("", description="Mobile or landline; optional when the agent gives a phone.")
    confirm_name: bool = Field(
        False,
        description="Staff only: the ID number is on record with another name and the clerk checked that this is "
        "the same applicant (e.g. renamed). Without it such an intake answers 409 with the earlier name masked.",
    )


class AgentIn(BaseModel):
    name: str = ""
    id_number: str = Field("", description="Resident ID of the agent (代办人).")
    phone: str = ""


class MaterialIn(BaseModel):
    material: str = Field(description="Material code from the merged list of the matters.")
    status: str = Field(
        description='"received", "deferred" (容缺, with due), "pledged" (告知承诺), "reused" (免提交, with licence or '
        'reuse) or "missing".'
    )
    due: str | None = Field(None, description="YYYY-MM-DD, deferred materials only; not after the case's limit.")
    originals: int | None = Field(None, description="Originals received (default: the number required).")
    copies: int | None = Field(None, description="Copies received (default: the number required).")
    licence: int | None = Field(
        None, description="免提交: id of the applicant's valid e-licence that stands for this material."
    )
    reuse: int | None = Field(
        None, description="免提交: id of the same material of an earlier accepted submission still valid."
    )


class SituationIn(BaseModel):
    version: int = Field(description="Id of a published (or since retired) situation guide version (情形引导).")
    answers: dict[str, str] = Field(
        default_factory=dict, max_length=100, description="Question id → option id; every question asked answered."
    )


class SubmissionIn(BaseModel):
    applicant: ApplicantIn
    agent: AgentIn | None = None
    bundle: str | None = Field(None, description="Bundle code (一件事); its matters, or the subset in `matters`.")
    matters: list[str] = Field(default_factory=list, description="Matter codes.")
    materials: list[MaterialIn] = Field(
        default_factory=list, description="Per material of the merged list; a material not listed is missing."
    )
    channel: str = Field("window", description='"window" or "online".')
    window: int | None = Field(
        None, description="Intake window id; default the caller's seat today (required for a hall admin not seated)."
    )
    ticket: int | None = Field(None, description="Queue ticket id being served at the window.")
    situation: SituationIn | None = Field(
        None,
        description="The situation guide's answers: with a bundle and no `matters` they choose its matters, and they "
        "tailor the material list; the submission keeps them with the version.",
    )
    confirm_duplicate: bool = Field(
        False,
        description="At a window: accept although the same applicant had the same matters accepted today "
        "(without it such an intake answers 409 with the earlier submission's number).",
    )


class CaseOut(Schema):
    number: str
    matter: str = Field(description="Matter code.")
    department: str = Field(description="Department code.")
    due: datetime.datetime = Field(description="Due time by the working-time clock (Asia/Shanghai).")


class SubmissionCreatedOut(Schema):
    number: str
    cases: list[CaseOut]


class PersonOut(Schema):
    kind: str
    name: str = Field(description="Masked for a person (张*).")
    id_number: str = Field(description="Masked: region and last four characters.")
    phone: str = Field(description="Masked.")


class MaterialOut(Schema):
    material: str
    name: str
    required: bool
    core: bool
    status: str
    originals: int
    copies: int
    due: datetime.date | None
    supplied_at: datetime.datetime | None
    licence_id: int | None = None
    reused_from_id: int | None = None


class CaseDetailOut(CaseOut):
    matter_name: str
    department_name: str
    status: str
    pickup: datetime.datetime | None = Field(description="Scheduled pickup of a delegated department's batch.")


class AttachmentOut(Schema):
    material: str
    name: str
    content_type: str
    size: int
    sha256: str


class TimelineOut(Schema):
    at: datetime.datetime
    kind: str
    label: str
    case: str | None
    actor: str | None
    window: int | None = Field(description="Window number.")
    detail: dict


class RefusalOut(Schema):
    reasons: str
    missing: list[dict]


class SubmissionOut(Schema):
    number: str
    status: str
    channel: str
    site: str
    window: int | None
    ticket: str | None
    accepted_at: datetime.datetime
    accepted_by: str | None
    applicant: PersonOut
    agent: PersonOut | None
    bundle: str | None
    materials: list[MaterialOut]
    cases: list[CaseDetailOut]
    refusal: RefusalOut | None
    attachments: list[AttachmentOut]
    timeline: list[TimelineOut]


class ErrorOut(Schema):
    detail: str


class DuplicateOut(Schema):
    detail: str
    earlier: str | None = Field(
        None,
        description="The number of the submission already accepted today (a likely duplicate); absent when the 409 "
        "is a known ID number with another name.",
    )


def names_differ_are_409(view):
    """A known ID number with another name, not confirmed, as the only problem (NameDiffers) → 409 with
    the reason; with other problems it is one of the 422's errors."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except NameDiffers as exc:
            reason = exc.messages[0] + "（API：确认后在 applicant 中传 confirm_name: true 重新提交。）"
            raise HttpError(409, reason) from None

    return wrapper


def created_out(submission: Submission) -> dict:
    cases = getattr(submission, "accepted_cases", None)  # just made: the service's own rows
    if cases is None:  # a replay of an earlier request
        cases = submission.cases.select_related("matter", "department").order_by("seq")
    return {
        "number": submission.number,
        "cases": [
            {"number": c.number, "matter": c.matter.code, "department": c.department.code, "due": localtime(c.due_at)}
            for c in cases
        ],
    }


@router.post(
    "/submissions",
    response={201: SubmissionCreatedOut, 403: ErrorOut, 409: DuplicateOut},
    auth=[*staff_auth, ApplicantSession()],
    summary="Take in an application: one submission, one case per matter, dispatched in one step",
    description="Send an `Idempotency-Key` header: a retry with the same key returns the first submission "
    "(201, header `Idempotent-Replayed: true`) and creates nothing. 422 names every invalid part. "
    "The online hall's applicant session may call it too, with channel \"online\" only (the applicant's phone "
    "is then the phone verified at sign-in). At a window, the same applicant with the same matters already "
    "accepted today answers 409 with that submission's number (`earlier`) unless `confirm_duplicate` is true.",
)
@names_differ_are_409
def create_submission(request, response: HttpResponse, payload: SubmissionIn):
    actor, data = online_submission(request, payload.model_dump())  # staff: request.user and the payload as it is
    if data["channel"] != "online":
        try:
            duplicates.ensure_confirmed(
                (data["applicant"] or {}).get("id_number"),
                data["matters"],
                data["bundle"],
                confirmed=data.get("confirm_duplicate", False),
                idempotency_key=request.headers.get("Idempotency-Key"),
            )
        except duplicates.LikelyDuplicate as exc:
            # Only to those who take in (the role read only then: the hot path has no extra statement); others
            # learn no number here and are refused by submit.
            if acts_as(actor, *services.INTAKE_ROLES):
                return Status(409, {"detail": str(exc), "earlier": exc.earlier.number})
    submission = services.submit(
        actor=actor,
        applicant=data["applicant"],
        agent=data["agent"],
        bundle=data["bundle"],
        matters=data["matters"],
        materials=data["materials"],
        channel=data["channel"],
        window=data["window"],
        ticket=data["ticket"],
        situation=data.get("situation"),
        idempotency_key=request.headers.get("Idempotency-Key"),
        request=request,
    )
    if submission.replayed:
        response["Idempotent-Replayed"] = "true"
    return Status(201, created_out(submission))


def _person(kind, name, id_number, phone) -> dict:
    from yichuang.core.masking import mask_id_number, mask_name, mask_phone

    masked_name = name if kind == ApplicantKind.ORG else mask_name(name)
    return {"kind": kind, "name": masked_name, "id_number": mask_id_number(id_number), "phone": mask_phone(phone)}


@router.get(
    "/submissions/{number}",
    response={200: SubmissionOut, 403: ErrorOut, 404: ErrorOut},
    auth=staff_auth,
    summary="A submission with its materials, cases and timeline (personal data masked)",
)
def get_submission(request, number: str):
    if not NUMBER_RE.match(number):
        raise Http404("没有这个受理编号。")
    try:
        s = queries.submission_detail(number)
    except Submission.DoesNotExist:
        raise Http404("没有这个受理编号。") from None
    queries.ensure_can_view(request.user, s)
    cases = list(s.cases.all())
    case_numbers = {c.pk: c.number for c in cases}
    refusal = getattr(s, "refusal", None) if s.status == Submission.Status.REFUSED else None
    return {
        "number": s.number,
        "status": s.status,
        "channel": s.channel,
        "site": s.site.code,
        "window": s.window.number if s.window else None,
        "ticket": s.ticket.number if s.ticket else None,
        "accepted_at": localtime(s.accepted_at),
        "accepted_by": s.accepted_by.display_name if s.accepted_by else None,
        "applicant": _person(s.applicant.kind, s.applicant_name, s.applicant_id_number, s.applicant_phone),
        "agent": _person("person", s.agent_name, s.agent_id_number, s.agent_phone) if s.agent_name else None,
        "bundle": s.bundle.code if s.bundle else None,
        "materials": [
            {
                "material": m.code, "name": m.name, "required": m.required, "core": m.core, "status": m.status,
                "originals": m.originals, "copies": m.copies, "due": m.due, "supplied_at": m.supplied_at,
                "licence_id": m.licence_id, "reused_from_id": m.reused_from_id,
            }
            for m in s.materials.all()
        ],
        "cases": [
            {
                "number": c.number, "matter": c.matter.code, "matter_name": c.matter_name,
                "department": c.department.code, "department_name": c.department.name, "due": localtime(c.due_at),
                "status": c.status, "pickup": c.handoff.scheduled_for if c.handoff else None,
            }
            for c in cases
        ],
        "refusal": {"reasons": refusal.reasons, "missing": refusal.missing} if refusal else None,
        "attachments": [
            {"material": a.material_code, "name": a.original_name, "content_type": a.content_type, "size": a.size,
             "sha256": a.sha256}
            for a in s.attachments.all()
        ],
        "timeline": [
            {
                "at": localtime(e.at), "kind": e.kind, "label": e.kind_display, "case": case_numbers.get(e.case_id),
                "actor": e.actor.display_name if e.actor else None, "window": e.window.number if e.window else None,
                "detail": e.detail,
            }
            for e in s.timeline.all()
        ],
    }  # fmt: skip
