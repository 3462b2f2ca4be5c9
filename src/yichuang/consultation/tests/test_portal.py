"""The online hall: 我要咨询 in its navigation, and a signed-in phone's questions in 我的申请 with their links."""

import time

import pytest
from django.test import Client

from yichuang.consultation import services
from yichuang.portal import services as portal

pytestmark = pytest.mark.django_db


def _signed_in(phone: str) -> Client:
    client = Client()
    session = client.session
    session[portal.SESSION_PHONE] = phone
    session[portal.SESSION_AT] = time.time()
    session.save()
    return client


def test_my_questions_are_listed_with_their_links(desk):
    mine = services.ask_online(question="居住证怎么办？", asker_phone="13800006666")
    other = services.ask_online(question="别人的问题", asker_phone="13800007777")
    client = _signed_in("13800006666")
    page = client.get("/portal/")
    assert page.status_code == 200 and "我的咨询" in page.text
    assert f"/consult/t/{mine.token}/" in page.text and other.number not in page.text
    assert 'href="/consult/ask/"' in page.text
    ask = client.get("/consult/ask/")
    assert 'value="13800006666"' in ask.text  # the signed-in phone is filled in
