"""The live hall's periodic job: raise and clear the manager's alerts (long waits, idle windows) every
`HALL_ALERT_SECONDS`, started by the task worker itself (yichuang.core.periodic). Bad ratings are alerted at
once by the rating itself."""

from yichuang.core import periodic

from . import services

ALERTS = "hall.alerts"


@periodic.job(ALERTS, period="HALL_ALERT_SECONDS", title="大厅提醒（等候过久、窗口空闲）")
def alerts() -> dict:
    return services.check_all()
