"""The intake desk pages: the form, errors at their fields, accept, refuse, the submission page, documents, files."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from yichuang.catalogue.tests.test_notice_pdf import pdf_font_names
from yichuang.core.models import AuditEvent
from yichuang.intake.models import Attachment, Submission
from yichuang.organisation.tests.factories import UserFactory
from yichuang.queue import services as queue_services

from .test_refuse_and_files import JPEG, PDF
from .test_submit import ORG

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)
    return client


def form(**extra) -> dict:
    data = {
        "applicant.kind": "org",
        "applicant.name": ORG["name"],
        "applicant.id_number": ORG["id_number"],
        "applicant.phone": ORG["phone"],
        "bundle": "qiyekaiban",
    }
    # The merged list of the bundle, in order: ID, FORM, ARTICLES, PREMISES, ATTORNEY, LICENCE.
    for i, code in enumerate(["ID", "FORM", "ARTICLES", "PREMISES", "ATTORNEY", "LICENCE"]):
        data[f"m-{i}-material"] = code
        data[f"m-{i}-status"] = "missing" if code == "ATTORNEY" else "received"
    data.update(extra)
    return data


def test_the_desk_needs_a_clerk(client, hall):
    assert client.get("/desk/intake/").status_code == 302  # to the login page
    login(client, UserFactory(officer=True))
    assert client.get("/desk/intake/").status_code == 403


def test_the_desk_offers_the_zones_matters_and_bundles(client, hall):
    page = login(client, hall.clerk).get("/desk/intake/").content.decode()
    assert "1 号窗口" in page and "企业开办服务专区" in page
    assert 'value="qiyekaiban"' in page and 'value="SETUP"' in page and 'value="SEAL"' in page
    assert 'value="PERMIT"' not in page  # another zone's matter
    assert "暂停受理" in page  # the suspended matter is shown as such


def test_a_hall_admin_not_seated_chooses_a_window(client, hall):
    login(client, hall.admin)
    page = client.get("/desk/intake/").content.decode()
    assert 'name="window"' in page and "以此窗口受理" in page
    page = client.get(f"/desk/intake/?window={hall.w2.pk}").content.decode()
    assert "2 号窗口" in page and 'value="qiyekaiban"' in page


def test_the_checklist_is_the_merged_list(client, hall):
    login(client, hall.clerk)
    page = client.post("/desk/intake/", form(action="checklist")).content.decode()
    rows = re.findall(r'<tr data-material="([A-Z]+)"', page)
    assert rows == ["ID", "FORM", "ARTICLES", "PREMISES", "ATTORNEY", "LICENCE"]
    assert page.count('value="deferred"') == 1  # only PREMISES may be deferred
    assert page.count('value="pledged"') == 1  # only ARTICLES may be pledged
    assert "最迟" in page  # the last allowed due date of the deferrable material
    assert Submission.objects.count() == 0


def test_errors_are_shown_at_their_fields_and_nothing_is_saved(client, hall):
    login(client, hall.clerk)
    bad = ORG["id_number"][:17] + ("0" if ORG["id_number"][17] != "0" else "1")
    response = client.post(
        "/desk/intake/",
        form(**{"action": "accept", "applicant.id_number": bad, "m-0-status": "missing", "m-3-status": "deferred"}),
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="error-summary"' in page and "尚未保存任何内容" in page
    # Each message sits right after its input: the credit code, the ID line (core, missing), PREMISES' due date.
    at_field = r'name="applicant.id_number"[^>]*aria-invalid="true"[^>]*>\s*<ul class="errorlist"[^>]*><li>'
    assert re.search(at_field + "统一社会信用代码校验码不正确", page)
    id_row = page[page.index('<tr data-material="ID"') : page.index('<tr data-material="FORM"')]
    assert "缺少必要材料“申请人身份证明”" in id_row
    premises_row = page[page.index('<tr data-material="PREMISES"') : page.index('<tr data-material="ATTORNEY"')]
    assert "核心要件未齐全" in premises_row and "请填写“住所使用证明”的补交期限" in premises_row
    assert f'value="{bad}"' in page  # what was typed stays in the form
    assert Submission.objects.count() == 0


def test_a_specialized_only_matter_is_refused_with_the_window_to_go_to(client, hall):
    hall.household.zones.add(hall.enterprise)
    login(client, hall.clerk)
    response = client.post(
        "/desk/intake/", form(action="accept", bundle="", matters=["HOUSEHOLD"], **{"m-0-material": "ID"})
    )
    page = response.content.decode()
    assert response.status_code == 422
    assert "请到 41 号窗口（户政专业窗口）办理" in page


def test_accept_then_the_submission_page_and_documents(client, hall):
    login(client, hall.clerk)
    response = client.post(
        "/desk/intake/",
        form(action="accept", **{"m-3-status": "deferred", "m-3-due": timezone.localdate().isoformat()}),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    submission = Submission.objects.get()
    assert response["Location"] == f"/desk/intake/{submission.number}/"
    page = client.get(response["Location"]).content.decode()
    assert submission.number in page and "受理回执" in page and "容缺受理通知书" in page and "承诺书" in page
    assert ORG["id_number"] not in page and ORG["phone"] not in page  # masked
    assert submission.applicant.masked_id_number in page
    receipt = client.get(f"/desk/intake/{submission.number}/receipt/").content.decode()
    assert "<svg" in receipt and f"/progress/{submission.number}/" in receipt
    assert ORG["id_number"] not in receipt and submission.applicant.masked_id_number in receipt
    assert all(c.number in receipt for c in submission.cases.all())
    notice = client.get(f"/desk/intake/{submission.number}/deferral-notice/").content.decode()
    assert "住所使用证明" in notice and "逾期未补交" in notice
    pledge = client.get(f"/desk/intake/{submission.number}/pledge/").content.decode()
    assert "容缺受理承诺书" in pledge
    assert client.get(f"/desk/intake/{submission.number}/refusal/").status_code == 404
    assert client.get(f"/desk/intake/{submission.number}/nothing/").status_code == 404


def test_no_deferral_no_deferral_notice(client, hall):
    login(client, hall.clerk)
    client.post("/desk/intake/", form(action="accept"))
    number = Submission.objects.get().number
    assert client.get(f"/desk/intake/{number}/deferral-notice/").status_code == 404
    assert client.get(f"/desk/intake/{number}/pledge/").status_code == 404
    assert client.get(f"/desk/intake/{number}/receipt/").status_code == 200


@pytest.mark.parametrize("document", ["receipt", "deferral-notice", "pledge"])
def test_documents_as_pdf_with_the_cjk_font(client, hall, document):
    login(client, hall.clerk)
    client.post(
        "/desk/intake/",
        form(
            action="accept",
            **{"m-3-status": "deferred", "m-3-due": timezone.localdate().isoformat(), "m-2-status": "pledged"},
        ),
    )
    number = Submission.objects.get().number
    response = client.get(f"/desk/intake/{number}/{document}.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert any("CJK" in name for name in pdf_font_names(response.content))


def test_viewing_the_full_personal_data_is_audited(client, hall):
    login(client, hall.clerk)
    client.post("/desk/intake/", form(action="accept"))
    submission = Submission.objects.get()
    assert client.get(f"/desk/intake/{submission.number}/personal/").status_code == 405
    page = client.post(f"/desk/intake/{submission.number}/personal/").content.decode()
    assert ORG["id_number"] in page and ORG["phone"] in page
    event = AuditEvent.objects.get(action="intake.view_personal_data")
    assert event.actor == hall.clerk and event.object_id == str(submission.applicant_id)
    assert ORG["id_number"] not in event.summary


def test_refuse_from_the_desk(client, hall):
    login(client, hall.clerk)
    response = client.post("/desk/intake/", form(action="refuse", **{"m-3-status": "missing"}))
    assert response.status_code == 422 and "请写明不予受理的理由" in response.content.decode()
    response = client.post(
        "/desk/intake/", form(action="refuse", reasons="缺少住所使用证明。", **{"m-3-status": "missing"})
    )
    assert response.status_code == 302
    submission = Submission.objects.get()
    assert submission.status == "refused"
    page = client.get(f"/desk/intake/{submission.number}/refusal/").content.decode()
    assert "缺少住所使用证明。" in page and "住所使用证明" in page and "不予受理通知书" in page


def test_files_on_the_form_a_disguised_one_is_refused_and_the_intake_stays(client, hall):
    login(client, hall.clerk)
    data = form(action="accept")
    data["m-0-file"] = SimpleUploadedFile("身份证.jpg", JPEG)
    data["m-1-file"] = SimpleUploadedFile("申请书.pdf", b"MZ\x90\x00 not a pdf")
    response = client.post("/desk/intake/", data, follow=True)
    page = response.content.decode()
    submission = Submission.objects.get()
    assert submission.cases.count() == 3
    assert [a.material_code for a in Attachment.objects.all()] == ["ID"]
    assert "申请书.pdf" in page and "不是 PDF、JPEG、PNG 或 OFD" in page


def test_upload_and_download(client, hall):
    login(client, hall.clerk)
    client.post("/desk/intake/", form(action="accept"))
    number = Submission.objects.get().number
    response = client.post(
        f"/desk/intake/{number}/files/", {"material": "FORM", "file": SimpleUploadedFile("a.pdf", PDF)}, follow=True
    )
    assert "已保存" in response.content.decode()
    attachment = Attachment.objects.get()
    download = client.get(f"/desk/intake/{number}/files/{attachment.pk}/")
    assert download["Content-Type"] == "application/pdf" and b"".join(download.streaming_content) == PDF
    response = client.post(
        f"/desk/intake/{number}/files/",
        {"material": "FORM", "file": SimpleUploadedFile("b.pdf", b"<html>")},
        follow=True,
    )
    assert "不是 PDF" in response.content.decode() and Attachment.objects.count() == 1
    # A back-office officer of another department sees neither the submission nor its files: as if they did not exist.
    login(client, UserFactory(officer=True))
    assert client.get(f"/desk/intake/{number}/").status_code == 404
    assert client.get(f"/desk/intake/{number}/files/{attachment.pk}/").status_code == 404
    missing = client.get("/desk/intake/411624-20990101-000001/").content.decode()
    hidden = client.get(f"/desk/intake/{number}/").content.decode()
    assert "没有这个受理编号" in hidden and "没有这个受理编号" in missing


def test_intake_for_a_called_ticket(client, hall):
    ticket = queue_services.issue_ticket(hall.enterprise)
    called = queue_services.call_next(hall.w1, hall.clerk)
    assert called.pk == ticket.pk
    login(client, hall.clerk)
    page = client.get(f"/desk/intake/?ticket={ticket.pk}").content.decode()
    assert ticket.number in page
    response = client.post("/desk/intake/", form(action="accept", ticket=str(ticket.pk)))
    assert response.status_code == 302
    assert Submission.objects.get().ticket == ticket


def test_the_start_page_lists_the_desk(client, hall):
    page = client.get("/").content.decode()
    assert "/desk/intake/" in page and "综合受理" in page


def test_control_characters_on_the_form_are_field_errors(client, hall):
    login(client, hall.clerk)
    response = client.post(
        "/desk/intake/",
        form(action="accept", bundle="qiye\x00kaiban", matters=["SET\x00UP"], **{"applicant.name": "a\x00"}),
    )
    assert response.status_code == 422
    assert Submission.objects.count() == 0


def test_the_desk_warns_of_an_unknown_calendar_year_before_an_intake_is_refused(client, hall, monkeypatch):
    from yichuang.clock import queries as clock_queries

    login(client, hall.clerk)
    monkeypatch.setattr(clock_queries, "calendar_warnings_today", lambda: ["2027年的节假日安排尚未录入"])
    page = client.get("/desk/intake/").content.decode()
    assert "calendar-warning" in page and "2027年的节假日安排尚未录入" in page
    monkeypatch.setattr(clock_queries, "calendar_warnings_today", lambda: [])
    assert "calendar-warning" not in client.get("/desk/intake/").content.decode()
