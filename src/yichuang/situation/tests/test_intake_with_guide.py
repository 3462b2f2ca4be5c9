"""A submission taken in with the situation guide: the answers choose the matters and tailor the materials that
intake's rules enforce; the submission keeps the answers and the version; a later version does not change it."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from yichuang.clock.workcalendar import SHANGHAI
from yichuang.intake import services as intake
from yichuang.intake.models import Submission
from yichuang.intake.tests.ids import credit_code
from yichuang.organisation import services as org_services
from yichuang.organisation.models import Window
from yichuang.organisation.tests.factories import UserFactory
from yichuang.situation import queries, services
from yichuang.situation.models import Guide

T0 = datetime.datetime(2026, 3, 10, 10, 0, tzinfo=SHANGHAI)  # a Tuesday, inside opening hours
ORG = {"kind": "org", "name": "沈丘县好运商贸有限公司", "id_number": credit_code("91411624MA9"), "phone": "13900001111"}
FEW = {"seal": "need", "bank": "later", "invoice": "skip", "social": "need", "staff": "hired", "fund": "skip",
       "shareholders": "natural", "premises": "rented", "agent": "self"}  # fmt: skip


@pytest.fixture
def clerk(demo_guides):
    user = UserFactory(window_clerk=True)
    window = Window.objects.filter(zone__code="sq-enterprise", kind=Window.Kind.INTAKE, is_open=True).first()
    org_services.take_seat(user, window)
    return user


def _version():
    return Guide.objects.get(code="enterprise-opening").published()


def _all_received(answers):
    outcome = queries.outcome(_version(), answers)
    return [{"material": line.material, "status": "received"} for line in outcome.materials if line.required]


def _submit(clerk, answers, **kwargs):
    args = {
        "actor": clerk, "applicant": ORG, "bundle": "enterprise-opening", "now": T0,
        "situation": {"version": _version().pk, "answers": answers}, "materials": _all_received(answers),
    }  # fmt: skip
    return intake.submit(**{**args, **kwargs})


def test_the_answers_choose_the_matters_and_the_submission_keeps_them(clerk):
    submission = _submit(clerk, FEW)
    cases = list(submission.cases.order_by("seq").values_list("matter__code", flat=True))
    assert cases == ["411624-XK-SCJG-001", "411624-QT-GA-001", "411624-GG-RS-001"]
    stored = Submission.objects.get(pk=submission.pk)
    assert stored.situation_version == _version() and stored.situation_answers == FEW
    codes = set(stored.materials.values_list("code", flat=True))
    assert {"rental-contract", "employee-roster"} <= codes and "power-of-attorney" not in codes


def test_what_the_situation_requires_cannot_be_left_out(clerk):
    materials = [m for m in _all_received(FEW) if m["material"] != "rental-contract"]
    with pytest.raises(ValidationError) as exc:
        _submit(clerk, FEW, materials=materials)
    assert "房屋租赁合同" in " ".join(exc.value.messages)
    assert not Submission.objects.exists()


def test_unanswered_questions_and_other_matters_are_refused(clerk):
    with pytest.raises(ValidationError) as exc:
        _submit(clerk, {k: v for k, v in FEW.items() if k != "premises"})
    assert "还有 1 个未回答" in exc.value.message_dict["situation"][0]
    with pytest.raises(ValidationError) as exc:
        _submit(clerk, FEW, matters=["411624-XK-SCJG-001", "411624-QT-SW-001"])
    assert "按回答应办理" in exc.value.message_dict["matters"][0]
    with pytest.raises(ValidationError) as exc:
        _submit(clerk, FEW, situation={"version": 999999, "answers": FEW})
    assert "没有这个已发布的情形引导版本" in exc.value.message_dict["situation"][0]
    draft = services.new_draft(_version().guide, _version().source, actor=UserFactory(hall_admin=True))
    with pytest.raises(ValidationError):
        _submit(clerk, FEW, situation={"version": draft.pk, "answers": FEW})
    assert not Submission.objects.exists()


def test_a_submission_keeps_its_version_after_a_new_one(clerk, demo_guides):
    first = _version()
    submission = _submit(clerk, FEW)
    source = first.source.replace("租赁期限一年以上", "租赁期限两年以上")
    draft = services.new_draft(first.guide, source, actor=demo_guides)
    services.publish(draft, actor=demo_guides)
    assert Submission.objects.get(pk=submission.pk).situation_version_id == first.pk
    # An application answered under the retired version is still taken in under it (a pre-filled one, say).
    agent = {**FEW, "agent": "agent"}
    again = _submit(
        clerk, agent, situation={"version": first.pk, "answers": agent},
        materials=[*_all_received(FEW), {"material": "power-of-attorney", "status": "received"}],
        applicant={**ORG, "id_number": credit_code("91411624MB1")},
    )  # fmt: skip
    assert again.situation_version_id == first.pk


def test_the_desk_asks_the_guide_and_tailors_its_checklist(demo_guides, client):
    import time_machine

    with time_machine.travel(T0, tick=True):
        user = UserFactory(window_clerk=True)
        window = Window.objects.filter(zone__code="sq-enterprise", kind=Window.Kind.INTAKE, is_open=True).first()
        org_services.take_seat(user, window)
        client.force_login(user)
        page = client.post("/desk/intake/", {"bundle": "enterprise-opening", "action": "checklist"})
        text = page.content.decode()
        assert 'id="desk-situation"' in text and 'data-question="premises"' in text  # offered, not forced
        answers = {f"q-{k}": v for k, v in FEW.items()}
        page = client.post("/desk/intake/", {"bundle": "enterprise-opening", "action": "checklist", **answers})
        text = page.content.decode()
        assert (
            'tr data-material="rental-contract"' in text and 'tr data-material="bank-account-application"' not in text
        )
        form = {"bundle": "enterprise-opening", "action": "accept", "situation_version": _version().pk, **answers,
                "applicant.kind": "org", "applicant.name": ORG["name"], "applicant.id_number": ORG["id_number"],
                "applicant.phone": ORG["phone"]}  # fmt: skip
        for i, line in enumerate(queries.outcome(_version(), FEW).materials):
            form[f"m-{i}-material"] = line.material
            form[f"m-{i}-status"] = "received" if line.required else "missing"
        assert client.post("/desk/intake/", form).status_code == 302
    submission = Submission.objects.get()
    assert submission.situation_answers == FEW and submission.cases.count() == 3


def test_the_api_takes_the_answers_too(clerk):
    from django.test import Client

    client = Client()
    client.force_login(clerk)
    body = {
        "applicant": ORG, "bundle": "enterprise-opening", "matters": [], "materials": _all_received(FEW),
        "situation": {"version": _version().pk, "answers": FEW},
    }  # fmt: skip
    response = client.post("/api/submissions", body, content_type="application/json")
    assert response.status_code == 201, response.content
    assert [c["matter"] for c in response.json()["cases"]] == [
        "411624-XK-SCJG-001", "411624-QT-GA-001", "411624-GG-RS-001",
    ]  # fmt: skip
    nothing = {**body, "situation": {"version": _version().pk, "answers": {}}, "confirm_duplicate": True}
    missing = client.post("/api/submissions", nothing, content_type="application/json")
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "situation"
