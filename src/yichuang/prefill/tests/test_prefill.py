"""Pre-filled applications (预填): made at the kiosk or in the online hall, checked as intake checks, shown only to
who made them; loaded at the desk by code or from the called ticket, accepted once with their answers and files;
pre-checked by staff with the person told."""

import datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from yichuang.core.models import AuditEvent
from yichuang.intake.models import Submission
from yichuang.intake.tests.ids import credit_code, resident_id
from yichuang.notifications.models import Message
from yichuang.organisation.models import Site
from yichuang.organisation.tests.factories import UserFactory
from yichuang.prefill import services
from yichuang.prefill.models import Prefill
from yichuang.situation.models import Guide

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
ANSWERS = {"seal": "need", "bank": "later", "invoice": "skip", "social": "skip", "fund": "skip",
           "shareholders": "natural", "premises": "rented", "agent": "self"}  # fmt: skip
CREDIT = credit_code("91411624MA9")


def _opening():
    """The demo's 企业开办 guide, as published."""
    return Guide.objects.get(code="enterprise-opening").published()


def _form(**extra):
    data = {f"q-{k}": v for k, v in ANSWERS.items()}
    data.update({"applicant.kind": "org", "applicant.name": "沈丘县好运商贸有限公司", "applicant.id_number": CREDIT,
                 "applicant.phone": "13900001111"})  # fmt: skip
    data.update(extra)
    return data


def _site():
    return Site.objects.get(is_default=True)


def _kiosk_url():
    return reverse("prefill:kiosk_form", args=[_site().code, "enterprise-opening"])


def test_the_kiosk_makes_a_code_with_files_and_shows_it_only_to_its_browser(demo_guides, client):
    page = client.get(reverse("prefill:kiosk_start", args=[_site().code]))
    assert "企业开办情形引导" in page.content.decode()
    response = client.post(_kiosk_url(), {**_form(), "file-rental-contract": SimpleUploadedFile("租赁合同.pdf", PDF),
                                          "file-employee-roster": SimpleUploadedFile("x.pdf", PDF)})  # fmt: skip
    assert response.status_code == 302
    prefill = Prefill.objects.get()
    assert prefill.channel == "kiosk" and prefill.answers == ANSWERS
    assert prefill.matters == ["411624-XK-SCJG-001", "411624-QT-GA-001"]
    assert [f.material for f in prefill.files.all()] == ["rental-contract"]  # a file the answers do not need is left
    done = client.get(response["Location"])
    assert prefill.display_code in done.content.decode() and "<svg" in done.content.decode()
    assert "房屋租赁合同" in done.content.decode()
    from django.test import Client

    assert Client().get(response["Location"]).status_code == 404  # another browser never sees it
    client.get(reverse("prefill:kiosk_start", args=[_site().code]))  # 完成: the next person starts clean
    assert client.get(response["Location"]).status_code == 404
    assert AuditEvent.objects.filter(action="prefill.create", object_id=str(prefill.pk)).exists()


def test_bad_input_is_named_at_its_field_and_nothing_is_saved(demo_guides, client):
    data = _form(**{"applicant.id_number": "91411624MA9XXXXXX0", "applicant.phone": "12"})
    del data["q-premises"]
    response = client.post(_kiosk_url(), {**data, "file-rental-contract": SimpleUploadedFile("a.exe", b"MZ\x90\x00")})
    text = response.content.decode()
    assert response.status_code == 422
    assert "还有 1 个未回答" in text and "统一社会信用代码" in text
    assert not Prefill.objects.exists()


def test_the_kiosk_is_rate_limited(demo_guides, client, settings):
    settings.PREFILL_RATE = "2/600"
    for _ in range(2):
        assert client.post(_kiosk_url(), _form()).status_code == 302
    assert client.post(_kiosk_url(), _form()).status_code == 429
    assert Prefill.objects.count() == 2


def test_the_desk_loads_the_code_and_accepts_it_once(clerk, client):
    prefill = services.create(site=_site(), channel="kiosk", version=_opening(),
                              answers=ANSWERS, applicant={"kind": "org", "name": "沈丘县好运商贸有限公司",
                              "id_number": CREDIT, "phone": "13900001111"},
                              files={"rental-contract": SimpleUploadedFile("租赁合同.pdf", PDF)})  # fmt: skip
    client.force_login(clerk)
    page = client.get(reverse("intake:desk"), {"prefill": prefill.display_code.lower()})  # as a person types it
    text = page.content.decode()
    assert page.status_code == 200 and "已载入预填申请" in text and "沈丘县好运商贸有限公司" in text
    assert 'value="411624-QT-GA-001"' in text and "预填电子件" in text
    assert AuditEvent.objects.filter(action="prefill.load", actor=clerk).exists()

    form = {"prefill": prefill.code, "situation_version": prefill.version_id, "bundle": "enterprise-opening",
            "applicant.kind": "org", "applicant.name": "沈丘县好运商贸有限公司", "applicant.id_number": CREDIT,
            "applicant.phone": "13900001111", "action": "accept",
            **{f"q-{k}": v for k, v in ANSWERS.items()}}  # fmt: skip
    from yichuang.situation import queries as sq

    outcome = sq.outcome(prefill.version, ANSWERS)
    for i, line in enumerate(outcome.materials):
        form[f"m-{i}-material"] = line.material
        form[f"m-{i}-status"] = "received" if line.required else "missing"
    response = client.post(reverse("intake:desk"), form)
    assert response.status_code == 302, response.content.decode()[:3000]
    submission = Submission.objects.get()
    prefill.refresh_from_db()
    assert prefill.submission == submission and submission.situation_answers == ANSWERS
    assert prefill.applicant == {} and prefill.agent == {}  # the submission has the applicant; the copy goes
    assert list(submission.cases.order_by("seq").values_list("matter__code", flat=True)) == prefill.matters
    assert [a.material_code for a in submission.attachments.all()] == ["rental-contract"]
    again = client.get(reverse("intake:desk"), {"prefill": prefill.code})
    assert "已于" in again.content.decode() and "受理" in again.content.decode()
    response = client.post(reverse("intake:desk"), form)  # a second accept of the same code (another form)
    assert response.status_code == 409  # first asked as a likely duplicate …
    response = client.post(reverse("intake:desk"), {**form, "confirm_duplicate": "1"})
    assert response.status_code == 422 and "已于" in response.content.decode()  # … and the code is spent anyway
    assert Submission.objects.count() == 1


def test_the_called_ticket_brings_its_application(clerk, client):
    prefill = services.create(site=_site(), channel="kiosk", version=_opening(),
                              answers=ANSWERS, applicant={"kind": "org", "name": "沈丘县好运商贸有限公司",
                              "id_number": CREDIT, "phone": "13900001111"})  # fmt: skip
    ticket = services.take_ticket(prefill)
    assert services.take_ticket(prefill) == ticket  # pressed twice: one ticket
    assert ticket.zone.code == "sq-enterprise"
    client.force_login(clerk)
    page = client.get(reverse("intake:desk"), {"ticket": ticket.pk})
    assert "已载入预填申请" in page.content.decode()


def test_an_expired_or_unknown_code_is_refused(clerk, client):
    prefill = services.create(site=_site(), channel="kiosk", version=_opening(),
                              answers=ANSWERS, applicant={"kind": "person", "name": "张三",
                              "id_number": resident_id(), "phone": "13900001111"})  # fmt: skip
    client.force_login(clerk)
    assert "没有这个预填码" in client.get(reverse("intake:desk"), {"prefill": "AAAA-AAAA"}).content.decode()
    with time_machine.travel(prefill.expires_at + datetime.timedelta(minutes=1)):
        assert services.usable_problem(services.find(prefill.code)) == "该预填申请已超过有效期，请重新填报。"


def test_the_online_hall_keeps_them_for_the_phone_that_made_them(demo_guides, client):
    from yichuang.portal.tests.conftest import sign_in

    url = reverse("prefill:portal_form", args=["enterprise-opening"])
    assert client.get(url).status_code == 302  # sign in first
    sign_in(client, "13900001111")
    response = client.post(url, {**_form(), "precheck": "1"})
    assert response.status_code == 302
    prefill = Prefill.objects.get()
    assert prefill.channel == "portal" and prefill.precheck == "requested"
    assert prefill.display_code in client.get(reverse("prefill:portal_start")).content.decode()
    other = type(client)()
    sign_in(other, "13900002222")
    assert other.get(reverse("prefill:portal_done", args=[prefill.code])).status_code == 404


def test_staff_precheck_tells_the_person(clerk, client):
    prefill = services.create(site=_site(), channel="portal", version=_opening(),
                              answers=ANSWERS, applicant={"kind": "org", "name": "沈丘县好运商贸有限公司",
                              "id_number": CREDIT, "phone": "13900001111"}, precheck=True)  # fmt: skip
    client.force_login(clerk)
    assert prefill.display_code in client.get(reverse("prefill:precheck_list")).content.decode()
    url = reverse("prefill:precheck_detail", args=[prefill.code])
    assert "请写明缺少" in client.post(url, {"result": "missing", "note": ""}).content.decode()
    assert client.post(url, {"result": "missing", "note": "租赁合同未盖章"}).status_code == 302
    assert "没有待处理的预审请求" in client.post(url, {"result": "complete"}).content.decode()  # once
    prefill.refresh_from_db()
    assert prefill.precheck == "missing" and prefill.prechecked_by == clerk
    message = Message.objects.get(kind="prefill_prechecked")
    assert message.recipient == "13900001111" and "租赁合同未盖章" in message.body
    outsider = UserFactory(supervisor=True)
    client.force_login(outsider)
    assert client.get(reverse("prefill:precheck_list")).status_code == 403


def test_what_is_no_longer_needed_is_forgotten(clerk, django_capture_on_commit_callbacks):
    from django.core.files.storage import default_storage

    version = _opening()
    person = {"kind": "org", "name": "沈丘县好运商贸有限公司", "id_number": CREDIT, "phone": "13900001111"}
    old = services.create(site=_site(), channel="kiosk", version=version, answers=ANSWERS, applicant=person,
                          files={"rental-contract": SimpleUploadedFile("a.pdf", PDF)})  # fmt: skip
    kept = services.create(site=_site(), channel="kiosk", version=version, answers=ANSWERS, applicant=person)
    old_file = old.files.get().file.name
    assert default_storage.exists(old_file)
    later = old.expires_at + datetime.timedelta(minutes=1)
    Prefill.objects.filter(pk=kept.pk).update(expires_at=later + datetime.timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.forget_unneeded(now=later) == {"expired": 1, "files": 1}
    assert list(Prefill.objects.values_list("pk", flat=True)) == [kept.pk]
    assert not default_storage.exists(old_file)
    assert services.forget_unneeded(now=later) == {"expired": 0, "files": 0}  # twice: nothing more


def test_the_clerk_corrects_an_answer_at_the_window(clerk, client):
    prefill = services.create(site=_site(), channel="kiosk", version=_opening(),
                              answers=ANSWERS, applicant={"kind": "org", "name": "沈丘县好运商贸有限公司",
                              "id_number": CREDIT, "phone": "13900001111"})  # fmt: skip
    corrected = {**ANSWERS, "premises": "own"}  # the person does own the premises: no lease contract
    from yichuang.situation import queries as sq

    form = {"prefill": prefill.code, "situation_version": prefill.version_id, "bundle": "enterprise-opening",
            "applicant.kind": "org", "applicant.name": "沈丘县好运商贸有限公司", "applicant.id_number": CREDIT,
            "applicant.phone": "13900001111", "action": "accept",
            **{f"q-{k}": v for k, v in corrected.items()}}  # fmt: skip
    for i, line in enumerate(sq.outcome(prefill.version, corrected).materials):
        form[f"m-{i}-material"] = line.material
        form[f"m-{i}-status"] = "received" if line.required else "missing"
    client.force_login(clerk)
    assert client.post(reverse("intake:desk"), form).status_code == 302
    submission = Submission.objects.get()
    assert submission.situation_answers == corrected and submission.situation_version_id == prefill.version_id
    assert not submission.materials.filter(code="rental-contract").exists()
