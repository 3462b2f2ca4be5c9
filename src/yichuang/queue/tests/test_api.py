"""The queue API: shapes, statuses, and refusals that change nothing."""

import pytest
from django.test import Client

from yichuang.catalogue.tests.factories import MatterFactory
from yichuang.core.models import AuditEvent
from yichuang.organisation import services as org_services
from yichuang.organisation.tests.factories import UserFactory
from yichuang.queue import services
from yichuang.queue.models import QueueSettings, Ticket, TicketEvent

pytestmark = pytest.mark.django_db


def staff(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {org_services.issue_api_token(user)}")


def snapshot():
    queue_audit = AuditEvent.objects.filter(action__startswith="queue.").count()
    return list(Ticket.objects.order_by("id").values()), TicketEvent.objects.count(), queue_audit


def take(client, **body):
    return client.post("/api/tickets", {"zone": "za", **body}, content_type="application/json")


def test_take_a_ticket(hall):
    response = take(Client(), priority=False, phone=None)
    assert response.status_code == 201
    data = response.json()
    assert set(data) == {"id", "number", "zone", "ahead", "wait_minutes", "url"}
    assert data["number"] == "A001" and data["zone"] == "za" and data["ahead"] == 0
    low, high = data["wait_minutes"]
    assert 0 <= low < high
    token = Ticket.objects.get(pk=data["id"]).token
    assert data["url"].endswith(f"/t/{token}/")
    second = take(Client(), phone="13912345678").json()
    assert second["number"] == "A002" and second["ahead"] == 1
    assert Ticket.objects.get(pk=second["id"]).source == Ticket.Source.API


def test_take_refuses_bad_input_and_changes_nothing(hall):
    before = snapshot()
    for body, field in (({"zone": "nope"}, "zone"), ({"phone": "123"}, "phone"), ({"matter": "NOPE"}, "matter")):
        response = take(Client(), **body)
        assert response.status_code == 422, body
        assert response.json()["errors"][0]["field"] == field
    assert take(Client(), priority="maybe").status_code == 422
    assert Client().post("/api/tickets", "not json", content_type="application/json").status_code in (400, 422)
    assert snapshot() == before


def test_take_for_a_matter_of_another_zone_is_refused(hall):
    matter = MatterFactory(zones=[hall.b])
    before = snapshot()
    response = take(Client(), matter=matter.code)
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "matter"
    assert snapshot() == before
    assert take(Client(), zone="zb", matter=matter.code).status_code == 201


def test_call_recall_no_show_reactivate_transfer_finish(hall):
    QueueSettings.objects.create(zone=hall.a, no_show_after_calls=2)
    window, clerk = hall.windows[0], hall.clerk_at(hall.windows[0])
    api = staff(clerk)
    ticket_id = take(Client()).json()["id"]
    response = api.post(f"/api/windows/{window.pk}/call")
    assert response.status_code == 200
    called = response.json()["ticket"]
    assert called["id"] == ticket_id and called["number"] == "A001" and called["window"] == window.number
    assert called["status"] == "called" and called["call_count"] == 1
    assert api.post(f"/api/tickets/{ticket_id}/recall").json()["ticket"]["call_count"] == 2
    assert api.post(f"/api/tickets/{ticket_id}/no-show").json()["ticket"]["status"] == "missed"
    assert api.post(f"/api/tickets/{ticket_id}/reactivate").json()["ticket"]["status"] == "waiting"
    assert api.post(f"/api/windows/{window.pk}/call").json()["ticket"]["id"] == ticket_id
    moved = api.post(
        f"/api/tickets/{ticket_id}/transfer", {"zone": "zb", "front": True}, content_type="application/json"
    ).json()["ticket"]
    assert moved["zone"] == "zb" and moved["number"] == "A001" and moved["status"] == "waiting"
    api_b = staff(hall.clerk_at(hall.windows[2]))
    assert api_b.post(f"/api/windows/{hall.windows[2].pk}/call").json()["ticket"]["id"] == ticket_id
    assert api_b.post(f"/api/tickets/{ticket_id}/finish").json()["ticket"]["status"] == "finished"


def test_call_on_an_empty_queue_is_204(hall):
    window = hall.windows[0]
    response = staff(hall.clerk_at(window)).post(f"/api/windows/{window.pk}/call")
    assert response.status_code == 204 and response.content == b""


def test_call_refusals_change_nothing(hall):
    take(Client())
    window, clerk = hall.windows[0], hall.clerk_at(hall.windows[0])
    before = snapshot()
    # No token.
    assert Client().post(f"/api/windows/{window.pk}/call").status_code == 401
    # Not seated at that window; not seated anywhere.
    assert staff(hall.clerk_at(hall.windows[1])).post(f"/api/windows/{window.pk}/call").status_code == 403
    assert staff(UserFactory(window_clerk=True)).post(f"/api/windows/{window.pk}/call").status_code == 403
    # No such window.
    assert staff(clerk).post("/api/windows/999999/call").status_code == 404
    # A closed window.
    window.is_open = False
    window.save()
    response = staff(clerk).post(f"/api/windows/{window.pk}/call")
    assert response.status_code == 409 and "关闭" in response.json()["detail"]
    assert snapshot() == before


def test_ticket_action_refusals_change_nothing(hall):
    window, clerk = hall.windows[0], hall.clerk_at(hall.windows[0])
    api = staff(clerk)
    ticket_id = take(Client()).json()["id"]
    api.post(f"/api/windows/{window.pk}/call")
    api.post(f"/api/tickets/{ticket_id}/finish")
    before = snapshot()
    # A finished ticket called again, finished again, marked missed: 409.
    for action in ("recall", "finish", "no-show", "reactivate"):
        response = api.post(f"/api/tickets/{ticket_id}/{action}")
        assert response.status_code == 409, action
        assert response.json()["detail"]
    # Wrong zone for a transfer: 422 at the field; another clerk's ticket: 403; unknown ticket: 404.
    response = api.post(f"/api/tickets/{ticket_id}/transfer", {"zone": "nope"}, content_type="application/json")
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "zone"
    other = take(Client()).json()["id"]
    api.post(f"/api/windows/{window.pk}/call")
    before = snapshot()
    assert staff(hall.clerk_at(hall.windows[1])).post(f"/api/tickets/{other}/finish").status_code == 403
    same = api.post(f"/api/tickets/{other}/transfer", {"zone": "za"}, content_type="application/json")
    assert same.status_code == 422
    assert api.post("/api/tickets/999999/finish").status_code == 404
    # No-show before the calls are used up.
    assert api.post(f"/api/tickets/{other}/no-show").status_code == 409
    assert snapshot() == before


def test_windows_and_zone_queue(hall):
    response = Client().get("/api/windows")
    assert response.status_code == 200
    rows = response.json()
    assert {"id", "number", "zone", "kind", "open"} == set(rows[0])
    assert [(r["number"], r["zone"], r["open"]) for r in rows] == [(1, "za", True), (2, "za", True), (5, "zb", True)]
    assert Client().get("/api/windows?site=nope").json() == []
    take(Client())
    take(Client(), priority=True, phone="13812345678")
    queue = Client().get("/api/zones/za/queue").json()
    assert [t["number"] for t in queue["waiting"]] == ["A002", "A001"]
    assert queue["waiting"][0]["priority"] is True
    assert queue["windows_open"] == 2
    assert "138" not in str(queue)
    assert Client().get("/api/zones/nope/queue").status_code == 404


def test_session_auth_needs_csrf(hall):
    window, clerk = hall.windows[0], hall.clerk_at(hall.windows[0])
    client = Client(enforce_csrf_checks=True)
    client.force_login(clerk)
    take(Client())
    assert client.post(f"/api/windows/{window.pk}/call").status_code == 403
    assert Ticket.objects.get().status == Ticket.Status.WAITING


def test_try_again_is_409_with_retry_after(hall, monkeypatch):
    take(Client())
    window, clerk = hall.windows[0], hall.clerk_at(hall.windows[0])
    # Every claim finds the waiting ticket held by another window at that instant.
    monkeypatch.setattr(services, "claim", lambda *a, **k: None)
    monkeypatch.setattr(services.time, "sleep", lambda s: None)
    response = staff(clerk).post(f"/api/windows/{window.pk}/call")
    assert response.status_code == 409 and response["Retry-After"] == "1" and response.json()["retry"] is True
    assert Ticket.objects.get().status == Ticket.Status.WAITING
