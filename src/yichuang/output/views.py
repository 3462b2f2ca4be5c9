"""The output window (一窗出件) at /output/: the desk (search, results waiting), a submission with the handover
and mail forms, the handover receipt (领取回执) to print or as PDF.

Thin: each form goes to one function of `services`; a ValidationError is shown at its field (or at the top),
PermissionDenied is a 403, an unknown number a 404. Only output clerks and hall admins see these pages.
"""

import functools

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from yichuang.core import audit, once
from yichuang.core.masking import mask_id_number
from yichuang.core.pdf import pdf_response
from yichuang.fees import queries as fee_queries
from yichuang.intake.models import Case, Submission
from yichuang.organisation.models import Window
from yichuang.organisation.queries import current_seat

from . import services
from .models import Handover, HandoverItem

HANDOVER_FIELDS = (
    "receiver", "id_number", "receiver_name", "signature", "no_signature_reason", "authorisation_kept",
    "representative_checked", "proof_note", "cases", "partial",
)  # fmt: skip
MAIL_FIELDS = ("address", "carrier", "tracking_number", "cases", "partial")


def output_view(view):
    @functools.wraps(view)
    @login_required
    @never_cache
    def wrapper(request, *args, **kwargs):
        if not services.can_hand_over(request.user):
            raise PermissionDenied(_("您没有出件岗位。"))
        return view(request, *args, **kwargs)

    return wrapper


def _errors(exc: ValidationError, fields) -> dict[str, list[str]]:
    if not hasattr(exc, "error_dict"):
        return {"top": exc.messages}
    out: dict[str, list[str]] = {}
    for key, texts in exc.message_dict.items():
        out.setdefault(key if key in fields else "top", []).extend(texts)
    return out


def _window(request) -> Window | None:
    seat = current_seat(request.user)
    return seat.window if seat is not None else None


def _submission_or_404(number: str) -> Submission:
    return get_object_or_404(
        Submission.objects.select_related("applicant", "bundle", "site"),
        number=number,
        status=Submission.Status.ACCEPTED,
    )


@output_view
def desk(request):
    query = (request.GET.get("q") or "").strip()[:60]
    found = None
    if query:
        found = services.find(query)
        if services.looks_like_id_number(query):
            # An ID number is personal data: the search and what it showed are logged (masked).
            audit.record(
                request.user, "output.find_by_id_number", None, summary=mask_id_number(query), request=request,
                found=[s.number for s in found],
            )  # fmt: skip
        if len(found) == 1:
            return redirect("output:submission", number=found[0].number)
    return render(
        request,
        "output/desk.html",
        {
            "query": query,
            "query_display": mask_id_number(query) if services.looks_like_id_number(query) else query,
            "found": found,
            "rows": services.ready_list(),
            "window": _window(request),
        },
    )


def _cases_view(submission: Submission) -> list[dict]:
    from yichuang.backoffice.models import Decision
    from yichuang.licences.models import Licence

    cases = list(Case.objects.filter(submission=submission).select_related("department").order_by("seq"))
    decisions = {d.case_id: d for d in Decision.objects.filter(case__in=cases)}
    licences = {lc.case_id: lc for lc in Licence.objects.filter(case__in=cases)}
    ready = {c.pk for c in services.ready_cases(submission)}
    items = {i.case_id: i for i in HandoverItem.objects.filter(case__in=cases).select_related("handover")}
    notices = fee_queries.by_case(cases)
    owed = fee_queries.owing(cases)
    rows = []
    for case in cases:
        if case.pk in items:
            state, label = "handed", _("已领取") if items[case.pk].handover.method == "in_person" else _("已邮寄")
        elif case.pk in ready and case.pk in owed:
            state, label = "unpaid", _("待缴费 ¥%(amount)s") % {"amount": owed[case.pk]}
        elif case.pk in ready:
            state, label = "ready", _("可领取")
        elif case.is_open:
            state, label = "open", _("办理中")
        elif case.returned_at is None and case.status != "terminated":
            state, label = "not_returned", _("待部门送回结果")
        else:
            state, label = "none", _("无结果")
        rows.append(
            {
                "case": case,
                "decision": decisions.get(case.pk),
                "licence": licences.get(case.pk),
                "state": state,
                "label": label,
                "item": items.get(case.pk),
                "fees": notices.get(case.pk, []),
            }
        )
    return rows


def _page(request, submission, *, status=200, **extra):
    now = timezone.now()
    since = services.ready_since(submission)
    context = {
        "submission": submission,
        "applicant": submission.as_given,
        "rows": _cases_view(submission),
        "complete": services.is_ready(submission),
        "any_ready": bool(services.ready_cases(submission)),
        "since": since,
        "days": (timezone.localdate(now) - timezone.localtime(since).date()).days if since else None,
        "handovers": Handover.objects.filter(submission=submission).select_related("handed_by", "window"),
        "window": _window(request),
        "errors": {},
        "form": {},
        "open_form": "",
        **extra,
    }
    return render(request, "output/submission.html", context, status=status)


@output_view
def submission(request, number: str):
    return _page(request, _submission_or_404(number))


def _chosen(request) -> tuple[list[str] | None, bool]:
    partial = request.POST.get("partial") == "1"
    cases = request.POST.getlist("cases") if partial else None
    return (cases or None), partial


@output_view
@require_POST
@once.form
def hand_over(request, number: str):
    sub = _submission_or_404(number)
    cases, partial = _chosen(request)
    # The ID number is not echoed back into the page (personal data); the signature is drawn again.
    form = {k: request.POST.get(k, "") for k in ("receiver", "receiver_name", "no_signature_reason", "proof_note")}
    form["authorisation_kept"] = request.POST.get("authorisation_kept") == "1"
    form["representative_checked"] = request.POST.get("representative_checked") == "1"
    try:
        handover = services.hand_over(
            sub,
            request.user,
            receiver=request.POST.get("receiver", ""),
            id_number=request.POST.get("id_number", ""),
            receiver_name=request.POST.get("receiver_name", ""),
            signature=request.POST.get("signature", ""),
            no_signature_reason=request.POST.get("no_signature_reason", ""),
            authorisation_kept=form["authorisation_kept"],
            representative_checked=form["representative_checked"],
            proof_note=request.POST.get("proof_note", ""),
            window=_window(request),
            cases=cases,
            partial=partial,
            request=request,
        )
    except ValidationError as exc:
        form["partial"] = partial
        form["cases"] = cases or []
        errors = _errors(exc, HANDOVER_FIELDS)
        return _page(request, sub, status=422, errors=errors, form=form, open_form="hand_over")
    return redirect("output:receipt", pk=handover.pk)


@output_view
@require_POST
@once.form
def mail(request, number: str):
    sub = _submission_or_404(number)
    cases, partial = _chosen(request)
    form = {k: request.POST.get(k, "") for k in ("address", "carrier", "tracking_number")}
    try:
        handover = services.mail(
            sub,
            request.user,
            address=request.POST.get("address", ""),
            carrier=request.POST.get("carrier", ""),
            tracking_number=request.POST.get("tracking_number", ""),
            window=_window(request),
            cases=cases,
            partial=partial,
            request=request,
        )
    except ValidationError as exc:
        form["partial"] = partial
        form["cases"] = cases or []
        errors = _errors(exc, MAIL_FIELDS)
        return _page(request, sub, status=422, errors=errors, form=form, open_form="mail")
    return redirect("output:receipt", pk=handover.pk)


def _receipt_context(pk: int) -> dict:
    handover = get_object_or_404(
        Handover.objects.select_related("submission__applicant", "submission__site", "handed_by", "window"), pk=pk
    )
    if handover.submission.number is None:
        raise Http404
    items = list(handover.items.select_related("case").order_by("case__seq"))
    return {
        "handover": handover,
        "submission": handover.submission,
        "site": handover.submission.site,
        "items": items,
        "back": reverse("output:submission", args=[handover.submission.number]),
    }


@output_view
def receipt(request, pk: int):
    return render(request, "output/receipt.html", _receipt_context(pk))


@output_view
def receipt_pdf(request, pk: int):
    context = _receipt_context(pk)
    title = _("邮寄送达回执") if context["handover"].method == Handover.Method.MAIL else _("领取回执")
    return pdf_response("output/receipt.html", context, f"{title}-{context['submission'].number}.pdf", request=request)
