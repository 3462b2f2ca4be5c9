import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from yichuang.organisation import access, services
from yichuang.organisation.models import Department, Seat
from yichuang.organisation.tests.factories import DepartmentFactory, UserFactory, WindowFactory

pytestmark = pytest.mark.django_db


def test_officer_sees_only_own_department():
    officer = UserFactory(officer=True)
    other = DepartmentFactory()
    assert access.visible_department_ids(officer) == {officer.department_id}
    qs = access.restrict_to_departments(Department.objects.all(), officer, field="pk")
    assert list(qs) == [officer.department]
    access.ensure_department_access(officer, officer.department_id)
    with pytest.raises(PermissionDenied):
        access.ensure_department_access(officer, other.pk)


def test_supervisor_sees_all_and_clerk_sees_none():
    DepartmentFactory.create_batch(3)
    assert access.visible_department_ids(UserFactory(supervisor=True)) is None
    clerk = UserFactory(window_clerk=True)
    assert access.visible_department_ids(clerk) == set()
    assert not access.restrict_to_departments(Department.objects.all(), clerk, field="pk").exists()


def test_seating_one_window_one_person():
    window = WindowFactory()
    a, b = UserFactory(window_clerk=True), UserFactory(window_clerk=True)
    services.take_seat(a, window)
    with pytest.raises(ValidationError):
        services.take_seat(b, window)
    # Moving to another window leaves the first seat.
    other = WindowFactory(zone=window.zone)
    services.take_seat(a, other)
    services.take_seat(b, window)
    assert Seat.objects.filter(until__isnull=True).count() == 2


def test_closed_window_cannot_be_taken():
    with pytest.raises(ValidationError):
        services.take_seat(UserFactory(window_clerk=True), WindowFactory(closed=True))


def test_window_numbers_unique_across_site():
    window = WindowFactory(number=5)
    clash = WindowFactory.build(zone=WindowFactory(zone__site=window.zone.site, number=6).zone, number=5)
    with pytest.raises(ValidationError):
        clash.full_clean()
