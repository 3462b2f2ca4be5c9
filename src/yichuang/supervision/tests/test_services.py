"""Every transition of an order and who may take it; the ledger keeps every step; tasks' status."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from yichuang.core.models import AuditEvent
from yichuang.supervision import services
from yichuang.supervision.models import Order, OrderEvent, SupervisionTask

from .conftest import NOW, take_in

DUE = NOW + dt.timedelta(days=2)


def _issue(office, case, level="blue", **kw):
    return services.issue_order(
        office.supervisor,
        case=case,
        level=level,
        instruction="请说明超期原因并尽快办结。",
        reply_due=DUE,
        now=NOW,
        **kw,
    )


def test_full_life_of_an_order_keeps_every_step(office, cases):
    order = _issue(office, cases.red)
    assert order.number == "DB-2026-0001"
    assert order.department == office.hall.samr and order.status == "open" and order.level == "blue"

    services.reply(order, office.officer, "已安排专人办理，今日办结。", now=NOW + dt.timedelta(hours=1))
    order.refresh_from_db()
    assert order.status == "replied"

    services.escalate(
        order, office.supervisor, "仍未办结。", NOW + dt.timedelta(days=3), now=NOW + dt.timedelta(days=1)
    )
    order.refresh_from_db()
    assert order.level == "orange" and order.status == "open"
    assert order.reply_due == NOW + dt.timedelta(days=3)

    services.reply(order, office.lead, "已办结。", now=NOW + dt.timedelta(days=1, hours=2))
    services.escalate(order, office.supervisor, "问责。", NOW + dt.timedelta(days=4), now=NOW + dt.timedelta(days=2))
    order.refresh_from_db()
    assert order.level == "red"
    with pytest.raises(ValidationError) as exc:
        services.escalate(
            order, office.supervisor, "再升级", NOW + dt.timedelta(days=5), now=NOW + dt.timedelta(days=2)
        )
    assert "level" in exc.value.message_dict

    services.close(order, office.supervisor, "已整改到位。", now=NOW + dt.timedelta(days=3))
    order.refresh_from_db()
    assert order.status == "closed" and order.closed_at == NOW + dt.timedelta(days=3)
    with pytest.raises(ValidationError):
        services.close(order, office.supervisor, "again", now=NOW + dt.timedelta(days=3))
    with pytest.raises(ValidationError):
        services.reply(order, office.officer, "late", now=NOW + dt.timedelta(days=3))
    with pytest.raises(ValidationError):
        services.escalate(order, office.supervisor, "x", NOW + dt.timedelta(days=9), now=NOW + dt.timedelta(days=3))

    kinds = list(order.events.values_list("kind", "level"))
    assert kinds == [
        ("issued", "blue"),
        ("replied", "blue"),
        ("escalated", "orange"),
        ("replied", "orange"),
        ("escalated", "red"),
        ("closed", "red"),
    ]
    actions = list(
        AuditEvent.objects.filter(object_type="supervision.order", object_id=str(order.pk)).values_list(
            "action", flat=True
        )
    )
    assert sorted(actions) == sorted(
        ["supervision.issue", "supervision.reply", "supervision.escalate"] * 1
        + ["supervision.reply", "supervision.escalate", "supervision.close"]
    )


def test_only_supervisors_issue_escalate_and_close(office, cases):
    hall = office.hall
    for user in (office.officer, office.lead, hall.admin, hall.general_clerk):
        with pytest.raises(PermissionDenied):
            _issue_as(user, cases.red)
    order = _issue(office, cases.red)
    for user in (office.officer, office.lead, hall.admin):
        with pytest.raises(PermissionDenied):
            services.escalate(order, user, "x", DUE, now=NOW)
        with pytest.raises(PermissionDenied):
            services.close(order, user, "x", now=NOW)
    assert Order.objects.count() == 1 and OrderEvent.objects.count() == 1


def _issue_as(user, case):
    return services.issue_order(user, case=case, level="blue", instruction="x", reply_due=DUE, now=NOW)


def test_only_the_department_replies(office, cases):
    order = _issue(office, cases.red)
    for user in (office.tax_officer, office.civil_officer, office.supervisor, office.hall.admin):
        with pytest.raises(PermissionDenied):
            services.reply(order, user, "答复", now=NOW)
    order.refresh_from_db()
    assert order.status == "open" and order.events.count() == 1
    services.reply(order, office.officer2, "答复", now=NOW)
    with pytest.raises(ValidationError):  # replied already: waits for the supervisor
        services.reply(order, office.officer, "再答复", now=NOW)


def test_a_serious_case_starts_at_orange_or_red(office, cases):
    assert _issue(office, cases.red, level="red").level == "red"
    assert _issue(office, cases.yellow, level="orange").number == "DB-2026-0002"


def test_issue_checks_every_field_at_once(office, cases):
    with pytest.raises(ValidationError) as exc:
        services.issue_order(
            office.supervisor, case=cases.red, level="purple", instruction=" ", reply_due=NOW - dt.timedelta(1), now=NOW
        )
    assert set(exc.value.message_dict) == {"level", "instruction", "reply_due"}
    with pytest.raises(ValidationError) as exc:
        services.issue_order(office.supervisor, level="blue", instruction="x", reply_due=DUE, now=NOW)
    assert "case" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        _issue(office, cases.concluded)
    assert "case" in exc.value.message_dict
    assert not Order.objects.exists()
    # A refused order used no number.
    assert _issue(office, cases.red).number == "DB-2026-0001"


def test_escalate_needs_a_reason_and_a_future_deadline(office, cases):
    order = _issue(office, cases.red)
    with pytest.raises(ValidationError) as exc:
        services.escalate(order, office.supervisor, "", NOW - dt.timedelta(hours=1), now=NOW)
    assert set(exc.value.message_dict) == {"text", "reply_due"}
    order.refresh_from_db()
    assert order.level == "blue"


def test_order_on_a_task_goes_to_its_lead_department(office):
    task = SupervisionTask.objects.create(
        code="T-1", title="推行综合受理模式", lead_unit="县市场监督管理局", department=office.hall.samr
    )
    order = services.issue_order(
        office.supervisor, task=task, level="blue", instruction="请报送进展。", reply_due=DUE, now=NOW
    )
    assert order.department == office.hall.samr and order.case is None
    orphan = SupervisionTask.objects.create(code="T-2", title="x", lead_unit="各相关职能部门")
    with pytest.raises(ValidationError) as exc:
        services.issue_order(office.supervisor, task=orphan, level="blue", instruction="x", reply_due=DUE, now=NOW)
    assert "task" in exc.value.message_dict


def test_task_status_by_supervisor_or_hall_admin(office):
    task = SupervisionTask.objects.create(code="T-1", title="x", lead_unit="县市场监督管理局")
    with pytest.raises(PermissionDenied):
        services.set_task_status(task, office.officer, "done")
    services.set_task_status(task, office.supervisor, "done", now=NOW)
    task.refresh_from_db()
    assert task.status == "done" and task.completed_at == NOW
    services.set_task_status(task, office.hall.admin, "ongoing", now=NOW)
    task.refresh_from_db()
    assert task.status == "ongoing" and task.completed_at is None
    with pytest.raises(ValidationError):
        services.set_task_status(task, office.supervisor, "nonsense")
    assert AuditEvent.objects.filter(action="supervision.task_status").count() == 2


def test_numbers_continue_across_orders(office):
    case = take_in(office.hall, now=NOW)
    numbers = [_issue(office, case).number for _ in range(3)]
    assert numbers == ["DB-2026-0001", "DB-2026-0002", "DB-2026-0003"]
