"""WeChat template messages through the HTTP adapter, against a local fake of the platform."""

import pytest
from django.core.cache import cache

from yichuang.notifications import services, wechat
from yichuang.notifications.backends import DeliveryError, WechatBackend
from yichuang.notifications.models import Channel, Contact, Message
from yichuang.notifications.tests.fakes import WechatPlatform

PHONE = "13812345678"
OPENID = "oABCDEFGHIJKLMNOPQRSTUVWXYZ1"


@pytest.fixture
def platform(settings):
    platform = WechatPlatform()
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "wx"}}
    settings.NOTIFICATION_WECHAT_BACKEND = "yichuang.notifications.backends.WechatBackend"
    settings.NOTIFICATION_WECHAT_TOKEN_URL = f"{platform.base}/token"
    settings.NOTIFICATION_WECHAT_SEND_URL = f"{platform.base}/send"
    settings.NOTIFICATION_WECHAT_APP_ID = "wx-hall"
    settings.NOTIFICATION_WECHAT_APP_SECRET = "app-secret"
    settings.NOTIFICATION_WECHAT_TIMEOUT = 0.5
    settings.NOTIFICATION_WECHAT_TEMPLATES = {"accepted": "TPL-ACCEPTED", "*": "TPL-GENERAL"}
    cache.clear()  # no token of an earlier test
    yield platform
    platform.close()
    cache.clear()


@pytest.fixture
def person(db, platform):
    return Contact.objects.create(phone=PHONE, wechat_openid=OPENID, preferred=Channel.WECHAT)


def test_a_template_message_to_the_openid(person, platform):
    message = services.notify(PHONE, Message.Kind.ACCEPTED, {"cases": 2}, submission="S20260101-0004")
    assert (message.channel, message.address) == (Channel.WECHAT, OPENID)
    assert services.deliver_due().sent == 1
    [sent] = platform.sent
    assert sent["touser"] == OPENID and sent["template_id"] == "TPL-ACCEPTED"
    assert sent["client_msg_id"] == message.idempotency_key
    assert sent["data"]["title"] == {"value": message.subject}
    assert sent["data"]["submission"] == {"value": "S20260101-0004"}
    assert "共 2 件办件" in sent["data"]["content"]["value"]
    assert platform.token_requests == [{"grant_type": "client_credential", "appid": "wx-hall", "secret": "app-secret"}]
    # Another kind takes the "*" template.
    services.notify(PHONE, Message.Kind.REFUSED, {"reasons": "材料不全"})
    services.deliver_due()
    assert platform.sent[1]["template_id"] == "TPL-GENERAL"


def test_the_token_is_cached_and_refreshed_when_the_platform_says_it_expired(person, platform):
    for n in range(2):
        services.notify(PHONE, Message.Kind.ACCEPTED, {"cases": n + 1})
    assert services.deliver_due().sent == 2
    assert len(platform.token_requests) == 1  # one token for both
    platform.expire()  # the platform's token ran out before ours did
    services.notify(PHONE, Message.Kind.ACCEPTED, {"cases": 3})
    assert services.deliver_due().sent == 1
    assert len(platform.token_requests) == 2
    assert [s["token"] for s in platform.sent] == ["T1", "T1", "T2"]


def test_the_token_is_renewed_before_it_expires(person, platform, monkeypatch):
    adapter = wechat.HttpTemplateAdapter()
    assert adapter.token() == "T1" and adapter.token() == "T1"
    now = wechat.time.time()
    monkeypatch.setattr(wechat.time, "time", lambda: now + 7200 - 299)  # inside the last 5 minutes
    assert adapter.token() == "T2"
    assert len(platform.token_requests) == 2


def test_refusals_and_an_unreachable_platform_are_retried(person, platform, settings):
    platform.errcodes = [43004]  # the person unfollowed the account, say
    message = services.notify(PHONE, Message.Kind.ACCEPTED, {"cases": 1})
    assert services.deliver_due().retrying == 1
    message.refresh_from_db()
    assert message.last_error == "WeChat refused the template message (errcode 43004)"
    settings.NOTIFICATION_WECHAT_SEND_URL = "http://127.0.0.1:9/send"  # nothing there
    assert services.deliver_due(now=message.next_attempt_at).retrying == 1
    message.refresh_from_db()
    assert "unreachable" in message.last_error
    settings.NOTIFICATION_WECHAT_SEND_URL = f"{platform.base}/send"
    assert services.deliver_due(now=message.next_attempt_at).sent == 1
    assert len(platform.sent) == 1


def test_a_wrong_secret_gives_no_token(person, platform, settings):
    settings.NOTIFICATION_WECHAT_APP_SECRET = "wrong"
    with pytest.raises(DeliveryError, match="no access token"):
        wechat.HttpTemplateAdapter().token()


def test_the_adapter_interface(person):
    """Any TemplateAdapter will do: the backend hands it the openid, template, data and key."""
    calls = []

    class Recording(wechat.TemplateAdapter):
        def send_template(self, openid, template_id, data, idempotency_key):
            calls.append((openid, template_id, sorted(data), idempotency_key))

    message = services.notify(PHONE, Message.Kind.ACCEPTED, {"cases": 1})
    services.deliver_due(backend=WechatBackend(adapter=Recording()))
    assert calls == [(OPENID, "TPL-ACCEPTED", ["content", "submission", "time", "title"], message.idempotency_key)]
