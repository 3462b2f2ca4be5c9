"""One-time form tokens: a form that creates something is handled once, however often it is sent.

Every such form carries a hidden token (`{% load once %}{% once_field %}` inside the <form>); its view is decorated
with `@once.form`. A POST with a token runs the view in one transaction that starts by inserting the token's row
(`FormToken`, unique key):

- the first POST inserts it, runs the view and, when the view answers with a redirect (its result: the new
  submission, handover, rating …), records that address on the row — committed together with what was created;
- a repeat of a token already used creates nothing: it is sent to the first result with the message `REPEATED`;
- a repeat sent while the first is still running waits for it (PostgreSQL: the second insert of the same key waits
  for the first transaction; SQLite: writers are serialized) and is then sent to the first result as well;
- when the view does not end with a redirect (the form is shown again with its errors, or the desk's checklist),
  the row is removed again: the same token can be sent once more after the entries are fixed.

Tokens are signed with a timestamp: one older than `settings.FORM_TOKEN_SECONDS` (a form left open for days) or not
issued by this server is refused with a readable page (409/400) and nothing is done. A token is claimed for its
sender (the signed-in user, else the browser session): a repeat from someone else gets a 409, never the first
sender's result. Rows older than the lifetime are removed by the periodic job `core.form_tokens` (core/tasks.py).
A POST without a token (scripts, the API — which has its own Idempotency-Key) is handled as before.
"""

import datetime as dt
import functools
import secrets

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template import loader
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import FormToken

FIELD = "form_token"
SALT = "yichuang.core.once"
REPEATED = "此表单已提交过，以下是第一次提交的结果。"


def lifetime() -> dt.timedelta:
    return dt.timedelta(seconds=settings.FORM_TOKEN_SECONDS)


def new_token(name: str = "") -> str:
    """A fresh token; `name` tells apart the forms of one page (see token_for)."""
    return signing.TimestampSigner(salt=SALT).sign(f"{name[:24]}.{secrets.token_urlsafe(24)}")


def key_of(token: str) -> str:
    """The token's random part; signing.SignatureExpired for a token older than the lifetime, BadSignature for
    one this server did not issue."""
    if not isinstance(token, str) or len(token) > 200:
        raise signing.BadSignature("malformed")
    key = signing.TimestampSigner(salt=SALT).unsign(token, max_age=lifetime())
    if not key or len(key) > 64:
        raise signing.BadSignature("malformed")
    return key


def token_for(request, name: str = "") -> str:
    """The token to render for the form `name` of a page: the one just sent with that form when it is shown again
    after a POST (so the corrected form stays the same submission), else a new one."""
    if request is not None and request.method == "POST":
        sent = request.POST.get(FIELD)
        try:
            key = key_of(sent)
        except signing.BadSignature:
            pass
        else:
            # This request's own claim is released when the form is shown again; another one is spent.
            mine = getattr(request, "_once_key", None) == key
            if key.split(".", 1)[0] == name[:24] and (mine or not FormToken.objects.filter(key=key).exists()):
                return sent
    return new_token(name)


def owner_of(request) -> str:
    """Who sends: the signed-in user, else the browser session ("" when there is none yet)."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    session = getattr(request, "session", None)
    key = getattr(session, "session_key", None) if session is not None else None
    return f"session:{key}" if key else ""


def claim(key: str, owner: str, form: str, now: dt.datetime | None = None) -> tuple[FormToken | None, bool]:
    """Insert the token's row in the caller's transaction: (row, True) for the first sender; (the first row, False)
    for a repeat — after waiting for a first that is still running. (None, False) if the first row vanished."""
    now = now or timezone.now()
    try:
        with transaction.atomic():  # a savepoint: the caller's transaction survives the unique violation
            return FormToken.objects.create(key=key, owner=owner, form=form[:200], created_at=now), True
    except IntegrityError:
        return FormToken.objects.filter(key=key).first(), False


def _refusal(request, status: int, reason: str) -> HttpResponse:
    from .errors import _back_url

    context = {"reason": reason, "back_url": _back_url(request), "status": status}
    return HttpResponse(loader.render_to_string("409.html", context, request=request), status=status)


def _repeat(request, first: FormToken | None, owner: str) -> HttpResponse:
    if first is None or (first.owner and first.owner != owner):
        return _refusal(request, 409, _("此表单已经提交过。请打开页面重新填写。"))
    if not first.result_url:  # the first sender's transaction is still open (only without a waiting database)
        return _refusal(request, 409, _("此表单正在提交，请稍候刷新页面查看结果，不要重复提交。"))
    messages.info(request, _(REPEATED))
    return redirect(first.result_url)


def form(view):
    """Decorate a view whose POST creates something: its form's token is claimed once (see the module)."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method != "POST" or FIELD not in request.POST:
            return view(request, *args, **kwargs)
        try:
            key = key_of(request.POST[FIELD])
        except signing.SignatureExpired:
            return _refusal(request, 409, _("此表单打开的时间过长，已失效。请重新打开页面填写后提交。"))
        except signing.BadSignature:
            return _refusal(request, 400, _("表单令牌无效。请重新打开页面填写后提交。"))
        owner = owner_of(request)
        with transaction.atomic():
            row, first = claim(key, owner, request.path)
            if not first:
                return _repeat(request, row, owner)
            request._once_key = key
            response = view(request, *args, **kwargs)
            location = response.get("Location") if 300 <= response.status_code < 400 else None
            if location:
                FormToken.objects.filter(pk=row.pk).update(result_url=location[:500])
            else:  # not done (errors shown, or a step that creates nothing): the token may be sent again
                FormToken.objects.filter(pk=row.pk).delete()
        return response

    return wrapper


def remove_expired(now: dt.datetime | None = None) -> int:
    """Remove the rows of tokens past their lifetime (they can no longer be sent)."""
    now = now or timezone.now()
    deleted, _rows = FormToken.objects.filter(created_at__lt=now - lifetime()).delete()
    return deleted
