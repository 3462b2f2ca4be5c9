"""The JSON API root: one NinjaAPI, each app contributing a router (OpenAPI at /api/docs)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from yichuang.catalogue.api import router as catalogue_router

api = NinjaAPI(
    title="yichuang 一窗 API",
    version="1",
    description="政务服务中心“一窗”平台接口。Staff endpoints take `Authorization: Bearer <token>` "
    "(`yichuang token USERNAME`).",
    urls_namespace="api",
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
    return _error(request, 401, "authentication required: Authorization: Bearer <token>")


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


api.add_router("/", catalogue_router)
