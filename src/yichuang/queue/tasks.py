"""The queue's periodic job: appointment reminders (the day before, and an hour before), every
`APPOINTMENT_REMINDER_SECONDS`, started by the task worker itself (yichuang.core.periodic)."""

from yichuang.core import periodic

from . import services

REMINDERS = "queue.appointment_reminders"


@periodic.job(REMINDERS, period="APPOINTMENT_REMINDER_SECONDS", title="预约提醒（前一天、一小时前）")
def appointment_reminders() -> dict:
    return services.remind_appointments()
