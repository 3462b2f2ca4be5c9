"""The feedback API: ratings from a pad or a signed link, rectification actions, appeals and review."""

import datetime as dt
import time
from unittest import mock

import pytest
from django.core.management import call_command

from yichuang.backoffice import sweep
from yichuang.feedback import links, services
from yichuang.feedback.models import Channel, Evaluation, FeedbackRules
from yichuang.output.models import Handover, HandoverItem

from .conftest import finished_ticket

pytestmark = pytest.mark.django_db


def post(client, url, data, **headers):
    return client.post(url, data, content_type="application/json", headers=headers)


def test_a_pad_rates_the_visit_just_finished(client, office):
    window = office.hall.w_general
    secret = services.pair_pad(window, office.hall.general_clerk)
    ticket = finished_ticket(window, office.hall.general_clerk)
    pad = {"X-Rating-Pad": f"{window.pk}:{secret}"}
    body = {"ticket": ticket.pk, "level": 2, "dimensions": {"attitude": 2}, "comment": "态度一般"}
    response = post(client, "/api/evaluations", body, **pad)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["channel"] == "pad" and data["level"] == 2 and data["ticket"] == ticket.pk
    assert data["rectification"]["follow_up_required"] is False
    again = post(client, "/api/evaluations", body, **pad)
    assert again.status_code == 422 and "不能重复评价" in again.json()["detail"]
    assert post(client, "/api/evaluations", body, **{"X-Rating-Pad": f"{window.pk}:wrong"}).status_code == 403
    assert post(client, "/api/evaluations", body).status_code == 403
    other = finished_ticket(office.hall.w1, office.hall.clerk, seq=2)
    refused = post(client, "/api/evaluations", {**body, "ticket": other.pk}, **pad)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "ticket"
    assert Evaluation.objects.count() == 1


def test_a_pad_of_an_output_window_rates_the_case_handed_over(client, office, case):
    from yichuang.organisation.tests.factories import WindowFactory

    window = WindowFactory(zone=office.hall.general, number=50, name="综合出件", output=True)
    secret = services.pair_pad(window, office.hall.admin)
    handover = Handover.objects.create(
        submission=case.submission, method="in_person", receiver="applicant", receiver_name="张三",
        window=window, handed_by=office.hall.admin,
    )  # fmt: skip
    HandoverItem.objects.create(handover=handover, case=case, outcome="approved")
    response = post(
        client, "/api/evaluations", {"case": case.number, "level": 5}, **{"X-Rating-Pad": f"{window.pk}:{secret}"}
    )
    assert response.status_code == 201 and response.json()["case"] == case.number


@pytest.mark.parametrize(
    "body, field",
    [
        ({"level": 9}, "level"),
        ({"level": 4, "dimensions": {"attitude": 4}}, "dimensions.attitude"),  # an on-site dimension online
        ({"level": 4, "dimensions": {"usability": 0}}, "dimensions.usability"),
        ({"level": 4, "tags": ["x"]}, "tags"),
        ({"level": "good"}, "level"),
    ],
)
def test_invalid_input_is_422_with_its_field(client, case, body, field):
    response = post(client, "/api/evaluations", {"token": links.make_token(case.number), **body})
    assert response.status_code == 422
    # A schema error names its path under the body ("body.level"), a rule's error the field itself.
    assert any(e["field"] in (field, f"body.{field}") for e in response.json()["errors"])


def test_a_signed_link_rates_its_case(client, office, case):
    token = links.make_token(case.number)
    response = post(client, "/api/evaluations", {"token": token, "level": 1, "real_name": True})
    assert response.status_code == 201
    assert response.json()["rectification"]["follow_up_required"] is True
    assert post(client, "/api/evaluations", {"token": token, "level": 1}).status_code == 422
    assert post(client, "/api/evaluations", {"token": token + "x", "level": 1}).status_code == 403
    assert post(client, "/api/evaluations", {"token": token, "case": "X-1", "level": 1}).status_code == 403
    with mock.patch("django.core.signing.time.time", return_value=time.time() - 16 * 86400):
        old = links.make_token(case.number)
    expired = post(client, "/api/evaluations", {"token": old, "level": 1})
    assert expired.status_code == 403 and "expired" in expired.json()["detail"]


def test_rectification_actions_and_appeals(client, office, case):
    evaluation = services.rate(level=1, channel=Channel.LINK, case=case, real_name=True)
    rect = evaluation.rectification
    assert client.get("/api/rectifications").status_code == 401
    client.force_login(office.tax_officer)
    assert client.get("/api/rectifications").json() == []
    assert post(client, f"/api/rectifications/{rect.pk}/follow-up", {"note": "x"}).status_code == 404
    assert post(client, f"/api/evaluations/{evaluation.pk}/appeals", {"reason": "x"}).status_code == 404
    client.force_login(office.officer)
    listed = client.get("/api/rectifications").json()
    assert [r["id"] for r in listed] == [rect.pk] and listed[0]["evaluation"]["level"] == 1
    early = post(client, f"/api/rectifications/{rect.pk}/resolve", {"status": "fixed", "resolution": "改"})
    assert early.status_code == 422 and "回访" in early.json()["detail"]
    assert post(client, f"/api/rectifications/{rect.pk}/follow-up", {"note": "已回访"}).status_code == 200
    bad = post(client, f"/api/rectifications/{rect.pk}/resolve", {"status": "gone", "resolution": "改"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "status"
    done = post(client, f"/api/rectifications/{rect.pk}/resolve", {"status": "fixed", "resolution": "已改进"})
    assert done.status_code == 200 and done.json()["status"] == "fixed"
    appeal = post(client, f"/api/evaluations/{evaluation.pk}/appeals", {"reason": "恶意差评"})
    assert appeal.status_code == 201
    pk = appeal.json()["id"]
    assert post(client, f"/api/appeals/{pk}/review", {"upheld": True, "outcome": "x"}).status_code == 403
    client.force_login(office.supervisor)
    reviewed = post(client, f"/api/appeals/{pk}/review", {"upheld": True, "outcome": "成立"})
    assert reviewed.status_code == 200 and reviewed.json()["status"] == "upheld"
    assert post(client, "/api/appeals/99999/review", {"upheld": True, "outcome": "x"}).status_code == 404
    overdue = client.get("/api/rectifications?overdue=true").json()
    assert overdue == []
    assert Evaluation.objects.get().level == 1


def test_the_command_and_the_sweep_give_default_ratings(office, case, capsys):
    later = case.concluded_at + dt.timedelta(days=20)
    call_command("feedback", "defaults")
    assert "未启用" in capsys.readouterr().out
    assert sweep.run(later).default_ratings == 0
    FeedbackRules.objects.create(default_after_days=15)
    assert sweep.run(later).default_ratings == 1
    assert sweep.run(later).default_ratings == 0
    call_command("feedback", "defaults")
    assert "默认评价：0" in capsys.readouterr().out
    assert Evaluation.objects.get().channel == Channel.DEFAULT
