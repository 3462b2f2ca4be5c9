"""Progress lookup limited per number as well as per address (submission numbers are sequential: one applicant's
four digits must not be guessed from many addresses), and the applicant told when someone keeps failing on theirs."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from yichuang.intake import services as intake_services
from yichuang.intake.tests.helpers import PERSON, T0, received
from yichuang.intake.tests.ids import resident_id
from yichuang.notifications.models import Message
from yichuang.queue import ratelimit

pytestmark = pytest.mark.django_db

FAIL = "编号或手机号后四位不正确"
LOCKED = "该编号的查询错误次数过多"
RIGHT = PERSON["phone"][-4:]


class FakeClock:
    def __init__(self):
        self.now = 2_000_000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(ratelimit, "clock", fake)
    return fake


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.PORTAL_LOOKUP_RATE = "1000/60"  # the address's own limit out of the way
    settings.PORTAL_LOOKUP_NUMBER_RATE = "3/3600"  # 3 failures, then one more try every 20 minutes


def _submit(hall, **person):
    return intake_services.submit(
        actor=hall.clerk,
        applicant={**PERSON, **person},
        matters=["SETUP"],
        materials=received("ID", "FORM", "ARTICLES", "PREMISES"),
        now=T0,
    )


@pytest.fixture
def accepted(hall):
    return _submit(hall)


def look(number, last4, address):
    """Each try from another address, as a spread-out attacker would."""
    return Client(REMOTE_ADDR=address).post(reverse("portal:progress"), {"number": number, "last4": last4})


def told(number=None):
    messages = Message.objects.filter(kind=Message.Kind.LOOKUP_FAILURES)
    return messages.filter(submission=number) if number else messages


def test_failures_from_many_addresses_lock_the_number_even_for_the_right_digits(accepted, clock):
    for i in range(3):
        response = look(accepted.number, f"000{i}", f"10.0.0.{i + 1}")
        assert response.status_code == 200 and FAIL in response.content.decode()
    response = look(accepted.number, RIGHT, "10.9.9.9")
    assert response.status_code == 429
    assert LOCKED in response.content.decode() and "登录网上办事大厅" in response.content.decode()
    # The bucket refills: after 20 minutes one more try, and the right digits open the page.
    clock.now += 20 * 60 + 1
    assert look(accepted.number, RIGHT, "10.9.9.9").status_code == 302


def test_another_number_is_not_affected(hall, accepted, clock):
    other = _submit(hall)
    for i in range(3):
        look(accepted.number, "0000", f"10.0.1.{i}")
    assert look(accepted.number, RIGHT, "10.0.1.99").status_code == 429
    assert look(other.number, RIGHT, "10.0.1.99").status_code == 302


def test_right_lookups_do_not_count(accepted, clock):
    for i in range(10):
        assert look(accepted.number, RIGHT, f"10.0.2.{i}").status_code == 302
    assert not told().exists()


def test_the_applicant_is_told_once_per_period(accepted, clock):
    for i in range(2):
        look(accepted.number, "0000", f"10.0.3.{i}")
    assert not told().exists()
    # The failure that uses up the limit: the one who tries sees the same answer as before.
    response = look(accepted.number, "0000", "10.0.3.2")
    assert response.status_code == 200 and FAIL in response.content.decode()
    [message] = told()
    assert message.recipient == PERSON["phone"] and message.submission == accepted.number
    assert accepted.number in message.body and "20 分钟" in message.body and "没有被查看" in message.body
    assert RIGHT not in message.body.replace(PERSON["phone"], "")  # nothing of the digits themselves

    # Refused tries while locked are not failures; the next failure after a refill locks again, untold.
    assert look(accepted.number, "0000", "10.0.3.3").status_code == 429
    clock.now += 20 * 60 + 1
    assert look(accepted.number, "0000", "10.0.3.4").status_code == 200
    assert told().count() == 1
    # A period later, someone still failing: told again.
    clock.now += 3600
    for i in range(3):
        look(accepted.number, "0000", f"10.0.4.{i}")
    assert told().count() == 2


def test_the_agents_phone_is_told_too(hall, clock):
    submission = intake_services.submit(
        actor=hall.clerk,
        applicant=PERSON,
        agent={"name": "王五", "id_number": resident_id("411624", "19800101", "001"), "phone": "13600007777"},
        matters=["SETUP"],
        materials=received("ID", "FORM", "ARTICLES", "PREMISES"),
        now=T0,
    )
    for i in range(3):
        look(submission.number, "0000", f"10.0.5.{i}")
    assert sorted(told(submission.number).values_list("recipient", flat=True)) == ["13600007777", PERSON["phone"]]


def test_an_unknown_number_is_limited_alike_and_tells_nobody(accepted, clock):
    unknown = re.sub(r"\d{6}$", "999999", accepted.number)
    for i in range(3):
        assert look(unknown, "0000", f"10.0.6.{i}").status_code == 200
    for i in range(3):
        look(accepted.number, "0000", f"10.0.7.{i}")
    locked_unknown = look(unknown, RIGHT, "10.0.6.9")
    locked_known = look(accepted.number, RIGHT, "10.0.7.9")
    assert locked_unknown.status_code == locked_known.status_code == 429

    def block(response, number) -> str:
        html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())
        return html.replace(number, "N").split("<main")[1]

    assert block(locked_unknown, unknown) == block(locked_known, accepted.number)
    assert list(told().values_list("submission", flat=True)) == [accepted.number]


def test_case_numbers_count_for_their_submission(accepted, clock):
    case = accepted.cases.order_by("seq").first()
    look(case.number, "0000", "10.0.8.1")
    look(case.number.lower(), "0000", "10.0.8.2")
    look(accepted.number, "0000", "10.0.8.3")
    assert look(case.number, RIGHT, "10.0.8.4").status_code == 429
    assert look(accepted.number, RIGHT, "10.0.8.5").status_code == 429
    assert told(accepted.number).count() == 1


def test_wait_reads_a_bucket_without_taking_a_token(db, clock):
    assert ratelimit.wait("k", "2/60") == 0.0
    assert ratelimit.hit("k", "2/60") == 0.0
    for _ in range(5):
        assert ratelimit.wait("k", "2/60") == 0.0  # reading never takes one
    assert ratelimit.hit("k", "2/60") == 0.0
    assert ratelimit.wait("k", "2/60") == pytest.approx(30.0)
    assert ratelimit.hit("k", "2/60") == pytest.approx(30.0)
    clock.now += 30
    assert ratelimit.wait("k", "2/60") == 0.0
