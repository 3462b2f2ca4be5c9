"""The JSON API root: one NinjaAPI, each app contributing a router (OpenAPI at /api/docs)."""

import functools
import inspect
import json

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import render
from django.urls import URLPattern, re_path
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from yichuang.backoffice.api import router as backoffice_router
from yichuang.catalogue.api import router as catalogue_router
from yichuang.feedback.api import router as feedback_router
from yichuang.intake.api import router as intake_router
from yichuang.organisation.api_auth import router as staff_router
from yichuang.output.api import router as output_router
from yichuang.performance.api import router as performance_router
from yichuang.queue.api import router as queue_router
from yichuang.supervision.api import router as supervision_router


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
)


def _error(request, status: int, reason: str, **extra):
    return api.create_response(request, {"detail": reason, **extra}, status=status)


@api.exception_handler(Http404)
def not_found(request, exc):
    return _error(request, 404, str(exc) or "not found")


@api.exception_handler(PermissionDenied)
def forbidden(request, exc):
    return _error(request, 403, str(exc) or "forbidden")


@api.exception_handler(AuthenticationError)
def unauthorized(request, exc):
    # ninja raises a bare AuthenticationError ("Unauthorized") when no method found credentials;
    # StaffToken raises one with the reason a token was refused.
    reason = exc.message if exc.message != AuthenticationError().message else None
    response = _error(request, 401, reason or "authentication required: Authorization: Bearer <token>")
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
        {"field": ".".join(str(p) for p in e.get("loc", [])[1:]) or None, "reason": e.get("msg", "invalid")}
        for e in exc.errors
    ]
    return _error(request, 422, errors[0]["reason"] if errors else "invalid", errors=errors)


@api.exception_handler(HttpError)
def http_error(request, exc):
    return _error(request, exc.status_code, str(exc))


def _unknown_path(request, *args, **kwargs):
    return _error(request, 404, f"unknown API path: {request.path}")


def _json_errors(view):
    """Wrap a URL's view so that a 405 or a 404 raised outside an operation (e.g. the bare /api/) is JSON."""

    def convert(request, response):
        if isinstance(response, HttpResponseNotAllowed):
            json_response = _error(request, 405, f"method {request.method} not allowed here")
            json_response["Allow"] = response["Allow"]
            return json_response
        return response

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
