"""A likely duplicate online (issue 13.2): the back button brings a fresh form (never cached: a new one-time token and
a new try key), so sending the same application again is not a repeat of the first form. When the same ID number
already applied for the same matters (or bundle) today, online or at a window, the form comes back naming the
earlier application (its number and a link only when the signed-in phone may open it) and nothing is created until
the applicant ticks 我确认这是一次新的申请; the files uploaded meanwhile are kept."""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from yichuang.clock.workcalendar import SHANGHAI
from yichuang.core.tests.once_helpers import token_in
from yichuang.intake import services as intake_services
from yichuang.intake.models import Attachment, Channel, Submission
from yichuang.intake.tests.helpers import PERSON, received
from yichuang.notifications.models import Message

from .conftest import PHONE, sign_in
from .test_apply import ID, apply_url, setup_form

pytestmark = pytest.mark.django_db

OTHER = "13800002222"
WARNED = "已提交过相同事项的申请"
HIDDEN = "该证件号码今天已有一份相同事项的申请"
# Monday 7 December 2026, a working day; the tests never read the real date.
DEC_7 = dt.datetime(2026, 12, 7, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _on_dec_7():
    """The hall too is built on 7 December (autouse fixtures come first): its clerks sit at their windows that
    day, so a window intake at DEC_7 works whatever the real date."""
    with time_machine.travel(DEC_7, tick=False):
        yield


def fresh_form(client, code="SETUP") -> dict:
    """What the back button loads: the page again, with its new token and its new try key."""
    page = client.get(apply_url(code))
    key = re.search(r'name="key" value="([^"]+)"', page.content.decode()).group(1)
    return {"form_token": token_in(page), "key": key}


def test_back_and_submit_again_is_pointed_out_and_creates_nothing_until_confirmed(client, hall):
    with time_machine.travel(DEC_7, tick=False):
        sign_in(client)
        first = client.post(apply_url(), setup_form(**fresh_form(client)))
        assert first.status_code == 302
        earlier = Submission.objects.get()

        # Back (a fresh form), the same entries and files, 提交申请 again.
        again = fresh_form(client)
        warned = client.post(apply_url(), setup_form(**again))
        html = warned.content.decode()
        assert warned.status_code == 409
        assert WARNED in html and "10:00" in html
        assert f'href="{reverse("portal:submission", args=[earlier.number])}"' in html
        assert 'name="confirm_duplicate"' in html and "我确认这是一次新的申请" in html
        assert Submission.objects.count() == 1 and Attachment.objects.count() == 2
        assert Message.objects.filter(kind="accepted").count() == 1
        # The entries and the uploaded files are kept; the form keeps its token and key.
        assert 'value="李四"' in html and "已上传：id.pdf（无需重新上传）" in html
        assert token_in(warned) == again["form_token"] and f'value="{again["key"]}"' in html

        # Sent once more without ticking: still nothing.
        assert client.post(apply_url(), setup_form(**again, **{"m-file_0": None, "m-file_1": None})).status_code == 409
        assert Submission.objects.count() == 1

        # Ticked: a second submission, with the files kept from the warned try.
        confirmed = client.post(
            apply_url(), setup_form(**again, confirm_duplicate="1", **{"m-file_0": None, "m-file_1": None})
        )
        assert confirmed.status_code == 302, confirmed.content.decode()[:2000]
        second = Submission.objects.exclude(pk=earlier.pk).get()
        assert confirmed["Location"] == reverse("portal:submission", args=[second.number])
        assert set(Attachment.objects.filter(submission=second).values_list("original_name", flat=True)) == {
            "id.pdf",
            "form.png",
        }


def test_a_window_intake_of_another_phone_is_pointed_out_without_its_number(client, hall):
    with time_machine.travel(DEC_7, tick=False):
        earlier = intake_services.submit(
            actor=hall.clerk, applicant={**PERSON, "phone": OTHER}, matters=["SETUP"],
            materials=received("ID", "FORM", "ARTICLES", "PREMISES"),
        )  # fmt: skip
        assert earlier.channel == Channel.WINDOW
        sign_in(client)
        warned = client.post(apply_url(), setup_form(**{"applicant-id_number": PERSON["id_number"]}))
        html = warned.content.decode()
        assert warned.status_code == 409 and HIDDEN in html and WARNED not in html
        # Nothing about the earlier application or its applicant: no number, no time, no name, no phone.
        assert earlier.number not in html and "10:00" not in html
        assert OTHER not in html and OTHER[-4:] not in html and PERSON["name"] not in html
        assert Submission.objects.count() == 1


def test_a_window_intake_of_the_same_phone_is_named(client, hall):
    with time_machine.travel(DEC_7, tick=False):
        earlier = intake_services.submit(
            actor=hall.clerk, applicant={**PERSON, "phone": PHONE}, matters=["SETUP"],
            materials=received("ID", "FORM", "ARTICLES", "PREMISES"),
        )  # fmt: skip
        sign_in(client)
        warned = client.post(apply_url(), setup_form(**{"applicant-id_number": PERSON["id_number"]}))
        assert warned.status_code == 409 and earlier.number in warned.content.decode()


def test_other_matters_of_the_same_applicant_are_not_a_duplicate(client, hall):
    with time_machine.travel(DEC_7, tick=False):
        intake_services.submit(
            actor=hall.general_clerk, applicant={**PERSON, "phone": PHONE}, matters=["PERMIT"], materials=received("ID")
        )
        sign_in(client)
        response = client.post(apply_url(), setup_form(**{"applicant-id_number": PERSON["id_number"]}))
        assert response.status_code == 302, response.content.decode()[:2000]
        assert Submission.objects.count() == 2


def test_another_applicant_with_the_same_matter_is_not_a_duplicate(client, hall):
    with time_machine.travel(DEC_7, tick=False):
        sign_in(client)
        assert client.post(apply_url(), setup_form(**{"applicant-id_number": PERSON["id_number"]})).status_code == 302
        assert client.post(apply_url(), setup_form(key="b" * 24, **{"applicant-id_number": ID})).status_code == 302
        assert Submission.objects.count() == 2


def test_the_same_application_on_another_day_is_not_a_duplicate(client, hall):
    late = dt.datetime(2026, 12, 7, 23, 50, tzinfo=SHANGHAI)
    with time_machine.travel(late, tick=False):
        sign_in(client)
        assert client.post(apply_url(), setup_form(key="a" * 24)).status_code == 302
    with time_machine.travel(late + dt.timedelta(minutes=20), tick=False):  # 00:10 the next day
        sign_in(client)
        response = client.post(apply_url(), setup_form(key="b" * 24))
        assert response.status_code == 302, response.content.decode()[:2000]
    with time_machine.travel(late + dt.timedelta(minutes=30), tick=False):  # the same day as the one at 00:10
        warned = client.post(apply_url(), setup_form(key="c" * 24))
        assert warned.status_code == 409 and "00:10" in warned.content.decode()
    assert Submission.objects.count() == 2


def test_the_same_bundle_is_pointed_out(client, hall):
    hall.seal.online = hall.invoice.online = True
    hall.seal.save()
    hall.invoice.save()
    url = reverse("portal:apply_bundle", args=["qiyekaiban"])
    with time_machine.travel(DEC_7, tick=False):
        sign_in(client)
        page = client.get(url).content.decode()
        data = _bundle_form(page)
        first = client.post(url, data)
        assert first.status_code == 302, first.content.decode()[:3000]
        warned = client.post(url, {**_bundle_form(page), "key": "b" * 24})
        assert warned.status_code == 409 and WARNED in warned.content.decode()
        assert client.post(url, {**_bundle_form(page), "key": "b" * 24, "confirm_duplicate": "1"}).status_code == 302
        assert Submission.objects.count() == 2


def _bundle_form(page: str) -> dict:
    """Every material of the bundle's merged list with a file (none is left out), whatever their order."""
    from .test_apply import upload

    rows = re.findall(r'name="(m-status_\d+)"', page)
    data = {"key": "a" * 24, "applicant-kind": "person", "applicant-name": "李四", "applicant-id_number": ID}
    for name in dict.fromkeys(rows):
        data[name] = "received"
        data[name.replace("status", "file")] = upload(f"{name}.pdf")
    return data
