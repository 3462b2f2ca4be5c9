"""submit(): one submission, merged materials, one case per matter with its snapshot, due time and dispatch."""

import datetime
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from yichuang.clock.workcalendar import SHANGHAI
from yichuang.core.models import AuditEvent
from yichuang.intake import queries, services
from yichuang.intake.models import (
    Applicant,
    Case,
    Handoff,
    Submission,
    SubmissionMaterial,
    TimelineEvent,
)
from yichuang.notifications.models import Message
from yichuang.organisation.tests.factories import UserFactory

from .helpers import BUNDLE_MATERIALS, PERSON, T0, received
from .ids import credit_code, resident_id

pytestmark = pytest.mark.django_db

NUMBER_RE = re.compile(r"^411624-20260310-\d{6}$")
ORG = {"kind": "org", "name": "沈丘县好运商贸有限公司", "id_number": credit_code("91411624MA9"), "phone": "13900001111"}


def counts():
    return (
        Submission.objects.count(),
        Case.objects.count(),
        SubmissionMaterial.objects.count(),
        TimelineEvent.objects.count(),
        Applicant.objects.count(),
        Handoff.objects.count(),
        Message.objects.count(),
        AuditEvent.objects.filter(action__startswith="intake.").count(),
    )


def submit_bundle(hall, **kwargs):
    args = {
        "actor": hall.clerk,
        "applicant": ORG,
        "bundle": "qiyekaiban",
        "materials": received(*BUNDLE_MATERIALS),
        "now": T0,
    }
    args.update(kwargs)
    return services.submit(**args)


def errors_of(**kwargs) -> dict[str, list[str]]:
    before = counts()
    with pytest.raises(ValidationError) as info:
        services.submit(**kwargs)
    assert counts() == before, "nothing is written when the input is refused"
    return info.value.message_dict


# --- accepting -------------------------------------------------------------------------------------


def test_bundle_is_one_submission_with_one_case_per_matter(hall):
    submission = submit_bundle(hall)
    assert NUMBER_RE.match(submission.number)
    assert submission.status == "accepted" and submission.channel == "window"
    assert submission.window == hall.w1 and submission.accepted_by == hall.clerk and submission.site == hall.site
    assert submission.bundle == hall.bundle and submission.replayed is False
    cases = list(submission.cases.order_by("seq"))
    assert [c.matter.code for c in cases] == ["SETUP", "SEAL", "INVOICE"]
    assert [c.number for c in cases] == [f"{submission.number}-0{n}" for n in (1, 2, 3)]
    assert [c.department.code for c in cases] == ["samr", "police", "tax"]
    assert all(c.status == "accepted" and c.accepted_at == T0 and c.handoff is None for c in cases)


def test_merged_materials_are_one_row_each_with_the_highest_counts(hall):
    submission = submit_bundle(hall)
    rows = {m.code: m for m in submission.materials.all()}
    # ID is needed by SETUP (1 original, 1 copy) and SEAL (1 original, 2 copies): once, with 2 copies.
    assert set(rows) == {"ID", "FORM", "ARTICLES", "PREMISES", "ATTORNEY", "LICENCE"}
    assert (rows["ID"].originals_required, rows["ID"].copies_required) == (1, 2)
    assert (rows["ID"].originals, rows["ID"].copies) == (1, 2)  # received counts default to the required ones
    assert rows["ID"].matters == ["SETUP", "SEAL"] and rows["LICENCE"].matters == ["SEAL", "INVOICE"]
    assert rows["ID"].core and rows["ID"].required
    # The optional power of attorney was not listed: a row, missing, and that is fine.
    assert rows["ATTORNEY"].status == "missing" and not rows["ATTORNEY"].required
    assert [m.order for m in submission.materials.order_by("order")] == list(range(6))


def test_case_keeps_the_snapshot_of_its_matter(hall):
    submission = submit_bundle(hall)
    case = submission.cases.get(matter=hall.setup)
    hall.setup.refresh_from_db()
    assert case.matter_snapshot == hall.setup.snapshot()
    hall.setup.promised_limit = 1
    hall.setup.save()
    hall.setup.requirements.filter(material__code="PREMISES").update(deferrable=False)
    case.refresh_from_db()
    assert case.matter_snapshot["promised_limit"] == "2.0"
    premises = next(m for m in case.matter_snapshot["materials"] if m["material"] == "PREMISES")
    assert premises["deferrable"] is True


def test_due_times_come_from_each_matters_own_limit(hall):
    submission = submit_bundle(hall)
    due = {c.matter.code: c.due_at.astimezone(SHANGHAI) for c in submission.cases.all()}
    # 2 working hours from Tuesday 10:00 → 12:00; instant matters before the cut-off → today's close.
    assert due["SETUP"] == datetime.datetime(2026, 3, 10, 12, 0, tzinfo=SHANGHAI)
    assert due["SEAL"] == due["INVOICE"] == datetime.datetime(2026, 3, 10, 17, 30, tzinfo=SHANGHAI)


def test_a_person_with_an_agent(hall):
    agent = {"name": "李四", "id_number": resident_id("411624", "19850101", "456"), "phone": "13800002222"}
    submission = services.submit(
        actor=hall.clerk,
        applicant=PERSON,
        agent=agent,
        matters=["SETUP"],
        materials=received("ID", "FORM", "ARTICLES", "PREMISES"),
        now=T0,
    )
    assert submission.applicant.kind == "person" and submission.applicant.id_number == PERSON["id_number"]
    assert submission.agent_name == "李四" and submission.agent_id_number == agent["id_number"]
    assert submission.cases.count() == 1


def test_the_applicant_is_found_again_and_never_overwritten(hall):
    first = submit_bundle(hall)
    renamed = {**ORG, "name": "沈丘县好运商贸有限责任公司", "phone": "13900003333", "confirm_name": True}
    second = submit_bundle(hall, applicant=renamed)
    assert first.applicant_id == second.applicant_id
    applicant = Applicant.objects.get()
    assert applicant.name == ORG["name"] and applicant.phone == ORG["phone"]  # as first recorded
    first.refresh_from_db()
    assert (first.applicant_name, first.applicant_phone) == (ORG["name"], ORG["phone"])
    assert (second.applicant_name, second.applicant_phone) == (renamed["name"], "13900003333")
    assert int(second.number[-6:]) == int(first.number[-6:]) + 1


def test_timeline_audit_and_notification(hall):
    submission = submit_bundle(hall)
    kinds = list(submission.timeline.values_list("kind", "case__seq"))
    assert kinds[0] == ("accepted", None)
    assert sorted(kinds[1:]) == [("dispatched", 1), ("dispatched", 2), ("dispatched", 3)]
    first = submission.timeline.first()
    assert first.actor == hall.clerk and first.window == hall.w1 and first.detail["bundle"] == "qiyekaiban"
    event = AuditEvent.objects.get(action="intake.accept")
    assert event.object_id == str(submission.pk) and event.actor == hall.clerk
    assert event.detail["cases"] == [c.number for c in submission.cases.order_by("seq")]
    message = Message.objects.get()
    assert message.recipient == ORG["phone"] and message.kind == "accepted" and message.submission == submission.number
    assert submission.number in message.body and "3 件" in message.body


def test_delegated_department_cases_wait_in_the_next_pickup_batch(hall):
    submission = services.submit(
        actor=hall.general_clerk,
        applicant=PERSON,
        matters=["ELDERLY", "PERMIT"],
        materials=received("ID", "PLAN"),
        now=T0,
    )
    elderly = submission.cases.get(matter=hall.elderly)
    permit = submission.cases.get(matter=hall.licence_days)
    assert permit.handoff is None  # a stationed department: straight to its inbox
    handoff = elderly.handoff
    # Tuesday 10:00 → the Tuesday 15:00 pickup of the civil affairs bureau.
    assert handoff.department == hall.civil and handoff.status == "open"
    assert handoff.scheduled_for.astimezone(SHANGHAI) == datetime.datetime(2026, 3, 10, 15, 0, tzinfo=SHANGHAI)
    assert elderly.timeline.get().kind == "awaiting_pickup"
    # A second intake joins the same batch; one after 15:00 the Thursday one.
    again = services.submit(
        actor=hall.general_clerk,
        applicant=PERSON,
        matters=["ELDERLY"],
        materials=received("ID", "PLAN"),
        now=T0 + datetime.timedelta(hours=1),
    )
    assert again.cases.get().handoff == handoff
    later = services.submit(
        actor=hall.general_clerk,
        applicant=PERSON,
        matters=["ELDERLY"],
        materials=received("ID", "PLAN"),
        now=T0 + datetime.timedelta(hours=6),
    )
    assert later.cases.get().handoff.scheduled_for.astimezone(SHANGHAI) == datetime.datetime(
        2026, 3, 12, 10, 0, tzinfo=SHANGHAI
    )
    assert Handoff.objects.count() == 2


def test_each_case_lands_in_its_departments_inbox_only(hall):
    submit_bundle(hall)
    samr_officer = UserFactory(officer=True, department=hall.samr)
    tax_officer = UserFactory(officer=True, department=hall.tax)
    assert [c.matter.code for c in queries.inbox(samr_officer)] == ["SETUP"]
    assert [c.matter.code for c in queries.inbox(tax_officer)] == ["INVOICE"]
    assert queries.inbox(hall.clerk).count() == 0  # a window clerk sees no department's back-office work
    assert queries.inbox(UserFactory(supervisor=True)).count() == 3


def test_a_hall_admin_takes_in_at_any_window(hall):
    submission = submit_bundle(hall, actor=hall.admin, window=hall.w2.pk)
    assert submission.window == hall.w2 and submission.accepted_by == hall.admin


def test_a_matter_subset_of_a_bundle(hall):
    submission = submit_bundle(
        hall, matters=["SETUP", "INVOICE"], materials=received("ID", "FORM", "ARTICLES", "PREMISES", "LICENCE")
    )
    assert [c.matter.code for c in submission.cases.order_by("seq")] == ["SETUP", "INVOICE"]


def test_deferred_and_pledged_materials(hall):
    materials = received("ID", "FORM", "LICENCE") + [
        {"material": "ARTICLES", "status": "pledged"},
        {"material": "PREMISES", "status": "deferred", "due": "2026-03-10"},
    ]
    submission = submit_bundle(hall, materials=materials)
    rows = {m.code: m for m in submission.materials.all()}
    assert rows["PREMISES"].status == "deferred" and rows["PREMISES"].due == datetime.date(2026, 3, 10)
    assert rows["ARTICLES"].status == "pledged" and rows["ARTICLES"].originals == 0
    kinds = set(submission.timeline.values_list("kind", flat=True))
    assert {"material_deferred", "material_pledged"} <= kinds
    assert "容缺" in Message.objects.get().body


def test_received_counts_may_be_given(hall):
    materials = received("FORM", "ARTICLES", "PREMISES", "LICENCE") + [
        {"material": "ID", "status": "received", "originals": 1, "copies": 3}
    ]
    submission = submit_bundle(hall, materials=materials)
    row = submission.materials.get(code="ID")
    assert (row.originals, row.copies) == (1, 3)


# --- refusing bad input: every problem at once, nothing written ------------------------------------------


def test_every_problem_is_reported_at_its_field(hall):
    bad_id = PERSON["id_number"][:17] + ("0" if PERSON["id_number"][17] != "0" else "1")
    errors = errors_of(
        actor=hall.clerk,
        applicant={"kind": "person", "name": "", "id_number": bad_id, "phone": "12345"},
        matters=["SETUP", "NOPE", "PAUSED", "PERMIT", "SETUP"],
        materials=[
            {"material": "ID", "status": "deferred", "due": "2026-03-10"},
            {"material": "ARTICLES", "status": "maybe"},
            {"material": "UNKNOWN", "status": "received"},
            {"material": "PREMISES", "status": "deferred", "due": None},
        ],
        now=T0,
    )
    assert errors["applicant.name"] == ["请填写申请人姓名。"]
    assert errors["applicant.id_number"] == ["身份证号码校验位不正确，请逐位核对。"]
    assert "手机号码" in errors["applicant.phone"][0]
    assert errors["matters[1]"] == ["没有编码为“NOPE”的事项。"]
    assert "暂停" in errors["matters[2]"][0]
    assert "不在“企业开办服务专区”受理" in errors["matters[3]"][0]
    assert "重复" in errors["matters[4]"][0]
    assert "核心要件，不得容缺" in errors["materials[0].status"][0]
    assert "received、deferred、pledged、reused 或 missing" in errors["materials[1].status"][0]
    assert errors["materials[2].material"] == ["没有编码为“UNKNOWN”的材料。"]
    assert "核心要件未齐全" in errors["materials[3].status"][0]
    assert "补交期限" in errors["materials[3].due"][0]
    assert any("企业设立登记申请书" in m for m in errors["materials"])  # FORM, required, not listed


def test_a_core_material_cannot_be_deferred(hall):
    materials = received("FORM", "ARTICLES", "PREMISES", "LICENCE") + [
        {"material": "ID", "status": "deferred", "due": "2026-03-10"}
    ]
    errors = errors_of(actor=hall.clerk, applicant=ORG, bundle="qiyekaiban", materials=materials, now=T0)
    assert errors == {"materials[4].status": ["“申请人身份证明”是核心要件，不得容缺。"]}


def test_deferral_needs_every_core_material(hall):
    materials = received("ID", "ARTICLES", "LICENCE") + [
        {"material": "FORM", "status": "pledged"},  # FORM is core but not pledgeable
        {"material": "PREMISES", "status": "deferred", "due": "2026-03-10"},
    ]
    errors = errors_of(actor=hall.clerk, applicant=ORG, bundle="qiyekaiban", materials=materials, now=T0)
    assert errors["materials[3].status"] == ["“企业设立登记申请书”不适用告知承诺。"]
    assert errors["materials[4].status"] == ["核心要件未齐全（缺“企业设立登记申请书”），不能容缺受理。"]


def test_only_deferrable_materials_may_be_deferred_and_pledgeable_pledged(hall):
    materials = received("ID", "FORM", "PREMISES") + [
        {"material": "LICENCE", "status": "deferred", "due": "2026-03-10"},
        {"material": "ARTICLES", "status": "deferred", "due": "2026-03-10"},
    ]
    errors = errors_of(actor=hall.clerk, applicant=ORG, bundle="qiyekaiban", materials=materials, now=T0)
    assert errors == {
        "materials[3].status": ["“营业执照”不可容缺受理。"],
        "materials[4].status": ["“公司章程”不可容缺受理。"],
    }
    materials = received("ID", "FORM", "ARTICLES", "PREMISES") + [{"material": "LICENCE", "status": "pledged"}]
    errors = errors_of(actor=hall.clerk, applicant=ORG, bundle="qiyekaiban", materials=materials, now=T0)
    assert errors == {"materials[4].status": ["“营业执照”不适用告知承诺。"]}


def test_the_deferred_due_date_is_within_the_cases_limit(hall):
    # PLAN is needed only by ELDERLY (5 working days from Tuesday 10 March → Tuesday 17 March).
    base = {"actor": hall.general_clerk, "applicant": PERSON, "matters": ["ELDERLY"], "now": T0}
    ok = services.submit(
        **base, materials=received("ID") + [{"material": "PLAN", "status": "deferred", "due": "2026-03-17"}]
    )
    assert ok.materials.get(code="PLAN").due == datetime.date(2026, 3, 17)
    errors = errors_of(
        **base, materials=received("ID") + [{"material": "PLAN", "status": "deferred", "due": "2026-03-18"}]
    )
    assert errors == {"materials[1].due": ["补交期限不得晚于办件的办结期限（2026-03-17）。"]}
    errors = errors_of(
        **base, materials=received("ID") + [{"material": "PLAN", "status": "deferred", "due": "2026-03-09"}]
    )
    assert errors == {"materials[1].due": ["补交期限不能早于今天。"]}
    errors = errors_of(
        **base, materials=received("ID") + [{"material": "PLAN", "status": "deferred", "due": "17/03/2026"}]
    )
    assert errors == {"materials[1].due": ["日期格式应为 YYYY-MM-DD。"]}


def test_a_required_material_missing_is_a_refusal_case(hall):
    errors = errors_of(
        actor=hall.clerk,
        applicant=ORG,
        bundle="qiyekaiban",
        materials=received("ID", "FORM", "ARTICLES", "LICENCE"),
        now=T0,
    )
    assert list(errors) == ["materials"]
    assert "缺少必要材料“住所使用证明”" in errors["materials"][0] and "不予受理" in errors["materials"][0]
    materials = received("ID", "FORM", "ARTICLES", "LICENCE") + [{"material": "PREMISES", "status": "missing"}]
    errors = errors_of(actor=hall.clerk, applicant=ORG, bundle="qiyekaiban", materials=materials, now=T0)
    assert list(errors) == ["materials[4].status"]


def test_fewer_copies_than_required(hall):
    materials = received("FORM", "ARTICLES", "PREMISES", "LICENCE") + [
        {"material": "ID", "status": "received", "copies": 1}
    ]
    errors = errors_of(actor=hall.clerk, applicant=ORG, bundle="qiyekaiban", materials=materials, now=T0)
    assert errors == {
        "materials[4].copies": ["“申请人身份证明”需复印件 2 份，只收到 1 份；不足的请改为容缺、告知承诺或缺少。"]
    }


def test_a_material_not_in_the_list(hall):
    materials = received(*BUNDLE_MATERIALS, "PLAN")
    errors = errors_of(actor=hall.clerk, applicant=ORG, bundle="qiyekaiban", materials=materials, now=T0)
    assert errors == {"materials[5].material": ["材料“养老机构平面图”不在本次申请的材料清单中。"]}


def test_a_broken_pledge_blocks_deferral_until_an_admin_clears_it(hall):
    applicant = Applicant.objects.create(kind="org", name=ORG["name"], id_number=ORG["id_number"], phone=ORG["phone"])
    services.mark_deferral_broken(applicant, reason="容缺材料逾期未补交")
    materials = received("ID", "FORM", "ARTICLES", "LICENCE") + [
        {"material": "PREMISES", "status": "deferred", "due": "2026-03-10"}
    ]
    errors = errors_of(actor=hall.clerk, applicant=ORG, bundle="qiyekaiban", materials=materials, now=T0)
    assert errors == {"materials[4].status": ["申请人有未履行的容缺承诺，管理员解除标记前不能容缺受理。"]}
    # Without deferral the applicant is taken in as usual.
    assert submit_bundle(hall).applicant == applicant
    with pytest.raises(PermissionDenied):
        services.clear_deferral_block(applicant, hall.clerk)
    services.clear_deferral_block(applicant, hall.admin)
    applicant.refresh_from_db()
    assert not applicant.deferral_blocked and applicant.deferral_cleared_by == hall.admin
    assert AuditEvent.objects.filter(action="intake.clear_deferral_block", actor=hall.admin).exists()
    assert submit_bundle(hall, materials=materials).materials.get(code="PREMISES").status == "deferred"
    with pytest.raises(ValidationError):
        services.clear_deferral_block(applicant, hall.admin)  # nothing to clear


def test_specialized_only_matter_names_the_window_to_go_to(hall):
    errors = errors_of(
        actor=hall.general_clerk, applicant=PERSON, matters=["HOUSEHOLD"], materials=received("ID"), now=T0
    )
    assert errors == {"matters[0]": ["事项“户口迁移”只在专业窗口受理。请到 41 号窗口（户政专业窗口）办理。"]}


def test_a_suspended_or_foreign_bundle_matter(hall):
    hall.bundle.items.create(matter=hall.paused, order=9)
    errors = errors_of(
        actor=hall.clerk, applicant=ORG, bundle="qiyekaiban", materials=received(*BUNDLE_MATERIALS), now=T0
    )
    assert errors == {"bundle": ["事项“广告发布登记”已暂停，暂不受理。"]}
    errors = errors_of(actor=hall.clerk, applicant=ORG, bundle="qiyekaiban", matters=["PERMIT"], materials=[], now=T0)
    assert errors["matters[0]"] == ["事项“食品经营许可”不属于一件事“企业开办”。"]
    errors = errors_of(actor=hall.clerk, applicant=ORG, bundle="nope", materials=[], now=T0)
    assert errors["bundle"] == ["没有编码为“nope”的一件事。"]


def test_nothing_chosen(hall):
    errors = errors_of(actor=hall.clerk, applicant=ORG, matters=[], materials=[], now=T0)
    assert errors == {"matters": ["请选择要办理的事项或一件事。"]}


def test_window_rules(hall):
    base = {"applicant": ORG, "bundle": "qiyekaiban", "materials": received(*BUNDLE_MATERIALS), "now": T0}
    errors = errors_of(actor=hall.clerk, window=hall.w2.pk, **base)
    assert errors == {"window": ["您没有在 2 号窗口入座，不能以该窗口受理。"]}
    errors = errors_of(actor=hall.admin, **base)
    assert errors == {"window": ["您今天尚未在窗口入座，请指定受理窗口。"]}
    errors = errors_of(actor=hall.admin, window=hall.w_consult.pk, **base)
    assert errors == {"window": ["39 号窗口是综合咨询窗口，不受理申请。"]}
    errors = errors_of(actor=hall.admin, window=999999, **base)
    assert errors == {"window": ["没有这个窗口。"]}
    with pytest.raises(PermissionDenied):
        services.submit(actor=UserFactory(officer=True), **base)


def test_organisation_needs_a_credit_code(hall):
    errors = errors_of(
        actor=hall.clerk,
        applicant={**ORG, "id_number": PERSON["id_number"]},
        bundle="qiyekaiban",
        materials=received(*BUNDLE_MATERIALS),
        now=T0,
    )
    assert list(errors) == ["applicant.id_number"] and "统一社会信用代码" in errors["applicant.id_number"][0]
    errors = errors_of(
        actor=hall.clerk,
        applicant={**ORG, "kind": "company"},
        bundle="qiyekaiban",
        materials=received(*BUNDLE_MATERIALS),
        now=T0,
    )
    assert list(errors) == ["applicant.kind"]


def test_a_phone_is_needed_from_the_applicant_or_the_agent(hall):
    base = {"actor": hall.clerk, "bundle": "qiyekaiban", "materials": received(*BUNDLE_MATERIALS), "now": T0}
    errors = errors_of(applicant={**ORG, "phone": ""}, **base)
    assert errors == {"applicant.phone": ["请填写联系电话，用于告知办理进度。"]}
    agent = {"name": "李四", "id_number": resident_id(birth="19850101"), "phone": "13800002222"}
    submission = services.submit(applicant={**ORG, "phone": ""}, agent=agent, **base)
    assert submission.contact_phone == "13800002222"
    assert Message.objects.get().recipient == "13800002222"


def test_malformed_input_is_a_validation_error_not_a_crash(hall):
    for kwargs in (
        {"applicant": None, "matters": "SETUP", "materials": "ID"},
        {"applicant": {"kind": 5, "name": ["x"], "id_number": None}, "matters": [None, 3], "materials": [None, 7]},
        {
            "applicant": ORG,
            "matters": ["SETUP"],
            "materials": [{"material": "ID", "status": "received", "copies": "two"}],
        },
        {
            "applicant": ORG,
            "matters": ["SETUP"],
            "materials": [{"material": "ID", "status": "received", "copies": 1.5}],
        },
        {"applicant": ORG, "matters": ["SETUP"], "agent": "someone", "materials": []},
        {"applicant": ORG, "matters": ["SETUP"], "channel": "fax", "materials": []},
    ):
        with pytest.raises(ValidationError):
            services.submit(actor=hall.clerk, now=T0, **kwargs)
    assert Submission.objects.count() == 0
