"""The JSON API root: one NinjaAPI, each app contributing a router (OpenAPI at /api/docs)."""

import functools
import inspect
import json
import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import render
from django.urls import URLPattern, re_path
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser

from yichuang.backoffice.api import router as backoffice_router
from yichuang.catalogue.api import router as catalogue_router
from yichuang.consultation.api import router as consultation_router
from yichuang.feedback.api import router as feedback_router
from yichuang.intake.api import router as intake_router
from yichuang.knowledge.api import router as knowledge_router
from yichuang.organisation.api_auth import router as staff_router
from yichuang.output.api import router as output_router
from yichuang.performance.api import router as performance_router
from yichuang.queue.api import router as queue_router
from yichuang.supervision.api import router as supervision_router
from yichuang.video.api import router as video_router


class HallAPI(NinjaAPI):
    """A NinjaAPI whose every answer under /api/ is JSON with a "detail": also an unknown path (404) and a
    method an endpoint does not take (405), which ninja and Django would otherwise answer in plain text/HTML."""

    @property
    def urls(self):
        patterns, app_name, namespace = super().urls
        for pattern in patterns:
            if isinstance(pattern, URLPattern):
                pattern.callback = _json_errors(pattern.callback)
        # Last, after every router (whenever it was added): anything else under /api/ is an unknown path.
        patterns.append(re_path(r"^", _json_errors(csrf_exempt(_unknown_path)), name="unknown-path"))
        return patterns, app_name, namespace


NUL = "\x00"
NUL_REASON = "不能含有空字符（control characters such as NUL are not allowed）"


class NulRefused(NinjaValidationError):
    """A NUL byte in a query, form or JSON field: PostgreSQL text cannot hold one, so it never reaches a query."""

    def __init__(self, field: str):
        super().__init__([{"loc": ("input", field), "msg": NUL_REASON, "type": "nul"}])


def _find_nul(value, path: str = "") -> str | None:
    """The dotted path ("applicant.name", "matters[0]") of the first string or key holding a NUL, else None."""
    if isinstance(value, str):
        return path if NUL in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            if NUL in str(key):
                return here
            if (found := _find_nul(item, here)) is not None:
                return found
    elif isinstance(value, list):
        for i, item in enumerate(value):
            if (found := _find_nul(item, f"{path}[{i}]")) is not None:
                return found
    return None


class HallParser(Parser):
    """Every query, form and JSON input of every endpoint passes here (ninja's parser): the one place that refuses
    NUL bytes in the API, with a 422 at the field. (A NUL in the path is made harmless by core.middleware.)"""

    def parse_body(self, request):
        data = super().parse_body(request)
        if (field := _find_nul(data)) is not None:
            raise NulRefused(field)  # ninja wraps it in HttpError(400); http_error() below unwraps it
        return data

    def parse_querydict(self, data, list_fields, request):
        for key, values in data.lists():
            names = [getattr(v, "name", v) for v in values]  # files: their names only, never their content
            if NUL in key or any(isinstance(n, str) and NUL in n for n in names):
                raise NulRefused(key)
        return super().parse_querydict(data, list_fields, request)


# What a refusal means, by status, for a `detail` an endpoint wrote only in English (the English stays after it).
STATUS_REASONS = {
    400: "请求有误",
    401: "需要登录或有效的令牌",
    403: "无权进行此操作",
    404: "没有找到",
    405: "不支持该请求方法",
    409: "与当前状态冲突",
    413: "提交的内容过大",
    422: "参数有误",
    429: "请求过于频繁，请稍后再试",
}
_CHINESE = re.compile(r"[\u4e00-\u9fff]")


def _chinese(status: int, detail: str) -> str:
    if _CHINESE.search(detail or ""):
        return detail
    reason = STATUS_REASONS.get(status) or ("服务器内部错误" if status >= 500 else "请求未能处理")
    return f"{reason}（{detail}）" if detail else reason


# pydantic's reasons in Chinese, by error type; the English follows in brackets for whoever integrates.
PYDANTIC_REASONS = {
    "missing": "缺少必填项",
    "int_parsing": "须为整数",
    "int_type": "须为整数",
    "int_from_float": "须为整数",
    "float_parsing": "须为数字",
    "float_type": "须为数字",
    "decimal_parsing": "须为数字",
    "bool_parsing": "须为 true 或 false",
    "bool_type": "须为 true 或 false",
    "string_type": "须为文本",
    "list_type": "须为列表",
    "dict_type": "须为对象",
    "model_attributes_type": "须为对象",
    "model_type": "须为对象",
    "date_parsing": "须为日期（YYYY-MM-DD）",
    "date_from_datetime_parsing": "须为日期（YYYY-MM-DD）",
    "date_type": "须为日期（YYYY-MM-DD）",
    "datetime_parsing": "须为日期时间（ISO 8601）",
    "datetime_from_date_parsing": "须为日期时间（ISO 8601）",
    "datetime_type": "须为日期时间（ISO 8601）",
    "time_parsing": "须为时间（HH:MM）",
    "uuid_parsing": "须为 UUID",
    "greater_than_equal": "须不小于 {ge}",
    "greater_than": "须大于 {gt}",
    "less_than_equal": "须不大于 {le}",
    "less_than": "须小于 {lt}",
    "string_too_long": "最多 {max_length} 个字符",
    "string_too_short": "至少 {min_length} 个字符",
    "too_long": "最多 {max_length} 项",
    "too_short": "至少 {min_length} 项",
    "string_pattern_mismatch": "格式不正确",
    "literal_error": "取值须为：{expected}",
    "enum": "取值须为：{expected}",
    "json_invalid": "不是有效的 JSON",
    "json_type": "不是有效的 JSON",
    "extra_forbidden": "不接受此字段",
}


def _reason(error: dict) -> str:
    msg = str(error.get("msg", "invalid"))
    template = PYDANTIC_REASONS.get(error.get("type", ""))
    if template is None:
        return msg if _CHINESE.search(msg) else f"参数有误（{msg}）"
    try:
        chinese = template.format(**{k: v for k, v in (error.get("ctx") or {}).items()})
    except (KeyError, IndexError, ValueError):
        chinese = template.split("{")[0].rstrip("：: ") or "参数有误"
    return f"{chinese}（{msg}）"


class HallSwagger(Swagger):
    """ninja's own Swagger UI (static files served here, no inline script) without the validator badge, which
    would load an image from validator.swagger.io, and with the CSRF token on the page, so that "Try it out"
    also works with the staff session (ninja offers the token only when the auth is API-wide)."""

    def __init__(self):
        super().__init__(settings={"validatorUrl": None})

    def render_page(self, request, api, **kwargs):
        self.settings["url"] = self.get_openapi_url(api, kwargs)
        context = {"swagger_settings": json.dumps(self.settings, indent=1), "api": api, "add_csrf": True}
        return render(request, self.template, context)


api = HallAPI(
    title="yichuang 一窗 API",
    version="1",
    description="政务服务中心“一窗”平台接口。Staff endpoints take `Authorization: Bearer <token>` "
    "(`yichuang token USERNAME`) or the staff pages' session. Every error is JSON with a `detail`. "
    'Decimals (time limits, fees) are strings with fixed decimals: "0.5", "20.0".',
    urls_namespace="api",
    docs=HallSwagger(),
    parser=HallParser(),
)


def _error(request, status: int, reason: str, **extra):
    return api.create_response(request, {"detail": _chinese(status, reason), **extra}, status=status)


@api.exception_handler(Http404)
def not_found(request, exc):
    return _error(request, 404, str(exc) or "没有找到。")


@api.exception_handler(PermissionDenied)
def forbidden(request, exc):
    return _error(request, 403, str(exc) or "无权进行此操作。")


@api.exception_handler(AuthenticationError)
def unauthorized(request, exc):
    # ninja raises a bare AuthenticationError ("Unauthorized") when no method found credentials;
    # StaffToken raises one with the reason a token was refused.
    reason = exc.message if exc.message != AuthenticationError().message else None
    response = _error(
        request, 401, reason or "需要登录：请提供 Authorization: Bearer <token>（authentication required）"
    )
    response["WWW-Authenticate"] = 'Bearer realm="yichuang"'
    return response


@api.exception_handler(ValidationError)
def invalid(request, exc):
    """A domain rule refused the input: 422 with each field and its reason."""
    if hasattr(exc, "error_dict"):
        errors = [{"field": f, "reason": str(m)} for f, msgs in exc.message_dict.items() for m in msgs]
    else:
        errors = [{"field": None, "reason": str(m)} for m in exc.messages]
    return _error(request, 422, errors[0]["reason"] if errors else "invalid", errors=errors)


@api.exception_handler(NinjaValidationError)
def schema_invalid(request, exc):
    errors = [
        {"field": ".".join(str(p) for p in e.get("loc", [])[1:]) or None, "reason": _reason(e)} for e in exc.errors
    ]
    return _error(request, 422, errors[0]["reason"] if errors else "参数有误。", errors=errors)


@api.exception_handler(HttpError)
def http_error(request, exc):
    if isinstance(exc.__cause__, NulRefused):  # raised by HallParser.parse_body, wrapped by ninja
        return schema_invalid(request, exc.__cause__)
    if exc.status_code == 400 and isinstance(exc.__cause__, ValueError):  # ninja: the body is not JSON
        return _error(request, 400, "请求体不是有效的 JSON（Cannot parse request body）")
    return _error(request, exc.status_code, str(exc))


def _unknown_path(request, *args, **kwargs):
    return _error(request, 404, f"没有这个接口路径：{request.path}（unknown API path）")


def _with_chinese_detail(response):
    """An error an endpoint answered itself (a JsonResponse with an English `detail`, e.g. the kiosk's 429) gets
    the Chinese reason of its status in front: every error of the API reads in Chinese."""
    if response.status_code < 400 or not response.get("Content-Type", "").startswith("application/json"):
        return response
    if getattr(response, "streaming", False):
        return response
    try:
        body = json.loads(response.content)
    except ValueError:
        return response
    if isinstance(body, dict) and isinstance(body.get("detail"), str) and not _CHINESE.search(body["detail"]):
        body["detail"] = _chinese(response.status_code, body["detail"])
        response.content = json.dumps(body, ensure_ascii=False).encode()
        if response.has_header("Content-Length"):
            response["Content-Length"] = str(len(response.content))
    return response


def _json_errors(view):
    """Wrap a URL's view so that a 405 or a 404 raised outside an operation (e.g. the bare /api/) is JSON."""

    def convert(request, response):
        if isinstance(response, HttpResponseNotAllowed):
            json_response = _error(request, 405, f"此路径不支持 {request.method} 请求（method not allowed here）")
            json_response["Allow"] = response["Allow"]
            return json_response
        return _with_chinese_detail(response)

    if inspect.iscoroutinefunction(view):

        async def async_wrapper(request, *args, **kwargs):
            try:
                return convert(request, await view(request, *args, **kwargs))
            except Http404:
                return _unknown_path(request)

        wrapper = functools.wraps(view)(async_wrapper)
    else:

        def sync_wrapper(request, *args, **kwargs):
            try:
                return convert(request, view(request, *args, **kwargs))
            except Http404:
                return _unknown_path(request)

        wrapper = functools.wraps(view)(sync_wrapper)
    return wrapper


api.add_router("/", catalogue_router)
api.add_router("/", staff_router)
api.add_router("/", queue_router)
api.add_router("/", intake_router)
api.add_router("/", backoffice_router)
api.add_router("/", feedback_router)
api.add_router("/supervision/", supervision_router)
api.add_router("/", performance_router)
api.add_router("/output/", output_router)
api.add_router("/", knowledge_router)
api.add_router("/", consultation_router)
api.add_router("/video/", video_router)
