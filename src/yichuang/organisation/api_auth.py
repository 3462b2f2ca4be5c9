"""Authentication of staff on the JSON API, and the /api/me endpoint.

Staff endpoints use `auth=staff_auth`: either `Authorization: Bearer <token>` (a token issued by
`yichuang token USERNAME`, kept only as its SHA-256 hash) or the logged-in Django session of the staff
pages' own scripts (ninja's django_auth, which checks the CSRF token on unsafe methods).

    from yichuang.organisation.api_auth import staff_auth
    router = Router(tags=["queue"], auth=staff_auth)

A request that presents an Authorization header is judged by that header alone: a wrong or
unreadable one is a 401 with its reason, even if a session cookie is also present.
"""

from datetime import timedelta
from functools import cache

from django.db import connection
from django.db.models import Q
from django.utils import timezone
from ninja import Field, Router, Schema
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer, django_auth

from yichuang.core import rows
from yichuang.core.schemas import ErrorOut

from . import queries
from .models import ApiToken, User
from .roles import Role

# last_used is bookkeeping, not a change of state: it is written at most once per this interval
# per token, so that a busy client does not cost a database write per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)
MAX_TOKEN_LENGTH = 200


class StaffToken(HttpBearer):
    """`Authorization: Bearer <token>` → the token's (active) user, also set as request.user."""

    def __call__(self, request):
        header = request.headers.get(self.header)
        if header is None or not header.strip():
            return None  # no credentials here: let the next method (the session) try
        scheme, _sep, token = header.strip().partition(" ")
        if scheme.lower() != self.openapi_scheme:
            # Never log the header: it may be a credential.
            raise AuthenticationError(message="the Authorization header must be 'Bearer <token>'")
        return self.authenticate(request, token.strip())

    def authenticate(self, request, token: str):
        if not token:
            raise AuthenticationError(message="empty bearer token")
        if len(token) > MAX_TOKEN_LENGTH:
            raise AuthenticationError(message="invalid or revoked token")
        api_token = token_with_user(ApiToken.hash(token))
        if api_token is None:
            raise AuthenticationError(message="invalid or revoked token")
        if not api_token.user.is_active:
            raise AuthenticationError(message="the token's account is disabled")
        self._touch(api_token)
        request.user = api_token.user
        return api_token.user

    @staticmethod
    def _touch(api_token: ApiToken) -> None:
        now = timezone.now()
        if api_token.last_used is not None and now - api_token.last_used < LAST_USED_RESOLUTION:
            return
        # Conditional, so that concurrent requests of one token write once.
        ApiToken.objects.filter(
            Q(last_used__isnull=True) | Q(last_used__lt=now - LAST_USED_RESOLUTION), pk=api_token.pk
        ).update(last_used=now)


@cache
def _token_sql() -> str:
    q = connection.ops.quote_name
    token_meta, user_meta = ApiToken._meta, User._meta
    return (
        f"SELECT {rows.columns(ApiToken, 't')}, {rows.columns(User, 'u')} FROM {q(token_meta.db_table)} t "
        f"JOIN {q(user_meta.db_table)} u ON u.{q(user_meta.pk.column)} = t.{q(token_meta.get_field('user').column)} "
        f"WHERE t.{q(token_meta.get_field('key_hash').column)} = %s"
    )


def token_with_user(key_hash: str) -> ApiToken | None:
    """The token with this hash and its user (`token.user` loaded), or None. Asked on every API request, so in
    one plain statement: the same rows as `ApiToken.objects.select_related("user").get(key_hash=…)`, without
    compiling a queryset each time (a fifth of the time)."""
    with connection.cursor() as cursor:
        cursor.execute(_token_sql(), [key_hash])
        row = cursor.fetchone()
    if row is None:
        return None
    api_token = rows.from_row(ApiToken, "t", row)
    api_token.user = rows.from_row(User, "u", row, start=len(ApiToken._meta.concrete_fields))
    return api_token


# Bearer token first, then the Django session. Pass as `auth=staff_auth` to a router or an operation.
staff_auth = [StaffToken(), django_auth]


# --- /api/me ---------------------------------------------------------------------------------------

router = Router(tags=["staff"])


class SeatOut(Schema):
    window: int = Field(description="Window id.")
    number: int = Field(description="Window number, as the display board announces it.")
    zone: str = Field(description="Zone code.")


class MeOut(Schema):
    username: str
    name: str
    roles: list[str] = Field(description=f"Role codes: {', '.join(Role.values)}.")
    department: str | None = Field(description="Department code, for back-office staff.")
    seat: SeatOut | None = Field(description="Today's open seat, if the person sits at a window now.")


@router.get("/me", response={200: MeOut, 401: ErrorOut}, auth=staff_auth, summary="Who am I: roles and today's seat")
def me(request):
    user: User = request.user  # set by StaffToken, or the session's user
    names = user.role_names()
    seat = queries.current_seat(user)
    return {
        "username": user.username,
        "name": user.display_name,
        "roles": [role for role in Role.values if role in names],
        "department": user.department.code if user.department_id else None,
        "seat": {"window": seat.window_id, "number": seat.window.number, "zone": seat.window.zone.code}
        if seat
        else None,
    }
