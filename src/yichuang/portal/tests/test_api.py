"""POST /api/submissions with the online hall's applicant session (ApplicantSession): channel online only."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from yichuang.intake import services as intake_services
from yichuang.intake.models import Submission
from yichuang.intake.tests.helpers import PERSON, received
from yichuang.intake.tests.ids import resident_id

from .conftest import PHONE, sign_in

pytestmark = pytest.mark.django_db

URL = "/api/submissions"
ID = resident_id("411624", "19850412", "031")


@pytest.fixture
def session(hall):
    """A browser-like client: CSRF enforced, signed in to the online hall, with its CSRF token."""
    client = Client(enforce_csrf_checks=True)
    client.get(reverse("portal:home"))
    token = client.cookies["csrftoken"].value
    client.post(reverse("portal:request_code"), {"phone": PHONE, "csrfmiddlewaretoken": token})
    from .conftest import last_code

    client.post(reverse("portal:code"), {"code": last_code(), "csrfmiddlewaretoken": token})
    client.get(reverse("portal:home"))  # a new CSRF cookie comes with the new session
    client.token = client.cookies["csrftoken"].value
    return client


def body(**overrides):
    data = {
        "applicant": {"kind": "person", "name": "李四", "id_number": ID, "phone": "13800009999"},
        "matters": ["SETUP"],
        "materials": [
            *received("ID", "FORM"),
            {"material": "ARTICLES", "status": "pledged"},
            {"material": "PREMISES", "status": "received"},
        ],
        "channel": "online",
    }
    data.update(overrides)
    return json.dumps(data)


def post(client, data, key=None, csrf=True):
    headers = {}
    if csrf:
        headers["X-CSRFToken"] = client.token
    if key:
        headers["Idempotency-Key"] = key
    return client.post(URL, data, content_type="application/json", headers=headers)


def test_an_applicant_session_submits_online_with_the_verified_phone(session):
    response = post(session, body())
    assert response.status_code == 201, response.content
    submission = Submission.objects.get(number=response.json()["number"])
    assert submission.channel == "online" and submission.accepted_by is None
    assert submission.applicant.phone == PHONE  # not the phone in the body
    assert len(response.json()["cases"]) == 1


def test_the_same_idempotency_key_twice_makes_one(session):
    first = post(session, body(), key="portal-app-7f3a")
    second = post(session, body(), key="portal-app-7f3a")
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json() and second["Idempotent-Replayed"] == "true"
    assert Submission.objects.count() == 1


def test_only_the_online_channel(session):
    response = post(session, body(channel="window"))
    assert response.status_code == 403
    assert not Submission.objects.exists()


def test_csrf_is_checked(session):
    assert post(session, body(), csrf=False).status_code == 403
    assert not Submission.objects.exists()


def test_without_a_session_it_is_401(hall):
    assert Client().post(URL, body(), content_type="application/json").status_code == 401


def test_invalid_parts_are_422_as_for_staff(session):
    response = post(session, body(matters=["SEAL"]))  # not an online matter
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "matters[0]"


def test_an_applicant_on_record_with_another_phone_applies_with_the_verified_one(session, hall):
    earlier = intake_services.submit(
        actor=hall.clerk,
        applicant={**PERSON, "phone": "13800002222"},
        matters=["SETUP"],
        materials=received("ID", "FORM", "ARTICLES", "PREMISES"),
    )
    response = post(session, body(applicant={**PERSON, "phone": ""}))
    assert response.status_code == 201, response.content
    new = Submission.objects.get(number=response.json()["number"])
    assert new.applicant_id == earlier.applicant_id and new.applicant_phone == PHONE  # the verified phone
    earlier.refresh_from_db()
    assert earlier.applicant_phone == "13800002222"  # the earlier submission keeps its own


def test_the_applicant_session_reads_no_staff_endpoint(session):
    post(session, body())
    number = Submission.objects.get().number
    assert session.get(f"{URL}/{number}").status_code == 401
    assert session.get("/api/me").status_code == 401


def test_staff_still_submit_as_before(client, hall):
    client.force_login(hall.clerk)
    response = client.post(
        URL,
        body(channel="window", materials=received("ID", "FORM", "ARTICLES", "PREMISES")),
        content_type="application/json",
    )
    assert response.status_code == 201
    submission = Submission.objects.get()
    assert submission.accepted_by == hall.clerk and submission.applicant.phone == "13800009999"


def test_sign_in_helper_is_the_real_flow(client, hall):
    sign_in(client)
    assert client.session["portal_phone"] == PHONE
