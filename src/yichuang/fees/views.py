"""The gateway's callback (POST, signed; no session, no CSRF token: the signature is the proof) and, with the
simulator only, the demo's 模拟缴费 button for output clerks."""

import logging

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from yichuang.organisation.roles import Role, acts_as

from . import gateways, services
from .models import PaymentNotice

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def callback(request):
    try:
        event = services.receive_callback(request.body, request.headers)
    except gateways.CallbackRefused as exc:
        logger.warning("fees: callback refused: %s", exc)
        return JsonResponse({"ok": False, "error": "signature"}, status=403)
    except gateways.BadCallback as exc:
        return JsonResponse({"ok": False, "error": str(exc)}, status=400)
    except services.UnknownNotice:
        return JsonResponse({"ok": False, "error": "unknown notice"}, status=404)
    return JsonResponse({"ok": True, "applied": event.applied})


@login_required
@require_POST
def simulate_payment(request, number: str):
    """演示：模拟申请人缴费 (only while the gateway is the simulator, in development or a demonstration that allows
    it — FEES_SIMULATOR_ALLOWED): the simulator's payer pays and the simulator calls back, as the real platform
    would. Anywhere else there is no such page (404)."""
    if not gateways.simulator_allowed():
        raise Http404
    if not acts_as(request.user, Role.OUTPUT_CLERK, Role.HALL_ADMIN):
        raise PermissionDenied(_("您没有出件岗位。"))
    notice = get_object_or_404(PaymentNotice.objects.select_related("case__submission"), number=number)
    simulator = gateways.get_gateway()
    try:
        if notice.sent_at is None:
            services.push(notice.pk, gateway=simulator)
        simulator.pay(notice.number)
    except gateways.GatewayError:
        pass  # the simulator misbehaving on purpose: the page shows the notice still unpaid
    return redirect("output:submission", number=notice.case.submission.number)
