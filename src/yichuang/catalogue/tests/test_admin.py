"""The catalogue in the Django admin, as a hall admin uses it: the models' rules show at the field, nothing is
saved against them, and every change lands in the audit log."""

from decimal import Decimal

import pytest
from django.urls import reverse

from yichuang.catalogue.models import Matter, MatterMaterial
from yichuang.core.models import AuditEvent
from yichuang.organisation.roles import Role
from yichuang.organisation.tests.factories import UserFactory
from yichuang.organisation.tests.test_admin import change_form_data

from .factories import MaterialFactory, MatterFactory, MatterMaterialFactory


@pytest.fixture
def matter(db):
    matter = MatterFactory(legal_limit=Decimal("20"), promised_limit=Decimal("5"))
    MatterMaterialFactory(matter=matter, material=MaterialFactory(), core_material=True, order=1)
    MatterMaterialFactory(matter=matter, material=MaterialFactory(), order=2)
    return matter


@pytest.fixture
def form(client, matter):
    client.force_login(UserFactory(hall_admin=True))
    url = reverse("admin:catalogue_matter_change", args=[matter.pk])
    page = client.get(url)
    assert page.status_code == 200
    return url, change_form_data(page)


def inline_errors(response) -> list:
    return [f.errors for inline in response.context["inline_admin_formsets"] for f in inline.formset.forms if f.errors]


def test_promised_beyond_legal_is_a_field_error(client, matter, form):
    url, data = form
    response = client.post(url, {**data, "promised_limit": "25"})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"promised_limit": ["承诺时限不得超过法定时限。"]}
    matter.refresh_from_db()
    assert matter.promised_limit == Decimal("5")
    assert not AuditEvent.objects.filter(action="admin.change").exists()


def test_a_deferrable_core_material_is_a_field_error(client, matter, form):
    url, data = form
    core = [key for key, value in data.items() if key.endswith("-core") and value == "on"]
    assert len(core) == 1
    response = client.post(url, {**data, core[0].replace("-core", "-deferrable"): "on"})
    assert response.status_code == 200
    assert inline_errors(response) == [{"deferrable": ["核心要件不得容缺。"]}]
    assert not MatterMaterial.objects.filter(deferrable=True).exists()


def test_a_material_twice_is_an_error_in_chinese(client, matter, form):
    url, data = form
    response = client.post(url, {**data, "requirements-1-material": data["requirements-0-material"]})
    assert response.status_code == 200
    [errors] = inline_errors(response)
    message = str(errors)
    assert "已经存在" in message and "Matter" not in message and "事项" in message


def test_a_valid_change_is_saved_and_audited(client, matter, form):
    url, data = form
    assert client.post(url, {**data, "promised_limit": "3"}).status_code == 302
    matter.refresh_from_db()
    assert matter.promised_limit == Decimal("3")
    event = AuditEvent.objects.get(action="admin.change")
    assert event.object_id == str(matter.pk) and event.actor.has_role(Role.HALL_ADMIN)


def test_an_instant_matter_with_a_limit_is_a_field_error(client, matter, form):
    url, data = form
    response = client.post(url, {**data, "limit_unit": "instant"})
    assert response.status_code == 200
    assert "legal_limit" in response.context["adminform"].form.errors
    assert Matter.objects.get(pk=matter.pk).limit_unit == "working_days"


@pytest.mark.parametrize(
    ("model_name", "field_name", "term"),
    [("mattermaterial", "material", "材料\x00"), ("bundleitem", "matter", "\x00")],
)
def test_autocomplete_with_a_nul_finds_nothing(client, matter, form, model_name, field_name, term):
    # PostgreSQL refuses NUL in text: this was a 500 there.
    params = {"app_label": "catalogue", "model_name": model_name, "field_name": field_name}
    response = client.get(reverse("admin:autocomplete"), {**params, "term": term})
    assert response.status_code == 200 and response.json()["results"] == []
    found = client.get(reverse("admin:autocomplete"), {**params, "term": ""}).json()["results"]
    assert found  # without the NUL the same search finds
