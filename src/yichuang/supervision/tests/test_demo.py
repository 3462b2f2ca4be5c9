"""The reform plan's tasks: loaded from data/tasks.yaml, linked to the demo departments, loaded again unchanged."""

import datetime as dt

import yaml

from yichuang.organisation.tests.factories import DepartmentFactory
from yichuang.supervision.demo import TASKS_PATH, load_tasks
from yichuang.supervision.models import SupervisionTask


def test_plan_tasks_load_once_and_link_departments(db):
    land = DepartmentFactory(code="natural_resources", name="县自然资源局")
    police = DepartmentFactory(code="police", name="县公安局")
    data = yaml.safe_load(TASKS_PATH.read_text(encoding="utf-8"))

    first = load_tasks()
    assert first.created == len(data["tasks"]) == SupervisionTask.objects.count() >= 17
    task = SupervisionTask.objects.get(code="16-4-1-1")
    assert task.lead_unit == "县自然资源局" and task.department == land and task.responsible_units == "县税务局"
    assert task.due_date == dt.date(2022, 8, 25) and task.status == "done" and task.completed_at is not None
    assert task.source == "沈“放管服”办〔2022〕16号"
    assert SupervisionTask.objects.get(code="16-4-4-1").department == police  # first of several lead units
    assert SupervisionTask.objects.get(code="16-5-1").due_date == dt.date(2022, 8, 18)
    ongoing = SupervisionTask.objects.get(code="16-5-4")
    assert ongoing.due_date is None and ongoing.due_text == "持续推进" and ongoing.status == "ongoing"
    dates = {t.due_date for t in SupervisionTask.objects.exclude(due_date=None)}
    assert min(dates) == dt.date(2022, 8, 18) and max(dates) == dt.date(2022, 8, 25)
    assert SupervisionTask.objects.filter(status="done").count() > SupervisionTask.objects.count() / 2

    # Loading again changes nothing, and keeps a status recorded since.
    SupervisionTask.objects.filter(code="16-5-1").update(status="done")
    again = load_tasks()
    assert (again.created, again.updated) == (0, 0)
    assert SupervisionTask.objects.count() == first.created
    assert SupervisionTask.objects.get(code="16-5-1").status == "done"


def test_plan_tasks_link_to_the_demo_hall_departments(db):
    from yichuang.demo.hall import Tally, load_hall, read_hall

    load_hall(read_hall(), Tally())
    load_tasks()
    linked = {t.code: t.department.name for t in SupervisionTask.objects.exclude(department=None)}
    assert linked["16-4-1-2"] == "县城管局"
    assert linked["16-4-2-1"] == "县住建局"
    assert linked["16-4-5-1"] == "县政务服务和大数据管理局"
    unlinked = set(SupervisionTask.objects.filter(department=None).values_list("lead_unit", flat=True))
    assert unlinked == {"各牵头责任单位", "各进驻职能部门", "各相关职能部门", "各审批服务区域主体责任单位"}
