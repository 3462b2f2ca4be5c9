"""The intake desk (综合受理): identify the applicant, choose matters or a bundle, check the merged material list,
accept or refuse; then the receipt, the deferral notice, the pledge form and the refusal as print views and PDFs.

Thin: every change goes through services.submit / refuse / attach_file; a ValidationError's field paths are
shown at their fields, and nothing is saved until the whole form is right.
"""

import datetime as dt
from dataclasses import dataclass, field

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from yichuang.catalogue.models import Bundle, Matter
from yichuang.catalogue.queries import NoticeLine, merged_materials
from yichuang.clock import queries as clock_queries
from yichuang.clock.workcalendar import CalendarUnknown
from yichuang.core import once
from yichuang.core.links import absolute
from yichuang.core.pdf import pdf_response
from yichuang.core.schemas import row_id
from yichuang.knowledge import queries as knowledge_queries
from yichuang.licences import reuse
from yichuang.organisation import queries as org_queries
from yichuang.organisation.models import Window
from yichuang.organisation.roles import Role, acts_as
from yichuang.prefill import queries as prefill_queries
from yichuang.prefill import services as prefill_services
from yichuang.situation import queries as situation_queries

from . import deadlines, queries, services
from .checks import CODE_RE
from .duplicates import LikelyDuplicate, ensure_confirmed
from .models import ApplicantKind, MaterialStatus, Submission

STATUS_CHOICES = [
    (MaterialStatus.RECEIVED, _("已收")),
    (MaterialStatus.DEFERRED, _("容缺")),
    (MaterialStatus.PLEDGED, _("告知承诺")),
    (MaterialStatus.REUSED, _("免提交")),  # offered only where the applicant holds something that stands in
    (MaterialStatus.MISSING, _("缺少")),
]


def _ensure_intake_staff(user) -> None:
    if not acts_as(user, *services.INTAKE_ROLES):
        raise PermissionDenied(_("您没有综合受理岗位。"))


def _is_admin(user) -> bool:
    return acts_as(user, Role.HALL_ADMIN)


@dataclass
class Line:
    """One line of the checklist on the desk: the merged material and what the clerk entered."""

    index: int
    notice: NoticeLine
    status: str = MaterialStatus.RECEIVED
    originals: str = ""
    copies: str = ""
    due: str = ""
    latest_due: dt.date | None = None
    reuse: str = ""  # 免提交: "licence:<id>" or "earlier:<id>", one of `offers`
    offers: list = field(default_factory=list)  # licences.reuse.Offer
    errors: dict = field(default_factory=dict)

    def reuse_source(self) -> dict:
        """The request's reference for a 免提交 line: {"licence": id} or {"reuse": id} (bad input: neither)."""
        kind, _sep, pk = self.reuse.partition(":")
        if kind == "licence":
            return {"licence": pk}
        if kind == "earlier":
            return {"reuse": pk}
        return {}

    @property
    def prefix(self) -> str:
        return f"m-{self.index}"


def _field_errors(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return exc.message_dict
    return {"__all__": exc.messages}


def _intake_windows(user):
    site = user.site
    windows = org_queries.windows(site=site).filter(kind__in=services.INTAKE_WINDOW_KINDS, is_open=True)
    return list(windows)


def _chosen_window(request, seat) -> Window | None:
    if seat is not None:
        return seat.window
    if _is_admin(request.user):
        window_id = request.POST.get("window") or request.GET.get("window")
        if window_id and str(window_id).isdigit():
            return Window.objects.select_related("zone__site").filter(pk=int(window_id)).first()
    return None


def _latest_due(
    lines: list[NoticeLine], matters: list[Matter], window: Window
) -> tuple[dict[str, dt.date], dict[str, list[str]]]:
    """Per deferrable material: the last allowed due date (the earliest due date of the cases needing it). And per
    matter whose due date needs a year nobody has entered: why there is none, for the clerk at that matter (the
    checklist says it before anything is typed; accepting would be refused for the same reason)."""
    clock = deadlines.site_calendar(window.zone.site)
    now = timezone.now()
    dues, problems = {}, {}
    for matter in matters:
        try:
            dues[matter.code] = timezone.localtime(clock.due(matter.limit_unit, matter.promised_limit, now)).date()
        except CalendarUnknown as exc:
            problems[matter.code] = [
                _(
                    "%(year)d年的工作日历尚未录入，无法计算办结期限和容缺材料的最迟补交日期；"
                    "请管理员录入该年节假日安排。"
                )
                % {"year": exc.year}
            ]
    # A due date in an unknown year lies after every known one, so the earliest known due is the exact answer.
    latest = {
        line.material: min(dues[c] for c in line.matters if c in dues)
        for line in lines
        if line.deferrable and any(c in dues for c in line.matters)
    }
    return latest, problems


def _selected(post, offered_matters, offered_bundles):
    """The bundle and matter codes ticked on the form, and the Matter objects for the checklist."""
    bundle_code = (post.get("bundle") or "").strip()
    codes = [c for c in post.getlist("matters") if c]
    bundle = next((b for b in offered_bundles if b.code == bundle_code), None)
    if bundle_code and bundle is None and CODE_RE.match(bundle_code):
        bundle = Bundle.objects.filter(code=bundle_code).first()
    if bundle is not None and not codes:
        matter_list = bundle.ordered_matters()
    else:
        lookup = [c for c in codes if CODE_RE.match(c)]  # no NUL ever reaches the database
        by_code = {m.code: m for m in Matter.objects.select_related("department").filter(code__in=lookup)}
        matter_list = [by_code[c] for c in codes if c in by_code]
    return bundle_code, codes, bundle, matter_list


def _read_lines(post, notice_lines: list[NoticeLine]) -> list[Line]:
    lines = []
    for i, notice in enumerate(notice_lines):
        prefix = f"m-{i}"
        same = post.get(f"{prefix}-material") == notice.material
        status = post.get(f"{prefix}-status") if same else None
        lines.append(
            Line(
                index=i,
                notice=notice,
                status=status or (MaterialStatus.RECEIVED if notice.required else MaterialStatus.MISSING),
                originals=(post.get(f"{prefix}-originals") or "") if same else "",
                copies=(post.get(f"{prefix}-copies") or "") if same else "",
                due=(post.get(f"{prefix}-due") or "") if same else "",
                reuse=(post.get(f"{prefix}-reuse") or "")[:40] if same else "",
            )
        )
    return lines


def _person(post, prefix: str) -> dict:
    return {name: (post.get(f"{prefix}.{name}") or "").strip() for name in ("kind", "name", "id_number", "phone")}


@dataclass
class Offer:
    """A matter of the zone as the form lists it."""

    matter: Matter
    checked: bool = False
    errors: list = field(default_factory=list)


PERSON_FIELDS = ("kind", "name", "id_number", "phone")


def _desk_errors(errors: dict, codes: list[str], offered_codes: set[str], lines: list[Line]) -> dict:
    """Spread a ValidationError's field paths over the form: per material line, per matter, per input; what
    has no place on the form is listed at the top."""
    for line in lines:
        prefix = f"materials[{line.index}]."
        line.errors = {k[len(prefix) :]: v for k, v in errors.items() if k.startswith(prefix)}
    by_code = {code: errors[f"matters[{i}]"] for i, code in enumerate(codes) if f"matters[{i}]" in errors}
    placed = {f"matters[{i}]" for i, code in enumerate(codes) if code in offered_codes}
    placed |= {"bundle", "matters", "materials", "window", "ticket", "reasons", "situation", "assistance"}
    placed |= {f"{who}.{name}" for who in ("applicant", "agent") for name in PERSON_FIELDS}
    placed.add("applicant.confirm_name")
    return {
        "errors": {k.replace(".", "_"): v for k, v in errors.items() if not k.startswith("materials[")},
        "error_count": sum(len(v) for v in errors.values()),
        "matter_errors": by_code,
        "other_errors": [m for k, v in errors.items() if k not in placed and not k.startswith("materials[") for m in v],
    }


@login_required
@never_cache
@once.form
def desk(request):
    """The intake form. GET shows it (optionally for `?ticket=<id>`); POST with action "checklist" shows the
    merged material list for the chosen matters, "accept" and "refuse" call the services."""
    _ensure_intake_staff(request.user)
    seat = org_queries.current_seat(request.user)
    window = _chosen_window(request, seat)
    source = request.POST if request.method == "POST" else request.GET
    ticket_id = source.get("ticket") or ""
    ticket = None
    if ticket_id.isdigit():
        from yichuang.queue.models import Ticket

        ticket = Ticket.objects.filter(pk=int(ticket_id)).first()
    context = {
        "calendar_warnings": clock_queries.calendar_warnings_today(),
        "seat": seat,
        "window": window,
        "windows": _intake_windows(request.user) if seat is None and _is_admin(request.user) else [],
        "ticket": ticket,
        "kinds": ApplicantKind.choices,
        "statuses": STATUS_CHOICES,
        "errors": {},
        "other_errors": [],
        "applicant": {"kind": ApplicantKind.PERSON},
        "agent": {},
        "lines": [],
        "reasons": "",
        "bundle_code": "",
    }
    if window is None:
        return render(request, "intake/desk.html", context)
    offered_matters, offered_bundles = queries.zone_offer(window.zone)
    context.update(zone=window.zone, bundles=offered_bundles)
    post = request.POST
    assisted = _assistance_asked(request, post)
    context["assistance"] = assisted
    if request.method != "POST" and assisted is not None:
        context.update(
            offer=[Offer(m) for m in offered_matters],
            applicant={"kind": assisted.subject_kind, "name": assisted.subject_name,
                       "id_number": assisted.subject_id_number, "phone": assisted.subject_phone},
        )  # fmt: skip
        return render(request, "intake/desk.html", context)
    if request.method != "POST":
        prefill, problem = _prefill_asked(request, ticket)
        if prefill is None:
            context["offer"] = [Offer(m) for m in offered_matters]
            context["prefill_problem"] = problem
            context["prefill_code"] = request.GET.get("prefill", "")[:20]
            return render(request, "intake/desk.html", context)
        post = _as_form(prefill_queries.desk_values(prefill))  # the form as the pre-filled application fills it
    bundle_code, codes, bundle, matter_list = _selected(post, offered_matters, offered_bundles)
    guided = _situation(post, bundle, matter_list)
    if guided is not None and guided["answers"]:
        # The situation guide's answers choose the bundle's matters and tailor its list (intake checks the same).
        by_code = {m.code: m for m in guided["version"].guide.scope()}
        matter_list = [by_code[c] for c in guided["outcome"].matters]
        codes = [] if bundle is not None else codes
        notice_lines = guided["outcome"].materials
    else:
        notice_lines = merged_materials(matter_list) if matter_list else []
    prefill = prefill_services.find(post.get("prefill")) if post.get("prefill") else None
    lines = _read_lines(post, notice_lines)
    latest, calendar_problems = _latest_due(notice_lines, matter_list, window) if notice_lines else ({}, {})
    for line in lines:
        line.latest_due = latest.get(line.notice.material)
    applicant = _person(post, "applicant")
    # The clerk's confirmation that a known ID number's different name is right (intake.applicants.check_name).
    applicant["confirm_name"] = post.get("applicant.confirm_name") == "1"
    # 材料复用: what the applicant already holds, offered line by line (免提交).
    offered = reuse.offers(applicant["kind"], applicant["id_number"], [line.notice.material for line in lines])
    for line in lines:
        line.offers = offered.get(line.notice.material, [])
    agent = _person(post, "agent")
    context.update(
        bundle_code=bundle_code,
        applicant=applicant,
        agent=agent,
        lines=lines,
        prefill=prefill,
        prefill_files={f.material: f for f in prefill.files.all()} if prefill else {},
        **(_situation_context(guided) if guided else {}),
        chosen=matter_list,
        reasons=(post.get("reasons") or "").strip(),
        # The knowledge base beside the desk: published articles (internal ones too) on the chosen matters.
        articles=knowledge_queries.articles_for_matters(matter_list, public_only=False, limit=8) if matter_list else [],
    )

    def show(status=200, matter_errors=None):
        matter_errors = {**calendar_problems, **(matter_errors or {})}
        context["offer"] = [Offer(m, m.code in codes, matter_errors.get(m.code, [])) for m in offered_matters]
        return render(request, "intake/desk.html", context, status=status)

    action = post.get("action")
    if action not in ("accept", "refuse"):
        if not matter_list:
            context["errors"] = {"matters": [_("请选择要办理的事项或一件事。")]}
        return show()
    common = {
        "actor": request.user,
        "applicant": applicant,
        "agent": agent if any(agent.get(k) for k in PERSON_FIELDS if k != "kind") else None,
        "bundle": bundle_code or None,
        "matters": codes,
        "materials": [
            {
                "material": line.notice.material,
                "status": line.status,
                "due": line.due or None,
                "originals": line.originals or None,
                "copies": line.copies or None,
                **(line.reuse_source() if line.status == MaterialStatus.REUSED else {}),
            }
            for line in lines
        ],
        "window": window.pk,
        "ticket": ticket.pk if ticket else None,
        "request": request,
    }
    if guided is not None and guided["answers"]:
        common["situation"] = {"version": guided["version"].pk, "answers": guided["answers"]}
    if assisted is not None:
        common["assistance"] = assisted.pk
    confirmed = context["confirm_duplicate"] = bool(post.get("confirm_duplicate"))
    try:
        if action == "accept":
            ensure_confirmed(applicant["id_number"], [m.code for m in matter_list], confirmed=confirmed)
            if prefill is not None:
                # Under the application's version, with the answers as the clerk sees them (corrected at the
                # window if the person's situation was given wrongly).
                answers = common.pop("situation", {}).get("answers") or prefill.answers
                submission = prefill_services.accept(prefill.code, answers=answers, **common)
                for name, reason in getattr(submission, "refused_files", []):
                    text = _("预填文件“%(name)s”未能附上：%(reason)s") % {"name": name, "reason": reason}
                    messages.error(request, text)
            else:
                submission = services.submit(**common)
        else:
            refusal = {k: v for k, v in common.items() if k != "assistance"}  # a refusal is no helper's submission
            submission = services.refuse(**refusal, reasons=context["reasons"])
    except LikelyDuplicate as exc:  # the same applicant with the same matters today: the clerk confirms first
        context.update(duplicate=exc.earlier, duplicate_message=str(exc))
        return show(409)
    except ValidationError as exc:
        spread = _desk_errors(_field_errors(exc), codes, {m.code for m in offered_matters}, lines)
        context.update(spread)
        return show(422, spread["matter_errors"])
    _attach_uploads(request, submission, lines)
    return redirect("intake:submission", submission.number)


def _assistance_asked(request, post):
    """The assisted service (帮办代办) the helper submits for (`?assistance=<number>` or the form's field) — only
    the helper's own; intake checks the rest (consent, the applicant) at acceptance."""
    from yichuang.assistance.models import Assistance

    number = (post.get("assistance") if request.method == "POST" else request.GET.get("assistance")) or ""
    if not number:
        return None
    found = Assistance.objects.select_related("helper").filter(number=number[:20]).first()
    if found is None or found.helper_id != request.user.pk:
        raise Http404(_("没有这个帮办，或您不是它的帮办员。"))
    return found


def _prefill_asked(request, ticket):
    """The pre-filled application the clerk scanned or typed (`?prefill=`), or the one linked to the called ticket:
    (prefill, None), or (None, why not) — (None, None) when none was asked for."""
    code = request.GET.get("prefill", "")
    if not code:
        linked = prefill_services.for_ticket(ticket)
        if linked is None:
            return None, None
        code = linked.code
    try:
        return prefill_services.load_for_desk(code, actor=request.user, request=request), None
    except ValidationError as exc:
        return None, " ".join(exc.messages)


def _as_form(values: dict) -> QueryDict:
    form = QueryDict(mutable=True)
    for key, value in values.items():
        if isinstance(value, list):
            form.setlist(key, value)
        else:
            form[key] = value
    return form


def _situation(post, bundle, matter_list) -> dict | None:
    """The situation guide of the chosen bundle (or single matter) and the answers on the form: the version on the
    form (a pre-filled application's, even if since retired) or the one published now."""
    version = None
    if row_id(post.get("situation_version")) is not None:
        try:
            version = situation_queries.usable_version(post["situation_version"])
        except ValidationError:
            version = None
        guide = version.guide if version is not None else None
        if guide is not None and not situation_queries.fits(guide, bundle, matter_list):
            version = None
    if version is None and bundle is not None:
        version = situation_queries.published_for(bundle=bundle)
    if version is None and bundle is None and len(matter_list) == 1:
        version = situation_queries.published_for(matter=matter_list[0])
    if version is None:
        return None
    answers = situation_queries.answers_from(post)
    outcome = situation_queries.outcome(version, answers)
    return {"version": version, "answers": outcome.answers if answers else {}, "outcome": outcome}


def _situation_context(guided: dict) -> dict:
    from yichuang.situation.views import guide_context

    return guide_context(guided["version"], guided["answers"])


def _attach_uploads(request, submission: Submission, lines: list[Line]) -> None:
    """Files chosen on the form are attached after the submission exists; a refused file is reported and the
    submission stays."""
    for line in lines:
        for upload in request.FILES.getlist(f"{line.prefix}-file"):
            try:
                services.attach_file(submission, line.notice.material, upload, actor=request.user, request=request)
            except ValidationError as exc:
                for message in _field_errors(exc).get("file", exc.messages):
                    messages.error(request, message)


# --- the submission and its documents -----------------------------------------------------------------


def _submission_or_404(request, number: str) -> Submission:
    try:
        submission = queries.submission_detail(number)
    except Submission.DoesNotExist:
        raise Http404(_("没有这个受理编号。")) from None
    queries.ensure_can_view(request.user, submission)
    return submission


def progress_url(submission: Submission) -> str:
    """The public progress page of the submission (the portal's), as an absolute address for the QR code."""
    try:
        path = reverse("portal:progress_detail", args=[submission.number])
    except NoReverseMatch:
        path = f"/progress/{submission.number}/"
    return absolute(path)


def _qr_svg(url: str) -> str:
    return segno.make(url, error="m").svg_inline(scale=3, border=2)


def _document_context(submission: Submission) -> dict:
    materials = list(submission.materials.all())
    cases = list(submission.cases.all())
    return {
        "submission": submission,
        "site": submission.site,
        "materials": materials,
        "cases": cases,
        "received": [m for m in materials if m.status == MaterialStatus.RECEIVED],
        "taken": [m for m in materials if m.status != MaterialStatus.MISSING],  # what the receipt lists
        "deferred": [m for m in materials if m.status == MaterialStatus.DEFERRED],
        "pledged": [m for m in materials if m.status == MaterialStatus.PLEDGED],
        "refusal": getattr(submission, "refusal", None) if submission.status == Submission.Status.REFUSED else None,
        "progress_url": progress_url(submission),
        "qr": _qr_svg(progress_url(submission)),
        "today": timezone.localdate(),
    }


@login_required
@never_cache
def submission(request, number: str, full: bool = False):
    sub = _submission_or_404(request, number)
    context = _document_context(sub)
    context.update(
        full=full,
        timeline=list(sub.timeline.all()),
        attachments=list(sub.attachments.all()),
        max_upload_mb=settings.INTAKE_MAX_UPLOAD_MB,
        documents=_documents(sub, context),
    )
    return render(request, "intake/submission.html", context)


@login_required
@require_POST
@never_cache
def personal_data(request, number: str):
    """The applicant's full ID number and phone, shown once the view is written to the audit log."""
    sub = _submission_or_404(request, number)
    services.record_personal_data_view(sub, request.user, request=request)
    return submission(request, number, full=True)


@login_required
@require_POST
@once.form
def upload(request, number: str):
    sub = _submission_or_404(request, number)
    _ensure_intake_staff(request.user)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("请选择要上传的文件。"))
    else:
        try:
            services.attach_file(sub, request.POST.get("material", ""), upload, actor=request.user, request=request)
            messages.success(request, _("文件“%(name)s”已保存。") % {"name": upload.name})
        except ValidationError as exc:
            for messages_ in _field_errors(exc).values():
                for message in messages_:
                    messages.error(request, message)
    return redirect("intake:submission", sub.number)


@login_required
def download(request, number: str, attachment_id: int):
    sub = _submission_or_404(request, number)
    attachment = get_object_or_404(sub.attachments, pk=attachment_id)
    response = FileResponse(attachment.file.open("rb"), content_type=attachment.content_type)
    response["Content-Disposition"] = content_disposition_header(False, attachment.original_name)
    response["X-Content-Type-Options"] = "nosniff"
    return response


DOCUMENTS = {
    "receipt": ("intake/receipt.html", _("受理回执")),
    "deferral-notice": ("intake/deferral_notice.html", _("容缺受理通知书")),
    "pledge": ("intake/pledge.html", _("承诺书")),
    "refusal": ("intake/refusal.html", _("不予受理通知书")),
}


def _documents(sub: Submission, context: dict) -> list[dict]:
    """The print documents this submission has: receipt; deferral notice and pledge form when a material is
    deferred; the pledge form when one is pledged; the refusal."""
    if sub.status == Submission.Status.REFUSED:
        names = ["refusal"]
    else:
        names = ["receipt"]
        if context["deferred"]:
            names.append("deferral-notice")
        if context["deferred"] or context["pledged"]:
            names.append("pledge")
    return [
        {
            "slug": name,
            "title": DOCUMENTS[name][1],
            "url": reverse("intake:document", args=[sub.number, name]),
            "pdf": reverse("intake:document_pdf", args=[sub.number, name]),
        }
        for name in names
    ]


def _document(request, number: str, document: str):
    sub = _submission_or_404(request, number)
    context = _document_context(sub)
    if document not in {d["slug"] for d in _documents(sub, context)}:
        raise Http404(_("该申请没有这份文书。"))
    template, title = DOCUMENTS[document]
    context.update(title=title, document=document)
    return template, context, f"{title}-{sub.number}.pdf"


@login_required
@never_cache
def document(request, number: str, document: str):
    template, context, _filename = _document(request, number, document)
    return render(request, template, context)


@login_required
@never_cache
def document_pdf(request, number: str, document: str):
    template, context, filename = _document(request, number, document)
    return pdf_response(template, context, filename, request=request)
