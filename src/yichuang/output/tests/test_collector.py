"""Who collects at the output window (issue 13): 申请人本人, 法定代表人 or 委托代理人, each identified by their own
resident ID, recorded and printed on the 领取回执; a signature, or the reason there is none, for every handover.
The same rules from the service, the page and the API."""

import base64
import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from PIL import Image

from yichuang.core.masking import mask_id_number
from yichuang.core.models import AuditEvent
from yichuang.intake.tests.helpers import PERSON
from yichuang.intake.tests.ids import resident_id
from yichuang.organisation import services as org_services
from yichuang.output import services
from yichuang.output.models import Handover
from yichuang.output.views import _receipt_context

from .conftest import AGENT, BLANK_PAD, COMPANY, LEGAL_REP, SIGNATURE, pad_png, ready_single

STRANGER = {"name": "王五", "id_number": resident_id("411624", "19800808", "808")}


def hand(desk, submission, **kw):
    args = {"window": desk.window, "signature": SIGNATURE}
    return services.hand_over(submission, desk.clerk, **{**args, **kw})


def legal_rep(**kw):
    return {
        "receiver": "legal_rep", "id_number": LEGAL_REP["id_number"], "receiver_name": LEGAL_REP["name"],
        "representative_checked": True, **kw,
    }  # fmt: skip


def refused(desk, submission, **kw) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as exc:
        hand(desk, submission, **kw)
    assert not Handover.objects.exists()
    return exc.value.message_dict


# --- an organisation: the legal representative with their own ID -------------------------------------------


def test_company_legal_representative_collects_with_own_resident_id(client, desk):
    submission = ready_single(desk, applicant=COMPANY)
    handover = hand(desk, submission, **legal_rep(proof_note="营业执照副本已核对"))
    handover.refresh_from_db()
    assert handover.receiver == "legal_rep" and handover.receiver_name == "赵六"
    assert handover.receiver_document == "resident_id"
    assert handover.receiver_id_masked == mask_id_number(LEGAL_REP["id_number"])
    assert handover.representative_checked and not handover.authorisation_kept
    assert handover.proof_note == "营业执照副本已核对" and handover.signature == SIGNATURE
    event = AuditEvent.objects.get(action="output.handed_over")
    assert event.detail["receiver"] == "legal_rep" and event.detail["signed"] is True
    assert LEGAL_REP["id_number"] not in json.dumps(event.detail, ensure_ascii=False)

    client.force_login(desk.clerk)
    receipt = client.get(reverse("output:receipt", args=[handover.pk])).content.decode()
    for text in ("法定代表人", "赵六", "居民身份证号码", mask_id_number(LEGAL_REP["id_number"]), "已核对营业执照"):
        assert text in receipt
    assert LEGAL_REP["id_number"] not in receipt and 'class="signature-img"' in receipt
    assert desk.window.name in receipt and desk.clerk.display_name in receipt
    # The PDF is rendered from the same template, with nothing about the collector left out.
    printed = render_to_string("output/receipt.html", {**_receipt_context(handover.pk), "pdf": True})
    assert "赵六" in printed and mask_id_number(LEGAL_REP["id_number"]) in printed and SIGNATURE in printed
    assert "下载 PDF" not in printed
    pdf = client.get(reverse("output:receipt_pdf", args=[handover.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content[:5] == b"%PDF-"


def test_credit_code_in_the_person_field_refused_with_what_is_needed(desk):
    submission = ready_single(desk, applicant=COMPANY)
    errors = refused(desk, submission, **legal_rep(id_number=COMPANY["id_number"]))
    [message] = errors["id_number"]
    assert "统一社会信用代码" in message and "本人的居民身份证号码" in message
    # Not a credit code either: the resident ID's own reason.
    errors = refused(desk, submission, **legal_rep(id_number=COMPANY["id_number"][:-1] + "0"))
    assert errors["id_number"] and "统一社会信用代码" not in errors["id_number"][0]


def test_organisation_collects_only_through_a_person(desk):
    submission = ready_single(desk, applicant=COMPANY)
    # An organisation has no "本人" at the window, even with the right credit code.
    errors = refused(desk, submission, receiver="applicant", id_number=LEGAL_REP["id_number"], receiver_name="赵六")
    assert "法定代表人或委托代理人" in errors["receiver"][0]
    # The legal representative is not on record anywhere: the clerk confirms against the licence.
    errors = refused(desk, submission, **legal_rep(representative_checked=False))
    assert "营业执照" in errors["representative_checked"][0]


def test_person_applicant_has_no_legal_representative(desk):
    submission = ready_single(desk)
    errors = refused(desk, submission, **legal_rep())
    assert "自然人" in errors["receiver"][0]


def test_every_field_at_fault_at_once(desk):
    submission = ready_single(desk, applicant=COMPANY)
    errors = refused(
        desk, submission, **legal_rep(id_number="123", receiver_name=" ", representative_checked=False), signature=""
    )
    assert set(errors) == {"id_number", "receiver_name", "representative_checked", "signature"}


# --- an agent: on record, or with the authorisation ---------------------------------------------------------


def test_agent_without_authorisation_and_not_on_record_refused_with_authorisation_accepted(client, desk):
    submission = ready_single(desk, applicant=COMPANY)
    agent = {"receiver": "agent", "id_number": STRANGER["id_number"], "receiver_name": STRANGER["name"]}
    errors = refused(desk, submission, **agent)
    assert "受理时没有登记代办人" in errors["authorisation_kept"][0] and "授权委托书" in errors["authorisation_kept"][0]
    errors = refused(desk, submission, **{**agent, "id_number": COMPANY["id_number"]}, authorisation_kept=True)
    assert "统一社会信用代码" in errors["id_number"][0]  # an authorisation does not make a credit code a person

    handover = hand(desk, submission, **agent, authorisation_kept=True, proof_note="委托书编号 WT-7")
    assert handover.receiver == "agent" and handover.authorisation_kept and not handover.agent_on_record
    assert handover.receiver_id_masked == mask_id_number(STRANGER["id_number"])
    client.force_login(desk.clerk)
    receipt = client.get(reverse("output:receipt", args=[handover.pk])).content.decode()
    assert "委托代理人" in receipt and "王五" in receipt and "已收取申请人签署的授权委托书" in receipt
    assert "委托书编号 WT-7" in receipt


def test_someone_else_than_the_agent_on_record_needs_the_authorisation(desk):
    submission = ready_single(desk, agent=AGENT)
    agent = {"receiver": "agent", "id_number": STRANGER["id_number"], "receiver_name": STRANGER["name"]}
    errors = refused(desk, submission, **agent)
    assert "不是受理时登记的代办人" in errors["authorisation_kept"][0]
    handover = hand(desk, submission, **agent, authorisation_kept=True)
    assert handover.authorisation_kept and not handover.agent_on_record


def test_the_database_refuses_an_unauthorised_agent_and_an_unchecked_representative(desk):
    from django.db import IntegrityError, transaction

    submission = ready_single(desk)
    base = {"submission": submission, "method": "in_person", "receiver_name": "王五", "handed_by": desk.clerk}
    for receiver in ("agent", "legal_rep"):
        with pytest.raises(IntegrityError), transaction.atomic():
            Handover.objects.create(receiver=receiver, **base)
    Handover.objects.create(receiver="agent", authorisation_kept=True, **base)
    Handover.objects.create(receiver="legal_rep", representative_checked=True, **base)


# --- the signature, or the reason ----------------------------------------------------------------------------


def person(**kw):
    return {"receiver": "applicant", "id_number": PERSON["id_number"], "receiver_name": "张三", **kw}


@pytest.mark.parametrize(
    "signature",
    [
        "",
        "   ",
        BLANK_PAD,  # the pad as sent when nobody wrote on it
        pad_png(strokes=(), background=(255, 255, 255, 255)),  # a pad that paints itself white first
        pad_png(strokes=(((100, 80), (103, 81)),)),  # a tap, not a signature
    ],
    ids=["empty", "spaces", "blank-pad", "white-pad", "speck"],
)
def test_no_signature_refused(desk, signature):
    submission = ready_single(desk)
    errors = refused(desk, submission, **person(signature=signature))
    assert "签名板上没有签名" in errors["signature"][0] and "无法签名的原因" in errors["signature"][0]


def test_a_reason_instead_of_a_signature_accepted_and_printed(client, desk):
    submission = ready_single(desk)
    for reason in (" ", "无"):
        errors = refused(desk, submission, **person(signature="", no_signature_reason=reason))
        assert "signature" in errors or "no_signature_reason" in errors
    # A signature and a reason: one of them is wrong.
    errors = refused(desk, submission, **person(no_signature_reason="无法书写"))
    assert "no_signature_reason" in errors
    handover = hand(desk, submission, **person(signature=BLANK_PAD, no_signature_reason="无法书写（肢体障碍）"))
    assert handover.signature == "" and handover.no_signature_reason == "无法书写（肢体障碍）"
    client.force_login(desk.clerk)
    receipt = client.get(reverse("output:receipt", args=[handover.pk])).content.decode()
    assert "领取人未签名，原因：无法书写（肢体障碍）" in receipt and 'class="signature-img"' not in receipt


def test_signature_ink_is_measured_on_the_decoded_png():
    def decoded(url):
        return base64.b64decode(url.split(",", 1)[1])

    ink, span = services.signature_ink(decoded(SIGNATURE))
    assert ink >= services.SIGNATURE_MIN_INK and span >= services.SIGNATURE_MIN_SPAN
    assert services.signature_ink(decoded(BLANK_PAD)) == (0, 0)
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, format="JPEG")
    for bad in (out.getvalue(), b"\x89PNG\r\n\x1a\n", b"not an image"):
        with pytest.raises(ValueError):
            services.signature_ink(bad)
    huge = io.BytesIO()
    Image.new("1", (services.SIGNATURE_MAX_SIDE + 1, 10)).save(huge, format="PNG")
    with pytest.raises(ValueError):
        services.signature_ink(huge.getvalue())


# --- the page -------------------------------------------------------------------------------------------------


def test_company_page_offers_the_legal_representative_and_shows_errors_at_the_field(client, desk):
    submission = ready_single(desk, applicant=COMPANY)
    client.force_login(desk.clerk)
    page = client.get(reverse("output:submission", args=[submission.number])).content.decode()
    assert 'value="legal_rep"' in page and 'value="applicant"' not in page and 'name="representative_checked"' in page
    url = reverse("output:hand_over", args=[submission.number])
    form = {
        "receiver": "legal_rep", "id_number": COMPANY["id_number"], "receiver_name": "赵六",
        "representative_checked": "1", "signature": "",
    }  # fmt: skip
    response = client.post(url, form)
    body = response.content.decode()
    assert response.status_code == 422 and not Handover.objects.exists()
    assert response.context["errors"]["id_number"][0].startswith("这是统一社会信用代码")
    assert "签名板上没有签名" in response.context["errors"]["signature"][0]
    assert COMPANY["id_number"] not in body.split('id="form-hand-over"')[1]  # not echoed back into the form
    response = client.post(url, {**form, "id_number": LEGAL_REP["id_number"], "no_signature_reason": "无法书写"})
    handover = Handover.objects.get()
    assert response.status_code == 302 and handover.receiver == "legal_rep"
    assert handover.no_signature_reason == "无法书写" and handover.representative_checked


def test_agent_page_keeps_the_checkbox_and_refuses_without_it(client, desk):
    submission = ready_single(desk)
    client.force_login(desk.clerk)
    url = reverse("output:hand_over", args=[submission.number])
    form = {"receiver": "agent", "id_number": STRANGER["id_number"], "receiver_name": "王五", "signature": SIGNATURE}
    response = client.post(url, form)
    assert response.status_code == 422 and "authorisation_kept" in response.context["errors"]
    response = client.post(url, {**form, "authorisation_kept": "1"})
    assert response.status_code == 302 and Handover.objects.get().authorisation_kept


# --- the API --------------------------------------------------------------------------------------------------


@pytest.fixture
def api(desk):
    return Client(HTTP_AUTHORIZATION=f"Bearer {org_services.issue_api_token(desk.clerk)}")


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def fields(response) -> dict[str, str]:
    assert response.status_code == 422, response.content
    return {e["field"]: e["reason"] for e in response.json()["errors"]}


def test_api_the_same_rules(api, desk):
    submission = ready_single(desk, applicant=COMPANY)
    url = f"/api/output/submissions/{submission.number}/hand-over"
    detail = api.get(f"/api/output/submissions/{submission.number}").json()
    assert detail["applicant_kind"] == "org"
    body = {**legal_rep(), "signature": SIGNATURE}
    assert "统一社会信用代码" in fields(post(api, url, {**body, "id_number": COMPANY["id_number"]}))["id_number"]
    assert "营业执照" in fields(post(api, url, {**body, "representative_checked": False}))["representative_checked"]
    assert "法定代表人或委托代理人" in fields(post(api, url, {**body, "receiver": "applicant"}))["receiver"]
    agent = {"receiver": "agent", "id_number": STRANGER["id_number"], "receiver_name": "王五", "signature": SIGNATURE}
    assert "授权委托书" in fields(post(api, url, agent))["authorisation_kept"]
    assert "签名板上没有签名" in fields(post(api, url, {**body, "signature": BLANK_PAD}))["signature"]
    assert "signature" in fields(post(api, url, {**body, "signature": ""}))
    assert not Handover.objects.exists()

    ok = post(api, url, {**body, "signature": "", "no_signature_reason": "无法书写"})
    assert ok.status_code == 200, ok.content
    out = ok.json()
    assert out["receiver"] == "legal_rep" and out["receiver_document"] == "resident_id"
    assert out["receiver_id_masked"] == mask_id_number(LEGAL_REP["id_number"]) and out["representative_checked"]
    assert out["signed"] is False and out["no_signature_reason"] == "无法书写"


def test_api_agent_with_authorisation(api, desk):
    submission = ready_single(desk, applicant=COMPANY)
    url = f"/api/output/submissions/{submission.number}/hand-over"
    agent = {"receiver": "agent", "id_number": STRANGER["id_number"], "receiver_name": "王五", "signature": SIGNATURE}
    ok = post(api, url, {**agent, "authorisation_kept": True, "proof_note": "委托书已留存"})
    assert ok.status_code == 200, ok.content
    out = ok.json()
    assert out["authorisation_kept"] and not out["agent_on_record"] and out["signed"]
    assert out["proof_note"] == "委托书已留存" and STRANGER["id_number"] not in ok.content.decode()


# --- existing handovers ---------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_migration_fills_in_what_old_handovers_were_checked_by(desk):
    """0002 records for the handovers before it what the old rules checked: an organisation's "applicant" by
    its credit code, everyone else by a resident ID, an agent only when on record; signatures left as they were."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    company = ready_single(desk, applicant=COMPANY)
    person_sub = ready_single(desk, agent=AGENT)
    executor = MigrationExecutor(connection)
    leaf = executor.loader.graph.leaf_nodes("output")
    try:
        executor.migrate([("output", "0001_initial")])
        old = executor.loader.project_state([("output", "0001_initial")]).apps.get_model("output", "Handover")
        common = {"method": "in_person", "handed_by_id": desk.clerk.pk}
        by_org = old.objects.create(submission_id=company.pk, receiver="applicant", receiver_name="公司", **common)
        by_agent = old.objects.create(submission_id=person_sub.pk, receiver="agent", receiver_name="李四", **common)
        by_person = old.objects.create(
            submission_id=person_sub.pk, receiver="applicant", receiver_name="张三", signature="", **common
        )
        mailed = old.objects.create(
            submission_id=person_sub.pk, method="mail", address="沈丘县", carrier="EMS", tracking_number="EMS1234",
            handed_by_id=desk.clerk.pk,
        )  # fmt: skip
        MigrationExecutor(connection).migrate(leaf)
    finally:
        MigrationExecutor(connection).migrate(leaf)
    rows = {h.pk: h for h in Handover.objects.all()}
    assert rows[by_org.pk].receiver_document == "credit_code"
    assert rows[by_agent.pk].receiver_document == "resident_id" and rows[by_agent.pk].agent_on_record
    assert rows[by_person.pk].receiver_document == "resident_id" and not rows[by_person.pk].agent_on_record
    assert rows[by_person.pk].signature == "" and rows[by_person.pk].no_signature_reason == ""
    assert rows[mailed.pk].receiver_document == "" and not rows[mailed.pk].agent_on_record
    # The old receipt still prints, saying what it is.
    receipt = render_to_string("output/receipt.html", _receipt_context(by_org.pk))
    assert "<dt>统一社会信用代码</dt>" in receipt and "早于签名必填的规定" in receipt
