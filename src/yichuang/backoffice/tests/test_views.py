"""The back-office pages: each renders for the officer, other departments' cases are 404, supervisors see and
cannot act, every form reaches its service and shows its errors at the field; bad input is never a 500."""

import datetime as dt
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from yichuang.backoffice.models import Extension, SpecialProcedure
from yichuang.core.models import AuditEvent
from yichuang.intake import services as intake
from yichuang.intake.models import Case, Handoff
from yichuang.intake.tests.helpers import PERSON, received

from .conftest import take_in

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture
def case(office):
    """A PERMIT case (县市场监督管理局) taken in now, so that the correction window is open."""
    return take_in(office.hall, now=timezone.now())


def url(name, *args):
    return reverse(f"backoffice:{name}", args=args)


def login(client, user):
    client.force_login(user)
    return client


def post(client, case, action, data=None, **kwargs):
    return client.post(url("act", case.number, action), data or {}, **kwargs)


def fresh(case):
    return Case.objects.get(pk=case.pk)


# --- pages render -------------------------------------------------------------------------------------


def test_worklist_renders_with_levels_and_claim(client, office, case):
    login(client, office.officer)
    response = client.get(url("worklist"))
    assert response.status_code == 200
    html = response.content.decode()
    assert case.number in html and "食品经营许可" in html
    assert "张*" in html and "张三" not in html  # the applicant's name is masked
    assert 'data-level="green"' in html and "正常" in html  # a text label, not colour only
    assert "认领" in html and 'name="officer"' not in html  # an officer claims; only a lead assigns
    for show in ("inbox", "mine", "paused", "all", "nonsense"):
        assert client.get(url("worklist"), {"show": show, "page": "x"}).status_code == 200


def test_lead_sees_assign_control_and_assigns(client, office, case):
    login(client, office.lead)
    assert 'name="officer"' in client.get(url("worklist")).content.decode()
    response = post(client, case, "assign", {"officer": office.officer2.pk, "next": url("worklist")})
    assert response.status_code == 302 and response["Location"] == url("worklist")
    assert fresh(case).assignee == office.officer2
    response = post(client, case, "assign", {"officer": office.tax_officer.pk})
    assert response.status_code == 422
    assert "承办人须是本部门的后台审批人员" in response.content.decode()
    assert post(client, case, "assign", {"officer": "x"}).status_code == 422


def test_case_page_renders_for_officer(client, office, case):
    login(client, office.officer)
    response = client.get(url("case", case.number))
    assert response.status_code == 200
    html = response.content.decode()
    assert case.number in html and "剩余" in html and "申请人身份证明" in html
    assert case.submission.applicant.masked_id_number in html
    assert case.submission.applicant.id_number not in html
    assert 'id="form-claim"' in html and 'id="form-correction"' in html


def test_other_department_and_unknown_case_are_404(client, office, case):
    login(client, office.tax_officer)
    assert client.get(url("case", case.number)).status_code == 404
    assert post(client, case, "claim").status_code == 404
    assert client.get(url("case", "NOPE-1")).status_code == 404
    assert case.number not in client.get(url("worklist")).content.decode()


def test_staff_without_backoffice_role_get_403(client, office):
    login(client, office.hall.general_clerk)
    assert client.get(url("worklist")).status_code == 403
    client.logout()
    assert client.get(url("worklist")).status_code == 302  # to the sign-in


def test_supervisor_sees_but_cannot_act(client, office, case):
    login(client, office.supervisor)
    html = client.get(url("case", case.number)).content.decode()
    assert case.number in html and "只读" in html
    assert 'id="form-claim"' not in html and 'id="form-correction"' not in html
    assert case.number in client.get(url("worklist"), {"show": "all"}).content.decode()
    assert post(client, case, "claim").status_code == 403
    assert fresh(case).status == "accepted"


# --- forms → services ------------------------------------------------------------------------------


def test_claim_then_correction_pauses_then_receive(client, office, case):
    login(client, office.officer)
    assert post(client, case, "claim").status_code == 302
    assert fresh(case).assignee == office.officer
    due = (timezone.localdate() + dt.timedelta(days=7)).isoformat()
    data = {"material": ["ID"], "note-ID": "复印件不清晰", "free-name-0": "现场照片", "due": due, "note": "一次告知"}
    assert post(client, case, "correction", data).status_code == 302
    c = fresh(case)
    assert c.status == "correction" and c.paused_at is not None
    assert [i["name"] for i in c.correction.items] == ["申请人身份证明", "现场照片"]
    html = client.get(url("case", case.number)).content.decode()
    assert "计时暂停" in html and "等待申请人补正材料" in html
    assert post(client, case, "receive_correction").status_code == 302
    c = fresh(case)
    assert c.status == "in_progress" and c.paused_at is None
    assert "恢复计时" in client.get(url("case", case.number)).content.decode()


def test_correction_errors_at_fields(client, office, case):
    login(client, office.officer)
    response = post(client, case, "correction", {"due": "not-a-date", "material": ["ID"]})
    assert response.status_code == 422
    assert "请填写日期" in response.content.decode()
    response = post(client, case, "correction", {"due": timezone.localdate().isoformat()})
    assert response.status_code == 422
    assert "请列出需要补正的全部内容" in response.content.decode()
    response = post(client, case, "correction", {"due": "2020-01-01", "free-name-0": "照片"})
    assert response.status_code == 422 and "补正期限不能早于今天" in response.content.decode()
    response = post(client, case, "correction", {"due": timezone.localdate().isoformat(), "material": ["XX"]})
    assert response.status_code == 422
    assert fresh(case).status == "accepted"  # nothing half-saved


def test_special_procedure_and_notice(client, office, case):
    login(client, office.officer)
    response = post(client, case, "start_special", {"kind": "hearing", "reason": "", "limit_days": "5"})
    assert response.status_code == 422 and "此项为必填" in response.content.decode()
    assert post(client, case, "start_special", {"kind": "x", "reason": "r", "limit_days": "abc"}).status_code == 422
    assert post(client, case, "start_special", {"kind": "hearing", "reason": "r", "limit_days": "0"}).status_code == 422
    assert (
        post(
            client, case, "start_special", {"kind": "hearing", "reason": "涉及重大公共利益", "limit_days": "10"}
        ).status_code
        == 302
    )
    assert fresh(case).status == "special"
    procedure = SpecialProcedure.objects.get(case=case)
    html = client.get(url("case", case.number)).content.decode()
    assert "计时暂停" in html and "听证" in html
    notice = client.get(url("special_notice", case.number, procedure.pk))
    assert notice.status_code == 200 and "特别程序告知书" in notice.content.decode()
    assert "涉及重大公共利益" in notice.content.decode()
    pdf = client.get(url("special_notice_pdf", case.number, procedure.pk))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert post(client, case, "end_special", {"outcome": "听证完毕"}).status_code == 302
    assert fresh(case).status == "in_progress"


def test_extension_requested_and_decided_by_lead(client, office, case):
    login(client, office.officer)
    assert post(client, case, "extension", {"days": "x", "reason": "r"}).status_code == 422
    response = post(client, case, "extension", {"days": "99", "reason": "r"})
    assert response.status_code == 422 and "延长天数应为" in response.content.decode()
    assert post(client, case, "extension", {"days": "5", "reason": "需实地核查"}).status_code == 302
    assert post(client, case, "decide_extension", {"decision": "approve"}).status_code == 403  # not a lead
    login(client, office.lead)
    html = client.get(url("case", case.number)).content.decode()
    assert 'id="form-decide-extension"' in html
    response = post(client, case, "decide_extension", {"decision": "reject", "note": ""})
    assert response.status_code == 422 and "此项为必填" in response.content.decode()
    assert post(client, case, "decide_extension", {"decision": "approve"}).status_code == 302
    assert Extension.objects.get(case=case).status == "approved"
    assert fresh(case).extended_days == 5


def test_conclude_reject_needs_reasons_then_approve_with_document(client, office, case):
    login(client, office.officer)
    response = post(client, case, "conclude", {"outcome": "rejected"})
    assert response.status_code == 422
    html = response.content.decode()
    assert "此项为必填" in html and 'id="conclude-reasons" rows="2" aria-invalid="true"' in html  # at the field
    assert post(client, case, "conclude", {"outcome": ""}).status_code == 422
    bad = SimpleUploadedFile("x.exe", b"MZ\x90\x00", content_type="application/pdf")
    response = post(client, case, "conclude", {"outcome": "approved", "document": bad})
    assert response.status_code == 422 and "不是 PDF、JPEG、PNG 或 OFD" in response.content.decode()
    assert fresh(case).status == "accepted"
    doc = SimpleUploadedFile("许可证.pdf", PDF, content_type="application/pdf")
    data = {"outcome": "approved", "certificate_number": "JY14116240001", "document": doc}
    assert post(client, case, "conclude", data).status_code == 302
    c = fresh(case)
    assert c.status == "approved" and c.decision.certificate_number == "JY14116240001" and c.decision.document
    html = client.get(url("case", case.number)).content.decode()
    assert 'id="form-record-result"' in html and 'id="form-conclude"' not in html
    assert post(client, case, "record_result", {"certificate_number": ""}).status_code == 422
    assert post(client, case, "record_result", {"certificate_number": "JY2"}).status_code == 302
    assert fresh(case).decision.certificate_number == "JY2"


def test_unknown_action_and_get_are_rejected(client, office, case):
    login(client, office.officer)
    assert post(client, case, "explode").status_code == 404
    assert client.get(url("act", case.number, "claim")).status_code == 405


def test_terminate_only_offered_when_deferred_material_is_overdue(client, office):
    hall = office.hall
    now = timezone.now()
    submission = intake.submit(
        actor=hall.general_clerk,
        applicant=PERSON,
        matters=["ELDERLY"],
        materials=[
            {"material": "ID", "status": "received", "due": None},
            {"material": "PLAN", "status": "deferred", "due": timezone.localdate().isoformat()},
        ],
        window=hall.w_general,
        now=now,
    )
    case = submission.cases.get()
    handoff = case.handoff
    assert handoff is not None
    login(client, office.civil_officer)
    # The delegated department's batch: the slip, then the signature.
    response = client.get(url("handoffs"))
    assert response.status_code == 200 and f'data-handoff="{handoff.pk}"' in response.content.decode()
    slip = client.get(url("handoff", handoff.pk))
    html = slip.content.decode()
    assert slip.status_code == 200 and case.number in html and "养老机构平面图" in html
    assert 'id="total-originals">1<' in html and 'id="total-copies">1<' in html
    assert client.get(url("handoff_pdf", handoff.pk))["Content-Type"] == "application/pdf"
    assert client.post(url("collect", handoff.pk), {"signer": " "}).status_code == 422
    assert client.post(url("collect", handoff.pk), {"signer": "李取件"}).status_code == 302
    handoff.refresh_from_db()
    assert handoff.status == Handoff.Status.COLLECTED and handoff.collected_by == "李取件"
    assert fresh(case).received_at is not None
    html = client.get(url("case", case.number)).content.decode()
    assert 'id="form-terminate"' not in html  # due today: not yet overdue
    later = timezone.localdate() + dt.timedelta(days=3)
    with mock.patch("django.utils.timezone.localdate", return_value=later):
        html = client.get(url("case", case.number)).content.decode()
        assert 'id="form-terminate"' in html


def test_handoffs_other_department_and_return_results(client, office):
    hall = office.hall
    submission = intake.submit(
        actor=hall.general_clerk, applicant=PERSON, matters=["ELDERLY"], materials=received("ID", "PLAN"),
        window=hall.w_general, now=timezone.now(),
    )  # fmt: skip
    case = submission.cases.get()
    login(client, office.officer)  # another department
    assert client.get(url("handoff", case.handoff_id)).status_code == 404
    assert client.post(url("collect", case.handoff_id), {"signer": "x"}).status_code == 404
    login(client, office.civil_officer)
    client.post(url("collect", case.handoff_id), {"signer": "李取件"})
    assert post(client, case, "conclude", {"outcome": "approved"}).status_code == 302
    html = client.get(url("handoffs")).content.decode()
    assert f'data-case="{case.number}"' in html and "送回出件窗口" in html
    assert client.post(url("return_results"), {"case": []}).status_code == 302
    assert fresh(case).returned_at is None
    assert client.post(url("return_results"), {"case": [case.pk]}).status_code == 302
    assert fresh(case).returned_at is not None
    assert f'data-case="{case.number}"' not in client.get(url("handoffs")).content.decode()


def test_file_view_checks_access_and_is_audited(client, office, case):
    upload = SimpleUploadedFile("身份证.pdf", PDF, content_type="application/pdf")
    attachment = intake.attach_file(case.submission, "ID", upload, actor=office.hall.general_clerk)
    login(client, office.officer)
    html = client.get(url("case", case.number)).content.decode()
    assert url("attachment", case.number, attachment.pk) in html
    response = client.get(url("attachment", case.number, attachment.pk))
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert AuditEvent.objects.filter(action="backoffice.view_file", actor=office.officer).count() == 1
    login(client, office.tax_officer)
    assert client.get(url("attachment", case.number, attachment.pk)).status_code == 404
    other = take_in(office.hall, now=timezone.now())
    login(client, office.officer)
    assert client.get(url("attachment", other.number, attachment.pk)).status_code == 404  # not that case's file
