"""Progress lookup without an account: number + last four digits, one answer for every failure, rate-limited."""

import re

import pytest
from django.urls import reverse

from yichuang.intake import services as intake_services
from yichuang.intake.tests.helpers import PERSON, T0, received
from yichuang.intake.tests.ids import resident_id
from yichuang.notifications import services as notification_services

pytestmark = pytest.mark.django_db

FAIL = "编号或手机号后四位不正确"


@pytest.fixture
def accepted(hall):
    return intake_services.submit(
        actor=hall.clerk,
        applicant=PERSON,
        bundle="qiyekaiban",
        materials=[
            *received("ID", "FORM", "ARTICLES", "LICENCE"),
            {"material": "PREMISES", "status": "deferred", "due": "2026-03-10"},
        ],
        now=T0,
    )


def look(client, number, last4):
    return client.post(reverse("portal:progress"), {"number": number, "last4": last4})


def test_a_submission_number_and_the_last_four_digits_open_the_page(client, accepted):
    response = look(client, accepted.number, PERSON["phone"][-4:])
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:progress_detail", args=[accepted.number])
    html = client.get(response["Location"]).content.decode()
    cases = list(accepted.cases.order_by("seq"))
    assert len(cases) == 3 and all(c.number in html for c in cases)
    assert "企业设立登记" in html and "县市场监督管理局" in html and "2026-03-10" in html
    assert "受理" in html and "分办至部门" in html  # the timeline
    # Personal data masked.
    assert PERSON["id_number"] not in html and PERSON["phone"] not in html and PERSON["name"] not in html
    assert "139****5678" in html and "张*" in html
    assert "补交 / 更正" not in html  # supplying needs the signed-in applicant


def test_a_case_number_works_too_and_is_highlighted(client, accepted):
    case = accepted.cases.order_by("seq").last()
    response = look(client, case.number, PERSON["phone"][-4:])
    assert response["Location"] == reverse("portal:progress_detail", args=[accepted.number])
    html = client.get(reverse("portal:progress_detail", args=[case.number])).content.decode()
    assert f'class="highlight" data-case="{case.number}"' in html


def test_wrong_digits_and_an_unknown_number_get_the_same_answer(client, accepted):
    wrong_digits = look(client, accepted.number, "0000")
    unknown = look(client, "411624-20260310-999999", PERSON["phone"][-4:])
    not_digits = look(client, accepted.number, "abcd")
    for response in (wrong_digits, unknown, not_digits):
        assert response.status_code == 200 and FAIL in response.content.decode()

    def error_block(response) -> str:
        html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())
        return html.replace("411624-20260310-999999", "N").replace(accepted.number, "N").split("<main")[1]

    assert error_block(wrong_digits).split('name="last4"')[0] == error_block(unknown).split('name="last4"')[0]


def test_without_a_lookup_the_page_shows_only_the_form(client, accepted):
    html = client.get(reverse("portal:progress_detail", args=[accepted.number])).content.decode()
    assert 'name="last4"' in html and accepted.cases.first().number not in html
    unknown = client.get(reverse("portal:progress_detail", args=["411624-20260310-999999"]))
    assert unknown.status_code == 200 and 'name="last4"' in unknown.content.decode()


def test_lookups_are_rate_limited(client, accepted, settings):
    settings.PORTAL_LOOKUP_RATE = "3/300"
    for _ in range(3):
        assert look(client, accepted.number, "0000").status_code == 200
    response = look(client, accepted.number, PERSON["phone"][-4:])  # even the right digits wait now
    assert response.status_code == 429 and "查询过于频繁" in response.content.decode()


def test_the_agents_phone_opens_it_too(client, hall):
    submission = intake_services.submit(
        actor=hall.clerk,
        applicant={**PERSON, "phone": ""},
        agent={"name": "王五", "id_number": resident_id("411624", "19800101", "001"), "phone": "13600007777"},
        matters=["SETUP"],
        materials=received("ID", "FORM", "ARTICLES", "PREMISES"),
        now=T0,
    )
    assert look(client, submission.number, "7777").status_code == 302


def test_messages_link_to_this_page(accepted):
    url = notification_services.progress_url(accepted.number)
    assert url.endswith(f"/progress/{accepted.number}/")
    message = accepted  # the acceptance message carries the link
    from yichuang.notifications.models import Message

    body = Message.objects.get(kind="accepted", submission=message.number).body
    assert url in body


def test_the_start_page_lists_the_online_hall(client, hall):
    html = client.get(reverse("start")).content.decode()
    assert "网上办事大厅" in html and "办件进度查询" in html
    assert f'href="{reverse("portal:home")}"' in html and f'href="{reverse("portal:progress")}"' in html
