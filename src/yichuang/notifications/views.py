"""Staff pages of the outbox (the messages of one submission, sending a failed one again) and the SMS gateway's
delivery receipts (a machine endpoint, signed)."""

import json
import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from yichuang.organisation.roles import acts_as, has_any_role

from . import services
from .backends import verify
from .models import Message

logger = logging.getLogger("yichuang.notifications")
DEFAULT_RECEIPT_MAX_AGE = 300
MAX_RECEIPTS = 500


def _ensure_staff(user) -> None:
    """Every account is a member of staff; one without any role (or a disabled one) sees nothing here."""
    if not has_any_role(user):
        raise PermissionDenied(_("您没有查看消息的岗位。"))


def _ensure_may_see(user, number: str) -> None:
    """The outbox of a submission is scoped like the submission itself (intake.queries.ensure_can_view, on
    organisation.access): front staff see every one, a department's staff only those with a case of their department,
    and anyone else is answered as if it did not exist (404). Messages of no known submission (sign-in codes) are
    for front staff only."""
    from yichuang.intake import queries as intake_queries
    from yichuang.intake.models import Submission

    found = Submission.objects.filter(number=number).first() if number else None
    if found is not None:
        intake_queries.ensure_can_view(user, found)
    elif not acts_as(user, *intake_queries.FRONT_ROLES):
        raise Http404(_("没有这个受理编号。"))


@login_required
@never_cache
def submission(request, number: str):
    _ensure_staff(request.user)
    _ensure_may_see(request.user, number)
    return render(request, "notifications/submission.html", {"number": number})


@login_required
@require_POST
def retry(request, pk: int):
    _ensure_staff(request.user)
    message = Message.objects.filter(pk=pk).first()
    try:
        if message is None:
            raise Http404
        _ensure_may_see(request.user, message.submission)
    except Http404:
        raise Http404(_("没有这条消息。")) from None  # the same answer for a message not there and one not theirs
    try:
        services.retry(message, request.user, request=request)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("消息已重新排队发送。"))
    if message.submission:
        return redirect("notifications:submission", message.submission)
    return redirect("start")


@csrf_exempt  # a machine's POST, authenticated by its signature instead
@require_POST
def sms_receipt(request):
    """Delivery receipts of the SMS gateway (docs/channels.md): one receipt object, a list of them, or
    {"receipts": [...]}, signed as our requests to it are (X-Yichuang-Timestamp, X-Yichuang-Signature over
    "<timestamp>.<body>" with NOTIFICATION_WEBHOOK_SECRET). Answers 200 with counts for anything signed —
    unknown and repeated receipts included, so the gateway stops resending them — and 403 for anything not."""
    body = request.body
    max_age = float(getattr(settings, "NOTIFICATION_RECEIPT_MAX_AGE", DEFAULT_RECEIPT_MAX_AGE))
    secret = getattr(settings, "NOTIFICATION_WEBHOOK_SECRET", "")
    if not verify(
        secret, request.headers.get("X-Yichuang-Timestamp"), request.headers.get("X-Yichuang-Signature"), body, max_age
    ):
        logger.warning("delivery receipt refused: missing, stale or wrong signature")
        return JsonResponse({"error": "signature"}, status=403)
    try:
        payload = json.loads(body or b"null")
    except ValueError:
        return JsonResponse({"error": "json"}, status=400)
    if isinstance(payload, dict) and isinstance(payload.get("receipts"), list):
        payload = payload["receipts"]
    receipts = payload if isinstance(payload, list) else [payload]
    if len(receipts) > MAX_RECEIPTS:
        return JsonResponse({"error": "too many receipts", "max": MAX_RECEIPTS}, status=413)
    outcome = services.ReceiptOutcome()
    for receipt in receipts:
        services.record_receipt(receipt, outcome)
    return JsonResponse(outcome.as_dict())
