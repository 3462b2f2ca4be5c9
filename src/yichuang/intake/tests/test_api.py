"""POST /api/submissions and GET /api/submissions/{number}: shapes, 422 per field, idempotency, masking, access."""

import pytest
from django.test import Client

from yichuang.intake.models import Case, Submission
from yichuang.organisation import services as org_services
from yichuang.organisation.tests.factories import UserFactory

from .helpers import BUNDLE_MATERIALS, PERSON, received
from .ids import credit_code, resident_id
from .test_submit import ORG

pytestmark = pytest.mark.django_db


def staff(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {org_services.issue_api_token(user)}")


def body(**overrides) -> dict:
    data = {
        "applicant": ORG,
        "agent": None,
        "bundle": "qiyekaiban",
        "matters": [],
        "materials": received(*BUNDLE_MATERIALS),
        "channel": "window",
        "window": None,
        "ticket": None,
    }
    data.update(overrides)
    return data


def post(client, data, key=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post("/api/submissions", data, content_type="application/json", **headers)


def test_create_a_submission(hall):
    response = post(staff(hall.clerk), body())
    assert response.status_code == 201, response.content
    data = response.json()
    assert set(data) == {"number", "cases"}
    submission = Submission.objects.get(number=data["number"])
    assert [c["number"] for c in data["cases"]] == [f"{data['number']}-0{n}" for n in (1, 2, 3)]
    assert [(c["matter"], c["department"]) for c in data["cases"]] == [
        ("SETUP", "samr"),
        ("SEAL", "police"),
        ("INVOICE", "tax"),
    ]
    assert all(c["due"] for c in data["cases"])
    assert submission.window == hall.w1 and submission.accepted_by == hall.clerk
    assert "Idempotent-Replayed" not in response


def test_the_same_idempotency_key_twice_makes_one(hall):
    client = staff(hall.clerk)
    first = post(client, body(), key="intake-7d1c")
    second = post(client, body(), key="intake-7d1c")
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Submission.objects.count() == 1 and Case.objects.count() == 3
    # Another key is another submission; the same key from another member of staff is refused.
    assert post(client, body(confirm_duplicate=True), key="intake-7d1d").json()["number"] != first.json()["number"]
    other = post(staff(hall.clerk2), body(), key="intake-7d1c")
    assert other.status_code == 422 and other.json()["errors"][0]["field"] == "idempotency_key"
    assert Submission.objects.count() == 2


def test_422_names_every_invalid_part(hall):
    bad_id = ORG["id_number"][:17] + ("0" if ORG["id_number"][17] != "0" else "1")
    data = body(
        applicant={**ORG, "id_number": bad_id},
        bundle=None,
        matters=["SETUP", "PAUSED", "PERMIT", "NOPE"],
        materials=received("FORM", "ARTICLES", "PREMISES", "ATTORNEY")
        + [{"material": "ID", "status": "deferred", "due": "2026-03-10"}, {"material": "XYZ", "status": "received"}],
    )
    response = post(staff(hall.clerk), data)
    assert response.status_code == 422
    errors = {e["field"]: e["reason"] for e in response.json()["errors"]}
    assert errors["applicant.id_number"] == "统一社会信用代码校验码不正确，请逐位核对。"
    assert "暂停" in errors["matters[1]"]  # a suspended matter
    assert "不在“企业开办服务专区”受理" in errors["matters[2]"]  # not taken in by this zone
    assert errors["matters[3]"] == "没有编码为“NOPE”的事项。"  # an unknown code
    assert errors["materials[4].status"] == "“申请人身份证明”是核心要件，不得容缺。"
    assert errors["materials[5].material"] == "没有编码为“XYZ”的材料。"
    assert response.json()["detail"] in errors.values()
    assert Submission.objects.count() == 0


def test_schema_errors_are_422_too(hall):
    client = staff(hall.clerk)
    response = client.post("/api/submissions", {"applicant": "x"}, content_type="application/json")
    assert response.status_code == 422 and response.json()["errors"]
    response = client.post("/api/submissions", "not json", content_type="application/json")
    assert response.status_code in (400, 422)


def test_window_for_a_hall_admin_and_a_person_not_allowed(hall):
    admin = staff(hall.admin)
    response = post(admin, body())
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "window"
    assert post(admin, body(window=hall.w2.pk)).status_code == 201
    officer = staff(UserFactory(officer=True))
    assert post(officer, body()).status_code == 403
    assert Client().post("/api/submissions", body(), content_type="application/json").status_code == 401


def test_get_a_submission_with_its_timeline_masked(hall):
    agent = {"name": "李四", "id_number": resident_id(birth="19850101", seq="456"), "phone": "13800002222"}
    number = post(
        staff(hall.clerk),
        body(
            applicant=PERSON,
            agent=agent,
            bundle=None,
            matters=["SETUP"],
            materials=received("ID", "FORM", "ARTICLES", "PREMISES"),
        ),
    ).json()["number"]
    response = staff(hall.clerk2).get(f"/api/submissions/{number}")
    assert response.status_code == 200
    data = response.json()
    assert data["number"] == number and data["status"] == "accepted" and data["window"] == 1
    masked = PERSON["id_number"][:6] + "********" + PERSON["id_number"][-4:]
    assert data["applicant"] == {"kind": "person", "name": "张*", "id_number": masked, "phone": "139****5678"}
    assert PERSON["id_number"] not in response.content.decode()
    assert agent["id_number"] not in response.content.decode() and "13800002222" not in response.content.decode()
    assert data["agent"]["name"] == "李*"
    assert [c["matter"] for c in data["cases"]] == ["SETUP"]
    assert [e["kind"] for e in data["timeline"]] == ["accepted", "dispatched"]
    assert data["timeline"][0]["window"] == 1 and data["timeline"][1]["case"] == data["cases"][0]["number"]
    assert {m["material"] for m in data["materials"]} == {"ID", "FORM", "ARTICLES", "PREMISES", "ATTORNEY"}


def test_get_is_scoped(hall):
    number = post(staff(hall.clerk), body()).json()["number"]
    samr = staff(UserFactory(officer=True, department=hall.samr))
    assert samr.get(f"/api/submissions/{number}").status_code == 200  # it has a case of their department
    other = staff(UserFactory(officer=True))
    hidden, missing = other.get(f"/api/submissions/{number}"), other.get("/api/submissions/411624-20990101-000001")
    assert hidden.status_code == missing.status_code == 404  # another department's answers as a missing one
    assert hidden.json() == missing.json()
    assert samr.get("/api/submissions/411624-20990101-000001").status_code == 404
    assert Client().get(f"/api/submissions/{number}").status_code == 401


def test_control_characters_are_a_422_never_a_500(hall):
    """PostgreSQL refuses NUL in text: such input must be refused by the checks before any query."""
    client = staff(hall.clerk)
    cases = [
        (body(bundle="qiye\x00kaiban"), "bundle"),
        (body(bundle=None, matters=["SET\x00UP"]), "matters[0]"),
        (body(materials=[{"material": "I\x00D", "status": "received"}]), "materials[0].material"),
        (body(applicant={**ORG, "name": "好运\x00商贸"}), "applicant.name"),
        (body(applicant={**ORG, "phone": "139\x0012345678"}), "applicant.phone"),
        (body(agent={"name": "李\x00四", "id_number": resident_id(birth="19850101"), "phone": ""}), "agent.name"),
    ]
    for data, field in cases:
        response = post(client, data)
        assert response.status_code == 422, (field, response.content)
        assert field in {e["field"] for e in response.json()["errors"]}, (field, response.json())
    assert post(client, body(), key="bad\x00key").status_code == 422
    assert client.get("/api/submissions/411624-20260310-00000%00").status_code == 404
    assert Submission.objects.count() == 0


def test_an_intake_makes_one_statement_per_table_and_reads_no_catalogue(hall, django_assert_num_queries):
    """The hot path (docs/performance.md, 一窗受理): once the reference data is cached, an intake reads the token
    and its first reads and writes each table once. A statement more per intake is a change to measure."""
    import re

    client = staff(hall.clerk)
    assert post(client, body(), key="warm-up").status_code == 201  # caches the reference data, stamps the token
    other = {**ORG, "name": "沈丘县另一家商贸有限公司", "id_number": credit_code("91411624MB")}
    with django_assert_num_queries(16) as captured:
        assert post(client, body(applicant=other), key="measured").status_code == 201
    statements = [
        re.match(r'\s*(\w+)(?:.*?\b(?:FROM|INTO)\s+"?(\w+))?', q["sql"], re.S | re.I).groups()
        for q in captured.captured_queries
    ]
    assert [(verb.upper(), table) for verb, table in statements] == [
        ("SELECT", "organisation_apitoken"),  # the token with its user
        # A likely duplicate: the applicant's matters accepted today (intake.duplicates; its first FROM is the
        # Idempotency-Key's subquery).
        ("SELECT", "intake_submission"),
        ("SELECT", "intake_referencerevision"),  # revision, seat, Idempotency-Key, role in one round trip
        ("SELECT", "intake_applicant"),  # the applicant on record with its names and contacts (intake.applicants)
        ("INSERT", "intake_submissioncounter"),  # the number
        ("SAVEPOINT", None),
        ("INSERT", "intake_applicant"),
        ("INSERT", "intake_submission"),
        ("INSERT", "intake_applicantcontact"),  # a name and phone not given before (here: a new applicant)
        ("INSERT", "intake_submissionmaterial"),
        ("INSERT", "intake_case"),
        ("INSERT", "intake_timelineevent"),
        ("INSERT", "core_auditevent"),
        ("INSERT", "notifications_message"),
        ("INSERT", "core_auditevent"),
        ("RELEASE", None),
    ]
