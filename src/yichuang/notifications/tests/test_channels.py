"""Channels: a person's contact and preferred channel, e-mail through Django's mailers, the production check."""

import logging
import threading

import pytest
from django.core import checks, mail
from django.core.exceptions import ValidationError
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from yichuang.core.models import AuditEvent
from yichuang.notifications import services
from yichuang.notifications.checks import console_in_deployment, notification_backend
from yichuang.notifications.models import Channel, Contact, Message

PHONE = "13812345678"
EMAIL = "zhang.san@example.com"
OPENID = "oABCDEFGHIJKLMNOPQRSTUVWXYZ1"
EMAIL_ON = "yichuang.notifications.backends.EmailBackend"
WECHAT_ON = "yichuang.notifications.backends.WechatBackend"


@pytest.fixture
def channels(settings):
    """E-mail and WeChat on (WeChat with a template for "accepted" only)."""
    settings.NOTIFICATION_EMAIL_BACKEND = EMAIL_ON
    settings.NOTIFICATION_WECHAT_BACKEND = WECHAT_ON
    settings.NOTIFICATION_WECHAT_TEMPLATES = {"accepted": "TPL-ACCEPTED"}
    settings.DEFAULT_FROM_EMAIL = "大厅 <noreply@hall.example.cn>"
    return settings


class BrokenMailer(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise ConnectionRefusedError(111, "Connection refused")


# --- resolving the channel when the message is stored ---------------------------------------------------


def test_without_a_contact_a_message_goes_by_sms_to_the_phone(db, channels):
    message = services.notify("+86 138-1234-5678", Message.Kind.ACCEPTED, {"cases": 1})
    assert (message.recipient, message.channel, message.address) == (PHONE, Channel.SMS, PHONE)


def test_the_preferred_channel_with_its_address(db, channels):
    Contact.objects.create(phone=PHONE, email=EMAIL, wechat_openid=OPENID, preferred=Channel.EMAIL)
    message = services.notify(PHONE, Message.Kind.ACCEPTED, {"cases": 1})
    assert (message.recipient, message.channel, message.address) == (PHONE, Channel.EMAIL, EMAIL)
    Contact.objects.filter(phone=PHONE).update(preferred=Channel.WECHAT)
    message = services.notify(PHONE, Message.Kind.ACCEPTED, {"cases": 1})
    assert (message.channel, message.address) == (Channel.WECHAT, OPENID)


def test_falls_back_to_sms(db, channels):
    contact = Contact.objects.create(phone=PHONE, preferred=Channel.EMAIL)  # no address for it
    assert services.notify(PHONE, Message.Kind.ACCEPTED, {"cases": 1}).channel == Channel.SMS
    contact.email, contact.wechat_openid = EMAIL, OPENID
    contact.save()
    # A sign-in code proves the phone: always SMS.
    code = services.notify(PHONE, Message.Kind.SIGN_IN_CODE, {"code": "123456"})
    assert (code.channel, code.address) == (Channel.SMS, PHONE)
    # WeChat without a template for the kind.
    Contact.objects.filter(phone=PHONE).update(preferred=Channel.WECHAT)
    assert services.notify(PHONE, Message.Kind.REFUSED, {"reasons": "x"}).channel == Channel.SMS
    # The channel is off.
    channels.NOTIFICATION_WECHAT_BACKEND = ""
    assert services.notify(PHONE, Message.Kind.ACCEPTED, {"cases": 1}).channel == Channel.SMS


def test_a_message_whose_channel_was_turned_off_goes_by_sms(db, channels, caplog):
    Contact.objects.create(phone=PHONE, email=EMAIL, preferred=Channel.EMAIL)
    message = services.notify(PHONE, Message.Kind.ACCEPTED, {"cases": 1})
    channels.NOTIFICATION_EMAIL_BACKEND = ""
    caplog.set_level(logging.INFO, logger="yichuang.notifications")
    assert services.deliver_due().sent == 1
    message.refresh_from_db()
    assert (message.status, message.channel, message.address) == (Message.Status.SENT, Channel.SMS, PHONE)
    assert "138****5678 by sms" in caplog.text and PHONE not in caplog.text
    assert not mail.outbox


# --- e-mail ----------------------------------------------------------------------------------------


def test_e_mail_through_djangos_mailer(db, channels, caplog):
    caplog.set_level(logging.DEBUG)
    Contact.objects.create(phone=PHONE, email=EMAIL, preferred=Channel.EMAIL)
    message = services.notify(PHONE, Message.Kind.ACCEPTED, {"cases": 2}, submission="S20260101-0003")
    assert services.deliver_due().sent == 1
    [email] = mail.outbox
    assert email.to == [EMAIL] and email.subject == message.subject
    assert "S20260101-0003" in email.body and "共 2 件办件" in email.body
    assert email.from_email == "大厅 <noreply@hall.example.cn>"
    assert email.extra_headers["Message-ID"] == f"<yichuang-message-{message.pk}@hall.example.cn>"
    message.refresh_from_db()
    assert message.status == Message.Status.SENT and message.attempts == 1
    assert EMAIL not in caplog.text


def test_a_mail_server_that_refuses_is_retried(db, channels):
    channels.MAILERS = {"default": {"BACKEND": f"{__name__}.BrokenMailer"}}
    Contact.objects.create(phone=PHONE, email=EMAIL, preferred=Channel.EMAIL)
    message = services.notify(PHONE, Message.Kind.ACCEPTED, {"cases": 1})
    assert services.deliver_due().retrying == 1
    message.refresh_from_db()
    assert message.status == Message.Status.PENDING
    assert message.last_error == "mail server did not take the message: ConnectionRefusedError"
    channels.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    assert services.deliver_due(now=message.next_attempt_at).sent == 1
    assert len(mail.outbox) == 1


# --- the person's contact --------------------------------------------------------------------------


def test_set_contact_keeps_removes_and_audits_without_personal_data(db, channels):
    contact = services.set_contact(PHONE, preferred=Channel.EMAIL, email=EMAIL, wechat_openid=OPENID)
    assert (contact.email, contact.wechat_openid, contact.preferred) == (EMAIL, OPENID, Channel.EMAIL)
    contact = services.set_contact(PHONE, preferred=Channel.WECHAT, email=None, wechat_openid=None)  # None keeps
    assert (contact.email, contact.wechat_openid) == (EMAIL, OPENID)
    contact = services.set_contact(PHONE, preferred=Channel.SMS, email="", wechat_openid=None)  # "" removes
    assert (contact.email, contact.wechat_openid, contact.preferred) == ("", OPENID, Channel.SMS)
    events = AuditEvent.objects.filter(action="notifications.contact", object_id=str(contact.pk))
    assert events.count() == 3
    for event in events:
        text = f"{event.summary} {event.detail}"
        assert EMAIL not in text and OPENID not in text and PHONE not in text
    assert events.order_by("id").first().detail["email"] == "z***@example.com"
    assert events.order_by("id").first().detail["wechat"] == "oABC****XYZ1"


def test_set_contact_refuses(db, channels):
    with pytest.raises(Exception) as problem:
        services.set_contact(PHONE, preferred=Channel.EMAIL)
    assert "preferred" in problem.value.message_dict
    with pytest.raises(Exception) as problem:
        services.set_contact(PHONE, preferred=Channel.EMAIL, email="not-an-address")
    assert "email" in problem.value.message_dict
    with pytest.raises(Exception) as problem:
        services.set_contact(PHONE, preferred=Channel.WECHAT, wechat_openid="bad id!")
    assert "wechat_openid" in problem.value.message_dict
    channels.NOTIFICATION_EMAIL_BACKEND = ""
    with pytest.raises(Exception) as problem:
        services.set_contact(PHONE, preferred=Channel.EMAIL, email=EMAIL)
    assert problem.value.message_dict["preferred"] == ["暂不支持这种通知方式。"]
    assert not Contact.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_first_saves_at_once_both_succeed(channels, monkeypatch):
    """A person saves their channel twice at once (two tabs, a double submit) before any contact exists: no row to
    lock, so both would insert. Each waits for the other between its read and its write (when the other can get
    there), as the unlucky interleaving does; both saves succeed and one contact remains."""
    from django.db import connection

    if connection.vendor == "sqlite":
        pytest.skip("SQLite runs one writing transaction at a time (IMMEDIATE); the race needs PostgreSQL's threads")
    both_read = threading.Barrier(2, timeout=2)
    full_clean = Contact.full_clean

    def meet_then_clean(self, *args, **kwargs):
        try:
            both_read.wait()  # without a row lock, both get here before either writes
        except threading.BrokenBarrierError:
            pass  # the other save is waiting for this one's row: go on
        return full_clean(self, *args, **kwargs)

    monkeypatch.setattr(Contact, "full_clean", meet_then_clean)
    errors: list[str] = []

    def save(address):
        try:
            services.set_contact(PHONE, preferred=Channel.EMAIL, email=address)
        except BaseException as exc:
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(f"user{n}@example.com",)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    [contact] = Contact.objects.filter(phone=PHONE)
    assert contact.email in ("user1@example.com", "user2@example.com") and contact.preferred == Channel.EMAIL
    assert AuditEvent.objects.filter(action="notifications.contact").count() == 2


def test_a_refused_first_save_leaves_no_contact(db, channels):
    services.set_contact(PHONE[:-1] + "0", preferred=Channel.SMS)  # another person's contact, saved
    with pytest.raises(ValidationError):
        services.set_contact(PHONE, preferred=Channel.EMAIL, email="not-an-address")
    assert list(Contact.objects.values_list("phone", flat=True)) == [PHONE[:-1] + "0"]
    assert services.contact_for(PHONE).pk is None


# --- the production check --------------------------------------------------------------------------


def ids(errors):
    return [e.id for e in errors]


def test_production_refuses_the_console_channel(db, settings):
    settings.DEBUG = False
    settings.NOTIFICATION_CONSOLE_ALLOWED = False  # as in production (the suite itself runs as a demonstration)
    settings.NOTIFICATION_BACKEND = "yichuang.notifications.backends.ConsoleBackend"
    assert ids(notification_backend(None)) == ["notifications.E004"]
    assert all(e.level == checks.ERROR for e in notification_backend(None))
    # As `yichuang check --deploy` (and every management command's own check, the worker's included) runs it.
    with pytest.raises(SystemCheckError, match="notifications.E004"):
        call_command("check", deploy=True)
    with pytest.raises(SystemCheckError, match="notifications.E004"):
        call_command("check")
    settings.DEBUG = True
    assert notification_backend(None) == []


def test_every_active_channel_is_checked(settings):
    settings.DEBUG = False
    settings.NOTIFICATION_CONSOLE_ALLOWED = False
    settings.NOTIFICATION_BACKEND = "yichuang.notifications.backends.WebhookBackend"
    settings.NOTIFICATION_WEBHOOK_URL = "https://sms.example.cn/send"
    settings.NOTIFICATION_EMAIL_BACKEND = "yichuang.notifications.backends.ConsoleBackend"
    assert ids(notification_backend(None)) == ["notifications.E004"]
    settings.NOTIFICATION_EMAIL_BACKEND = EMAIL_ON
    settings.NOTIFICATION_WECHAT_BACKEND = WECHAT_ON
    settings.NOTIFICATION_WECHAT_TEMPLATES = {}
    settings.NOTIFICATION_WECHAT_TOKEN_URL = ""
    [error] = notification_backend(None)
    assert error.id == "notifications.E007" and "NOTIFICATION_WECHAT_TOKEN_URL" in error.msg
    settings.NOTIFICATION_WECHAT_TEMPLATES = {"*": "TPL"}
    settings.NOTIFICATION_WECHAT_TOKEN_URL = "https://api.weixin.example/cgi-bin/token"
    settings.NOTIFICATION_WECHAT_SEND_URL = "https://api.weixin.example/cgi-bin/message/template/send"
    settings.NOTIFICATION_WECHAT_APP_ID, settings.NOTIFICATION_WECHAT_APP_SECRET = "wx123", "s3cret"
    assert notification_backend(None) == []
    settings.NOTIFICATION_WECHAT_ADAPTER = "yichuang.notifications.wechat.NoSuchAdapter"
    assert ids(notification_backend(None)) == ["notifications.E006"]


def test_a_demonstration_may_allow_the_console_but_deploy_still_refuses(db, settings):
    settings.DEBUG = False
    settings.NOTIFICATION_BACKEND = "yichuang.notifications.backends.ConsoleBackend"
    settings.NOTIFICATION_CONSOLE_ALLOWED = True
    assert notification_backend(None) == []
    assert ids(console_in_deployment(None)) == ["notifications.E008"]
    with pytest.raises(SystemCheckError, match="notifications.E008"):
        call_command("check", deploy=True)
    call_command("check")  # `make demo` runs migrate and the worker: they start


def test_the_console_logs_every_channel_masked(db, channels, caplog):
    channels.NOTIFICATION_EMAIL_BACKEND = "yichuang.notifications.backends.ConsoleBackend"
    channels.NOTIFICATION_WECHAT_BACKEND = "yichuang.notifications.backends.ConsoleBackend"
    Contact.objects.create(phone=PHONE, email=EMAIL, wechat_openid=OPENID, preferred=Channel.EMAIL)
    caplog.set_level(logging.INFO, logger="yichuang.notifications")
    services.notify(PHONE, Message.Kind.ACCEPTED, {"cases": 1})
    Contact.objects.filter(phone=PHONE).update(preferred=Channel.WECHAT)
    services.notify(PHONE, Message.Kind.ACCEPTED, {"cases": 1})
    assert services.deliver_due().sent == 2
    assert "z***@example.com by email" in caplog.text and "oABC****XYZ1 by wechat" in caplog.text
    assert EMAIL not in caplog.text and OPENID not in caplog.text and PHONE not in caplog.text


def test_the_contact_is_read_only_when_another_channel_is_on(db, settings):
    """notify is on every intake's path: with SMS alone nothing is read, else one plain statement."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    Contact.objects.create(phone=PHONE, email=EMAIL, preferred=Channel.EMAIL)

    def contact_reads():
        with CaptureQueriesContext(connection) as captured:
            message = services.notify(PHONE, Message.Kind.ACCEPTED, {"cases": 1})
        return message.channel, sum("notifications_contact" in q["sql"] for q in captured.captured_queries)

    assert contact_reads() == (Channel.SMS, 0)
    settings.NOTIFICATION_EMAIL_BACKEND = EMAIL_ON
    assert contact_reads() == (Channel.EMAIL, 1)


def test_the_admin_shows_contacts_and_addresses_masked(client, db, channels):
    from django.urls import reverse

    from yichuang.organisation.tests.factories import UserFactory

    contact = Contact.objects.create(phone=PHONE, email=EMAIL, wechat_openid=OPENID, preferred=Channel.EMAIL)
    message = services.notify(PHONE, Message.Kind.ACCEPTED, {"cases": 1})
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    pages = [
        reverse("admin:notifications_contact_changelist"),
        reverse("admin:notifications_contact_change", args=[contact.pk]),
        reverse("admin:notifications_message_changelist"),
        reverse("admin:notifications_message_change", args=[message.pk]),
    ]
    for url in pages:
        response = client.get(url)
        html = response.content.decode()
        assert response.status_code == 200 and "z***@example.com" in html, url
        assert EMAIL not in html and OPENID not in html and PHONE not in html, url
    assert "oABC****XYZ1" in client.get(pages[0]).content.decode()
    assert client.post(reverse("admin:notifications_contact_add")).status_code == 403
