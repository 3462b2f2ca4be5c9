"""Staff pages of the outbox: the messages of one submission, and sending a failed one again."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from . import services
from .models import Message


def _ensure_staff(user) -> None:
    """Every account is a member of staff; one without any role (or a disabled one) sees nothing here."""
    if not (user.is_superuser or user.role_names()):
        raise PermissionDenied(_("您没有查看消息的岗位。"))


@login_required
@never_cache
def submission(request, number: str):
    _ensure_staff(request.user)
    return render(request, "notifications/submission.html", {"number": number})


@login_required
@require_POST
def retry(request, pk: int):
    _ensure_staff(request.user)
    message = get_object_or_404(Message, pk=pk)
    try:
        services.retry(message, request.user, request=request)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("消息已重新排队发送。"))
    if message.submission:
        return redirect("notifications:submission", message.submission)
    return redirect("start")
