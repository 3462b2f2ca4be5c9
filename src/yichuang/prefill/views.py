"""The pre-filled application's pages: the self-service terminal (/self/<site>/, no login, large print, touch and
keyboard), the same form in the online hall (/portal/prefill/, signed in by phone), and the staff's pre-check
list (/desk/prefills/). The intake desk loads a code through `intake.views` (prefill.queries.desk_values)."""

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from yichuang.core.masking import mask_id_number, mask_name, mask_phone
from yichuang.organisation.models import Site
from yichuang.organisation.roles import Role, acts_as
from yichuang.portal import services as portal_services
from yichuang.portal.views import applicant_required
from yichuang.queue import ratelimit
from yichuang.situation import queries as situation_queries
from yichuang.situation.models import Guide
from yichuang.situation.views import guide_context

from . import queries, services
from .models import Prefill

SESSION_DONE = "prefill_done"  # the codes this browser made and may show (a kiosk: until 完成)


def _site(code: str) -> Site:
    return get_object_or_404(Site, code=code[:32])


def _guide(code: str):
    guide = Guide.objects.select_related("bundle__zone", "matter").filter(code=code[:40]).first()
    version = guide.published() if guide else None
    if version is None:
        raise Http404(_("没有这个情形引导。"))
    return guide, version


def _person(post, prefix: str) -> dict:
    return {name: (post.get(f"{prefix}.{name}") or "").strip()[:100] for name in ("kind", "name", "id_number", "phone")}


def _errors(exc: ValidationError) -> dict:
    by_field = exc.message_dict if hasattr(exc, "error_dict") else {"general": exc.messages}
    return {k.replace(".", "_"): v for k, v in by_field.items()}


def _form(request, *, site, guide, version, layout: str, owner: str = "", phone: str = "", done_url):
    answers = situation_queries.answers_from(request.POST if request.method == "POST" else request.GET)
    applicant = _person(request.POST, "applicant") if request.method == "POST" else {"kind": "org", "phone": phone}
    agent = _person(request.POST, "agent") if request.method == "POST" else {}
    errors, status = {}, 200
    if request.method == "POST":
        files = {line["material"]: request.FILES[f"file-{line['material']}"] for line in queries.upload_lines(version)
                 if f"file-{line['material']}" in request.FILES}  # fmt: skip
        try:
            prefill = services.create(
                site=site, channel=Prefill.Channel.PORTAL if owner else Prefill.Channel.KIOSK, version=version,
                answers=answers, applicant={**applicant, "phone": applicant.get("phone") or phone},
                agent=agent if any(agent.get(k) for k in ("name", "id_number", "phone")) else None,
                files=files, owner=owner, precheck=request.POST.get("precheck") == "1",
                rate_key=None if owner else ratelimit.client_key(request), request=request,
            )  # fmt: skip
        except services.RateLimited as refused:
            errors = {"general": [_("填报过于频繁，请 %(s)s 秒后再试。") % {"s": int(refused.wait + 0.999)}]}
            status = 429
        except ValidationError as exc:
            errors, status = _errors(exc), 422
        else:
            request.session[SESSION_DONE] = [*request.session.get(SESSION_DONE, [])[-9:], prefill.code]
            return redirect(done_url(prefill))
    context = {
        "layout": layout,
        "kiosk": not owner,
        "site": site,
        "guide": guide,
        "applicant": applicant,
        "agent": agent,
        "errors": errors,
        "error_count": sum(len(v) for v in errors.values()),
        "upload_lines": [
            {**line, "errors": errors.get(f"files_{line['material']}", [])} for line in queries.upload_lines(version)
        ],
        "situation_required": True,
        **guide_context(version, answers),
    }
    return render(request, "prefill/form.html", context, status=status)


def _done_context(request, prefill: Prefill, **extra) -> dict:
    outcome = situation_queries.outcome(prefill.version, prefill.answers)
    qr = segno.make(prefill.code, error="m").svg_inline(scale=8, border=2)
    return {
        "prefill": prefill,
        "qr": qr,
        "outcome": outcome,
        "files": {f.material: f for f in prefill.files.all()},
        "applicant_name": prefill.applicant.get("name", ""),
        **extra,
    }


# --- the self-service terminal ---------------------------------------------------------------------------


@never_cache
def kiosk_start(request, site: str):
    site = _site(site)
    request.session.pop(SESSION_DONE, None)  # the next person starts clean
    return render(request, "prefill/start.html", {"layout": "prefill/kiosk_base.html", "kiosk": True, "site": site,
                                                  "guides": queries.guides_at(site)})  # fmt: skip


@never_cache
def kiosk_form(request, site: str, guide: str):
    site = _site(site)
    guide, version = _guide(guide)
    return _form(request, site=site, guide=guide, version=version, layout="prefill/kiosk_base.html",
                 done_url=lambda p: reverse("prefill:kiosk_done", args=[site.code, p.code]))  # fmt: skip


def _own_code(request, code: str) -> Prefill:
    if code not in request.session.get(SESSION_DONE, []):
        raise Http404(_("该页面已关闭。"))
    return get_object_or_404(Prefill.objects.select_related("version__guide__bundle__zone", "ticket"), code=code)


@never_cache
def kiosk_done(request, site: str, code: str):
    site = _site(site)
    prefill = _own_code(request, code)
    return render(request, "prefill/done.html", {"layout": "prefill/kiosk_base.html", "kiosk": True, "site": site,
                                                 **_done_context(request, prefill)})  # fmt: skip


@require_POST
def kiosk_ticket(request, site: str, code: str):
    site = _site(site)
    prefill = _own_code(request, code)
    from yichuang.queue.services import RateLimited

    try:
        ticket = services.take_ticket(prefill, request=request, rate_key=ratelimit.client_key(request))
    except RateLimited as refused:
        messages.error(request, _("取号过于频繁，请 %(s)s 秒后再试。") % {"s": int(refused.wait + 0.999)})
        return redirect("prefill:kiosk_done", site.code, prefill.code)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("prefill:kiosk_done", site.code, prefill.code)
    request.session.pop(SESSION_DONE, None)
    return redirect("queue:kiosk_ticket", site.code, ticket.token)


# --- the online hall ----------------------------------------------------------------------------------------


@applicant_required
@never_cache
def portal_start(request):
    from yichuang.catalogue.queries import default_site

    site = default_site()
    owner = portal_services.phone_hash(request.applicant_phone)
    return render(request, "prefill/start.html", {
        "layout": "portal/base_portal.html", "kiosk": False, "site": site,
        "guides": queries.guides_at(site) if site else [], "mine": list(queries.mine(owner)),
        "applicant_phone": mask_phone(request.applicant_phone),
    })  # fmt: skip


@applicant_required
@never_cache
def portal_form(request, guide: str):
    from yichuang.catalogue.queries import default_site

    guide, version = _guide(guide)
    site = default_site()
    owner = portal_services.phone_hash(request.applicant_phone)
    return _form(
        request, site=site, guide=guide, version=version, layout="portal/base_portal.html", owner=owner,
        phone=request.applicant_phone, done_url=lambda p: reverse("prefill:portal_done", args=[p.code]),
    )  # fmt: skip


@applicant_required
@never_cache
def portal_done(request, code: str):
    prefill = get_object_or_404(Prefill.objects.select_related("version__guide", "submission"), code=code[:8])
    if prefill.owner != portal_services.phone_hash(request.applicant_phone):
        raise Http404(_("没有这个预填申请。"))
    return render(request, "prefill/done.html", {"layout": "portal/base_portal.html", "kiosk": False,
                                                 "applicant_phone": mask_phone(request.applicant_phone),
                                                 **_done_context(request, prefill)})  # fmt: skip


# --- staff: pre-check ---------------------------------------------------------------------------------------


def _ensure_staff(user):
    if not acts_as(user, *services.STAFF_ROLES):
        raise PermissionDenied(_("您没有综合受理岗位。"))


def _at_my_site(request, prefill: Prefill) -> Prefill:
    """Staff of a site pre-check and open their own site's applications; hall admins any."""
    site_id = getattr(request.user, "site_id", None)
    if site_id and site_id != prefill.site_id and not acts_as(request.user, Role.HALL_ADMIN):
        raise Http404(_("没有这个预填申请。"))
    return prefill


@login_required
@never_cache
def precheck_list(request):
    _ensure_staff(request.user)
    rows = list(queries.awaiting_precheck(getattr(request.user, "site", None))[:200])
    for row in rows:
        row.masked_name = mask_name(row.applicant.get("name", ""))
    return render(request, "prefill/precheck_list.html", {"rows": rows})


@login_required
@never_cache
def precheck_detail(request, code: str):
    _ensure_staff(request.user)
    prefill = _at_my_site(request, get_object_or_404(Prefill.objects.select_related("version__guide"), code=code[:8]))
    errors = {}
    if request.method == "POST":
        try:
            services.precheck(prefill, actor=request.user, complete=request.POST.get("result") == "complete",
                              note=request.POST.get("note", ""), request=request)  # fmt: skip
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            messages.success(request, _("预审结果已告知申请人。"))
            return redirect("prefill:precheck_list")
    services.record_view(prefill, request.user, request=request)
    context = _done_context(request, prefill, errors=errors, staff=True,
                            id_number=mask_id_number(prefill.applicant.get("id_number", "")))  # fmt: skip
    return render(request, "prefill/precheck_detail.html", context)


@login_required
def prefill_file(request, code: str, material: str):
    """A file of a pre-filled application, for intake staff (the desk's checklist and the pre-check link it)."""
    _ensure_staff(request.user)
    prefill = _at_my_site(request, get_object_or_404(Prefill, code=code[:8]))
    row = get_object_or_404(prefill.files, material=material[:32])
    from django.http import FileResponse
    from django.utils.http import content_disposition_header

    services.record_view(prefill, request.user, request=request, what=f"file {row.material}")
    response = FileResponse(row.file.open("rb"), content_type=row.content_type)
    response["Content-Disposition"] = content_disposition_header(False, row.original_name)
    response["X-Content-Type-Options"] = "nosniff"
    return response
