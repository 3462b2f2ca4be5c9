"""集中咨询 pages: the consultant's desk, one consultation, the department's queue, and the citizen's pages (the
question form of the online hall and the token link to read the answer and rate).

Thin: every change goes through `consultation.services`; a service's ValidationError is shown at its field (422
with the form again); a step the user may not take is a 403; a consultation the user may not see (another
department's) a 404.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from yichuang.core import audit, once
from yichuang.core.errors import too_many_requests
from yichuang.organisation.access import visible_department_ids
from yichuang.organisation.roles import has_any_role
from yichuang.queue import ratelimit

from . import queries, services
from .forms import (
    AnswerForm,
    AskForm,
    DeskReplyForm,
    EscalateForm,
    RateForm,
    RecordForm,
    SuggestArticleForm,
    apply_errors,
)
from .models import Consultation, ConsultationRating, Escalation


def _ask_rate() -> str:
    """Online questions per client address (settings.CONSULT_ASK_RATE, "burst/seconds"), read at each request."""
    return getattr(settings, "CONSULT_ASK_RATE", "10/3600")


def _ensure_desk(user) -> None:
    if not services.may_record(user):
        raise PermissionDenied(_("咨询台仅供咨询人员使用。"))


def _article_ids(request) -> list[str]:
    return [v for v in request.POST.getlist("articles") if v.isdigit() and len(v) < 18][:20]


def _chosen_articles(ids) -> list:
    from yichuang.knowledge.models import Article

    return list(Article.objects.filter(pk__in=ids, published__isnull=False).select_related("published"))


# --- the desk ------------------------------------------------------------------------------------------


@login_required
@never_cache
@once.form
def desk(request):
    """登记咨询: from the ticket called at the consultant's window, or a phone / video question."""
    _ensure_desk(request.user)
    ticket = services.called_ticket(request.user)
    initial = {"channel": Consultation.Channel.WINDOW if ticket else Consultation.Channel.PHONE, "solved": "1"}
    if ticket is not None and ticket.matter_id:
        initial["matters"] = [ticket.matter_id]
    # From the video desk: /consult/?channel=video&video_call=<id> — the form carries the call to services.record.
    if request.GET.get("channel") in Consultation.Channel.values and request.GET["channel"] != "online":
        initial["channel"] = request.GET["channel"]
    if request.GET.get("video_call"):
        initial["video_call"] = request.GET["video_call"][:20]
        initial["channel"] = Consultation.Channel.VIDEO
    form = RecordForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                consultation = services.record(
                    request.user,
                    channel=data["channel"],
                    question=data["question"],
                    matters=list(data["matters"]),
                    asker_name=data["asker_name"],
                    asker_phone=data["asker_phone"],
                    answer=data["answer"],
                    articles=_article_ids(request),
                    solved=data["solved"],
                    ticket=ticket,
                    department=data["department"],
                    note=data["note"],
                    video_call=data["video_call"] or None,
                    request=request,
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                if consultation.status == Consultation.Status.ESCALATED:
                    messages.success(
                        request,
                        _("咨询 %(n)s 已转办%(d)s，答复期限 %(due)s。")
                        % {
                            "n": consultation.number,
                            "d": consultation.escalation.department.name,
                            "due": timezone.localtime(consultation.escalation.due_at).strftime("%Y-%m-%d %H:%M"),
                        },
                    )
                else:
                    messages.success(request, _("咨询 %(n)s 已登记。") % {"n": consultation.number})
                return redirect("consultation:detail", consultation.number)
        status = 422
    return render(
        request,
        "consultation/desk.html",
        {
            "form": form,
            "ticket": ticket,
            "chosen_articles": _chosen_articles(_article_ids(request)) if request.method == "POST" else [],
            "video_call": queries.video_call(request.user, form["video_call"].value()),
            "today": queries.of_day()[: queries.PAGE_SIZE],
            "waiting": queries.waiting_at_desk()[: queries.PAGE_SIZE],
            "escalation_days": services.rules().escalation_days,
        },
        status=status,
    )


@require_GET
@never_cache
def suggest(request):
    """Knowledge articles for the question being typed (an HTML fragment the desk's script puts under the field):
    internal articles too for staff, public ones only for everyone else."""
    text = (request.GET.get("q") or "")[:200].replace("\x00", "")
    keep = [v for v in request.GET.getlist("keep") if v.isdigit() and len(v) < 18][:20]
    staff = has_any_role(request.user)
    found = queries.suggest(text, public_only=not staff) if len(text.strip()) >= 2 else []
    kept = _chosen_articles(keep) if staff else []
    kept_ids = {a.pk for a in kept}
    return render(
        request,
        "consultation/_suggestions.html",
        {"kept": kept, "found": [a for a in found if a.pk not in kept_ids], "selectable": staff, "typed": text.strip()},
    )


MATTER_HITS = 10


@require_GET
@never_cache
def matters(request):
    """The online question form's matter picker: the guide's search (catalogue.queries), the first hits as JSON
    [{"id", "code", "name", "department"}]. Public, read-only, as the guide is."""
    from yichuang.catalogue import queries as catalogue
    from yichuang.catalogue import search

    query = search.normalise_query((request.GET.get("q") or "")[:100])
    found = catalogue.search_page(search.understood(query), MATTER_HITS)[0] if query else []
    return JsonResponse(
        {"matters": [{"id": m.pk, "code": m.code, "name": m.name, "department": m.department.name} for m in found]},
        json_dumps_params={"ensure_ascii": False},
    )


# --- one consultation ----------------------------------------------------------------------------------


def _consultation_or_404(user, number: str) -> Consultation:
    found = queries.detail(user, number)
    if found is None:
        raise Http404(_("没有这条咨询。"))
    return found


def _escalation(consultation: Consultation) -> Escalation | None:
    try:
        return consultation.escalation
    except Escalation.DoesNotExist:
        return None


def _rating(consultation: Consultation) -> ConsultationRating | None:
    try:
        return consultation.rating
    except ConsultationRating.DoesNotExist:
        return None


def _detail_page(request, consultation: Consultation, *, status: int = 200, **forms):
    user = request.user
    escalation = _escalation(consultation)
    may_full = services.sees_personal_data(user, consultation)
    full = may_full and request.GET.get("full") == "1"
    if full:
        # Viewing a person's full name and phone is recorded (masked in the summary).
        audit.record(user, "consultation.view_personal", consultation, summary=consultation.number, request=request)
    is_open = consultation.status == Consultation.Status.OPEN
    desk = services.may_record(user)
    context = {
        "c": consultation,
        "escalation": escalation,
        "level": queries.level(escalation) if escalation else "",
        "rating": _rating(consultation),
        "asker": queries.asker(consultation, full=full),
        "may_full": may_full and not full,
        "full": full,
        "reply_form": forms.get("reply_form") or (DeskReplyForm() if desk and is_open else None),
        "escalate_form": forms.get("escalate_form")
        or (
            EscalateForm(initial={"department": services.matters_department(consultation)})
            if desk and is_open
            else None
        ),
        "answer_form": forms.get("answer_form")
        or (
            AnswerForm()
            if escalation and escalation.status == Escalation.Status.OPEN and services.may_answer(user, escalation)
            else None
        ),
        "may_propose": not consultation.proposed_article_id
        and consultation.status in (Consultation.Status.ANSWERED, Consultation.Status.REPLIED)
        and services.proposing_department(user, consultation) is not None,
        "suggest_form": forms.get("suggest_form")
        or (SuggestArticleForm() if services.may_suggest_article(user, consultation) else None),
        # The select only when the matters do not name the one department (the service decides the same way).
        "suggest_needs_department": services.matters_department(consultation) is None,
        # The asker's link (read the answer, rate it) only for the desk, which hands it over: the answering
        # department must not hold the link that rates its own answer.
        "citizen_url": services.reading_url(consultation) if desk else "",
        "desk": desk,
        "calls": queries.calls_of(consultation),
    }
    return render(request, "consultation/detail.html", context, status=status)


@login_required
@never_cache
def detail(request, number: str):
    return _detail_page(request, _consultation_or_404(request.user, number))


def _next(request, default: str) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}) and target.startswith("/"):
        return target
    return default


def _step(request, number: str, form_class, form_name: str, call, done: str):
    consultation = _consultation_or_404(request.user, number)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            call(consultation, form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, done % {"n": consultation.number})
            return redirect(_next(request, reverse("consultation:detail", args=[consultation.number])))
    return _detail_page(request, consultation, status=422, **{form_name: form})


@login_required
@require_POST
def reply(request, number: str):
    def call(consultation, data):
        services.reply_at_desk(
            consultation, request.user, answer=data["answer"], articles=_article_ids(request), request=request
        )

    return _step(request, number, DeskReplyForm, "reply_form", call, _("咨询 %(n)s 已答复。"))


@login_required
@require_POST
def escalate(request, number: str):
    def call(consultation, data):
        services.escalate(consultation, request.user, department=data["department"], note=data["note"], request=request)

    return _step(request, number, EscalateForm, "escalate_form", call, _("咨询 %(n)s 已转办。"))


@login_required
@require_POST
def answer(request, number: str):
    def call(consultation, data):
        services.answer(
            consultation, request.user, reply=data["reply"], articles=_article_ids(request), request=request
        )

    return _step(request, number, AnswerForm, "answer_form", call, _("咨询 %(n)s 已答复，答复已通知咨询人。"))


@login_required
@require_POST
def propose(request, number: str):
    consultation = _consultation_or_404(request.user, number)
    try:
        article = services.propose_article(consultation, request.user, request=request)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("已据此答复起草知识文章草稿（%(t)s），待提交审核。") % {"t": article.pk})
    return redirect(_next(request, reverse("consultation:detail", args=[consultation.number])))


@login_required
@require_POST
def suggest_article(request, number: str):
    """建议入库 from the desk (the consultant who answered on the spot); the department's editors draft it."""

    def call(consultation, data):
        services.suggest_article(consultation, request.user, department=data["department"], request=request)

    return _step(
        request, number, SuggestArticleForm, "suggest_form", call, _("咨询 %(n)s 已建议入库，待部门起草知识文章。")
    )


# --- the department's queue ----------------------------------------------------------------------------


@login_required
@never_cache
def department(request):
    """咨询转办 waiting for the department's answer, due first: red past the deadline, yellow due today."""
    if visible_department_ids(request.user) == set():
        raise PermissionDenied(_("部门咨询转办仅供部门的后台审批人员、部门负责人查看。"))
    now = timezone.now()
    rows = list(queries.escalations_for(request.user)[:200])
    for row in rows:
        row.level = queries.level(row, now)
        row.may_answer = services.may_answer(request.user, row)
    answered = list(
        queries.escalations_for(request.user, open_only=False).filter(status=Escalation.Status.ANSWERED)
        .order_by("-replied_at")[:20]
    )  # fmt: skip
    suggestions = list(queries.article_suggestions_for(request.user)[:50])
    for row in suggestions:
        row.may_propose = services.proposing_department(request.user, row) is not None
    return render(
        request,
        "consultation/department.html",
        {"rows": rows, "answered": answered, "suggestions": suggestions, "now": now, "form": AnswerForm()},
    )


# --- the citizen's pages -------------------------------------------------------------------------------


def _portal_phone(request) -> str:
    from yichuang.portal.services import verified_phone

    return verified_phone(request) or ""


def _portal_context(request, **extra) -> dict:
    from yichuang.core.masking import mask_phone

    phone = _portal_phone(request)
    return {"applicant_phone": mask_phone(phone) if phone else "", **extra}


@never_cache
@once.form
def ask(request):
    """我要咨询: a question to the hall from the online hall; the answer comes by text message with a link."""
    form = AskForm(request.POST or None, initial={"asker_phone": _portal_phone(request)})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            # Only questions that would be recorded count: a form sent back to fix a typo costs nothing.
            wait = ratelimit.hit(f"consult-ask:{ratelimit.client_key(request)}", _ask_rate())
            if wait:
                return too_many_requests(request, _("提问过于频繁，请稍后再试，或拨打大厅电话咨询。"), wait)
            data = form.cleaned_data
            try:
                consultation = services.ask_online(
                    question=data["question"],
                    asker_phone=data["asker_phone"],
                    asker_name=data["asker_name"],
                    matters=list(data["matters"]),
                    request=request,
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("您的咨询已提交，编号 %(n)s。答复后会以短信告知您，也可收藏本页查看。") % {
                    "n": consultation.number})  # fmt: skip
                return redirect("consultation:citizen", consultation.token)
        status = 422
    return render(request, "consultation/ask.html", _portal_context(request, form=form), status=status)


@never_cache
@once.form
def citizen(request, token: str):
    """The asker's page through the link: the question, the answer(s) and the rating form (once)."""
    consultation = get_object_or_404(Consultation.objects.select_related("escalation__department"), token=token)
    form = RateForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.rate(
                    consultation,
                    level=form.cleaned_data["level"],
                    comment=form.cleaned_data["comment"],
                    request=request,
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("感谢您的评价！"))
                return redirect("consultation:citizen", consultation.token)
        status = 422
    rating = _rating(consultation)
    answered = consultation.status in (Consultation.Status.ANSWERED, Consultation.Status.REPLIED)
    return render(
        request,
        "consultation/citizen.html",
        _portal_context(
            request,
            c=consultation,
            escalation=_escalation(consultation),
            rating=rating,
            form=form if answered and rating is None else None,
            # A rating refused after another one landed (a second tab): say why, above the rating kept.
            refused=[m for errs in form.errors.values() for m in errs] if rating is not None and form.errors else [],
            articles=[a for a in consultation.articles.select_related("published") if a.visibility == "public"],
        ),
        status=status,
    )
