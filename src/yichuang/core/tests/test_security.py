"""Sign-in throttling, security headers and the audit of sign-ins and admin changes."""

import pytest
from django.urls import reverse, reverse_lazy

from yichuang.core.models import AuditEvent
from yichuang.organisation.models import Department
from yichuang.organisation.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_login_is_throttled_after_repeated_failures(client, settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    user = UserFactory(window_clerk=True)
    for _ in range(3):
        assert _login(client, user.username, "wrong").status_code in (200, 429)
    # Locked out now: even the right password is refused.
    response = _login(client, user.username, "pass-word-123")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="auth.login_failed").count() >= 3


def test_successful_login_is_audited_and_session_cookie_is_httponly(client):
    user = UserFactory(window_clerk=True)
    response = _login(client, user.username, "pass-word-123")
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="auth.login", actor=user).exists()
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"


def test_pages_carry_a_content_security_policy(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "object-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    # No page loads anything from another host.
    assert "http://" not in response.content.decode().replace("http://127.0.0.1", "")


def test_admin_changes_land_in_the_audit_log(client):
    admin = UserFactory(hall_admin=True, is_superuser=True)
    client.force_login(admin)
    response = client.post(
        "/admin/organisation/department/add/",
        {
            "code": "newdept",
            "name": "县新设局",
            "kind": "government",
            "presence": "stationed",
            "phone": "",
            "pickup_slots-TOTAL_FORMS": "0",
            "pickup_slots-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    dept = Department.objects.get(code="newdept")
    event = AuditEvent.objects.get(action="admin.add", object_id=str(dept.pk))
    assert event.actor == admin and event.object_type == "organisation.department"


def test_audit_log_cannot_be_edited_in_admin(client):
    admin = UserFactory(hall_admin=True, is_superuser=True)
    client.force_login(admin)
    client.get("/")  # something to log in the first place
    event = AuditEvent.objects.first()
    assert client.post(f"/admin/core/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.parametrize("url", [reverse_lazy("login"), reverse_lazy("admin:login")])
def test_an_overlong_username_is_a_field_error(client, settings, url):
    # django-axes keeps the username of a failed sign-in in a varchar(255): on PostgreSQL a longer one was a 500.
    settings.AXES_ENABLED = True
    response = client.post(url, {"username": "x" * 10_000, "password": "wrong"})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["username"] and "150" in errors["username"][0]
    assert not AuditEvent.objects.filter(action="auth.login_failed").exists()
    # A name within the limit is still an ordinary failed sign-in.
    response = client.post(url, {"username": "x" * 150, "password": "wrong"})
    assert response.status_code == 200 and "username" not in response.context["form"].errors
    assert AuditEvent.objects.filter(action="auth.login_failed").count() == 1
