"""The department works with the applicant as given for the case's submission: a later intake of the same ID number
with another name and phone changes neither the case page nor where the case's messages go."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from yichuang.backoffice import services
from yichuang.intake import services as intake
from yichuang.intake.tests.helpers import PERSON, received
from yichuang.notifications.models import Message

from .conftest import take_in

pytestmark = pytest.mark.django_db

NEW = {**PERSON, "name": "李五", "phone": "13700007777", "confirm_name": True}


def test_the_correction_of_an_earlier_case_goes_to_the_phone_given_for_it(client, office):
    now = timezone.now()
    case = take_in(office.hall, now=now)
    intake.submit(
        actor=office.hall.general_clerk,
        applicant=NEW,
        matters=["PERMIT"],
        materials=received("ID"),
        window=office.hall.w_general,
        now=now + dt.timedelta(minutes=5),
    )
    services.claim(case, office.officer)
    services.request_correction(
        case, office.officer, items=[{"material": "ID", "note": "不清晰"}], due=timezone.localdate() + dt.timedelta(3)
    )
    (message,) = Message.objects.filter(kind="correction")
    assert message.recipient == PERSON["phone"] and message.submission == case.submission.number
    client.force_login(office.officer)
    page = client.get(reverse("backoffice:case", args=[case.number])).content.decode()
    assert "张*" in page and "139****5678" in page and "李*" not in page and "137****7777" not in page
