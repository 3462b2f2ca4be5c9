"""通知方式: the signed-in person sets their addresses and preferred channel (notifications.Contact)."""

import pytest
from django.core import mail
from django.urls import reverse

from yichuang.core.models import AuditEvent
from yichuang.notifications import services as notifications
from yichuang.notifications.models import Channel, Contact, Message

from .conftest import PHONE

EMAIL = "li.si@example.com"


@pytest.fixture
def channels(settings):
    settings.NOTIFICATION_EMAIL_BACKEND = "yichuang.notifications.backends.EmailBackend"
    settings.NOTIFICATION_WECHAT_BACKEND = "yichuang.notifications.backends.WechatBackend"
    settings.NOTIFICATION_WECHAT_TEMPLATES = {"*": "TPL"}
    return settings


def test_only_for_a_signed_in_person(client, hall):
    response = client.get(reverse("portal:notify"))
    assert response.status_code == 302 and response["Location"].startswith("/portal/?next=")


def test_choosing_e_mail(applicant, channels):
    page = applicant.get(reverse("portal:notify"))
    html = page.content.decode()
    assert page.status_code == 200 and "通知方式" in html and "139****5678" in html and PHONE not in html
    assert 'value="email"' in html and 'value="wechat"' in html
    response = applicant.post(reverse("portal:notify"), {"preferred": "email", "email": EMAIL})
    assert response.status_code == 302
    contact = Contact.objects.get(phone=PHONE)
    assert (contact.preferred, contact.email) == (Channel.EMAIL, EMAIL)
    html = applicant.get(reverse("portal:notify")).content.decode()
    assert "通知方式已保存" in html and "l***@example.com" in html and EMAIL not in html
    event = AuditEvent.objects.get(action="notifications.contact")
    assert event.ip is not None and EMAIL not in f"{event.summary} {event.detail}"
    # What is told from now on goes by e-mail.
    notifications.notify(PHONE, Message.Kind.ACCEPTED, {"cases": 1})
    notifications.deliver_due()
    assert [m.to for m in mail.outbox] == [[EMAIL]]


def test_keeping_and_removing_an_address(applicant, channels):
    applicant.post(reverse("portal:notify"), {"preferred": "email", "email": EMAIL})
    applicant.post(reverse("portal:notify"), {"preferred": "email", "email": ""})  # empty: kept
    assert Contact.objects.get(phone=PHONE).email == EMAIL
    response = applicant.post(reverse("portal:notify"), {"preferred": "email", "clear_email": "on"})
    assert response.status_code == 200 and "请先填写电子邮件的接收地址" in response.content.decode()
    assert Contact.objects.get(phone=PHONE).email == EMAIL  # nothing changed
    applicant.post(reverse("portal:notify"), {"preferred": "sms", "clear_email": "on"})
    contact = Contact.objects.get(phone=PHONE)
    assert (contact.preferred, contact.email) == (Channel.SMS, "")


def test_bad_addresses_are_refused(applicant, channels):
    response = applicant.post(reverse("portal:notify"), {"preferred": "email", "email": "li.si"})
    assert response.status_code == 200 and not Contact.objects.exists()
    response = applicant.post(reverse("portal:notify"), {"preferred": "wechat", "wechat_openid": "<script>"})
    assert "请输入正确的微信 OpenID" in response.content.decode() and not Contact.objects.exists()


def test_channels_that_are_off_are_not_offered(applicant, settings):
    settings.NOTIFICATION_EMAIL_BACKEND = ""
    settings.NOTIFICATION_WECHAT_BACKEND = ""
    html = applicant.get(reverse("portal:notify")).content.decode()
    assert 'value="sms"' in html and 'value="email"' not in html and "微信 OpenID" not in html
    response = applicant.post(reverse("portal:notify"), {"preferred": "email", "email": EMAIL})
    assert response.status_code == 200 and not Contact.objects.exists()
