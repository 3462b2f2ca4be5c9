"""The one set of role checks (organisation.roles): a superuser acts as every hall-wide role and is no department's
member; a disabled or anonymous user holds nothing; every app asks these, so a superuser is treated alike everywhere."""

from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser

from yichuang.organisation import access
from yichuang.organisation.roles import (
    Role,
    acts_as,
    has_any_role,
    in_own_department,
    is_active_user,
    member_of,
)
from yichuang.organisation.tests.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_role_holder_acts_in_that_role_only():
    clerk = UserFactory(window_clerk=True)
    assert acts_as(clerk, Role.WINDOW_CLERK) and acts_as(clerk, Role.OUTPUT_CLERK, Role.WINDOW_CLERK)
    assert not acts_as(clerk, Role.SUPERVISOR) and not acts_as(clerk)
    assert has_any_role(clerk) and not has_any_role(UserFactory())


def test_a_superuser_acts_as_every_hall_wide_role_but_is_no_departments_member():
    department = DepartmentFactory()
    root = UserFactory(is_superuser=True, department=department)
    assert all(acts_as(root, role) for role in Role)
    assert has_any_role(root)
    assert not member_of(root, department.pk, Role.BACKOFFICE_OFFICER, Role.DEPARTMENT_LEAD)
    assert not in_own_department(root, Role.DEPARTMENT_LEAD)


def test_membership_is_the_role_in_that_department():
    officer = UserFactory(officer=True)
    lead = UserFactory(lead=True, department=officer.department)
    other = DepartmentFactory()
    assert member_of(officer, officer.department_id, Role.BACKOFFICE_OFFICER)
    assert not member_of(officer, officer.department_id, Role.DEPARTMENT_LEAD)
    assert not member_of(officer, other.pk, Role.BACKOFFICE_OFFICER)
    assert not member_of(officer, None, Role.BACKOFFICE_OFFICER)
    assert in_own_department(lead, Role.DEPARTMENT_LEAD) and not in_own_department(UserFactory(), Role.DEPARTMENT_LEAD)


def test_disabled_and_anonymous_users_hold_nothing():
    for user in (UserFactory(supervisor=True, is_active=False), UserFactory(is_superuser=True, is_active=False)):
        assert not is_active_user(user) and not acts_as(user, Role.SUPERVISOR) and not has_any_role(user)
    officer = UserFactory(officer=True, is_active=False)
    assert not member_of(officer, officer.department_id, Role.BACKOFFICE_OFFICER)
    for nobody in (AnonymousUser(), None):
        assert not acts_as(nobody, Role.HALL_ADMIN) and not has_any_role(nobody) and not in_own_department(nobody)
    assert access.visible_department_ids(AnonymousUser()) == set()


def test_every_app_treats_a_superuser_alike():
    from yichuang.backoffice import services as backoffice
    from yichuang.feedback import services as feedback
    from yichuang.output import services as output
    from yichuang.supervision import services as supervision

    department = DepartmentFactory()
    root = UserFactory(is_superuser=True, department=department)
    # hall-wide duties: yes, everywhere (supervision used to say no while feedback said yes)
    assert supervision.is_supervisor(root) and supervision.may_set_task_status(root)
    assert output.can_hand_over(root) and feedback.has_role_at_hall(root)
    assert access.sees_all_departments(root) and access.visible_department_ids(root) is None
    # a department's own work: no
    assert not backoffice.is_officer_of(root, department.pk) and not backoffice.is_lead_of(root, department.pk)


def test_no_app_tests_superusers_itself():
    """`is_superuser` in a permission check lives in organisation.roles only (the admin's own superuser rules and
    the single-statement intake read aside)."""
    src = Path(__file__).resolve().parents[2]
    allowed = {"organisation/roles.py", "organisation/admin.py", "demo/hall.py", "intake/services.py"}
    found = []
    for path in src.rglob("*.py"):
        rel = path.relative_to(src).as_posix()
        if "/tests/" in f"/{rel}" or "/migrations/" in rel or rel in allowed:
            continue
        text = path.read_text()
        if "is_superuser or" in text or "or user.is_superuser" in text:
            found.append(rel)
    assert not found, found


def test_a_full_name_is_written_family_name_first():
    from yichuang.organisation.models import User

    assert User(username="xu", last_name="许", first_name="文静").get_full_name() == "许文静"
    assert str(User(username="xu", last_name="许", first_name="文静")) == "许文静"
    assert str(User(username="nobody")) == "nobody"
