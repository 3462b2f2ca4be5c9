"""Refusal (不予受理) with reasons and the missing materials; files checked by content, size and hash."""

import hashlib
import io
import os
import zipfile

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from yichuang.core.models import AuditEvent
from yichuang.intake import services
from yichuang.intake.models import Attachment, Refusal, Submission, TimelineEvent
from yichuang.notifications.models import Message

from .helpers import BUNDLE_MATERIALS, PERSON, T0, received
from .test_submit import ORG

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def ofd(root_name="OFD.xml") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(root_name, "<ofd:OFD xmlns:ofd='http://www.ofdspec.org/2016'/>")
        archive.writestr("Doc_0/Document.xml", "<ofd:Document/>")
    return buffer.getvalue()


# --- refusal -----------------------------------------------------------------------------------------


def test_refusal_is_written_with_reasons_and_the_missing_materials(hall):
    submission = services.refuse(
        actor=hall.clerk,
        applicant=ORG,
        bundle="qiyekaiban",
        materials=received("ID", "FORM", "LICENCE"),
        reasons="住所使用证明和公司章程未提供，材料不齐全。",
        now=T0,
    )
    assert submission.status == "refused" and submission.number.startswith("411624-20260310-")
    assert submission.cases.count() == 0
    refusal = Refusal.objects.get(submission=submission)
    assert refusal.reasons == "住所使用证明和公司章程未提供，材料不齐全。"
    assert [m["material"] for m in refusal.missing] == ["ARTICLES", "PREMISES"]  # the optional ATTORNEY is not
    assert [m["code"] for m in refusal.matters] == ["SETUP", "SEAL", "INVOICE"]
    assert submission.timeline.get().kind == "refused"
    assert AuditEvent.objects.filter(action="intake.refuse", object_id=str(submission.pk)).exists()
    assert Message.objects.get(submission=submission.number).kind == "refused"


def test_a_refusal_may_name_a_matter_not_taken_in_here(hall):
    submission = services.refuse(
        actor=hall.general_clerk,
        applicant=PERSON,
        matters=["HOUSEHOLD"],
        materials=received("ID"),
        reasons="该事项只在户政专业窗口受理。",
        now=T0,
    )
    assert submission.refusal.missing == []


def test_refusal_needs_reasons_and_valid_input(hall):
    with pytest.raises(ValidationError) as info:
        services.refuse(actor=hall.clerk, applicant={**ORG, "id_number": "123"}, matters=["NOPE"], reasons=" ", now=T0)
    assert set(info.value.message_dict) == {"applicant.id_number", "matters[0]", "reasons"}
    with pytest.raises(PermissionDenied):
        services.refuse(actor=hall.admin.__class__.objects.create(username="nobody"), applicant=ORG, reasons="x")
    assert Submission.objects.count() == 0


# --- files -------------------------------------------------------------------------------------------


@pytest.fixture
def accepted(hall):
    return services.submit(
        actor=hall.clerk, applicant=ORG, bundle="qiyekaiban", materials=received(*BUNDLE_MATERIALS), now=T0
    )


@pytest.mark.parametrize(
    "content, kind, content_type",
    [
        (PDF, "pdf", "application/pdf"),
        (JPEG, "jpg", "image/jpeg"),
        (PNG, "png", "image/png"),
        (ofd(), "ofd", "application/ofd"),
    ],
)
def test_each_accepted_file_type_by_content(hall, accepted, content, kind, content_type):
    upload = SimpleUploadedFile("扫描件.bin", content)  # the name says nothing: the content decides
    attachment = services.attach_file(accepted, "ID", upload, actor=hall.clerk)
    assert attachment.content_type == content_type and attachment.size == len(content)
    assert attachment.sha256 == hashlib.sha256(content).hexdigest()
    assert attachment.original_name == "扫描件.bin" and attachment.uploaded_by == hall.clerk
    assert attachment.file.name.startswith("intake/") and attachment.file.name.endswith(f".{kind}")
    with default_storage.open(attachment.file.name) as stored:
        assert stored.read() == content
    assert accepted.timeline.filter(kind="file_attached").count() == 1
    assert AuditEvent.objects.filter(action="intake.attach_file").count() == 1


@pytest.mark.parametrize(
    "name, content, words",
    [
        ("营业执照.pdf", b"MZ\x90\x00 this is a program", "不是 PDF、JPEG、PNG 或 OFD"),
        ("章程.pdf", b"<html><script>alert(1)</script></html>", "按文件内容识别"),
        ("fake.ofd", ofd("Doc.xml"), "不是 PDF"),
        ("broken.ofd", b"PK\x03\x04 not really a zip", "不是 PDF"),
        ("empty.pdf", b"", "空文件"),
    ],
)
def test_disguised_or_empty_files_are_refused_and_the_intake_stays(hall, accepted, name, content, words, settings):
    with pytest.raises(ValidationError) as info:
        services.attach_file(accepted, "ID", SimpleUploadedFile(name, content), actor=hall.clerk)
    assert list(info.value.message_dict) == ["file"] and words in info.value.message_dict["file"][0]
    assert Attachment.objects.count() == 0
    assert not [files for _dir, _dirs, files in os.walk(settings.MEDIA_ROOT) if files]  # nothing stored
    event = TimelineEvent.objects.get(kind="file_refused")
    assert event.detail["name"] == name and words in event.detail["reason"]
    accepted.refresh_from_db()
    assert accepted.status == "accepted" and accepted.cases.count() == 3  # the rest of the intake is not lost


def test_an_oversized_file_is_refused(hall, accepted, settings):
    settings.INTAKE_MAX_UPLOAD_MB = 1
    big = SimpleUploadedFile("big.pdf", b"%PDF-1.7\n" + b"0" * (1024 * 1024))
    with pytest.raises(ValidationError) as info:
        services.attach_file(accepted, "ID", big, actor=hall.clerk)
    assert "超过上限 1 MB" in info.value.message_dict["file"][0]
    assert Attachment.objects.count() == 0
    small = SimpleUploadedFile("small.pdf", PDF)
    assert services.attach_file(accepted, "ID", small, actor=hall.clerk).size == len(PDF)


def test_a_file_for_a_material_not_in_the_list(hall, accepted):
    with pytest.raises(ValidationError) as info:
        services.attach_file(accepted, "PLAN", SimpleUploadedFile("x.pdf", PDF), actor=hall.clerk)
    assert list(info.value.message_dict) == ["material"]
