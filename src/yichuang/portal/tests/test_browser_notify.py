"""通知方式 in a real browser: sign in by phone, choose e-mail, see the address masked."""

import pytest
from playwright.sync_api import expect

from yichuang.intake.tests.helpers import build_hall
from yichuang.notifications.models import Channel, Contact

from .conftest import PHONE, last_code

pytestmark = [pytest.mark.browser]


def test_the_person_chooses_e_mail(transactional_db, page, settings, screenshot):
    settings.NOTIFICATION_EMAIL_BACKEND = "yichuang.notifications.backends.EmailBackend"
    settings.NOTIFICATION_WECHAT_BACKEND = "yichuang.notifications.backends.WechatBackend"
    settings.NOTIFICATION_WECHAT_TEMPLATES = {"*": "TPL"}
    build_hall()
    page.goto("/portal/")
    page.get_by_label("手机号码").fill(PHONE)
    page.get_by_role("button", name="获取验证码").click()
    page.get_by_label("短信验证码").fill(last_code())
    page.get_by_role("button", name="登录").click()
    page.get_by_role("link", name="通知方式").click()
    expect(page.get_by_role("heading", name="通知方式")).to_be_visible()
    page.get_by_label("电子邮件").check()
    page.get_by_label("电子邮箱").fill("li.si@example.com")
    page.get_by_role("button", name="保存通知方式").click()
    expect(page.get_by_text("通知方式已保存。")).to_be_visible()
    expect(page.locator("#my-addresses")).to_contain_text("l***@example.com")
    expect(page.locator("#my-addresses")).not_to_contain_text("li.si@example.com")
    expect(page.get_by_label("电子邮件")).to_be_checked()
    contact = Contact.objects.get(phone=PHONE)
    assert (contact.preferred, contact.email) == (Channel.EMAIL, "li.si@example.com")
    screenshot(page, "notify-preference")
