"""我要咨询 with the matters it concerns: picked through the guide's search (or the plain select without script),
stored on the consultation, and where the escalation goes when the desk names no department."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from yichuang.consultation import services
from yichuang.consultation.models import Consultation
from yichuang.core import once

pytestmark = pytest.mark.django_db


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_the_picker_searches_the_catalogue_as_the_guide_does(desk):
    found = _client().get("/consult/matters/", {"q": "食品"})
    assert found.status_code == 200
    hits = found.json()["matters"]
    assert [h["code"] for h in hits] == ["PERMIT"]
    assert hits[0]["department"] == "县市场监督管理局" and hits[0]["id"] == desk.hall.licence_days.pk
    assert _client().get("/consult/matters/", {"q": ""}).json() == {"matters": []}
    assert _client().get("/consult/matters/", {"q": "\x00" * 300}).status_code == 200  # never a 500


def test_the_form_offers_the_matters_as_a_plain_select_and_the_picker_script(desk):
    page = _client().get("/consult/ask/")
    assert page.status_code == 200
    assert "data-matter-picker" in page.text and 'data-search-url="/consult/matters/"' in page.text
    assert "consultation/ask.js" in page.text and "食品经营许可" in page.text
    assert "广告发布登记" in page.text  # suspended, still a matter one may ask about
    assert "<script>" not in page.text  # no inline script (CSP)


def test_an_online_question_keeps_its_matters_and_the_escalation_follows_them(desk):
    hall = desk.hall
    data = {"question": "办食品经营许可要多久？", "asker_phone": "13800007777",
            "matters": [str(hall.licence_days.pk)], "form_token": once.new_token()}  # fmt: skip
    assert _client().post("/consult/ask/", data).status_code == 302
    c = Consultation.objects.get()
    assert [m.code for m in c.matters.all()] == ["PERMIT"]
    # The desk's page proposes the matters' department; escalating without naming one sends it there.
    desk_client = _client(desk.consultant)
    page = desk_client.get(f"/consult/{c.number}/")
    assert f'<option value="{hall.samr.pk}" selected>' in page.text
    done = desk_client.post(f"/consult/{c.number}/escalate/", {"department": "", "note": ""})
    assert done.status_code == 302
    c.refresh_from_db()
    assert c.status == Consultation.Status.ESCALATED and c.escalation.department == hall.samr


def test_an_unknown_matter_is_refused_at_the_field(desk):
    data = {"question": "问题", "asker_phone": "13800007777", "matters": ["999999"], "form_token": once.new_token()}
    page = _client().post("/consult/ask/", data)
    assert page.status_code == 422 and 'data-field="matters"' in page.text
    assert not Consultation.objects.exists()


def test_without_matters_or_with_two_departments_the_desk_must_name_one(desk):
    hall = desk.hall
    for matters in ([], ["PERMIT", "SEAL"]):
        c = services.ask_online(question="问题", asker_phone="13800007777", matters=matters)
        with pytest.raises(ValidationError) as refused:
            services.escalate(c, desk.consultant, department=None)
        assert "请选择承办部门" in refused.value.message_dict["department"][0]
        c.refresh_from_db()
        assert c.status == Consultation.Status.OPEN
    # Named, the department named wins over the matters'.
    c = services.ask_online(question="问题", asker_phone="13800007777", matters=["PERMIT"])
    assert services.escalate(c, desk.consultant, department=hall.tax).department == hall.tax
