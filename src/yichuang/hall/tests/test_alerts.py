"""The manager's alerts: each rule, each raised once (and its message once), cleared when over, acknowledged once."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from yichuang.core.models import AuditEvent, PeriodicJob
from yichuang.feedback import services as feedback
from yichuang.hall import services
from yichuang.hall.models import Alert, AlertRules
from yichuang.notifications.models import Message
from yichuang.organisation.models import Window
from yichuang.queue import services as queue

pytestmark = pytest.mark.django_db


def issue(zone, n):
    return [queue.issue_ticket(zone) for _ in range(n)]


def alerts(kind=None):
    rows = Alert.objects.order_by("id")
    return list(rows.filter(kind=kind) if kind else rows)


def messages():
    return list(Message.objects.filter(kind="hall_alert").order_by("id"))


# --- long waits ---------------------------------------------------------------------------------------


def test_long_wait_is_raised_once_with_an_idle_window_of_the_cold_zone(hall, clock):
    AlertRules.objects.create(wait_count=3, wait_minutes=20)
    issue(hall.a, 5)
    # Zone A's two windows take two; three wait on. Zone B's window 5 sits idle.
    clock(9, 5)
    for window in hall.windows[:2]:
        queue.call_next(window, hall.clerk_at(window))
    clock(9, 19)
    assert services.check(hall.site)["long_wait"] == 0  # 19 minutes: not yet
    clock(9, 20)
    assert services.check(hall.site)["long_wait"] == 1
    [alert] = alerts(Alert.Kind.LONG_WAIT)
    assert alert.zone == hall.a and alert.text == "综合受理区有 3 人等候超过 20 分钟（最长 20 分钟）。"
    assert alert.suggested_window == hall.windows[2]
    assert alert.suggestion.startswith("建议：不动产专区 5 号窗口（王员5，已空闲 20 分钟）协助叫综合受理区的号")
    # The manager's message, once.
    [message] = messages()
    assert message.recipient == "13800138000" and alert.text in message.body and "5 号窗口" in message.body
    # Checked again (another worker, a minute later): nothing new.
    clock(9, 27)
    assert services.check(hall.site)["long_wait"] == 0
    assert len(alerts(Alert.Kind.LONG_WAIT)) == 1 and len(messages()) == 1


def test_long_wait_counts_only_tickets_waiting_longer_than_m_minutes(hall, clock):
    AlertRules.objects.create(wait_count=3, wait_minutes=20)
    issue(hall.b, 2)
    clock(9, 10)
    issue(hall.b, 5)  # five more, but later
    clock(9, 25)  # two have waited 25 minutes, five 15
    services.check(hall.site)
    assert alerts(Alert.Kind.LONG_WAIT) == []
    clock(9, 30)  # now all seven have waited ≥ 20 minutes
    services.check(hall.site)
    [alert] = alerts(Alert.Kind.LONG_WAIT)
    assert alert.zone == hall.b and "7 人等候超过 20 分钟（最长 30 分钟）" in alert.text


def test_long_wait_clears_when_over_and_a_later_episode_is_a_new_alert(hall, clock):
    AlertRules.objects.create(wait_count=2, wait_minutes=10, idle_minutes=600)
    issue(hall.b, 2)
    clock(9, 15)
    services.check(hall.site)
    [first] = alerts(Alert.Kind.LONG_WAIT)
    window = hall.windows[2]
    ticket = queue.call_next(window, hall.clerk_at(window))  # one of two is called: the condition is over
    services.check(hall.site)
    first.refresh_from_db()
    assert first.cleared_at is not None
    queue.start_serving(ticket, hall.clerk_at(window))
    queue.finish(ticket, hall.clerk_at(window))
    issue(hall.b, 1)
    clock(9, 40)
    services.check(hall.site)
    assert [a.cleared_at is None for a in alerts(Alert.Kind.LONG_WAIT)] == [False, True]
    assert len(messages()) == 2


def test_without_an_idle_window_the_suggestion_is_a_closed_window_of_the_zone(hall, clock):
    AlertRules.objects.create(wait_count=1, wait_minutes=5)
    closed = Window.objects.create(zone=hall.b, number=6, name="不动产 6", kind=Window.Kind.INTAKE, is_open=False)
    for window in hall.windows[:2]:  # zone A's windows are busy; window 5 of B is the only one of B
        issue(hall.a, 1)
        queue.call_next(window, hall.clerk_at(window))
    issue(hall.b, 2)
    queue.call_next(hall.windows[2], hall.clerk_at(hall.windows[2]))
    clock(9, 10)
    services.check(hall.site)
    [alert] = alerts(Alert.Kind.LONG_WAIT)
    assert alert.zone == hall.b and alert.suggested_window == closed and "开放不动产专区 6 号窗口" in alert.suggestion


def test_two_checks_at_once_raise_one_alert(hall, clock):
    """The database holds "one open alert per condition": a second insert fails, whoever makes it."""
    AlertRules.objects.create(wait_count=1, wait_minutes=5)
    issue(hall.b, 1)
    clock(9, 10)
    services.check(hall.site)
    with pytest.raises(IntegrityError), transaction.atomic():
        Alert.objects.create(site=hall.site, kind=Alert.Kind.LONG_WAIT, key=f"long_wait:{hall.b.pk}", text="x")
    assert services._raise(
        hall.site, AlertRules.for_site(hall.site), kind=Alert.Kind.LONG_WAIT, key=f"long_wait:{hall.b.pk}",
        text="again", now=None,
    ) is None  # fmt: skip
    assert len(alerts()) == 1 and len(messages()) == 1


# --- idle windows -------------------------------------------------------------------------------------


def test_an_idle_window_is_alerted_after_idle_minutes_during_opening_hours_once(hall, clock):
    AlertRules.objects.create(idle_minutes=30, wait_count=50)
    window = hall.windows[0]
    issue(hall.a, 1)
    clock(9, 20)
    ticket = queue.call_next(window, hall.clerk_at(window))
    queue.start_serving(ticket, hall.clerk_at(window))
    queue.finish(ticket, hall.clerk_at(window))
    clock(9, 45)  # window 1 last called at 9:20; windows 2 and 5 idle since the clerks sat down at 9:00
    services.check(hall.site)
    assert sorted(a.window.number for a in alerts(Alert.Kind.IDLE_WINDOW)) == [2, 5]
    clock(9, 51)
    services.check(hall.site)
    assert sorted(a.window.number for a in alerts(Alert.Kind.IDLE_WINDOW)) == [1, 2, 5]
    assert "1 号窗口（王员1）已 31 分钟没有叫号" in alerts(Alert.Kind.IDLE_WINDOW)[-1].text
    services.check(hall.site)
    assert len(alerts(Alert.Kind.IDLE_WINDOW)) == 3 and len(messages()) == 3
    # Window 2 calls: its alert clears; the others stay open.
    issue(hall.a, 1)
    queue.call_next(hall.windows[1], hall.clerk_at(hall.windows[1]))
    services.check(hall.site)
    open_ones = Alert.objects.filter(kind=Alert.Kind.IDLE_WINDOW, cleared_at__isnull=True)
    assert sorted(a.window.number for a in open_ones) == [1, 5]


def test_no_idle_alert_outside_opening_hours(hall, clock):
    AlertRules.objects.create(idle_minutes=10)
    clock(12, 40)  # the lunch break (12:00–13:30 in the factory's hours)
    services.check(hall.site)
    assert alerts(Alert.Kind.IDLE_WINDOW) == []
    clock(13, 45)
    services.check(hall.site)
    assert len(alerts(Alert.Kind.IDLE_WINDOW)) == 3


# --- bad ratings --------------------------------------------------------------------------------------


def served_ticket(hall, window):
    queue.issue_ticket(window.zone)
    ticket = queue.call_next(window, hall.clerk_at(window))
    queue.start_serving(ticket, hall.clerk_at(window))
    return queue.finish(ticket, hall.clerk_at(window))


def test_a_bad_rating_is_alerted_at_once_in_its_own_transaction(hall, clock):
    ticket = served_ticket(hall, hall.windows[2])
    evaluation = feedback.rate(
        level=1, channel="pad", ticket=ticket, comment="等了很久，电话 13912345678", window=hall.windows[2]
    )
    [alert] = alerts()
    assert alert.kind == Alert.Kind.BAD_RATING and alert.evaluation == evaluation
    assert "5 号窗口（王员5）" in alert.text and "13912345678" not in alert.text and "139****5678" in alert.text
    [message] = messages()
    assert message.recipient == "13800138000"
    # A good rating raises nothing; a second bad rating is a second alert.
    feedback.rate(level=5, channel="pad", ticket=served_ticket(hall, hall.windows[0]), window=hall.windows[0])
    feedback.rate(level=2, channel="pad", ticket=served_ticket(hall, hall.windows[1]), window=hall.windows[1])
    assert [a.kind for a in alerts()] == [Alert.Kind.BAD_RATING] * 2
    # The worker's check does not clear bad ratings.
    services.check(hall.site)
    assert Alert.objects.filter(cleared_at__isnull=False).count() == 0


def test_a_refused_rating_leaves_no_alert(hall, clock):
    ticket = served_ticket(hall, hall.windows[2])
    feedback.rate(level=1, channel="pad", ticket=ticket, window=hall.windows[2])
    with pytest.raises(ValidationError):  # the same ticket on the same channel again
        feedback.rate(level=1, channel="pad", ticket=ticket, window=hall.windows[2])
    assert len(alerts()) == 1 and len(messages()) == 1


def test_rules_switch_bad_rating_alerts_and_messages_off(hall, clock):
    AlertRules.objects.create(site=hall.site, bad_rating=False)
    feedback.rate(level=1, channel="pad", ticket=served_ticket(hall, hall.windows[2]), window=hall.windows[2])
    assert alerts() == []
    AlertRules.objects.filter(site=hall.site).update(bad_rating=True, message=False)
    feedback.rate(level=1, channel="pad", ticket=served_ticket(hall, hall.windows[0]), window=hall.windows[0])
    assert len(alerts()) == 1 and messages() == []


def test_a_sites_own_rules_win_over_the_rules_for_every_site(hall):
    AlertRules.objects.create(wait_count=9)
    assert AlertRules.for_site(hall.site).wait_count == 9
    AlertRules.objects.create(site=hall.site, wait_count=4)
    assert AlertRules.for_site(hall.site).wait_count == 4
    assert AlertRules.for_site(type(hall.site).objects.create(code="other", name="乡镇")).wait_count == 9


def test_managers_of_another_site_get_no_message(hall, clock):
    from yichuang.organisation.tests.factories import SiteFactory, UserFactory

    UserFactory(hall_admin=True, phone="13700137000", site=SiteFactory(code="town"))
    UserFactory(hall_admin=True, phone="13600136000", site=None)  # the county's: every site
    assert services.managers_phones(hall.site) == ["13600136000", "13800138000"]


# --- acknowledging, the worker ------------------------------------------------------------------------


def test_acknowledged_once_audited_first_one_kept(hall, clock):
    feedback.rate(level=1, channel="pad", ticket=served_ticket(hall, hall.windows[2]), window=hall.windows[2])
    [alert] = alerts()
    clock(9, 30)
    services.acknowledge(alert, hall.manager)
    clock(9, 31)
    services.acknowledge(alert, hall.supervisor)
    alert.refresh_from_db()
    assert alert.acknowledged_by == hall.manager and alert.acknowledged_at.minute == 30
    assert AuditEvent.objects.filter(action="hall.alert_acknowledged").count() == 1


def test_the_periodic_job_is_declared_and_one_failing_site_does_not_stop_the_others(hall, clock, monkeypatch):
    from yichuang.core import periodic
    from yichuang.hall import tasks

    assert periodic.get(tasks.ALERTS).func is tasks.alerts
    AlertRules.objects.create(wait_count=1, wait_minutes=5)
    other = type(hall.site).objects.create(code="broken", name="坏的")
    issue(hall.b, 1)
    clock(9, 10)
    real = services.check

    def check(site, **kwargs):
        if site == other:
            raise RuntimeError("boom")
        return real(site, **kwargs)

    monkeypatch.setattr(services, "check", check)
    with pytest.raises(RuntimeError, match="1 site"):
        services.check_all()
    assert len(alerts(Alert.Kind.LONG_WAIT)) == 1  # the good site's alert was raised all the same
    assert PeriodicJob.objects.count() >= 0
