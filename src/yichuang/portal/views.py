"""Pages of the online hall (/portal/) and the public progress lookup (/progress/)."""

import functools
import re
import secrets
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from yichuang.catalogue.models import Bundle, Matter
from yichuang.catalogue.queries import merged_materials
from yichuang.core import once
from yichuang.core.masking import mask_phone
from yichuang.intake import duplicates
from yichuang.intake import services as intake_services
from yichuang.intake.models import Channel

from . import queries, services
from .forms import ApplicantForm, CodeForm, LookupForm, MaterialsForm, PhoneForm, SupplyForm

_MATERIAL_PATH = re.compile(r"^materials\[(\d+)\]\.(status|due|originals|copies)$")


def applicant_required(view):
    """The page needs a signed-in applicant: otherwise to the sign-in, and back here afterwards."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        phone = services.verified_phone(request)
        if not phone:
            return redirect(f"{reverse('portal:home')}?{urlencode({'next': request.get_full_path()})}")
        request.applicant_phone = phone
        return view(request, *args, **kwargs)

    return wrapper


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return reverse("portal:home")


def _context(request, **extra) -> dict:
    phone = services.verified_phone(request)
    return {"applicant_phone": mask_phone(phone) if phone else "", **extra}


# --- sign-in ---------------------------------------------------------------------------------------


def _my_questions(phone: str) -> list:
    """The questions asked with this phone (集中咨询), each opened through its own link."""
    from yichuang.consultation.queries import for_phone

    return for_phone(phone)


@never_cache
def home(request):
    phone = services.verified_phone(request)
    if not phone:
        return render(
            request, "portal/sign_in.html", _context(request, form=PhoneForm(), next=request.GET.get("next", ""))
        )
    return render(
        request,
        "portal/home.html",
        _context(request, submissions=list(queries.my_submissions(phone)[:50]), consultations=_my_questions(phone)),
    )


@require_POST
def request_code(request):
    form = PhoneForm(request.POST)
    status = 200
    if form.is_valid():
        try:
            services.request_code(form.cleaned_data["phone"], request=request)
        except services.Throttled as exc:
            form.add_error(None, exc)
            status = 429
        else:
            request.session[services.SESSION_PENDING] = form.cleaned_data["phone"]
            messages.success(request, _("验证码已发送，5 分钟内有效。"))
            target = reverse("portal:code")
            if nxt := request.POST.get("next"):
                target += "?" + urlencode({"next": nxt})
            return redirect(target)
    context = _context(request, form=form, next=request.POST.get("next", ""))
    return render(request, "portal/sign_in.html", context, status=status)


@never_cache
def code(request):
    phone = request.session.get(services.SESSION_PENDING)
    if not phone:
        return redirect("portal:home")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.verify_code(phone, form.cleaned_data["code"], request=request)
        except ValidationError as exc:
            form.add_error("code", exc)
        else:
            target = _next_url(request)
            services.sign_in(request, phone)
            return redirect(target)
    nxt = request.GET.get("next") or request.POST.get("next", "")
    return render(request, "portal/code.html", _context(request, form=form, phone=mask_phone(phone), next=nxt))


@require_POST
def sign_out(request):
    services.sign_out(request)
    return redirect("portal:home")


# --- how the person is told (通知方式) -------------------------------------------------------------


@applicant_required
@never_cache
def notify(request):
    """The person's addresses and preferred channel (notifications.Contact), by the phone they signed in with."""
    from yichuang.notifications import services as notifications
    from yichuang.notifications.backends import active_channels
    from yichuang.notifications.forms import ContactForm

    phone = request.applicant_phone
    contact = notifications.contact_for(phone)
    form = ContactForm(request.POST or None, contact=contact, channels=active_channels())
    if request.method == "POST" and form.is_valid():
        try:
            notifications.set_contact(phone, request=request, **form.changes())
        except ValidationError as exc:
            for field, problems in exc.message_dict.items():
                for problem in problems:
                    form.add_error(field if field in form.fields else None, problem)
        else:
            messages.success(request, _("通知方式已保存。"))
            return redirect("portal:notify")
    return render(request, "portal/notify.html", _context(request, form=form, contact=contact))


# --- applying --------------------------------------------------------------------------------------


@applicant_required
@never_cache
def apply(request):
    query = request.GET.get("q", "").strip()[:100]
    return render(
        request,
        "portal/apply_choose.html",
        _context(
            request,
            query=query,
            matters=list(queries.online_matters(query)[:100]),
            bundles=queries.online_bundles() if not query else [],
        ),
    )


def _place_errors(exc: ValidationError, applicant_form, materials_form) -> list[str]:
    """Put each of intake's errors at its field; what belongs to no field is returned."""
    general = []
    by_field = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
    for path, texts in by_field.items():
        for text in texts:
            if path in ("applicant.kind", "applicant.name", "applicant.id_number"):
                applicant_form.add_error(path.split(".", 1)[1], text)
                continue
            match = _MATERIAL_PATH.match(path or "")
            if match and int(match.group(1)) < len(materials_form.lines):
                field = "due" if match.group(2) == "due" else "status"
                materials_form.add_error(f"{field}_{match.group(1)}", text)
                continue
            general.append(text)
    return general


def _apply_form(request, *, matters: list[Matter], bundle: Bundle | None, title: str):
    lines = merged_materials(matters)
    phone = request.applicant_phone
    key = request.POST.get("key") if request.method == "POST" else None
    if not key or not re.fullmatch(r"[A-Za-z0-9_-]{16,64}", key):
        key = secrets.token_urlsafe(18)
    # Files uploaded on an earlier try of this form (this phone only): the form, shown again, need not ask again.
    kept = services.staged_uploads(phone, key) if request.method == "POST" else {}
    applicant_form = ApplicantForm(request.POST or None, prefix="applicant")
    materials_form = MaterialsForm(
        lines,
        request.POST or None,
        request.FILES or None,
        prefix="m",
        kept={code: row.original_name for code, row in kept.items()},
    )
    general: list[str] = []
    duplicate, status = None, 200
    if request.method == "POST":
        applicant_ok = applicant_form.is_valid()
        materials_ok = materials_form.is_valid()
        # Every file that passed the upload check is kept on the server, whatever else is wrong.
        for code, upload in materials_form.checked_files():
            kept[code] = services.stage_upload(phone, key, code, upload, request=request)
        materials_form.kept = {code: row.original_name for code, row in kept.items()}
        if applicant_ok and materials_ok:
            duplicate = _likely_duplicate(request, applicant_form, matters, bundle, key)
        if duplicate is not None:
            status = 409  # nothing is created until the applicant confirms; the entries and files are kept
        elif applicant_ok and materials_ok:
            try:
                submission = intake_services.submit(
                    actor=None,
                    applicant={**applicant_form.cleaned_data, "phone": phone},
                    matters=[] if bundle else [m.code for m in matters],
                    bundle=bundle.code if bundle else None,
                    materials=materials_form.materials(),
                    channel=Channel.ONLINE,
                    idempotency_key=f"portal-{key}",
                    request=request,
                )
            except ValidationError as exc:
                general = _place_errors(exc, applicant_form, materials_form)
            else:
                if not getattr(submission, "replayed", False):
                    _attach_uploads(request, submission, [kept[c] for c in materials_form.upload_codes() if c in kept])
                    messages.success(request, _("申请已提交，受理编号 %(number)s。") % {"number": submission.number})
                services.discard_staged(phone, key, request=request)
                return redirect("portal:submission", submission.number)
    return render(
        request,
        "portal/apply_form.html",
        _context(
            request,
            title=title,
            matters=matters,
            bundle=bundle,
            applicant_form=applicant_form,
            materials_form=materials_form,
            general_errors=general,
            key=key,
            staged_hours=services.STAGED_HOURS,
            duplicate=duplicate,
        ),
        status=status,
    )


def _likely_duplicate(request, applicant_form, matters, bundle, key) -> dict | None:
    """The same ID number already applied for the same matters (or bundle) today, online or at a window, and the
    applicant has not ticked 我确认这是一次新的申请: what the form says about the earlier application. Its number (with
    a link) only when the signed-in phone may open it; otherwise only that one exists (issue 13.2: the back button
    brings a fresh form with a new token, so the token alone does not catch this)."""
    if request.POST.get("confirm_duplicate"):
        return None
    try:
        duplicates.ensure_confirmed(
            applicant_form.cleaned_data["id_number"],
            [] if bundle else [m.code for m in matters],
            bundle.code if bundle else None,
            confirmed=False,
            idempotency_key=f"portal-{key}",  # a retry of this very form is answered by intake with the first
        )
    except duplicates.LikelyDuplicate as exc:
        earlier = queries.submission_by_number(exc.earlier.number)
        if earlier is not None and services.owns(request, earlier):
            return {"visible": True, "number": earlier.number, "accepted_at": earlier.accepted_at}
        return {"visible": False}  # someone else's: no number, no time, nothing about the person
    return None


def _attach_uploads(request, submission, staged) -> None:
    """Each kept file, after the submission is accepted; a file refused now loses nothing else."""
    for name, reason in services.attach_staged(submission, staged, request=request):
        messages.warning(
            request,
            _("文件“%(name)s”未能保存：%(reason)s 请在办件页面重新上传。") % {"name": name, "reason": reason},
        )


@applicant_required
@never_cache
@once.form
def apply_matter(request, code: str):
    try:
        matter = queries.online_matter(code)
    except Matter.DoesNotExist:
        raise Http404 from None
    return _apply_form(request, matters=[matter], bundle=None, title=matter.name)


@applicant_required
@never_cache
@once.form
def apply_bundle(request, code: str):
    try:
        bundle = queries.online_bundle(code)
    except Bundle.DoesNotExist:
        raise Http404 from None
    return _apply_form(request, matters=bundle.ordered_matters(), bundle=bundle, title=bundle.name)


# --- following one's submissions -------------------------------------------------------------------


def _own_submission(request, number: str):
    submission = queries.submission_by_number(number)
    if submission is None or not services.owns(request, submission):
        raise Http404  # the same for a number that does not exist and one that is someone else's
    return submission


@applicant_required
@never_cache
def submission(request, number: str):
    found = _own_submission(request, number)
    return _submission_page(request, found)


def _submission_page(request, found, *, correction_errors=None, status=200):
    return render(
        request,
        "portal/submission.html",
        _context(
            request,
            p=queries.progress(found),
            supply_form=SupplyForm(),
            can_supply=True,
            corrections=_corrections(found, correction_errors or {}),
        ),
        status=status,
    )


def _corrections(found, errors: dict) -> list[dict]:
    """The open correction requests as the page shows them, each item with its error (files[i]) if any."""
    return [
        {
            "case": case,
            "correction": correction,
            "items": [
                {"i": i, **item, "errors": errors.get(case.number, {}).get(f"files[{i}]", [])}
                for i, item in enumerate(correction.items)
            ],
            "errors": errors.get(case.number, {}).get("top", []),
        }
        for case, correction in services.open_corrections(found)
    ]


@applicant_required
@require_POST
@once.form
def supply_correction(request, number: str, case_number: str):
    """All the files a correction request asks for, at once; then the department's clock restarts."""
    found = _own_submission(request, number)
    count = 64  # a correction never lists more items than this
    files = {i: request.FILES[f"file-{i}"] for i in range(count) if f"file-{i}" in request.FILES}
    materials = {i: request.POST.get(f"material-{i}", "") for i in range(count) if f"material-{i}" in request.POST}
    try:
        services.supply_correction(found, case_number, files, materials, request=request)
    except ValidationError as exc:
        by_field = exc.message_dict if hasattr(exc, "error_dict") else {"top": exc.messages}
        return _submission_page(request, found, correction_errors={case_number: by_field}, status=422)
    messages.success(request, _("补正材料已提交，部门已恢复办理。"))
    return redirect("portal:submission", found.number)


@applicant_required
@require_POST
@once.form
def supply(request, number: str):
    found = _own_submission(request, number)
    form = SupplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            intake_services.supply_material(
                found, form.cleaned_data["material"], form.cleaned_data["file"], actor=None, request=request
            )
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        else:
            messages.success(request, _("材料已补交。"))
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect("portal:submission", found.number)


# --- progress lookup without an account ------------------------------------------------------------


@never_cache
def progress(request):
    form = LookupForm(request.POST or None, initial={"number": request.GET.get("number", "")})
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            found = services.lookup(form.cleaned_data["number"], form.cleaned_data["last4"], request=request)
        except services.Throttled as exc:
            form.add_error(None, exc)
            status = 429
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect("portal:progress_detail", found.number)
    return render(request, "portal/progress_form.html", _context(request, form=form), status=status)


@never_cache
def progress_detail(request, number: str):
    found = queries.submission_by_number(number.strip().upper()[:60])
    if found is None or not services.may_follow(request, found):
        # Only the form: nothing here says whether the number exists.
        form = LookupForm(initial={"number": number[:60]})
        return render(request, "portal/progress_form.html", _context(request, form=form))
    return render(
        request,
        "portal/progress.html",
        _context(
            request,
            p=queries.progress(found),
            highlight=number,
            can_supply=services.owns(request, found),
            corrections=_corrections(found, {}),
        ),
    )
