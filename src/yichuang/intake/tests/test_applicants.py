"""An applicant is never overwritten: each submission keeps the applicant as given on its day; a known ID number with
another name needs the clerk's confirmation; a new phone is a new contact with its date (intake.applicants)."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from yichuang.core.models import AuditEvent
from yichuang.intake import applicants, services
from yichuang.intake.models import Applicant, ApplicantContact, Submission
from yichuang.notifications.models import Message

from .helpers import PERSON, T0, received
from .test_api import body, post, staff
from .test_submit import ORG, counts, submit_bundle
from .test_views import form, login

pytestmark = pytest.mark.django_db

LATER = T0 + datetime.timedelta(hours=1)
RENAMED = {**PERSON, "name": "张三丰", "phone": "13700007777"}
SETUP_MATERIALS = received("ID", "FORM", "ARTICLES", "PREMISES")


def take_in(hall, applicant, now=T0, **kwargs):
    return services.submit(
        actor=hall.clerk, applicant=applicant, matters=["SETUP"], materials=SETUP_MATERIALS, now=now, **kwargs
    )


def test_a_later_intake_with_another_name_and_phone_changes_nothing_of_the_earlier(hall, client):
    first = take_in(hall, PERSON)
    second = take_in(hall, {**RENAMED, "confirm_name": True}, now=LATER)
    assert second.applicant_id == first.applicant_id
    first = Submission.objects.select_related("applicant").get(pk=first.pk)
    # The earlier submission as given that day; the applicant row as first recorded.
    assert (first.applicant_name, first.applicant_id_number, first.applicant_phone) == (
        PERSON["name"], PERSON["id_number"], PERSON["phone"],
    )  # fmt: skip
    assert (first.applicant.name, first.applicant.phone) == (PERSON["name"], PERSON["phone"])
    assert (second.applicant_name, second.applicant_phone) == ("张三丰", "13700007777")
    assert first.contact_phone == PERSON["phone"] and second.contact_phone == "13700007777"
    # Its receipt and its page still name the applicant of that day.
    login(client, hall.clerk)
    receipt = client.get(f"/desk/intake/{first.number}/receipt/").content.decode()
    assert "张三" in receipt and "张三丰" not in receipt and "139****5678" in receipt
    page = client.post(f"/desk/intake/{first.number}/personal/").content.decode()
    assert PERSON["phone"] in page and "张三丰" not in page and "13700007777" not in page
    # A message about the earlier submission goes to the phone given for it.
    message = services.notify_applicant(first, "material_received", {"material": "住所使用证明"})
    assert message.recipient == PERSON["phone"]
    assert set(Message.objects.filter(submission=first.number).values_list("recipient", flat=True)) == {PERSON["phone"]}
    # The API shows each submission as given.
    api = staff(hall.clerk)
    assert api.get(f"/api/submissions/{first.number}").json()["applicant"]["name"] == "张*"
    assert api.get(f"/api/submissions/{first.number}").json()["applicant"]["phone"] == "139****5678"
    assert api.get(f"/api/submissions/{second.number}").json()["applicant"]["phone"] == "137****7777"


def test_a_new_phone_is_a_new_contact_with_its_date_and_history_stays(hall):
    first = take_in(hall, PERSON)
    assert list(ApplicantContact.objects.values_list("name", "phone", "since", "submission")) == [
        (PERSON["name"], PERSON["phone"], T0, first.pk)
    ]
    second = take_in(hall, {**PERSON, "phone": "13700007777"}, now=LATER)  # same name: no confirmation needed
    take_in(hall, PERSON, now=LATER + datetime.timedelta(hours=1))  # the first phone again: nothing new
    contacts = list(ApplicantContact.objects.order_by("since").values_list("phone", "since", "submission"))
    assert contacts == [(PERSON["phone"], T0, first.pk), ("13700007777", LATER, second.pk)]
    assert Applicant.objects.get().phone == PERSON["phone"]
    audit = dict(AuditEvent.objects.filter(action="intake.accept").values_list("object_id", "detail__applicant"))
    assert audit[str(first.pk)] == "new" and audit[str(second.pk)] == "new_contact"


def test_a_known_id_number_with_another_name_needs_the_clerks_confirmation(hall):
    take_in(hall, PERSON)
    before = counts()
    with pytest.raises(applicants.NameDiffers) as info:
        take_in(hall, RENAMED, now=LATER)
    assert counts() == before and ApplicantContact.objects.count() == 1  # nothing written
    (message,) = info.value.message_dict[applicants.CONFIRM_FIELD]
    assert "“张*”" in message and "张三丰" in message and PERSON["id_number"] not in message
    assert info.value.known_names == ["张*"]
    # With other problems it is one of them (every problem at once), a plain ValidationError.
    with pytest.raises(ValidationError) as info:
        take_in(hall, {**RENAMED, "phone": "12345"}, now=LATER)
    assert not isinstance(info.value, applicants.NameDiffers)
    assert set(info.value.message_dict) == {"applicant.phone", applicants.CONFIRM_FIELD}
    # Confirmed: taken in, and the new name is on record from now on (no question the next time).
    second = take_in(hall, {**RENAMED, "confirm_name": True}, now=LATER)
    assert second.applicant_name == "张三丰"
    third = take_in(hall, RENAMED, now=LATER + datetime.timedelta(hours=1))
    assert third.applicant_id == second.applicant_id
    # Spaces and full-width forms are the same name.
    take_in(hall, {**PERSON, "name": "张 三"}, now=LATER + datetime.timedelta(hours=2))
    assert AuditEvent.objects.filter(action="intake.accept", detail__applicant="new_name").count() == 1


def test_an_organisation_s_earlier_name_is_shown_in_full(hall):
    submit_bundle(hall)
    with pytest.raises(applicants.NameDiffers) as info:
        submit_bundle(hall, applicant={**ORG, "name": "沈丘县好运商贸有限责任公司"}, now=LATER)
    assert info.value.known_names == [ORG["name"]]


def test_a_refusal_keeps_the_applicant_as_given_and_asks_the_same_confirmation(hall):
    first = take_in(hall, PERSON)
    refusal = {"actor": hall.clerk, "matters": ["SETUP"], "materials": received("ID", "FORM"), "reasons": "缺少材料。"}
    with pytest.raises(applicants.NameDiffers):
        services.refuse(applicant=RENAMED, **refusal, now=LATER)
    refused = services.refuse(applicant={**RENAMED, "confirm_name": "1"}, **refusal, now=LATER)
    assert refused.applicant_id == first.applicant_id
    assert (refused.applicant_name, refused.applicant_phone) == ("张三丰", "13700007777")
    first.refresh_from_db()
    assert (first.applicant_name, first.applicant_phone) == (PERSON["name"], PERSON["phone"])
    assert Message.objects.get(kind="refused").recipient == "13700007777"


def test_online_a_known_id_number_with_another_name_and_phone_is_taken_in_as_given(hall):
    first = take_in(hall, PERSON)
    online = services.submit(
        actor=None, applicant=RENAMED, matters=["SETUP"], materials=SETUP_MATERIALS, channel="online", now=LATER
    )
    assert online.applicant_id == first.applicant_id and online.applicant_name == "张三丰"
    first.refresh_from_db()
    assert first.applicant_phone == PERSON["phone"]
    event = AuditEvent.objects.get(action="intake.accept", object_id=str(online.pk))
    assert event.detail["applicant"] == "new_name"  # for whoever reads the case: a name not given before


def test_the_api_answers_409_unless_the_name_is_confirmed(hall):
    client = staff(hall.clerk)
    assert post(client, body()).status_code == 201
    renamed = {**ORG, "name": "沈丘县好运商贸有限责任公司", "phone": "13900003333"}
    before = counts()
    response = post(client, body(applicant=renamed, confirm_duplicate=True))
    assert response.status_code == 409, response.content
    assert "沈丘县好运商贸有限公司" in response.json()["detail"] and "confirm_name" in response.json()["detail"]
    assert counts() == before
    # Another problem too: 422 with every field, the confirmation among them.
    response = post(client, body(applicant={**renamed, "phone": "12345"}, confirm_duplicate=True))
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"applicant.phone", "applicant.confirm_name"}
    response = post(client, body(applicant={**renamed, "confirm_name": True}, confirm_duplicate=True))
    assert response.status_code == 201, response.content
    assert Submission.objects.get(number=response.json()["number"]).applicant_phone == "13900003333"
    assert Submission.objects.order_by("pk").first().applicant_phone == ORG["phone"]


def test_the_desk_shows_the_earlier_name_masked_and_saves_nothing_without_the_confirmation(client, hall):
    take_in(hall, PERSON)
    login(client, hall.clerk)
    person = {
        "applicant.kind": "person",
        "applicant.name": "张三丰",
        "applicant.id_number": PERSON["id_number"],
        "applicant.phone": "13700007777",
        "confirm_duplicate": "1",
    }
    before = counts()
    response = client.post("/desk/intake/", form(action="accept", **person))
    page = response.content.decode()
    assert response.status_code == 422
    block = page.split('id="name-differs"')[1].split("</div>")[0]
    assert "“张*”" in block and 'name="applicant.confirm_name"' in block
    assert PERSON["id_number"] not in page.replace(f'value="{PERSON["id_number"]}"', "")  # only in the input
    assert counts() == before
    response = client.post("/desk/intake/", form(action="accept", **person, **{"applicant.confirm_name": "1"}))
    assert response.status_code == 302, response.content.decode()[:3000]
    latest = Submission.objects.order_by("-pk").first()
    assert (latest.applicant_name, latest.applicant_phone) == ("张三丰", "13700007777")


def test_the_migration_fills_submissions_made_before_from_the_applicant_row(hall):
    """intake 0010: a submission made before keeps the applicant as the row holds it; the row is its first contact."""
    import importlib

    from django.apps import apps

    fill = importlib.import_module("yichuang.intake.migrations.0010_applicant_as_given").fill
    first = take_in(hall, PERSON)
    second = take_in(hall, {**PERSON, "phone": "13700007777"}, now=LATER)
    Submission.objects.update(applicant_name="", applicant_id_number="", applicant_phone="")
    ApplicantContact.objects.all().delete()
    fill(apps, None)
    for submission in Submission.objects.all():
        assert (submission.applicant_name, submission.applicant_id_number, submission.applicant_phone) == (
            PERSON["name"], PERSON["id_number"], PERSON["phone"],
        )  # fmt: skip
    (contact,) = ApplicantContact.objects.all()
    applicant = Applicant.objects.get()
    assert (contact.name, contact.phone, contact.since) == (applicant.name, applicant.phone, applicant.created_at)
    assert contact.submission_id == first.pk and second.pk != first.pk
    fill(apps, None)  # run again: nothing twice
    assert ApplicantContact.objects.count() == 1


def test_the_admin_shows_every_contact_masked_and_read_only(client, hall):
    from yichuang.organisation.tests.factories import UserFactory

    take_in(hall, PERSON)
    take_in(hall, {**RENAMED, "confirm_name": True}, now=LATER)
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    page = client.get(f"/admin/intake/applicant/{Applicant.objects.get().pk}/change/").content.decode()
    assert "提供过的名称和联系电话" in page and "139****5678" in page and "137****7777" in page
    assert PERSON["phone"] not in page and "13700007777" not in page and "张三丰" not in page
