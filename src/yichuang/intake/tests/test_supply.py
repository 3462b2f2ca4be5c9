"""supply_material(): a deferred material supplied later (容缺补交), or a corrected copy (补正), as a file."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from yichuang.core.models import AuditEvent
from yichuang.intake import services
from yichuang.intake.models import Attachment, MaterialStatus, SubmissionMaterial, TimelineEvent
from yichuang.notifications.models import Message

from .helpers import PERSON, T0, received

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def pdf(name="premises.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


@pytest.fixture
def deferred(hall):
    """An online application for SETUP with the premises proof deferred and the articles pledged."""
    return services.submit(
        applicant=PERSON,
        matters=["SETUP"],
        materials=[
            *received("ID", "FORM"),
            {"material": "ARTICLES", "status": "pledged"},
            {"material": "PREMISES", "status": "deferred", "due": "2026-03-10"},
        ],
        channel="online",
        now=T0,
    )


def line(submission, code):
    return SubmissionMaterial.objects.get(submission=submission, code=code)


def test_a_deferred_material_supplied_online_becomes_received(deferred):
    messages_before = Message.objects.count()
    supplied = services.supply_material(deferred, "PREMISES", pdf(), now=T0)
    assert supplied.status == MaterialStatus.RECEIVED and supplied.supplied_at == T0
    assert (supplied.originals, supplied.copies) == (0, 1)  # the required counts
    attachment = Attachment.objects.get(submission=deferred, material_code="PREMISES")
    event = TimelineEvent.objects.get(submission=deferred, kind="material_supplied")
    assert event.actor is None and event.detail["was"] == "deferred" and event.detail["correction"] is False
    assert event.detail["attachment"] == attachment.pk and event.detail["channel"] == "online"
    assert AuditEvent.objects.filter(action="intake.supply_material", object_id=str(supplied.pk)).exists()
    message = Message.objects.exclude(kind="accepted").get()
    assert Message.objects.count() == messages_before + 1
    assert message.kind == "material_received" and "住所使用证明" in message.body
    assert message.submission == deferred.number and message.recipient == PERSON["phone"]


def test_a_corrected_copy_of_a_received_material_keeps_its_status(deferred, hall):
    services.supply_material(deferred, "FORM", pdf("form-v2.pdf"), actor=hall.clerk, window=hall.w1, now=T0)
    assert line(deferred, "FORM").status == MaterialStatus.RECEIVED
    assert line(deferred, "FORM").supplied_at is None
    event = TimelineEvent.objects.get(submission=deferred, kind="material_supplied")
    assert event.detail["correction"] is True and event.actor == hall.clerk and event.window == hall.w1


def test_a_disguised_file_changes_nothing_but_the_timeline(deferred):
    fake = SimpleUploadedFile("premises.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    with pytest.raises(ValidationError) as info:
        services.supply_material(deferred, "PREMISES", fake, now=T0)
    assert "file" in info.value.message_dict
    assert line(deferred, "PREMISES").status == MaterialStatus.DEFERRED
    assert not Attachment.objects.exists()
    assert TimelineEvent.objects.filter(submission=deferred, kind=TimelineEvent.Kind.FILE_REFUSED).exists()
    assert not TimelineEvent.objects.filter(kind="material_supplied").exists()
    assert not Message.objects.filter(kind="material_received").exists()


def test_a_material_not_on_the_list_is_refused(deferred):
    with pytest.raises(ValidationError) as info:
        services.supply_material(deferred, "LICENCE", pdf(), now=T0)
    assert "material" in info.value.message_dict
    assert not Attachment.objects.exists()


def test_a_refused_submission_takes_no_material(hall):
    refused = services.refuse(
        actor=hall.clerk, applicant=PERSON, reasons="材料不齐", matters=["SETUP"], materials=[], now=T0
    )
    with pytest.raises(ValidationError):
        services.supply_material(refused, "ID", pdf(), now=T0)
    assert not Attachment.objects.exists()
