"""Applicant sign-in: phone + one-time code (6 digits, hashed, 5 minutes, 5 tries, resend throttled)."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from yichuang.core.models import AuditEvent
from yichuang.notifications.models import Message
from yichuang.portal import services
from yichuang.portal.models import SignInCode
from yichuang.queue import ratelimit

from .conftest import PHONE, last_code, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def later(monkeypatch):
    """Move the rate limiter's clock forward by `seconds`."""
    import time

    offset = {"s": 0.0}
    monkeypatch.setattr(ratelimit, "clock", lambda: time.time() + offset["s"])

    def advance(seconds: float):
        offset["s"] += seconds

    return advance


def test_the_code_goes_through_the_outbox_and_is_kept_only_hashed():
    row = services.request_code(PHONE)
    message = Message.objects.get(kind=Message.Kind.SIGN_IN_CODE)
    code = last_code()
    assert message.recipient == PHONE and message.expires_at == row.expires_at
    assert len(code) == 6 and code.isdigit()
    assert row.expires_at - row.created_at == datetime.timedelta(minutes=5)
    assert code not in row.code_hash and PHONE not in row.phone_hash and PHONE[-4:] not in row.phone_hash
    services.verify_code(PHONE, code)
    row.refresh_from_db()
    assert row.status == SignInCode.Status.USED
    with pytest.raises(ValidationError):  # used once only
        services.verify_code(PHONE, code)
    assert AuditEvent.objects.filter(action="portal.sign_in").exists()
    assert PHONE not in "".join(AuditEvent.objects.values_list("summary", flat=True))


def test_five_tries_per_code():
    services.request_code(PHONE)
    code = last_code()
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for left in (4, 3, 2, 1):
        with pytest.raises(ValidationError, match=f"还可尝试 {left} 次"):
            services.verify_code(PHONE, wrong)
    with pytest.raises(ValidationError, match="错误次数过多"):
        services.verify_code(PHONE, wrong)
    with pytest.raises(ValidationError, match="已失效"):  # the right code is no use now
        services.verify_code(PHONE, code)
    assert SignInCode.objects.get().status == SignInCode.Status.LOCKED


def test_an_expired_code_is_refused():
    row = services.request_code(PHONE)
    SignInCode.objects.filter(pk=row.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    with pytest.raises(ValidationError, match="已失效"):
        services.verify_code(PHONE, last_code())


def test_resend_is_throttled_and_a_new_code_replaces_the_old(later):
    services.request_code(PHONE)
    first = last_code()
    with pytest.raises(services.Throttled) as info:
        services.request_code(PHONE)
    assert 0 < info.value.wait <= 60
    assert Message.objects.count() == 1
    services.request_code("13700001111")  # another phone is not held back
    later(61)
    services.request_code(PHONE)
    second = last_code()
    with pytest.raises(ValidationError):
        if first != second:
            services.verify_code(PHONE, first)
        else:  # the same six digits by chance: the old row is superseded all the same
            assert SignInCode.objects.filter(status=SignInCode.Status.SUPERSEDED).count() == 1
            raise ValidationError("superseded")
    services.verify_code(PHONE, second)


def test_one_client_cannot_spray_codes_to_many_phones(settings):
    settings.PORTAL_CODE_CLIENT_RATE = "3/3600"
    for n in range(3):
        services.request_code(f"1370000{n:04d}")
    with pytest.raises(services.Throttled):
        services.request_code("13700009999")


@pytest.mark.parametrize("phone", ["", "12345", "23812345678", "1381234567x", "010-12345678"])
def test_only_mobile_numbers(phone):
    with pytest.raises(ValidationError):
        services.request_code(phone)
    assert not Message.objects.exists()


def test_sign_in_through_the_pages(client, hall):
    response = client.get(reverse("portal:home"))
    assert "获取验证码" in response.content.decode()
    key_before = client.session.session_key
    sign_in(client)
    assert client.session.session_key != key_before  # a new session at sign-in
    assert client.session[services.SESSION_PHONE] == PHONE
    html = client.get(reverse("portal:home")).content.decode()
    assert "我的申请" in html and "139****5678" in html
    # The applicant is no member of staff.
    assert client.get("/desk/").status_code == 302
    assert client.get(reverse("notifications:submission", args=["X-1"])).status_code == 302
    client.post(reverse("portal:sign_out"))
    assert "获取验证码" in client.get(reverse("portal:home")).content.decode()


def test_a_wrong_code_on_the_page_says_so(client, hall):
    client.post(reverse("portal:request_code"), {"phone": PHONE})
    response = client.post(reverse("portal:code"), {"code": "abc"})
    assert response.status_code == 200 and "验证码不正确" in response.content.decode()
    assert services.SESSION_PHONE not in client.session


def test_the_second_request_within_a_minute_is_a_429_page(client, hall):
    client.post(reverse("portal:request_code"), {"phone": PHONE})
    response = client.post(reverse("portal:request_code"), {"phone": PHONE})
    assert response.status_code == 429 and "秒后" in response.content.decode()


def test_next_is_followed_only_within_the_site(client, hall):
    client.post(reverse("portal:request_code"), {"phone": PHONE, "next": "https://evil.example/x"})
    response = client.post(reverse("portal:code"), {"code": last_code(), "next": "https://evil.example/x"})
    assert response["Location"] == reverse("portal:home")


def test_the_sign_in_expires(client, hall, settings):
    sign_in(client)
    settings.PORTAL_SESSION_MINUTES = 0.0001
    import time

    time.sleep(0.01)
    assert client.get(reverse("portal:apply")).status_code == 302


def test_csrf_is_checked(hall):
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(reverse("portal:request_code"), {"phone": PHONE}).status_code == 403
    assert not Message.objects.exists()
