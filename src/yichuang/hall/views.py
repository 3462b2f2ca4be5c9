"""The live hall `/hall/` (大屏 for the hall manager and supervisors), its feed and the alerts' acknowledgement.

The page is drawn whole by the server and then kept current by `static/hall/live.js`, which polls the feed
every HALL_POLL_SECONDS; the feed is the one cached state of the site (`queries.live`), the same for every
viewer."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from yichuang.organisation.models import Site

from . import queries, services
from .models import Alert


def _ensure(user) -> None:
    if not queries.may_see(user):
        raise PermissionDenied(_("大厅运行监测仅供大厅管理员和督办人员查看。"))


def _site(request) -> Site:
    code = request.GET.get("site") or request.POST.get("site")
    if code:
        return get_object_or_404(Site, code=code)
    site = getattr(request.user, "site", None) or queries.default_site()
    if site is None:
        raise PermissionDenied(_("尚未设置服务场所。"))
    return site


@login_required
@never_cache
def live(request):
    _ensure(request.user)
    site = _site(request)
    return render(
        request,
        "hall/live.html",
        {
            "site": site,
            "sites": Site.objects.order_by("code"),
            "state": queries.live(site),
            "poll_ms": settings.HALL_POLL_SECONDS * 1000,
            "poll_seconds": settings.HALL_POLL_SECONDS,
        },
    )


@login_required
@never_cache
def feed(request):
    _ensure(request.user)
    return JsonResponse(queries.live(_site(request)))


@login_required
@require_POST
def acknowledge(request, alert_id: int):
    _ensure(request.user)
    alert = get_object_or_404(Alert, pk=alert_id)
    alert = services.acknowledge(alert, request.user, request=request)
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse({"id": alert.pk, "acknowledged": True, "by": alert.acknowledged_by.display_name})
    return redirect(f"{reverse('hall:live')}?site={alert.site.code}")
