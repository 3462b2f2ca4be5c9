"""The admin: hall admins edit the consultation rules; consultations are read-only there, without the asker."""

import pytest
from django.test import Client

from yichuang.consultation import services
from yichuang.consultation.models import ConsultationRules
from yichuang.organisation.roles import sync_role_groups
from yichuang.organisation.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_hall_admins_edit_the_rules_and_only_read_consultations(desk):
    sync_role_groups()
    client = Client()
    client.force_login(UserFactory(hall_admin=True))
    added = client.post("/admin/consultation/consultationrules/add/", {"escalation_days": "2"})
    assert added.status_code == 302 and ConsultationRules.objects.get().escalation_days == 2
    assert services.rules().escalation_days == 2
    assert client.post("/admin/consultation/consultationrules/add/", {"escalation_days": "3"}).status_code == 403
    c = services.record(desk.consultant, channel="phone", question="问", solved=True, answer="答",
                        asker_name="张三丰", asker_phone="13800001111")  # fmt: skip
    page = client.get(f"/admin/consultation/consultation/{c.pk}/change/")
    assert page.status_code == 200 and "13800001111" not in page.text and "张三丰" not in page.text
    assert 'name="_save"' not in page.text
    assert client.post(f"/admin/consultation/consultation/{c.pk}/change/", {"question": "改"}).status_code == 403
    c.refresh_from_db()
    assert c.question == "问"
