"""Staff API authentication: `yichuang token`, bearer tokens and the session on /api/me, and 401s with a reason."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from ninja.security import django_auth

from yichuang.core.models import AuditEvent
from yichuang.organisation import services
from yichuang.organisation.api_auth import LAST_USED_RESOLUTION, StaffToken, staff_auth
from yichuang.organisation.models import ApiToken
from yichuang.organisation.tests.factories import UserFactory, WindowFactory, ZoneFactory

pytestmark = pytest.mark.django_db


def issue(user, label=""):
    out, err = io.StringIO(), io.StringIO()
    call_command("token", user.username, *(["--label", label] if label else []), stdout=out, stderr=err)
    return out.getvalue().strip()


def me(client, token=None, header=None):
    if header is None and token is not None:
        header = f"Bearer {token}"
    extra = {"HTTP_AUTHORIZATION": header} if header is not None else {}
    return client.get("/api/me", **extra)


def unauthorized(response):
    assert response.status_code == 401, response.content.decode()[:300]
    assert response["Content-Type"].startswith("application/json")
    assert response["WWW-Authenticate"].startswith("Bearer")
    return response.json()["detail"]


# --- yichuang token --------------------------------------------------------------------------------------------


def test_token_command_prints_a_key_whose_hash_only_is_kept():
    user = UserFactory(window_clerk=True)
    key = issue(user, label="叫号屏 2")
    assert key.startswith("yc_") and len(key) > 40
    token = ApiToken.objects.get(user=user)
    assert token.label == "叫号屏 2"
    assert token.key_hash == ApiToken.hash(key) and key not in token.key_hash
    event = AuditEvent.objects.get(action="organisation.issue_api_token")
    assert key not in event.summary and key not in str(event.detail)
    assert issue(user) != key  # every call issues a new token


def test_token_command_refuses_unknown_and_inactive_users():
    with pytest.raises(CommandError, match="no user with username 'ghost'"):
        call_command("token", "ghost", stdout=io.StringIO())
    inactive = UserFactory(is_active=False)
    with pytest.raises(CommandError, match="inactive"):
        call_command("token", inactive.username, stdout=io.StringIO())
    with pytest.raises(CommandError, match="at most 100"):
        call_command("token", UserFactory().username, "--label", "x" * 101, stdout=io.StringIO())
    assert not ApiToken.objects.exists()


# --- /api/me -----------------------------------------------------------------------------------------------------


def test_me_with_a_token_shows_roles_department_and_no_seat(client):
    officer = UserFactory(officer=True, username="li", last_name="李", first_name="四")
    officer.department.code = "zrzy"
    officer.department.save()
    response = me(client, issue(officer))
    assert response.status_code == 200, response.content
    assert response.json() == {
        "username": "li",
        "name": "李四",
        "roles": ["backoffice_officer"],
        "department": "zrzy",
        "seat": None,
    }


def test_me_shows_todays_seat(client):
    clerk = UserFactory(window_clerk=True)
    window = WindowFactory(zone=ZoneFactory(code="estate"), number=7)
    services.take_seat(clerk, window)
    body = me(client, issue(clerk)).json()
    assert body["roles"] == ["window_clerk"] and body["department"] is None
    assert body["seat"] == {"window": window.pk, "number": 7, "zone": "estate"}
    services.leave_seat(clerk)
    assert me(client, issue(clerk)).json()["seat"] is None


def test_me_with_the_session(client):
    user = UserFactory(supervisor=True)
    client.force_login(user)
    assert client.get("/api/me").json()["username"] == user.username


def test_inactive_session_user_is_refused(client):
    user = UserFactory(window_clerk=True)
    client.force_login(user)
    user.is_active = False
    user.save()
    assert "authentication required" in unauthorized(client.get("/api/me"))


def test_staff_auth_combines_token_and_session():
    assert isinstance(staff_auth[0], StaffToken) and staff_auth[1] is django_auth


# --- Refusals ------------------------------------------------------------------------------------------------------


def test_no_credentials_is_401_with_a_reason(client):
    assert "authentication required" in unauthorized(me(client))
    assert "authentication required" in unauthorized(me(client, header=""))


def test_unknown_or_revoked_token_is_401(client):
    user = UserFactory(window_clerk=True)
    key = issue(user)
    assert "invalid or revoked" in unauthorized(me(client, key + "x"))
    ApiToken.objects.filter(user=user).delete()  # revoked
    assert "invalid or revoked" in unauthorized(me(client, key))


def test_token_of_an_inactive_user_is_401(client):
    user = UserFactory(window_clerk=True)
    key = issue(user)
    user.is_active = False
    user.save()
    assert "disabled" in unauthorized(me(client, key))


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("Bearer", "empty bearer token"),
        ("Bearer    ", "empty bearer token"),
        ("Basic dXNlcjpwYXNz", "must be 'Bearer <token>'"),
        ("Token abc", "must be 'Bearer <token>'"),
        ("yc_abcdef", "must be 'Bearer <token>'"),
        ("Bearer \x00\x01\x02", "invalid or revoked"),
        ("Bearer ' OR 1=1 --", "invalid or revoked"),
        ("Bearer 令牌", "invalid or revoked"),
        ("Bearer Ã©Ã¨", "invalid or revoked"),
        ("Bearer " + "a" * 10_000, "invalid or revoked"),
        ("Bearer a b c", "invalid or revoked"),
        ("\x00", "must be 'Bearer <token>'"),
    ],
)
def test_garbage_authorization_headers_are_401_never_500(client, header, reason):
    assert reason in unauthorized(me(client, header=header))


def test_a_bad_token_is_refused_even_with_a_valid_session(client):
    """Credentials that are presented are judged: a wrong token does not fall back to the session."""
    client.force_login(UserFactory(window_clerk=True))
    assert "invalid or revoked" in unauthorized(me(client, "yc_wrong"))


def test_bearer_scheme_is_case_insensitive_and_spaces_are_tolerated(client):
    user = UserFactory(window_clerk=True)
    key = issue(user)
    assert me(client, header=f"bearer {key}").status_code == 200
    assert me(client, header=f"  Bearer   {key}  ").status_code == 200


# --- last_used ------------------------------------------------------------------------------------------------------


def test_last_used_is_written_at_most_once_a_minute(client, django_assert_num_queries):
    user = UserFactory(window_clerk=True)
    key = issue(user)
    token = ApiToken.objects.get(user=user)
    assert token.last_used is None
    before = timezone.now()
    assert me(client, key).status_code == 200
    token.refresh_from_db()
    first = token.last_used
    assert first is not None and first >= before

    # Within the minute: no write at all (token with its user, roles, today's seat: reads only).
    with django_assert_num_queries(3) as captured:
        assert me(client, key).status_code == 200
    assert not [q["sql"] for q in captured.captured_queries if not q["sql"].lstrip().upper().startswith("SELECT")]
    token.refresh_from_db()
    assert token.last_used == first

    # A minute later it is written again.
    earlier = first - LAST_USED_RESOLUTION - datetime.timedelta(seconds=1)
    ApiToken.objects.filter(pk=token.pk).update(last_used=earlier)
    assert me(client, key).status_code == 200
    token.refresh_from_db()
    assert token.last_used > first


def test_token_request_sets_request_user(rf):
    user = UserFactory(window_clerk=True)
    key = issue(user)
    request = rf.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert StaffToken()(request) == user
    assert request.user == user
