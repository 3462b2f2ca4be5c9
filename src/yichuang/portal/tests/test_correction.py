"""Online correction: the applicant sees what to correct and by when, uploads every item at once, and the
department's clock restarts (portal.services.supply_correction)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from yichuang.backoffice import services as backoffice
from yichuang.intake import services as intake
from yichuang.intake.models import Attachment
from yichuang.intake.tests.helpers import PERSON, received
from yichuang.organisation.tests.factories import UserFactory
from yichuang.portal import services

from .conftest import sign_in

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def pdf(name="补正.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


@pytest.fixture
def in_correction(hall):
    officer = UserFactory(officer=True, department=hall.samr, username="samr1")
    submission = intake.submit(
        actor=hall.general_clerk, applicant=PERSON, matters=["PERMIT"], materials=received("ID"),
        window=hall.w_general, now=timezone.now(),
    )  # fmt: skip
    case = submission.cases.get()
    backoffice.request_correction(
        case,
        officer,
        items=[{"material": "ID", "note": "复印件不清晰"}, {"name": "经营场所照片", "note": ""}],
        due=timezone.localdate() + dt.timedelta(days=10),
    )
    return submission, case


def test_service_needs_every_item_and_changes_nothing_otherwise(in_correction):
    submission, case = in_correction
    with pytest.raises(ValidationError) as exc:
        services.supply_correction(submission, case.number, {0: pdf()})
    assert "files[1]" in exc.value.message_dict
    bad = SimpleUploadedFile("x.pdf", b"not a pdf")
    with pytest.raises(ValidationError) as exc:
        services.supply_correction(submission, case.number, {0: bad, 1: pdf()}, {1: "ID"})
    assert "files[0]" in exc.value.message_dict
    assert Attachment.objects.count() == 0
    case.refresh_from_db()
    assert case.status == "correction"
    with pytest.raises(ValidationError):
        services.supply_correction(submission, "NOPE", {})


def test_service_supplies_and_restarts_the_clock(in_correction):
    submission, case = in_correction
    services.supply_correction(submission, case.number, {0: pdf(), 1: pdf("照片.pdf")}, {1: "ID"})
    case.refresh_from_db()
    assert case.status == "in_progress" and case.paused_at is None
    assert Attachment.objects.filter(submission=submission).count() == 2
    assert case.timeline.filter(kind="correction_received", detail__channel="online").exists()
    with pytest.raises(ValidationError):  # once only
        services.supply_correction(submission, case.number, {0: pdf(), 1: pdf()}, {1: "ID"})


def test_pages_show_items_and_take_the_files(client, in_correction):
    submission, case = in_correction
    sign_in(client)
    page = reverse("portal:submission", args=[submission.number])
    html = client.get(page).content.decode()
    assert "需要补正" in html and "复印件不清晰" in html and "经营场所照片" in html
    assert (timezone.localdate() + dt.timedelta(days=10)).strftime("%Y年%-m月%-d日") in html
    target = reverse("portal:supply_correction", args=[submission.number, case.number])
    response = client.post(target, {"file-0": pdf()})
    assert response.status_code == 422 and "请上传“经营场所照片”的补正文件" in response.content.decode()
    response = client.post(target, {"file-0": pdf(), "file-1": pdf(), "material-1": "ID"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "in_progress"
    assert "需要补正" not in client.get(page).content.decode()


def test_someone_elses_submission_is_404(client, in_correction):
    submission, case = in_correction
    sign_in(client, "13700000000")
    target = reverse("portal:supply_correction", args=[submission.number, case.number])
    assert client.post(target, {"file-0": pdf()}).status_code == 404
