"""Assisted service (帮办代办): consent before anything, the helper as agent on every submission made for it, one
page for the project's cases that the person sees too, each helper seeing only their own, and the helper's work on
the performance page."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from yichuang.assistance import queries, services
from yichuang.assistance.models import Assistance, AssistanceEvent
from yichuang.core.models import AuditEvent
from yichuang.intake import services as intake
from yichuang.intake.models import Submission
from yichuang.intake.tests.ids import credit_code, resident_id
from yichuang.notifications.models import Message
from yichuang.organisation.tests.factories import UserFactory

from .conftest import PDF

pytestmark = pytest.mark.django_db

ORG = {
    "kind": "org",
    "name": "沈丘县禾丰农业科技有限公司",
    "id_number": credit_code("91411624MA9"),
    "phone": "13703945521",
}


def _start(actor, **kw):
    args = {
        "actor": actor, "category": "project", "subject": dict(ORG), "project_name": "年产2万吨有机肥加工项目",
        "consent_submit": True, "consent_confirmed": True,
        "consent_file": SimpleUploadedFile("授权委托书.pdf", PDF),
    }  # fmt: skip
    return services.start(**{**args, **kw})


def _materials(codes):
    from yichuang.catalogue.models import Matter
    from yichuang.catalogue.queries import merged_materials

    lines = merged_materials(list(Matter.objects.filter(code__in=codes)))
    return [{"material": line.material, "status": "received"} for line in lines if line.required]


def _submit_for(target, actor, **kw):
    codes = ["411624-XK-SCJG-001", "411624-GG-GD-002"]
    args = {"actor": actor, "applicant": dict(ORG), "matters": codes, "materials": _materials(codes),
            "assistance": target.pk}  # fmt: skip
    return intake.submit(**{**args, **kw})


def test_consent_comes_first(helpers):
    helper = helpers[0]
    with pytest.raises(ValidationError) as exc:
        _start(helper, consent_confirmed=False, consent_file=None, consent_submit=False)
    assert {"consent_confirmed", "consent_file", "consent_submit"} <= set(exc.value.message_dict)
    with pytest.raises(ValidationError) as exc:
        _start(helper, consent_file=SimpleUploadedFile("x.exe", b"MZ\x90"), subject={**ORG, "id_number": "123"})
    assert {"consent_file", "subject.id_number"} <= set(exc.value.message_dict)
    with pytest.raises(PermissionDenied):
        _start(UserFactory(supervisor=True))
    with pytest.raises(PermissionDenied):  # a helper takes on for themselves only; a hall admin for anyone
        _start(helper, helper=helpers[1])
    assert not Assistance.objects.exists()

    assistance = _start(helper)
    assert assistance.number.startswith("BB-") and assistance.consent_recorded_by == helper
    assert assistance.consent_file.read().startswith(b"%PDF")
    message = Message.objects.get(kind="assistance_started")
    assert message.recipient == ORG["phone"] and assistance.token in message.body


def test_the_helper_submits_as_agent_and_the_project_log_says_so(helpers):
    helper = helpers[0]
    assistance = _start(helper)
    submission = _submit_for(assistance, helper)
    stored = Submission.objects.get(pk=submission.pk)
    assert stored.assistance == assistance and stored.assisted_by == helper
    assert stored.agent_name == helper.get_full_name()  # recorded as the agent (代理人)
    assert AssistanceEvent.objects.filter(assistance=assistance, kind="submitted", text=stored.number).exists()
    assert [item["submission"].number for item in queries.progress(assistance)] == [stored.number]
    assert queries.open_cases(assistance) == 2


@pytest.mark.parametrize("problem", ["other_helper", "other_applicant", "withdrawn", "no_assistance"])
def test_a_submission_for_an_assistance_meets_its_rule(helpers, problem):
    helper, other = helpers
    assistance = _start(helper)
    kwargs, actor, expected = {}, helper, ""
    if problem == "other_helper":
        actor, expected = other, "只有该帮办的帮办员"
    elif problem == "other_applicant":
        kwargs, expected = {"applicant": {**ORG, "id_number": credit_code("91411624MB1")}}, "申请人与帮办对象不一致"
    elif problem == "withdrawn":
        services.end(assistance, actor=helper, withdrawn=True, reason="本人自行办理")
        expected = "已结束或未经同意"
    else:
        kwargs, expected = {"assistance": 999999}, "没有这个帮办代办"
    with pytest.raises(ValidationError) as exc:
        _submit_for(assistance, actor, **kwargs)
    assert expected in exc.value.message_dict["assistance"][0]
    assert not Submission.objects.exists()


def test_each_helper_sees_only_their_own(helpers, client):
    mine, theirs = _start(helpers[0]), _start(helpers[1], subject={**ORG, "id_number": credit_code("91411624MB1")})
    client.force_login(helpers[0])
    page = client.get(reverse("assistance:index")).content.decode()
    assert mine.number in page and theirs.number not in page
    assert client.get(reverse("assistance:detail", args=[theirs.number])).status_code == 404
    assert client.get(reverse("assistance:consent", args=[theirs.number])).status_code == 404
    assert (
        client.post(reverse("assistance:detail", args=[theirs.number]), {"action": "note", "text": "x"}).status_code
        == 404
    )
    assert client.get(reverse("intake:desk"), {"assistance": theirs.number}).status_code == 404
    detail = client.get(reverse("assistance:detail", args=[mine.number]))
    assert detail.status_code == 200 and ORG["id_number"] in detail.content.decode()
    assert AuditEvent.objects.filter(action="assistance.view", object_id=str(mine.pk), actor=helpers[0]).exists()

    supervisor = UserFactory(supervisor=True)
    client.force_login(supervisor)
    page = client.get(reverse("assistance:detail", args=[theirs.number])).content.decode()
    assert ORG["id_number"] not in page  # a supervisor follows the work, masked
    admin = UserFactory(hall_admin=True)
    client.force_login(admin)
    assert theirs.number in client.get(reverse("assistance:index")).content.decode()
    client.post(reverse("assistance:detail", args=[theirs.number]), {"action": "reassign", "helper": helpers[0].pk})
    assert Assistance.objects.get(pk=theirs.pk).helper == helpers[0]
    with pytest.raises(PermissionDenied):
        services.reassign(theirs, helpers[1], actor=helpers[0])


def test_the_person_follows_the_same_page(helpers, client):
    assistance = _start(helpers[0], category="elderly", project_name="",
                        subject={"kind": "person", "name": "刘桂兰", "id_number": resident_id(birth="19470301"),
                                 "phone": "13803941234"})  # fmt: skip
    services.note(assistance, "已电话联系，约定周四上门取材料", actor=helpers[0])
    page = client.get(reverse("assistance:person", args=[assistance.token])).content.decode()
    assert assistance.number in page and "刘**" in page and "刘桂兰" not in page
    assert "约定周四" not in page  # the helper's working notes stay with staff
    assert client.get(reverse("assistance:person", args=["nope"])).status_code == 404


def test_the_desk_submits_for_the_helpers_project(helpers, client):
    import time_machine

    from .conftest import T0

    helper = helpers[0]
    assistance = _start(helper)
    client.force_login(helper)
    with time_machine.travel(T0, tick=True):
        page = client.get(reverse("intake:desk"), {"assistance": assistance.number}).content.decode()
        assert 'id="assistance-banner"' in page and ORG["name"] in page
        form = {"assistance": assistance.number, "matters": ["411624-XK-SCJG-001"], "action": "accept",
                **{f"applicant.{k}": v for k, v in ORG.items()}}  # fmt: skip
        for i, m in enumerate(_materials(["411624-XK-SCJG-001"])):
            form[f"m-{i}-material"], form[f"m-{i}-status"] = m["material"], "received"
        from yichuang.catalogue.models import Matter
        from yichuang.catalogue.queries import merged_materials

        lines = merged_materials([Matter.objects.get(code="411624-XK-SCJG-001")])
        for i, line in enumerate(lines):
            form[f"m-{i}-material"] = line.material
            form[f"m-{i}-status"] = "received" if line.required else "missing"
        response = client.post(reverse("intake:desk"), form)
    assert response.status_code == 302, response.content.decode()[:2000]
    submission = Submission.objects.get()
    assert submission.assistance == assistance and submission.assisted_by == helper
    assert assistance.number in client.get(response["Location"]).content.decode()


def test_the_helpers_work_counts_on_the_performance_page(helpers):
    import datetime

    from django.utils import timezone

    from yichuang.performance import queries as perf

    helper = helpers[0]
    _submit_for(_start(helper), helper)
    today = timezone.localdate()
    report = perf.report(perf.Period(today, today + datetime.timedelta(days=1)), "staff")
    row = next(r for r in report.rows if r.key == helper.pk)
    assert row.assisted == 1 and report.total.assisted == 1
