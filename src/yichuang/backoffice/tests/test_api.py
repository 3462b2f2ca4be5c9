"""/api/office/: the worklist, a case's detail and one POST per transition, with 401/403/404/422 as JSON."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from yichuang.intake.models import Case
from yichuang.intake.tests.helpers import received
from yichuang.organisation import services as org_services

from .conftest import take_in


def client(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {org_services.issue_api_token(user)}")


def new_case(office, matter="PERMIT", **kw):
    return take_in(office.hall, matter, now=timezone.now(), **kw)


def post(c, path, data=None):
    return c.post(f"/api/office{path}", data or {}, content_type="application/json")


def fields(response) -> list:
    assert response.status_code == 422, response.content
    return [e["field"] for e in response.json()["errors"]]


def test_worklist(office):
    case = new_case(office)
    other = new_case(office)
    officer = client(office.officer)
    post(officer, f"/cases/{other.number}/claim")
    response = officer.get("/api/office/cases")
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["total"], data["page"], data["pages"]) == (2, 1, 1)
    item = next(i for i in data["items"] if i["number"] == case.number)
    assert set(item) == {
        "number", "matter", "matter_name", "department", "status", "level", "due", "time_left_us", "time_used_us",
        "clock_problem", "paused", "assignee",
    }  # fmt: skip
    assert item["clock_problem"] == ""
    assert (item["matter"], item["department"], item["status"], item["level"]) == (
        "PERMIT", "samr", "accepted", "green",
    )  # fmt: skip
    assert item["time_left_us"] > 0 and item["time_used_us"] >= 0 and item["paused"] is False
    assert [i["number"] for i in officer.get("/api/office/cases?show=inbox").json()["items"]] == [case.number]
    assert [i["assignee"] for i in officer.get("/api/office/cases?show=mine").json()["items"]] == ["samr1"]
    assert client(office.tax_officer).get("/api/office/cases").json()["total"] == 0
    assert fields(officer.get("/api/office/cases?show=everything")) == ["show"]
    assert officer.get("/api/office/cases?page=0").status_code == 422
    assert officer.get("/api/office/cases?page=9").json()["items"] == []


def test_detail_and_access(office):
    case = new_case(office)
    response = client(office.officer).get(f"/api/office/cases/{case.number}")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["number"] == case.number and data["submission"] == case.submission.number
    assert [m["material"] for m in data["materials"]] == ["ID"]
    assert data["timeline"] and data["clock"]["level"] == "green" and data["clock"]["day_us"] == 7 * 3_600_000_000
    assert (data["correction"], data["decision"], data["extensions"], data["special_procedures"]) == (
        None,
        None,
        [],
        [],
    )
    assert client(office.supervisor).get(f"/api/office/cases/{case.number}").status_code == 200
    assert client(office.tax_officer).get(f"/api/office/cases/{case.number}").status_code == 404
    assert client(office.officer).get("/api/office/cases/nope").json()["detail"] == "没有找到（no such case）"
    assert Client().get(f"/api/office/cases/{case.number}").status_code == 401


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("claim", {}),
        ("assign", {"officer": "samr1"}),
        ("correction", {"items": [{"material": "ID"}], "due": "2099-01-01"}),
        ("correction/received", {}),
        ("special", {"kind": "hearing", "reason": "听证", "limit_days": 5}),
        ("special/end", {}),
        ("extension", {"days": 2, "reason": "x"}),
        ("conclude", {"outcome": "approved"}),
        ("result", {"certificate_number": "X"}),
        ("terminate", {}),
    ],
)
def test_another_department_gets_404_and_a_supervisor_403(office, path, body):
    case = new_case(office)
    assert post(client(office.tax_officer), f"/cases/{case.number}/{path}", body).status_code == 404
    response = post(client(office.supervisor), f"/cases/{case.number}/{path}", body)
    assert response.status_code == 403, response.content
    assert response.json()["detail"]


def test_claim_and_assign(office):
    case = new_case(office)
    officer = client(office.officer)
    response = post(officer, f"/cases/{case.number}/claim")
    assert response.status_code == 200 and response.json()["assignee"] == "samr1"
    again = post(client(office.officer2), f"/cases/{case.number}/claim")
    assert again.status_code == 422 and again.json()["detail"] == "该办件已有承办人。"
    assert post(officer, f"/cases/{case.number}/assign", {"officer": "samr2"}).status_code == 403
    lead = client(office.lead)
    assert fields(post(lead, f"/cases/{case.number}/assign", {"officer": "nobody"})) == ["officer"]
    assert fields(post(lead, f"/cases/{case.number}/assign", {"officer": "tax1"})) == ["officer"]
    response = post(lead, f"/cases/{case.number}/assign", {"officer": "samr2"})
    assert response.status_code == 200 and response.json()["assignee"] == "samr2"


def test_correction_and_receipt(office):
    case = new_case(office)
    officer = client(office.officer)
    due = (timezone.localdate() + dt.timedelta(days=10)).isoformat()
    assert fields(post(officer, f"/cases/{case.number}/correction", {"items": [], "due": due})) == ["items"]
    bad_due = {"items": [{"material": "ID"}], "due": "x"}
    assert fields(post(officer, f"/cases/{case.number}/correction", bad_due)) == ["payload.due"]  # ninja's name
    body = {"items": [{"material": "ID", "note": "复印件不清晰"}], "due": due, "note": "请一次补齐"}
    response = post(officer, f"/cases/{case.number}/correction", body)
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["status"] == "correction" and data["paused"] and data["correction"]["items"][0]["name"]
    second = post(officer, f"/cases/{case.number}/correction", body)
    assert second.status_code == 422 and "补正中" in second.json()["detail"]
    assert fields(post(officer, f"/cases/{case.number}/correction/received", {"channel": "fax"})) == ["channel"]
    response = post(officer, f"/cases/{case.number}/correction/received")
    assert response.status_code == 200 and response.json()["status"] == "in_progress"
    assert response.json()["correction"]["received_at"]
    assert post(officer, f"/cases/{case.number}/correction/received").status_code == 422
    third = post(officer, f"/cases/{case.number}/correction", body)
    assert third.status_code == 422 and "一次性告知" in third.json()["detail"]


def test_special_procedure(office):
    case = new_case(office)
    officer = client(office.officer)
    assert fields(post(officer, f"/cases/{case.number}/special", {"kind": "x", "reason": "r", "limit_days": 5})) == [
        "kind"
    ]
    bad_days = {"kind": "hearing", "reason": "r", "limit_days": 0}
    assert fields(post(officer, f"/cases/{case.number}/special", bad_days)) == ["limit_days"]
    response = post(officer, f"/cases/{case.number}/special", {"kind": "hearing", "reason": "听证", "limit_days": 5})
    assert response.status_code == 200 and response.json()["status"] == "special"
    assert response.json()["special_procedures"][0]["kind"] == "hearing"
    assert post(officer, f"/cases/{case.number}/conclude", {"outcome": "approved"}).status_code == 422
    response = post(officer, f"/cases/{case.number}/special/end", {"outcome": "听证完毕"})
    assert response.status_code == 200 and response.json()["special_procedures"][0]["outcome"] == "听证完毕"
    assert post(officer, f"/cases/{case.number}/special/end").status_code == 422


def test_extension_and_its_decision(office):
    case = new_case(office)
    officer = client(office.officer)
    post(officer, f"/cases/{case.number}/claim")
    assert fields(post(officer, f"/cases/{case.number}/extension", {"days": 11, "reason": "x"})) == ["days"]
    response = post(officer, f"/cases/{case.number}/extension", {"days": 2, "reason": "需现场核查"})
    assert response.status_code == 200, response.content
    extension = response.json()["extensions"][0]
    assert extension["status"] == "pending"
    path = f"/cases/{case.number}/extensions/{extension['id']}/decision"
    assert post(officer, path, {"approve": True}).status_code == 403
    assert (
        post(client(office.lead), f"/cases/{case.number}/extensions/999999/decision", {"approve": True}).status_code
        == 404
    )
    assert fields(post(client(office.lead), path, {"approve": False})) == ["note"]
    before = Case.objects.get(pk=case.pk).due_at
    response = post(client(office.lead), path, {"approve": True, "note": "同意"})
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["extensions"][0]["status"] == "approved" and data["clock"]["extended_days"] == 2
    assert Case.objects.get(pk=case.pk).due_at > before
    assert post(client(office.lead), path, {"approve": True}).status_code == 422
    again = post(officer, f"/cases/{case.number}/extension", {"days": 1, "reason": "再延"})
    assert again.status_code == 422 and "已延期一次" in again.json()["detail"]


def test_conclude_result_and_terminate(office):
    case = new_case(office)
    officer = client(office.officer)
    assert post(officer, f"/cases/{case.number}/result", {"certificate_number": "X"}).status_code == 422
    assert fields(post(officer, f"/cases/{case.number}/conclude", {"outcome": "rejected"})) == ["reasons"]
    assert fields(post(officer, f"/cases/{case.number}/conclude", {"outcome": "rejected", "reasons": "不符"})) == [
        "legal_basis"
    ]
    terminate = post(officer, f"/cases/{case.number}/terminate")
    assert terminate.status_code == 422 and "不能终止" in terminate.json()["detail"]
    response = post(officer, f"/cases/{case.number}/conclude", {"outcome": "approved", "certificate_number": "JY1"})
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["status"] == "approved" and data["decision"]["certificate_number"] == "JY1" and data["level"] is None
    response = post(officer, f"/cases/{case.number}/result", {"certificate_number": "JY2"})
    assert response.status_code == 200 and response.json()["decision"]["certificate_number"] == "JY2"


def test_the_result_document_is_uploaded_checked_by_content_and_audited(office):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from yichuang.backoffice.models import Decision
    from yichuang.core.models import AuditEvent

    case = new_case(office)
    officer = client(office.officer)
    path = f"/api/office/cases/{case.number}/result/document"
    pdf = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"

    def upload(c, content: bytes, name="licence.pdf", **data):
        return c.post(path, {"document": SimpleUploadedFile(name, content), **data})

    early = upload(officer, pdf)
    assert early.status_code == 422 and "办结后" in early.json()["detail"]  # not concluded yet
    assert post(officer, f"/cases/{case.number}/conclude", {"outcome": "approved"}).status_code == 200
    disguised = upload(officer, b"MZ\x90\x00 not a pdf at all", name="licence.pdf")
    assert fields(disguised) == ["document"] and not Decision.objects.get(case=case).document
    assert upload(client(office.supervisor), pdf).status_code == 403  # sees the case, may not act on it

    response = upload(officer, pdf, certificate_number="JY3")
    assert response.status_code == 200, response.content
    decision = response.json()["decision"]
    assert decision["has_document"] is True and decision["certificate_number"] == "JY3"
    stored = Decision.objects.get(case=case)
    assert stored.document.read() == pdf
    assert AuditEvent.objects.filter(action="backoffice.record_result", object_id=str(case.pk)).exists()


def test_an_oversized_result_document_is_refused_at_the_field(office, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.INTAKE_MAX_UPLOAD_MB = 1
    case = new_case(office)
    officer = client(office.officer)
    assert post(officer, f"/cases/{case.number}/conclude", {"outcome": "approved"}).status_code == 200
    big = SimpleUploadedFile("big.pdf", b"%PDF-1.7\n" + b"0" * (1024 * 1024))
    assert fields(officer.post(f"/api/office/cases/{case.number}/result/document", {"document": big})) == ["document"]


def test_a_deferred_case_is_not_approved_and_is_terminated_after_its_due_day(office):
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    case = take_in(
        office.hall,
        "ELDERLY",
        now=timezone.now() - dt.timedelta(days=3),
        materials=[*received("ID"), {"material": "PLAN", "status": "deferred", "due": yesterday}],
    )
    civil = client(office.civil_officer)
    early = post(civil, f"/cases/{case.number}/claim")
    assert early.status_code == 422 and "取件" in early.json()["detail"]
    handoffs = civil.get("/api/office/handoffs?status=open").json()
    assert [h["cases"] for h in handoffs] == [[case.number]]
    assert post(client(office.officer), f"/handoffs/{handoffs[0]['id']}/collect", {"signer": "王五"}).status_code == 404
    assert fields(post(civil, f"/handoffs/{handoffs[0]['id']}/collect", {"signer": ""})) == ["signer"]
    response = post(civil, f"/handoffs/{handoffs[0]['id']}/collect", {"signer": "李四"})
    assert response.status_code == 200 and response.json()["status"] == "collected"
    assert post(civil, f"/handoffs/{handoffs[0]['id']}/collect", {"signer": "李四"}).status_code == 422
    assert fields(civil.get("/api/office/handoffs?status=bogus")) == ["status"]
    blocked = post(civil, f"/cases/{case.number}/conclude", {"outcome": "approved"})
    assert blocked.status_code == 422 and "容缺材料" in blocked.json()["detail"]
    response = post(civil, f"/cases/{case.number}/terminate")
    assert response.status_code == 200 and response.json()["decision"]["outcome"] == "terminated"


def test_return_results(office):
    case = take_in(office.hall, "ELDERLY", now=timezone.now(), materials=received("ID", "PLAN"))
    civil = client(office.civil_officer)
    post(civil, f"/handoffs/{case.handoff_id}/collect", {"signer": "李四"})
    assert fields(post(civil, "/return-results", {"cases": [case.number, "nope"]})) == ["cases[1]"]
    assert post(civil, "/return-results", {"cases": [case.number]}).status_code == 422  # not concluded yet
    post(civil, f"/cases/{case.number}/conclude", {"outcome": "approved"})
    assert post(client(office.officer), "/return-results", {"cases": [case.number]}).status_code == 422  # not theirs
    response = post(civil, "/return-results", {"cases": [case.number]})
    assert response.status_code == 200 and response.json()[0]["number"] == case.number
    assert Case.objects.get(pk=case.pk).returned_at is not None


def test_the_office_endpoints_are_documented(office):
    paths = Client().get("/api/openapi.json").json()["paths"]
    assert {"/api/office/cases", "/api/office/cases/{number}", "/api/office/return-results"} <= set(paths)
    assert "422" in paths["/api/office/cases/{number}/conclude"]["post"]["responses"]
