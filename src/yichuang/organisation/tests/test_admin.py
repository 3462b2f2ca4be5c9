"""The hall admin in the Django admin: configures the hall and its staff, but cannot make superusers."""

import pytest
from django.forms import FileField, MultiWidget
from django.urls import reverse

from yichuang.organisation.models import User
from yichuang.organisation.roles import Role

from .factories import UserFactory


def change_form_data(response) -> dict:
    """The POST data of an admin change form as the page shows it (no files)."""
    data = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    for form in forms:
        for name in form.fields:
            bound = form[name]
            value = bound.value()
            if value is None or value is False or isinstance(bound.field, FileField):
                continue
            if isinstance(bound.field.widget, MultiWidget):  # e.g. date and time of a datetime
                for index, part in enumerate(bound.field.widget.decompress(value)):
                    data[f"{bound.html_name}_{index}"] = str(part)
            elif isinstance(value, list | tuple):
                data[bound.html_name] = [str(v) for v in value]
            else:
                data[bound.html_name] = "on" if value is True else str(value)
    return data


@pytest.fixture
def hall_admin(client, db):
    admin = UserFactory(hall_admin=True)
    client.force_login(admin)
    return admin


def test_hall_admin_changes_a_clerks_roles_but_cannot_grant_superuser_or_permissions(client, hall_admin):
    clerk = UserFactory(window_clerk=True)
    url = reverse("admin:organisation_user_change", args=[clerk.pk])
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert "groups" in form.fields and "is_superuser" not in form.fields and "user_permissions" not in form.fields

    data = change_form_data(page)
    data.update(is_superuser="on", user_permissions=["1", "2"], groups=[str(hall_admin.groups.get().pk)])
    response = client.post(url, data)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    clerk.refresh_from_db()
    assert not clerk.is_superuser and not clerk.user_permissions.exists()
    assert clerk.has_role(Role.HALL_ADMIN)

    own = reverse("admin:organisation_user_change", args=[hall_admin.pk])
    data = change_form_data(client.get(own))
    client.post(own, {**data, "is_superuser": "on"})
    hall_admin.refresh_from_db()
    assert not hall_admin.is_superuser


def test_hall_admin_cannot_change_a_superuser_or_set_its_password(client, hall_admin):
    root = User.objects.create_superuser("root", password="pass-word-123")
    change = reverse("admin:organisation_user_change", args=[root.pk])
    page = client.get(change)
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()  # view only
    assert client.post(change, {"username": "root", "is_superuser": "on"}).status_code == 403
    password = reverse("admin:auth_user_password_change", args=[root.pk])
    assert client.get(password).status_code == 403
    new = {"password1": "taken-over-123", "password2": "taken-over-123", "usable_password": "true"}
    assert client.post(password, new).status_code == 403
    root.refresh_from_db()
    assert root.check_password("pass-word-123")
    assert client.post(reverse("admin:organisation_user_delete", args=[root.pk]), {"post": "yes"}).status_code == 403
    assert User.objects.filter(pk=root.pk).exists()


def test_a_superuser_still_grants_superuser(client, db):
    client.force_login(User.objects.create_superuser("root", password="pass-word-123"))
    clerk = UserFactory(window_clerk=True)
    url = reverse("admin:organisation_user_change", args=[clerk.pk])
    data = change_form_data(client.get(url))
    response = client.post(url, {**data, "is_superuser": "on"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    clerk.refresh_from_db()
    assert clerk.is_superuser


# Everything a hall admin configures: the hall, the catalogue, the working calendar and the queue rules.
HALL_CONFIGURATION = [
    "organisation.site", "organisation.department", "organisation.zone", "organisation.window", "organisation.seat",
    "organisation.user", "catalogue.matter", "catalogue.material", "catalogue.bundle", "catalogue.lifeevent",
    "clock.calendaroverride", "clock.calendaryear", "queue.queuesettings", "queue.appointmentslot",
]  # fmt: skip


@pytest.mark.parametrize("model", HALL_CONFIGURATION)
def test_hall_admin_adds_and_changes_the_hall_configuration(client, hall_admin, model):
    app_label, model_name = model.split(".")
    assert client.get(reverse(f"admin:{app_label}_{model_name}_changelist")).status_code == 200
    assert client.get(reverse(f"admin:{app_label}_{model_name}_add")).status_code == 200
    assert hall_admin.has_perms([f"{app_label}.change_{model_name}", f"{app_label}.delete_{model_name}"])


def test_hall_admin_sees_tickets_and_appointments(client, hall_admin):
    for name in ("queue_ticket", "queue_appointment", "core_auditevent"):
        assert client.get(reverse(f"admin:{name}_changelist")).status_code == 200
