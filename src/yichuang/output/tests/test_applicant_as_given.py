"""The output window shows and tells the applicant as given for the submission, whatever a later intake of the same
ID number gave (another name and phone)."""

import pytest
from django.urls import reverse

from yichuang.intake import services as intake
from yichuang.intake.tests.helpers import PERSON, T0, received
from yichuang.notifications.models import Message

from .conftest import LATER, approve, desk  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def take_in(hall, applicant, now):
    return intake.submit(
        actor=hall.general_clerk,
        applicant=applicant,
        matters=["PERMIT"],
        materials=received("ID"),
        window=hall.w_general,
        now=now,
    )


def test_the_ready_message_and_the_output_page_keep_the_first_applicant(client, desk):  # noqa: F811
    first = take_in(desk.hall, PERSON, T0)
    take_in(desk.hall, {**PERSON, "name": "李五", "phone": "13700007777", "confirm_name": True}, LATER)
    approve(first.cases.get(), desk.office.officer)  # its result is ready after the later intake
    messages = Message.objects.filter(submission=first.number, kind="result_ready")
    assert [m.recipient for m in messages] == [PERSON["phone"]]
    client.force_login(desk.clerk)
    page = client.get(reverse("output:submission", args=[first.number])).content.decode()
    assert "张三" in page and "李五" not in page and "137****7777" not in page
