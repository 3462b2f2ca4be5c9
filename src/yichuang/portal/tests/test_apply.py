"""Applying online: the same material rules, the same submission and cases (channel online), uploads, supply."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from yichuang.intake import services as intake_services
from yichuang.intake.models import Attachment, Case, Channel, MaterialStatus, Submission, TimelineEvent
from yichuang.intake.tests.helpers import PERSON, received
from yichuang.intake.tests.ids import resident_id
from yichuang.notifications.models import Message

from .conftest import PHONE, sign_in

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
ID = resident_id("411624", "19850412", "031")


def upload(name="scan.pdf", content=PDF):
    return SimpleUploadedFile(name, content)


def today() -> str:
    return timezone.localdate().isoformat()


def setup_form(**overrides) -> dict:
    """The SETUP application form: lines ID, FORM (core), ARTICLES (pledgeable), PREMISES (deferrable), ATTORNEY
    (optional), in that order."""
    data = {
        "key": "k" * 24,
        "applicant-kind": "person",
        "applicant-name": "李四",
        "applicant-id_number": ID,
        "m-status_0": "received",
        "m-file_0": upload("id.pdf"),
        "m-status_1": "received",
        "m-file_1": upload("form.png", PNG),
        "m-status_2": "pledged",
        "m-status_3": "deferred",
        "m-due_3": today(),
        "m-status_4": "missing",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def apply_url(code="SETUP"):
    return reverse("portal:apply_matter", args=[code])


def test_only_online_matters_and_bundles_are_offered(applicant, hall):
    html = applicant.get(reverse("portal:apply")).content.decode()
    assert "企业设立登记" in html  # online
    assert "公章刻制备案" not in html and "企业开办" not in html  # not online, and a bundle with it
    assert applicant.get(apply_url("SEAL")).status_code == 404
    hall.seal.online = hall.invoice.online = True
    hall.seal.save()
    hall.invoice.save()
    html = applicant.get(reverse("portal:apply")).content.decode()
    assert "企业开办" in html
    assert applicant.get(reverse("portal:apply_bundle", args=["qiyekaiban"])).status_code == 200


def test_signed_out_applicants_are_sent_to_sign_in(client, hall):
    response = client.get(apply_url())
    assert response.status_code == 302 and response["Location"].startswith(reverse("portal:home") + "?next=")


def test_the_form_shows_the_merged_material_rules(applicant):
    html = applicant.get(apply_url()).content.decode()
    for text in ("申请人身份证明", "核心要件", "住所使用证明", "可容缺", "公司章程", "可告知承诺", "非必要"):
        assert text in html
    # A core material offers no deferral and no pledge; the deferrable one does, the pledgeable one a pledge.
    rows = {row.split('"', 1)[0]: row for row in html.split('data-material="')[1:]}
    assert 'value="deferred"' not in rows["ID"] and 'value="pledged"' not in rows["ID"]
    assert 'value="deferred"' in rows["PREMISES"] and 'value="pledged"' in rows["ARTICLES"]
    assert 'value="missing"' in rows["ATTORNEY"] and 'value="missing"' not in rows["FORM"]


def test_apply_online_with_uploads(applicant, hall):
    response = applicant.post(apply_url(), setup_form())
    assert response.status_code == 302, response.content.decode()[:3000]
    submission = Submission.objects.get()
    assert response["Location"] == reverse("portal:submission", args=[submission.number])
    assert submission.channel == Channel.ONLINE and submission.window is None and submission.accepted_by is None
    assert submission.applicant.phone == PHONE and submission.applicant.id_number == ID
    [case] = Case.objects.filter(submission=submission)
    assert case.number.startswith(submission.number) and case.department == hall.samr
    statuses = dict(submission.materials.values_list("code", "status"))
    assert statuses == {
        "ID": "received", "FORM": "received", "ARTICLES": "pledged", "PREMISES": "deferred", "ATTORNEY": "missing",
    }  # fmt: skip
    files = {a.material_code: a.content_type for a in Attachment.objects.filter(submission=submission)}
    assert files == {"ID": "application/pdf", "FORM": "image/png"}
    assert Message.objects.filter(kind="accepted", submission=submission.number, recipient=PHONE).exists()
    page = applicant.get(response["Location"]).content.decode()
    assert submission.number in page and case.number in page and "企业设立登记" in page
    assert timezone.localtime(case.due_at).strftime("%Y-%m-%d %H:%M") in page
    assert "容缺材料待补交" in page and "李*" in page and ID not in page


def test_an_invalid_id_number_is_shown_at_its_field_and_nothing_is_stored(applicant):
    bad = ID[:-1] + ("0" if ID[-1] != "0" else "1")
    response = applicant.post(apply_url(), setup_form(**{"applicant-id_number": bad}))
    assert response.status_code == 200
    assert "校验位不正确" in response.content.decode()
    assert not Submission.objects.exists() and not Attachment.objects.exists()


def test_a_disguised_file_is_refused_at_its_field(applicant):
    response = applicant.post(apply_url(), setup_form(**{"m-file_0": upload("id.pdf", b"MZ\x90\x00 exe")}))
    assert response.status_code == 200
    assert "不是 PDF、JPEG、PNG 或 OFD" in response.content.decode()
    assert not Submission.objects.exists() and not Attachment.objects.exists()


def test_a_required_material_needs_a_file_or_another_choice(applicant):
    response = applicant.post(apply_url(), setup_form(**{"m-file_1": None}))
    assert "请上传这份材料" in response.content.decode()
    assert not Submission.objects.exists()


def test_intake_rules_come_back_at_their_fields(applicant):
    """A deferral due after the case's time limit is intake's rule; its message lands at the due date field."""
    response = applicant.post(apply_url(), setup_form(**{"m-due_3": "2099-01-01"}))
    html = response.content.decode()
    assert response.status_code == 200 and "不得晚于办件的办结期限" in html
    assert html.index("不得晚于办件的办结期限") > html.index('data-material="PREMISES"')
    assert not Submission.objects.exists()


def test_a_double_submit_makes_one_submission(applicant):
    first = applicant.post(apply_url(), setup_form())
    second = applicant.post(apply_url(), setup_form())
    assert first["Location"] == second["Location"]
    assert Submission.objects.count() == 1 and Attachment.objects.count() == 2


def test_supply_a_deferred_material_online(applicant):
    applicant.post(apply_url(), setup_form())
    submission = Submission.objects.get()
    response = applicant.post(
        reverse("portal:supply", args=[submission.number]), {"material": "PREMISES", "file": upload("premises.pdf")}
    )
    assert response.status_code == 302
    line = submission.materials.get(code="PREMISES")
    assert line.status == MaterialStatus.RECEIVED and line.supplied_at is not None
    assert TimelineEvent.objects.filter(submission=submission, kind="material_supplied").exists()
    page = applicant.get(reverse("portal:submission", args=[submission.number])).content.decode()
    assert "补交材料" in page and "容缺材料待补交" not in page
    # A disguised file is refused with its reason; nothing changes.
    applicant.post(
        reverse("portal:supply", args=[submission.number]), {"material": "FORM", "file": upload("x.pdf", b"GIF89a")}
    )
    assert Attachment.objects.filter(submission=submission, material_code="FORM").count() == 1


def test_my_submissions_include_window_intake_and_nobody_elses(client, hall):
    mine = intake_services.submit(
        actor=hall.clerk, applicant={**PERSON, "phone": PHONE}, matters=["SETUP"],
        materials=received("ID", "FORM", "ARTICLES", "PREMISES"),
    )  # fmt: skip
    other = intake_services.submit(
        actor=hall.clerk, applicant={**PERSON, "id_number": ID, "phone": "13800002222"}, matters=["SETUP"],
        materials=received("ID", "FORM", "ARTICLES", "PREMISES"),
    )  # fmt: skip
    sign_in(client)
    html = client.get(reverse("portal:home")).content.decode()
    assert mine.number in html and other.number not in html
    assert client.get(reverse("portal:submission", args=[other.number])).status_code == 404
    assert client.get(reverse("portal:submission", args=["411624-20990101-000001"])).status_code == 404
    response = client.post(reverse("portal:supply", args=[other.number]), {"material": "ID", "file": upload()})
    assert response.status_code == 404


def test_a_known_id_number_applies_online_with_another_phone_and_opens_nothing_earlier(client, hall):
    earlier = intake_services.submit(
        actor=hall.clerk, applicant=PERSON, matters=["SETUP"], materials=received("ID", "FORM", "ARTICLES", "PREMISES")
    )
    sign_in(client, "13700000001")
    data = setup_form(**{"applicant-id_number": PERSON["id_number"]})
    # The same matter for the same ID number today: pointed out first, without the earlier number (not theirs).
    warned = client.post(apply_url(), data)
    assert warned.status_code == 409 and "该证件号码今天已有一份相同事项的申请" in warned.content.decode()
    assert earlier.number not in warned.content.decode() and Submission.objects.count() == 1
    response = client.post(
        apply_url(), setup_form(**{"applicant-id_number": PERSON["id_number"]}, confirm_duplicate="1")
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    new = Submission.objects.exclude(pk=earlier.pk).get()
    assert new.applicant_id == earlier.applicant_id and new.channel == Channel.ONLINE
    assert (new.applicant_name, new.applicant_phone) == ("李四", "13700000001")
    earlier.refresh_from_db()
    earlier.applicant.refresh_from_db()
    assert earlier.applicant_phone == PERSON["phone"] and earlier.applicant.phone == PERSON["phone"]
    home = client.get(reverse("portal:home")).content.decode()
    assert new.number in home and earlier.number not in home
    assert client.get(reverse("portal:submission", args=[earlier.number])).status_code == 404


def test_the_applicant_on_record_applies_again_with_their_phone(client, hall):
    intake_services.submit(
        actor=hall.clerk, applicant={**PERSON, "phone": PHONE}, matters=["SETUP"],
        materials=received("ID", "FORM", "ARTICLES", "PREMISES"),
    )  # fmt: skip
    sign_in(client)
    data = {"applicant-id_number": PERSON["id_number"]}
    assert client.post(apply_url(), setup_form(**data)).status_code == 409  # the same matter today: asked first
    response = client.post(apply_url(), setup_form(**data, confirm_duplicate="1"))
    assert response.status_code == 302
    assert Submission.objects.count() == 2
