"""Error answers people can read: Chinese pages with the reason and a way back, JSON with a Chinese `detail` under
/api/ — for every status the hall answers with when something goes wrong (400, 403, 404, 413, 429, 500).

Django calls these as handler400/403/404/500 (yichuang/urls.py) and as CSRF_FAILURE_VIEW; the request-size guard
(core.middleware) answers its 413 with `too_large`. A reason is shown only when an app wrote one for people (in
Chinese): Django's own messages ("No Message matches the given query.") and tracebacks never reach a page.
"""

import math
import re

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import requires_csrf_token

API_PREFIX = "/api/"
_CHINESE = re.compile(r"[\u4e00-\u9fff]")


def is_api(request) -> bool:
    return request.path_info.startswith(API_PREFIX) or request.path_info.rstrip("/") == API_PREFIX.rstrip("/")


def readable_reason(exception) -> str:
    """The reason an app gave for people, else "": only a string message with Chinese in it."""
    message = exception.args[0] if exception is not None and getattr(exception, "args", None) else ""
    if not isinstance(message, str):
        return ""
    return message if _CHINESE.search(message) else ""


def json_error(status: int, detail: str, **extra) -> JsonResponse:
    # ensure_ascii off: the Chinese reason stays readable in logs and curl output.
    return JsonResponse({"detail": detail, **extra}, status=status, json_dumps_params={"ensure_ascii": False})


def _back_url(request) -> str:
    """Where "返回上一页" leads: the page the person came from, if it is on this site."""
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()}):
        return referer
    return ""


def _page(request, status: int, template: str, reason: str = "", **context) -> HttpResponse:
    context = {"reason": reason, "back_url": _back_url(request), "status": status, **context}
    return HttpResponse(loader.render_to_string(template, context, request=request), status=status)


@requires_csrf_token
def bad_request(request, exception=None):
    if isinstance(exception, RequestDataTooBig):  # also Django's own DATA_UPLOAD_MAX_MEMORY_SIZE refusal
        return too_large(request)
    if is_api(request):
        return json_error(400, readable_reason(exception) or _("请求无法解析。"))
    return _page(request, 400, "400.html", readable_reason(exception))


@requires_csrf_token
def permission_denied(request, exception=None):
    reason = readable_reason(exception)
    if is_api(request):
        return json_error(403, reason or _("无权进行此操作。"))
    return _page(request, 403, "403.html", reason)


@requires_csrf_token
def page_not_found(request, exception=None):
    reason = readable_reason(exception)
    if is_api(request):
        return json_error(404, reason or _("没有这个接口路径：%(path)s") % {"path": request.path})
    return _page(request, 404, "404.html", reason)


def server_error(request):
    """500: never the database, never a template context from the request (whatever broke may be either)."""
    if is_api(request):
        return json_error(500, _("服务器内部错误，请稍后重试；问题已记录。"))
    return HttpResponse(loader.get_template("500.html").render(), status=500)


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: most often a form left open past the session, or opened in another browser."""
    message = _("表单已过期或来源无法确认：请返回上一页，刷新后重新提交。")
    if is_api(request):
        return json_error(403, message)
    return _page(request, 403, "403.html", message)


def too_many_requests(request, reason: str = "", wait: float | None = None, *, sign_in: bool = False) -> HttpResponse:
    """429: what was limited and for how long, and a way back (JSON under /api/); Retry-After when the wait is known.
    `sign_in`: a refused sign-in (the page then says how to get a forgotten password reset)."""
    if is_api(request):
        response = json_error(429, reason or _("请求过于频繁，请稍后再试。"))
    else:
        response = _page(request, 429, "429.html", reason, sign_in=sign_in)
    if wait:
        response["Retry-After"] = str(math.ceil(wait))
    return response


def login_locked_out(request, original_response=None, credentials=None) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: a sign-in refused after too many failures (of the account at this address, or of any
    account at this address: core.logins) is the 429 page, saying for how long."""
    from axes.helpers import get_cool_off

    cool_off = get_cool_off(request)
    if cool_off:
        minutes = max(1, math.ceil(cool_off.total_seconds() / 60))
        reason = _("登录失败次数过多，为保护账户安全，登录已暂停，请 %(m)d 分钟后再试。") % {"m": minutes}
    else:
        reason = _("登录失败次数过多，为保护账户安全，登录已暂停，请联系大厅管理员解除。")
    response = too_many_requests(request, reason, wait=cool_off.total_seconds() if cool_off else None, sign_in=True)
    return response


def too_large(request) -> HttpResponse:
    limit_mb = max(1, settings.MAX_REQUEST_BYTES // (1024 * 1024))
    message = _("提交的内容过大（一次最多 %(mb)d MB）。") % {"mb": limit_mb}
    if is_api(request):
        return json_error(413, message)
    return _page(request, 413, "413.html", message, limit_mb=limit_mb)
