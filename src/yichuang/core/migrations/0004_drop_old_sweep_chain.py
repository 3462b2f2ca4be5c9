"""The back-office sweep used to be a task that enqueued its next run; it is a periodic job now (core.periodic).
A run of the old chain still waiting in the task table would fail in the worker (its path is no task any more):
it is removed."""

from django.db import migrations

OLD_SWEEP_TASK = "yichuang.backoffice.tasks.backoffice_sweep"


def drop_waiting_sweeps(apps, schema_editor):
    DBTaskResult = apps.get_model("django_tasks_database", "DBTaskResult")
    DBTaskResult.objects.filter(task_path=OLD_SWEEP_TASK, status="READY").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_periodic_jobs"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [migrations.RunPython(drop_waiting_sweeps, migrations.RunPython.noop)]
