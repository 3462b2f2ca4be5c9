"""Nothing is submitted twice online (issue 13.2): the application, the supply of a material and the correction
carry a one-time token; a repeat (back button and submit again, a double click) shows the first result with a
message and creates nothing."""

import pytest
from django.urls import reverse

from yichuang.core import once
from yichuang.core.tests.once_helpers import repeated, token_in, tokens_in
from yichuang.intake.models import Attachment, Submission
from yichuang.notifications.models import Message

from .conftest import sign_in
from .test_apply import apply_url, setup_form, upload
from .test_correction import in_correction, pdf  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def test_an_application_sent_again_with_the_back_button_makes_one(applicant):
    token = token_in(applicant.get(apply_url()))
    first = applicant.post(apply_url(), setup_form(form_token=token))
    assert first.status_code == 302
    # Back, and submit again: the same page, the same token (even with another try key of the form).
    second = applicant.post(apply_url(), setup_form(form_token=token, key="b" * 24))
    assert second["Location"] == first["Location"]
    page = repeated(applicant, second)
    submission = Submission.objects.get()
    assert submission.number in page and Attachment.objects.count() == 2
    assert Message.objects.filter(submission=submission.number, kind="accepted").count() == 1


def test_an_application_with_errors_keeps_its_token(applicant):
    token = token_in(applicant.get(apply_url()))
    wrong = applicant.post(apply_url(), setup_form(form_token=token, **{"m-file_1": None}))
    assert "请上传这份材料" in wrong.content.decode() and tokens_in(wrong) == [token]
    assert applicant.post(apply_url(), setup_form(form_token=token)).status_code == 302
    assert Submission.objects.count() == 1


def test_a_supply_sent_twice_is_kept_once(applicant):
    applicant.post(apply_url(), setup_form(form_token=once.new_token()))
    submission = Submission.objects.get()
    page = applicant.get(reverse("portal:submission", args=[submission.number]))
    token = token_in(page)
    target = reverse("portal:supply", args=[submission.number])
    for _ in range(2):
        response = applicant.post(target, {"material": "PREMISES", "file": upload("premises.pdf"), "form_token": token})
    repeated(applicant, response)
    assert Attachment.objects.filter(material_code="PREMISES").count() == 1


def test_a_correction_sent_twice_is_received_once(client, in_correction):  # noqa: F811
    submission, case = in_correction
    sign_in(client)
    page = client.get(reverse("portal:submission", args=[submission.number]))
    target = reverse("portal:supply_correction", args=[submission.number, case.number])
    forms = tokens_in(page)
    assert len(set(forms)) == len(forms)  # each form of the page its own token
    token = next(t for t in forms if t.startswith("correction"))
    data = {"file-1": pdf(), "material-1": "ID", "form_token": token}
    first = client.post(target, {**data, "file-0": pdf()})
    assert first.status_code == 302
    second = client.post(target, {**data, "file-0": pdf(), "file-1": pdf()})
    repeated(client, second)
    assert Attachment.objects.filter(submission=submission).count() == 2
    assert case.timeline.filter(kind="correction_received").count() == 1
