"""Every back-office transition, who may do it, the status rules and what each does to the clock."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from yichuang.backoffice import services
from yichuang.backoffice.models import Decision, Extension
from yichuang.clock import caseclock
from yichuang.intake.models import Case, Handoff
from yichuang.intake.tests.helpers import T0, received

from .conftest import take_in

SH = T0.tzinfo
H = dt.timedelta(hours=1)
DUE = dt.datetime(2026, 3, 13, 17, 30, tzinfo=SH)  # PERMIT (3 working days) accepted Tue 03-10


def at(day: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=SH)


def fresh(case: Case) -> Case:
    return Case.objects.get(pk=case.pk)


def correct(case, actor, now=T0 + H):
    return services.request_correction(
        case, actor, items=[{"material": "ID", "note": "复印件不清晰"}], due=dt.date(2026, 3, 20), now=now
    )


def special(case, actor, now=T0 + H):
    return services.start_special(case, actor, kind="expert_review", reason="专家评审", limit_days=5, now=now)


def deferred_elderly(office, due=dt.date(2026, 3, 13)):
    case = take_in(
        office.hall, "ELDERLY", materials=[*received("ID"), {"material": "PLAN", "status": "deferred", "due": due}]
    )
    services.collect_handoff(case.handoff, office.civil_officer, signer="李四", now=at(10, 15, 0))
    return fresh(case)


def claimed(office, now=T0):
    case = take_in(office.hall)
    services.claim(case, office.officer, now=now)
    return fresh(case)


# --- every action refused to another department's officer and to a supervisor ---------------------------

ACTIONS = {
    "claim": lambda c, u: services.claim(c, u, now=T0 + H),
    "assign": lambda c, u: services.assign(c, u, u, now=T0 + H),
    "correction": lambda c, u: correct(c, u),
    "special": lambda c, u: special(c, u),
    "extension": lambda c, u: services.request_extension(c, u, days=3, reason="需现场核查", now=T0 + H),
    "conclude": lambda c, u: services.conclude(c, u, outcome="approved", now=T0 + H),
    "terminate": lambda c, u: services.terminate_unsupplied(c, actor=u, now=T0 + H),
    "return": lambda c, u: services.return_results([c], u, now=T0 + H),
}


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("who", ["tax_officer", "supervisor", "civil_officer"])
def test_nobody_outside_the_department_may_act(office, action, who):
    case = take_in(office.hall)
    with pytest.raises(PermissionDenied):
        ACTIONS[action](case, getattr(office, who))
    assert fresh(case).status == "accepted"


def test_outsiders_may_not_end_receive_decide_or_record(office):
    case = claimed(office)
    correct(case, office.officer)
    with pytest.raises(PermissionDenied):
        services.receive_correction(case, office.tax_officer, now=at(11))
    other = claimed(office)
    special(other, office.officer)
    for user in (office.tax_officer, office.supervisor):
        with pytest.raises(PermissionDenied):
            services.end_special(other, user, now=at(11))
    third = claimed(office)
    extension = services.request_extension(third, office.officer, days=2, reason="需核查", now=T0 + H)
    for user in (office.tax_officer, office.supervisor, office.officer2):
        with pytest.raises(PermissionDenied):
            services.decide_extension(extension, user, approve=True, now=T0 + 2 * H)
    services.conclude(third, office.officer, outcome="approved", now=T0 + 2 * H)
    with pytest.raises(PermissionDenied):
        services.record_result(third, office.tax_officer, certificate_number="X1")
    handoff = take_in(office.hall, "ELDERLY", materials=received("ID", "PLAN")).handoff
    with pytest.raises(PermissionDenied):
        services.collect_handoff(handoff, office.officer, signer="王五")


# --- inbox -------------------------------------------------------------------------------------------


def test_claim_once(office):
    case = take_in(office.hall)
    services.claim(case, office.officer, now=T0)
    case = fresh(case)
    assert (case.status, case.assignee) == ("in_progress", office.officer)
    with pytest.raises(ValidationError, match="已有承办人"):
        services.claim(case, office.officer2, now=T0)


def test_only_leads_assign_and_only_to_their_officers(office):
    case = take_in(office.hall)
    with pytest.raises(PermissionDenied, match="负责人"):
        services.assign(case, office.officer2, office.officer, now=T0)
    with pytest.raises(ValidationError) as err:
        services.assign(case, office.tax_officer, office.lead, now=T0)
    assert "officer" in err.value.message_dict
    services.assign(case, office.officer2, office.lead, now=T0)
    assert (fresh(case).status, fresh(case).assignee) == ("in_progress", office.officer2)


def test_a_delegated_case_waits_for_its_pickup(office):
    case = take_in(office.hall, "ELDERLY", materials=received("ID", "PLAN"))
    assert case.received_at is None and case.handoff.status == Handoff.Status.OPEN
    for act in (
        lambda: services.claim(case, office.civil_officer, now=T0 + H),
        lambda: correct(case, office.civil_officer),
        lambda: special(case, office.civil_officer),
        lambda: services.conclude(case, office.civil_officer, outcome="approved", now=T0 + H),
        lambda: services.request_extension(case, office.civil_officer, days=1, reason="x", now=T0 + H),
    ):
        with pytest.raises(ValidationError, match="取件签收后才能办理"):
            act()
    services.collect_handoff(case.handoff, office.civil_officer, signer="李四", now=at(10, 15))
    with pytest.raises(ValidationError, match="已签收"):
        services.collect_handoff(case.handoff, office.civil_officer, signer="李四", now=at(10, 15))
    services.claim(case, office.civil_officer, now=at(10, 16))
    assert fresh(case).received_at == at(10, 15)


# --- correction --------------------------------------------------------------------------------------


def test_correction_stops_the_clock_and_receipt_restarts_it_with_the_time_left(office):
    case = claimed(office)
    correct(case, office.officer, now=T0 + H)  # Tue 11:00: 1 + 4 + 3 × 7 = 26 working hours left
    case = fresh(case)
    assert case.status == "correction" and case.left_us == 26 * caseclock.HOUR_US
    assert caseclock.level(case, at(30)) == caseclock.GREEN  # stands still however long it waits
    services.receive_correction(case, office.officer, now=at(16, 9))  # Mon 09:00 + 26 h → Thu 15:30 → close
    case = fresh(case)
    assert case.status == "in_progress" and case.paused_at is None
    assert case.due_at == dt.datetime(2026, 3, 19, 17, 30, tzinfo=SH)
    assert case.correction.received_at == at(16, 9)
    with pytest.raises(ValidationError, match="没有待补正"):
        services.receive_correction(case, office.officer, now=at(16, 10))


def test_correction_at_once_only(office):
    case = claimed(office)
    correct(case, office.officer)
    services.receive_correction(case, office.officer, now=at(11))
    with pytest.raises(ValidationError, match="一次性告知"):
        correct(case, office.officer, now=at(11, 11))


def test_correction_refused_after_five_working_days_from_receipt(office):
    case = claimed(office)  # received Tue 03-10: the fifth working day after is Tue 03-17
    with pytest.raises(ValidationError, match="视为受理"):
        correct(case, office.officer, now=at(18, 9))
    correct(case, office.officer, now=at(17, 16))
    assert fresh(case).status == "correction"


def test_correction_needs_items_and_a_due_date(office):
    case = claimed(office)
    with pytest.raises(ValidationError) as err:
        services.request_correction(case, office.officer, items=[], due=dt.date(2026, 3, 20), now=T0)
    assert "items" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        services.request_correction(
            case, office.officer, items=[{"material": "NOPE"}], due=dt.date(2026, 3, 20), now=T0
        )
    assert "items[0].material" in err.value.message_dict


# --- special procedures ------------------------------------------------------------------------------


def test_special_procedure_stops_and_restarts_the_clock(office):
    case = claimed(office)
    procedure = special(case, office.officer, now=T0 + H)
    assert procedure.due_at == dt.datetime(2026, 3, 17, 17, 30, tzinfo=SH)
    case = fresh(case)
    assert case.status == "special" and case.left_us == 26 * caseclock.HOUR_US
    with pytest.raises(ValidationError, match="补正或特别程序进行中"):
        services.conclude(case, office.officer, outcome="approved", now=at(12))
    with pytest.raises(ValidationError):
        special(case, office.officer, now=at(12))
    services.end_special(case, office.officer, outcome="评审通过", now=at(16, 9))
    case = fresh(case)
    assert case.status == "in_progress" and case.due_at == dt.datetime(2026, 3, 19, 17, 30, tzinfo=SH)
    with pytest.raises(ValidationError, match="没有进行中的特别程序"):
        services.end_special(case, office.officer, now=at(16, 10))


# --- extension ---------------------------------------------------------------------------------------


def test_an_approved_extension_lengthens_the_limit(office):
    case = claimed(office)
    extension = services.request_extension(case, office.officer, days=2, reason="需现场核查", now=T0 + H)
    services.decide_extension(extension, office.lead, approve=True, now=T0 + 2 * H)
    case = fresh(case)
    assert case.due_at == dt.datetime(2026, 3, 17, 17, 30, tzinfo=SH) and case.extended_days == 2
    assert Extension.objects.get(pk=extension.pk).status == Extension.Status.APPROVED
    with pytest.raises(ValidationError, match="已延期一次"):
        services.request_extension(case, office.officer, days=1, reason="再延", now=T0 + 3 * H)


def test_extension_rules(office):
    case = claimed(office)
    for days in (0, 11, True):
        with pytest.raises(ValidationError) as err:
            services.request_extension(case, office.officer, days=days, reason="x", now=T0)
        assert "days" in err.value.message_dict
    ten = services.request_extension(case, office.officer, days=10, reason="需听证", now=T0)
    with pytest.raises(ValidationError, match="待审批"):
        services.request_extension(case, office.officer, days=1, reason="x", now=T0)
    with pytest.raises(PermissionDenied):  # an officer cannot approve
        services.decide_extension(ten, office.officer2, approve=True, now=T0)
    with pytest.raises(ValidationError) as err:  # a rejection says why
        services.decide_extension(ten, office.lead, approve=False, now=T0)
    assert "note" in err.value.message_dict
    services.decide_extension(ten, office.lead, approve=False, note="理由不充分", now=T0)
    assert fresh(case).due_at == DUE
    with pytest.raises(ValidationError, match="已审批"):
        services.decide_extension(ten, office.lead, approve=True, now=T0)


def test_the_requester_cannot_approve_their_own_extension(office):
    case = take_in(office.hall)
    services.claim(case, office.lead, now=T0)
    own = services.request_extension(case, office.lead, days=1, reason="需核查", now=T0)
    with pytest.raises(PermissionDenied, match="申请人以外"):
        services.decide_extension(own, office.lead, approve=True, now=T0)


def test_an_extension_while_paused_is_added_to_the_time_left(office):
    case = claimed(office)
    correct(case, office.officer, now=T0 + H)
    extension = services.request_extension(case, office.officer, days=1, reason="需核查", now=T0 + H)
    services.decide_extension(extension, office.lead, approve=True, now=T0 + H)
    assert fresh(case).left_us == 33 * caseclock.HOUR_US


# --- conclusion --------------------------------------------------------------------------------------


def test_approve_and_record_the_result(office):
    case = claimed(office)
    decision = services.conclude(case, office.officer, outcome="approved", certificate_number="JY001", now=at(12))
    case = fresh(case)
    assert (case.status, case.concluded_at, case.returned_at) == ("approved", at(12), at(12))
    assert decision.certificate_number == "JY001" and caseclock.level(case, at(30)) is None
    services.record_result(case, office.officer, certificate_number="JY002", now=at(12, 11))
    assert Decision.objects.get(case=case).certificate_number == "JY002"
    with pytest.raises(ValidationError, match="不能进行此操作"):
        services.conclude(case, office.officer, outcome="rejected", reasons="x", legal_basis="y", now=at(12, 12))


def test_record_result_only_after_conclusion(office):
    case = claimed(office)
    with pytest.raises(ValidationError, match="办结后"):
        services.record_result(case, office.officer, certificate_number="JY1")


def test_a_rejection_needs_reasons_and_legal_basis(office):
    case = claimed(office)
    with pytest.raises(ValidationError) as err:
        services.conclude(case, office.officer, outcome="rejected", now=at(12))
    assert "reasons" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        services.conclude(case, office.officer, outcome="rejected", reasons="不符合条件", now=at(12))
    assert "legal_basis" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        services.conclude(case, office.officer, outcome="maybe", now=at(12))
    assert "outcome" in err.value.message_dict
    services.conclude(
        case,
        office.officer,
        outcome="rejected",
        reasons="不符合条件",
        legal_basis="《食品经营许可管理办法》",
        now=at(12),
    )
    assert fresh(case).status == "rejected"


def test_no_approval_while_a_deferred_material_is_outstanding(office):
    case = deferred_elderly(office)
    services.claim(case, office.civil_officer, now=at(10, 16))
    with pytest.raises(ValidationError, match="容缺材料"):
        services.conclude(case, office.civil_officer, outcome="approved", now=at(11))
    case.submission.materials.filter(code="PLAN").update(supplied_at=at(11, 9))
    services.conclude(case, office.civil_officer, outcome="approved", now=at(11))
    case = fresh(case)
    assert case.status == "approved" and case.returned_at is None  # a delegated department brings it back
    services.return_results([case], office.civil_officer, now=at(12))
    assert fresh(case).returned_at == at(12)
    with pytest.raises(ValidationError, match="已送达"):
        services.return_results([case], office.civil_officer, now=at(12))


def test_results_are_returned_only_when_concluded(office):
    case = deferred_elderly(office)
    with pytest.raises(ValidationError, match="尚未办结"):
        services.return_results([case], office.civil_officer, now=at(12))
    with pytest.raises(ValidationError):
        services.return_results([], office.civil_officer, now=at(12))


def test_termination_by_an_officer_only_when_a_deferred_material_is_overdue(office):
    case = deferred_elderly(office)
    with pytest.raises(ValidationError, match="不能终止"):
        services.terminate_unsupplied(case, actor=office.civil_officer, now=at(13))
    services.terminate_unsupplied(case, actor=office.civil_officer, now=at(16))
    case = fresh(case)
    assert case.status == "terminated" and case.decision.outcome == "terminated"
    assert case.submission.applicant.deferral_blocked
    assert services.terminate_unsupplied(case, now=at(16)) is None  # the worker's second run changes nothing
