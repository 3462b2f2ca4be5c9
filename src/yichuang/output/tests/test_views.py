import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from yichuang.core.models import AuditEvent
from yichuang.intake.tests.helpers import PERSON
from yichuang.organisation import services as org_services
from yichuang.output.models import Handover

from .conftest import AGENT, SIGNATURE, approve, bundle, officer_for, ready_single


def login(client, user):
    client.force_login(user)
    return client


# --- pages -----------------------------------------------------------------------------------------------


def test_desk_lists_ready_and_links_from_start(client, desk):
    submission = ready_single(desk)
    login(client, desk.clerk)
    response = client.get(reverse("output:desk"))
    assert response.status_code == 200
    assert submission.number in response.content.decode()
    assert reverse("output:desk") in client.get("/").content.decode()


def test_pages_forbidden_for_other_staff(client, desk):
    submission = ready_single(desk)
    for user in (desk.office.officer, desk.hall.clerk, desk.office.supervisor):
        login(client, user)
        assert client.get(reverse("output:desk")).status_code == 403
        assert client.get(reverse("output:submission", args=[submission.number])).status_code == 403
        response = client.post(reverse("output:hand_over", args=[submission.number]), {"receiver": "applicant"})
        assert response.status_code == 403
    client.logout()
    assert client.get(reverse("output:desk")).status_code == 302


def test_search_by_id_number_is_audited_and_masked(client, desk):
    submission = ready_single(desk)
    login(client, desk.clerk)
    response = client.get(reverse("output:desk"), {"q": PERSON["id_number"]})
    assert response.status_code == 302 and submission.number in response["Location"]
    event = AuditEvent.objects.get(action="output.find_by_id_number")
    assert PERSON["id_number"] not in event.summary and event.detail["found"] == [submission.number]
    response = client.get(reverse("output:desk"), {"q": AGENT["id_number"]})  # nobody
    body = response.content.decode()
    assert response.status_code == 200 and AGENT["id_number"] not in body and "没有找到" in body
    assert client.get(reverse("output:desk"), {"q": "x" * 1000}).status_code == 200
    assert client.get(reverse("output:desk"), {"q": submission.number}).status_code == 302


def test_submission_page_and_hand_over(client, desk):
    submission = ready_single(desk)
    login(client, desk.clerk)
    url = reverse("output:submission", args=[submission.number])
    page = client.get(url).content.decode()
    assert "form-hand-over" in page and PERSON["id_number"] not in page
    post = reverse("output:hand_over", args=[submission.number])
    ok = {"receiver": "applicant", "id_number": PERSON["id_number"], "receiver_name": "张三", "signature": SIGNATURE}
    response = client.post(post, {**ok, "id_number": AGENT["id_number"]})
    assert response.status_code == 422 and "不一致" in response.content.decode()
    response = client.post(post, ok)
    handover = Handover.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("output:receipt", args=[handover.pk])
    assert handover.window == desk.window
    receipt = client.get(response["Location"]).content.decode()
    assert "领取回执" in receipt and "张三" in receipt and PERSON["id_number"] not in receipt
    again = client.post(post, ok)
    assert again.status_code == 422


def test_partial_form_and_mail_form_errors(client, desk):
    submission = bundle(desk)
    first = submission.cases.order_by("seq").first()
    approve(first, officer_for(desk, first))
    login(client, desk.clerk)
    post = reverse("output:hand_over", args=[submission.number])
    ok = {"receiver": "applicant", "id_number": PERSON["id_number"], "receiver_name": "张三", "signature": SIGNATURE}
    response = client.post(post, ok)
    assert response.status_code == 422 and "部分领取" in response.content.decode()
    mail = reverse("output:mail", args=[submission.number])
    response = client.post(mail, {"address": "", "carrier": "EMS", "tracking_number": "", "partial": "1"})
    assert response.status_code == 422
    response = client.post(
        mail,
        {"address": "沈丘县1号", "carrier": "EMS", "tracking_number": "EMS1234", "partial": "1", "cases": first.number},
    )
    assert response.status_code == 302
    assert Handover.objects.get().partial


def test_unknown_submission_404_and_bad_method(client, desk):
    login(client, desk.clerk)
    assert client.get(reverse("output:submission", args=["nope"])).status_code == 404
    assert client.post(reverse("output:hand_over", args=["nope"]), {}).status_code == 404
    assert client.get(reverse("output:hand_over", args=["nope"])).status_code == 405
    assert client.get(reverse("output:receipt", args=[999])).status_code == 404


# --- API -----------------------------------------------------------------------------------------------


@pytest.fixture
def api(desk):
    return Client(HTTP_AUTHORIZATION=f"Bearer {org_services.issue_api_token(desk.clerk)}")


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_api_ready_find_detail_hand_over(api, desk):
    submission = ready_single(desk, agent=AGENT)
    ready = api.get("/api/output/ready").json()
    assert [r["submission"] for r in ready] == [submission.number] and ready[0]["complete"]
    assert [f["submission"] for f in api.get("/api/output/find", {"q": AGENT["id_number"]}).json()] == [
        submission.number
    ]
    assert AuditEvent.objects.filter(action="output.find_by_id_number").count() == 1
    detail = api.get(f"/api/output/submissions/{submission.number}").json()
    assert detail["cases"][0]["state"] == "ready" and AGENT["id_number"] not in json.dumps(detail)
    url = f"/api/output/submissions/{submission.number}/hand-over"
    agent = {"receiver": "agent", "id_number": AGENT["id_number"], "receiver_name": "李四", "signature": SIGNATURE}
    bad = post(api, url, {**agent, "receiver": "applicant"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "id_number"
    good = post(api, url, agent)
    assert good.status_code == 200 and good.json()["receiver"] == "agent" and good.json()["agent_on_record"]
    assert good.json()["signed"] and "signature" not in good.json()
    assert api.get(f"/api/output/submissions/{submission.number}").json()["cases"][0]["state"] == "handed"
    assert post(api, url, agent).status_code == 422


def test_api_mail_errors_and_permissions(api, desk):
    submission = ready_single(desk)
    url = f"/api/output/submissions/{submission.number}/mail"
    bad = post(api, url, {"address": "沈丘县", "carrier": "EMS", "tracking_number": ""})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "tracking_number"
    assert post(api, url, {"address": "沈丘县"}).status_code == 422
    assert (
        post(
            api, "/api/output/submissions/nope/mail", {"address": "a", "carrier": "b", "tracking_number": "c"}
        ).status_code
        == 404
    )
    other = Client(HTTP_AUTHORIZATION=f"Bearer {org_services.issue_api_token(desk.office.officer)}")
    assert other.get("/api/output/ready").status_code == 403
    assert post(other, url, {"address": "沈丘县", "carrier": "EMS", "tracking_number": "EMS1234"}).status_code == 403
    assert Client().get("/api/output/ready").status_code == 401
    ok = post(api, url, {"address": "沈丘县", "carrier": "EMS", "tracking_number": "EMS1234"})
    assert ok.status_code == 200 and ok.json()["tracking_number"] == "EMS1234"


# --- admin ---------------------------------------------------------------------------------------------


def test_admin_handovers_read_only_rules_editable(client, desk):
    submission = ready_single(desk)
    Handover.objects.create(
        submission=submission, method="mail", address="a", carrier="EMS", tracking_number="T123", handed_by=desk.clerk
    )
    login(client, desk.hall.admin)
    assert client.get("/admin/output/handover/").status_code == 200
    assert client.get("/admin/output/handover/add/").status_code == 403
    assert client.get("/admin/output/outputrules/add/").status_code == 200
    supervisor = desk.office.supervisor
    supervisor.is_staff = True
    supervisor.save(update_fields=["is_staff"])
    login(client, supervisor)
    assert client.get("/admin/output/handover/").status_code == 200
    assert client.get("/admin/output/outputrules/add/").status_code == 403


def test_the_submission_page_links_the_licence_an_approval_issued(client, desk):
    from yichuang.catalogue.models import Matter
    from yichuang.licences.models import LicenceType

    submission = bundle(desk)
    case = submission.cases.order_by("seq").first()
    licence_type = LicenceType.objects.create(code="T-1", name="某许可证", holder_kind="person")
    licence_type.issuing_matters.add(Matter.objects.get(pk=case.matter_id))
    approve(case, officer_for(desk, case), now=timezone.now())
    client.force_login(desk.clerk)
    html = client.get(f"/output/s/{submission.number}/").content.decode()
    assert f'href="/licences/{case.licence.pk}/"' in html
