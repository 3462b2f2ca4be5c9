"""The staff page of a submission's messages."""

import pytest
from django.urls import reverse

from yichuang.core.models import AuditEvent
from yichuang.notifications import services
from yichuang.notifications.models import Message
from yichuang.notifications.tests.conftest import FlakyGateway
from yichuang.organisation.tests.factories import UserFactory

PHONE = "13812345678"


@pytest.fixture
def outbox(db, settings):
    settings.NOTIFICATION_MAX_ATTEMPTS = 1
    sent = services.notify(PHONE, Message.Kind.ACCEPTED, {"cases": 2}, submission="S20260101-0001")
    services.deliver_due(backend=FlakyGateway())
    failed = services.notify(
        PHONE, Message.Kind.MATERIAL_DUE, {"material": "章程", "due": "2026-01-20"}, submission="S20260101-0001"
    )
    services.deliver_due(backend=FlakyGateway(failures=None))
    other = services.notify("13900001111", Message.Kind.ACCEPTED, {"cases": 1}, submission="S20260101-0002")
    return sent, failed, other


def test_staff_see_status_and_attempts_with_the_phone_masked(client, outbox):
    sent, failed, _other = outbox
    client.force_login(UserFactory(window_clerk=True))
    response = client.get(reverse("notifications:submission", args=["S20260101-0001"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-message="{sent.pk}" data-status="sent"' in html
    assert f'data-message="{failed.pk}" data-status="failed"' in html
    assert "138****5678" in html and PHONE not in html
    assert "13900001111" not in html and "139****1111" not in html  # another submission's message
    assert "发送失败" in html and "gateway answered HTTP 503" in html


def test_anonymous_and_roleless_users_see_nothing(client, outbox):
    url = reverse("notifications:submission", args=["S20260101-0001"])
    assert client.get(url).status_code == 302
    client.force_login(UserFactory())
    assert client.get(url).status_code == 403


def test_staff_resend_a_failed_message(client, outbox):
    _sent, failed, _other = outbox
    clerk = UserFactory(window_clerk=True)
    client.force_login(clerk)
    response = client.post(reverse("notifications:retry", args=[failed.pk]))
    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.status == Message.Status.PENDING
    assert AuditEvent.objects.filter(action="notifications.retry", actor=clerk).exists()
    # Only a failed message can be sent again.
    client.post(reverse("notifications:retry", args=[failed.pk]))
    assert AuditEvent.objects.filter(action="notifications.retry").count() == 1


def test_the_template_tag_for_other_pages(outbox, rf):
    from django.template import Context, Template

    html = Template("{% load notifications %}{% submission_messages number %}").render(
        Context({"number": "S20260101-0002"})
    )
    assert "139****1111" in html and "待发送" in html


def test_admin_lists_messages_with_the_phone_masked(client, outbox):
    sent, _failed, _other = outbox
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    html = client.get(reverse("admin:notifications_message_changelist")).content.decode()
    assert "138****5678" in html and PHONE not in html
    html = client.get(reverse("admin:notifications_message_change", args=[sent.pk])).content.decode()
    assert "138****5678" in html and PHONE not in html
