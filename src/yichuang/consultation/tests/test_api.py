"""/api/consultations: create and list with a staff token, escalate and answer; 4xx with reasons."""

import pytest
from django.test import Client

from yichuang.consultation import services
from yichuang.consultation.models import Consultation
from yichuang.organisation import services as org_services

pytestmark = pytest.mark.django_db


def _api(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {org_services.issue_api_token(user)}")


def _post(client, path, body):
    return client.post(path, body, content_type="application/json")


def test_create_list_escalate_answer(desk):
    zx = _api(desk.consultant)
    solved = _post(zx, "/api/consultations", {
        "channel": "phone", "question": "公司变更要带什么？", "solved": True, "answer": "带营业执照正副本。",
        "matters": ["PERMIT"], "asker_phone": "13800001111", "asker_name": "李四"})  # fmt: skip
    assert solved.status_code == 201, solved.json()
    body = solved.json()
    assert body["status"] == "answered" and body["matters"] == ["PERMIT"]
    assert body["asker_phone"] == "138****1111" and body["asker_name"] == "李*"
    escalated = _post(zx, "/api/consultations", {
        "channel": "phone", "question": "特殊食品能否经营？", "solved": False, "department": "samr"})  # fmt: skip
    assert escalated.status_code == 201
    number = escalated.json()["number"]
    assert escalated.json()["escalation"]["department"] == "samr" and escalated.json()["escalation"]["status"] == "open"
    listed = zx.get("/api/consultations").json()
    assert listed["total"] == 2 and {i["number"] for i in listed["items"]} == {body["number"], number}

    samr = _api(desk.office.officer)
    assert [i["number"] for i in samr.get("/api/consultations").json()["items"]] == [number]  # its department's only
    answered = _post(samr, f"/api/consultations/{number}/answer", {"reply": "需先取得特殊食品经营许可。"})
    assert answered.status_code == 200 and answered.json()["status"] == "replied"
    assert answered.json()["escalation"]["expert"] == desk.office.officer.username


def test_escalate_a_waiting_online_question(desk):
    c = services.ask_online(question="老年证怎么办？", asker_phone="13800002222")
    zx = _api(desk.consultant)
    refused = _post(zx, f"/api/consultations/{c.number}/escalate", {"department": "nowhere"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "department"
    done = _post(zx, f"/api/consultations/{c.number}/escalate", {"department": "civil", "note": "民政"})
    assert done.status_code == 200 and done.json()["status"] == "escalated"
    again = _post(zx, f"/api/consultations/{c.number}/escalate", {"department": "civil"})
    assert again.status_code == 422 and "不能转办" in again.json()["detail"]


def test_4xx_with_reasons(desk):
    assert Client().get("/api/consultations").status_code == 401
    zx = _api(desk.consultant)
    missing = _post(zx, "/api/consultations", {"channel": "phone", "question": "", "solved": True})
    assert missing.status_code == 422
    fields = {e["field"] for e in missing.json()["errors"]}
    assert {"question", "answer"} <= fields
    channel = _post(zx, "/api/consultations", {"channel": "fax", "question": "问", "solved": True, "answer": "答"})
    assert channel.status_code == 422 and channel.json()["errors"][0]["field"] == "channel"
    matter = _post(zx, "/api/consultations", {"channel": "phone", "question": "问", "solved": True, "answer": "答",
                                              "matters": ["NOPE"]})  # fmt: skip
    assert matter.status_code == 422 and "NOPE" in matter.json()["detail"]
    window = _post(zx, "/api/consultations", {"channel": "window", "question": "问", "solved": True, "answer": "答"})
    assert window.status_code == 422 and window.json()["errors"][0]["field"] == "ticket"
    officer = _post(_api(desk.office.officer), "/api/consultations", {"channel": "phone", "question": "问",
                                                                      "solved": True, "answer": "答"})  # fmt: skip
    assert officer.status_code == 403
    assert not Consultation.objects.exists()
    assert zx.get("/api/consultations/ZX-2026-9999").status_code == 404


def test_another_department_gets_404_and_the_desk_403_on_answer(desk):
    c = services.record(desk.consultant, channel="phone", question="问", solved=False, department=desk.hall.samr)
    tax = _post(_api(desk.office.tax_officer), f"/api/consultations/{c.number}/answer", {"reply": "答"})
    assert tax.status_code == 404
    consultant = _post(_api(desk.consultant), f"/api/consultations/{c.number}/answer", {"reply": "答"})
    assert consultant.status_code == 403 and consultant.json()["detail"]
    empty = _post(_api(desk.office.officer), f"/api/consultations/{c.number}/answer", {"reply": " "})
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "reply"


def _keyed(client, body, key):
    return client.post("/api/consultations", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key)


QUESTION = {"channel": "phone", "question": "公司变更要带什么？", "solved": True, "answer": "带营业执照正副本。",
            "matters": ["PERMIT"], "asker_phone": "13800001111"}  # fmt: skip


def test_a_retry_with_the_same_idempotency_key_returns_the_first(desk):
    zx = _api(desk.consultant)
    first = _keyed(zx, QUESTION, "zx-retry-1")
    assert first.status_code == 201 and "Idempotent-Replayed" not in first
    # The same body, even written differently (spaces, the phone with a separator), is the same request.
    again = _keyed(zx, {**QUESTION, "question": " 公司变更要带什么？ ", "asker_phone": "138-0000-1111"}, "zx-retry-1")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Consultation.objects.count() == 1
    assert _keyed(zx, QUESTION, "zx-retry-2").json()["number"] != first.json()["number"]  # another key: another
    assert Consultation.objects.count() == 2


def test_the_same_key_with_another_body_or_from_another_caller_is_refused(desk):
    zx = _api(desk.consultant)
    number = _keyed(zx, QUESTION, "zx-retry-1").json()["number"]
    other = _keyed(zx, {**QUESTION, "answer": "另一个答复", "matters": []}, "zx-retry-1")
    assert other.status_code == 422
    error = other.json()["errors"][0]
    assert error["field"] == "idempotency_key" and number in error["reason"]
    assert "答复内容" in error["reason"] and "涉及事项" in error["reason"] and "咨询内容" not in error["reason"]
    stranger = _keyed(_api(desk.consultant2), QUESTION, "zx-retry-1")
    assert stranger.status_code == 422 and stranger.json()["errors"][0]["field"] == "idempotency_key"
    bad = _keyed(zx, QUESTION, "x" * 201)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "idempotency_key"
    assert Consultation.objects.count() == 1
