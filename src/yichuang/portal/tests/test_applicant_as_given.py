"""Following a submission goes by the phone given for it: a later intake of the same ID number with another phone
neither opens the earlier submission nor takes it away from the first phone (progress lookup, 我的申请)."""

import datetime

import pytest
from django.urls import reverse

from yichuang.intake import services as intake_services
from yichuang.intake.tests.helpers import PERSON, T0, received

from . import conftest
from .conftest import sign_in

pytestmark = pytest.mark.django_db

FAIL = "编号或手机号后四位不正确"
NEW_PHONE = "13700007777"


@pytest.fixture
def two(hall):
    """The first submission with the person's phone, then the same ID number with another name and phone."""
    materials = received("ID", "FORM", "ARTICLES", "PREMISES")
    first = intake_services.submit(
        actor=hall.clerk, applicant={**PERSON, "phone": conftest.PHONE}, matters=["SETUP"], materials=materials, now=T0
    )
    second = intake_services.submit(
        actor=hall.clerk,
        applicant={**PERSON, "name": "张三丰", "phone": NEW_PHONE, "confirm_name": True},
        matters=["SETUP"],
        materials=materials,
        now=T0 + datetime.timedelta(hours=1),
    )
    return first, second


def look(client, number, last4):
    return client.post(reverse("portal:progress"), {"number": number, "last4": last4})


def test_the_new_phone_cannot_look_up_the_earlier_submission(client, two):
    first, second = two
    response = look(client, first.number, NEW_PHONE[-4:])
    assert response.status_code == 200 and FAIL in response.content.decode()
    assert 'name="last4"' in client.get(reverse("portal:progress_detail", args=[first.number])).content.decode()
    response = look(client, first.number, conftest.PHONE[-4:])  # the phone given for it still does
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "张*" in page and "139****5678" in page and "137****7777" not in page
    assert look(client, second.number, NEW_PHONE[-4:]).status_code == 302


def test_my_submissions_of_the_first_phone_still_list_the_earlier_one(client, two):
    first, second = two
    sign_in(client)  # the first phone
    home = client.get(reverse("portal:home")).content.decode()
    assert first.number in home and second.number not in home
    assert client.get(reverse("portal:submission", args=[first.number])).status_code == 200
    assert client.get(reverse("portal:submission", args=[second.number])).status_code == 404


def test_the_new_phone_signed_in_sees_only_its_own_submission(client, two):
    first, second = two
    sign_in(client, NEW_PHONE)
    home = client.get(reverse("portal:home")).content.decode()
    assert second.number in home and first.number not in home
    assert client.get(reverse("portal:submission", args=[first.number])).status_code == 404
    detail = client.get(reverse("portal:progress_detail", args=[first.number])).content.decode()
    assert 'name="last4"' in detail and first.cases.first().number not in detail  # may_follow: no
