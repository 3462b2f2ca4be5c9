"""The reform plan's own tasks as supervised tasks (data/tasks.yaml), loaded by the demo (yichuang.demo).

`load_tasks()` upserts by code: the plan's text (title, units, completion date) is written every time, the
status only when a task is new, so that loading again never undoes progress recorded in the system. The lead
department is linked by name to `organisation.Department` (the first lead unit that names a department), so
that an order about the task goes to it.
"""

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import yaml
from django.db import transaction

from yichuang.organisation.models import Department

from .models import SupervisionTask

TASKS_PATH = Path(__file__).parent / "data" / "tasks.yaml"
# Completed tasks were done on their completion date, at the end of the working day (demo assumption).
DONE_AT = dt.time(17, 30)


@dataclass
class TaskLoad:
    created: int = 0
    updated: int = 0

    def __str__(self) -> str:
        return f"改革任务：新增 {self.created}，更新 {self.updated}"


def _department(lead_unit: str, departments: dict[str, int]) -> int | None:
    for name in lead_unit.replace("，", "、").split("、"):
        if name.strip() in departments:
            return departments[name.strip()]
    return None


@transaction.atomic
def load_tasks(path: Path = TASKS_PATH) -> TaskLoad:
    from django.utils import timezone

    with open(path, encoding="utf-8") as f:
        data = yaml.safe_load(f)
    departments = dict(Department.objects.values_list("name", "pk"))
    result = TaskLoad()
    for row in data["tasks"]:
        due = row.get("due")
        due_date = due if isinstance(due, dt.date) else None
        fields = {
            "title": row["title"],
            "source": row.get("source") or data.get("source", ""),
            "lead_unit": row["lead_unit"],
            "responsible_units": row.get("responsible_units") or "",
            "department_id": _department(row["lead_unit"], departments),
            "due_date": due_date,
            "due_text": "" if due_date else str(due or ""),
        }
        task = SupervisionTask.objects.filter(code=row["code"]).first()
        if task is None:
            status = row.get("status", SupervisionTask.Status.PENDING)
            completed = None
            if status == SupervisionTask.Status.DONE and due_date:
                completed = timezone.make_aware(dt.datetime.combine(due_date, DONE_AT))
            task = SupervisionTask(code=row["code"], status=status, completed_at=completed, **fields)
            task.full_clean()
            task.save()
            result.created += 1
        else:
            changed = [name for name, value in fields.items() if getattr(task, name) != value]
            if changed:
                for name in changed:
                    setattr(task, name, fields[name])
                task.full_clean()
                task.save(update_fields=changed)
                result.updated += 1
    return result
