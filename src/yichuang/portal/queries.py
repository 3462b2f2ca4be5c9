"""Reads of the online hall: what can be applied for online, an applicant's submissions, a progress page."""

from dataclasses import dataclass, field

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from yichuang.catalogue import search as search_module
from yichuang.catalogue.models import Bundle, BundleItem, Matter
from yichuang.intake.models import Case, Submission, TimelineEvent

# Timeline kinds written outside intake's own list, with the label the applicant reads.
EXTRA_EVENT_LABELS = {"material_supplied": _("补交材料")}


def online_matters(query: str = "") -> QuerySet:
    """Matters in use that may be applied for online."""
    qs = Matter.objects.in_use().filter(online=True).select_related("department")
    if query:
        return search_module.search(qs, query)
    return qs.order_by("code")


def online_bundles() -> list[Bundle]:
    """Bundles in use whose every matter is in use and may be applied for online."""
    bundles = (
        Bundle.objects.filter(status=Matter.Status.IN_USE)
        .select_related("zone")
        .prefetch_related(Prefetch("items", queryset=BundleItem.objects.select_related("matter__department")))
        .order_by("code")
    )
    result = []
    for bundle in bundles:
        matters = [item.matter for item in bundle.items.all()]
        if matters and all(m.online and m.status == Matter.Status.IN_USE for m in matters):
            result.append(bundle)
    return result


def online_matter(code: str) -> Matter:
    return online_matters().get(code=code)


def online_bundle(code: str) -> Bundle:
    for bundle in online_bundles():
        if bundle.code == code:
            return bundle
    raise Bundle.DoesNotExist(code)


def _submissions() -> QuerySet:
    return Submission.objects.select_related("applicant", "bundle").filter(number__isnull=False)


def submission_by_number(number: str) -> Submission | None:
    """The submission of a submission number or of one of its case numbers."""
    if not number:
        return None
    found = _submissions().filter(number=number).first()
    if found is None:
        case = Case.objects.filter(number=number).only("submission_id").first()
        if case is not None:
            found = _submissions().filter(pk=case.submission_id).first()
    return found


def my_submissions(phone: str) -> QuerySet:
    """The submissions for which this verified phone was given (the applicant's or the agent's, as given that
    day), newest first: a later intake of the same ID number with another phone takes none of them away."""
    return (
        _submissions()
        .filter(Q(applicant_phone=phone) | Q(agent_phone=phone))
        .prefetch_related("cases")
        .order_by("-accepted_at", "-id")
    )


@dataclass
class Progress:
    """What the progress page shows of a submission (personal data masked)."""

    submission: Submission
    cases: list[Case] = field(default_factory=list)
    materials: list = field(default_factory=list)
    timeline: list[dict] = field(default_factory=list)
    attachments: dict = field(default_factory=dict)  # material code → number of files

    @property
    def pending_materials(self) -> list:
        return [m for m in self.materials if m.status == "deferred"]


def progress(submission: Submission) -> Progress:
    cases = list(submission.cases.select_related("department").order_by("seq"))
    by_case = {c.pk: c for c in cases}
    materials = list(submission.materials.order_by("order", "id"))
    material_names = {m.code: m.name for m in materials}
    events = []
    for event in TimelineEvent.objects.filter(submission=submission).select_related("window").order_by("at", "id"):
        label = EXTRA_EVENT_LABELS.get(event.kind) or event.kind_display
        case = by_case.get(event.case_id)
        detail = event.detail or {}
        events.append(
            {
                "at": event.at,
                "label": label,
                "case": case.number if case else "",
                "window": event.window.number if event.window_id else None,
                "online": event.actor_id is None and not event.window_id,
                # The department, or the material by its name in the list: never an uploaded file's own name,
                # which may carry personal data.
                "note": detail.get("department_name") or material_names.get(detail.get("material"), ""),
            }
        )
    counts: dict[str, int] = {}
    for code in submission.attachments.values_list("material_code", flat=True):
        counts[code] = counts.get(code, 0) + 1
    return Progress(
        submission=submission,
        cases=cases,
        materials=materials,
        timeline=events,
        attachments=counts,
    )
