"""A result whose fee is unpaid is not ready to go out, wherever the output window looks: the desk's list, the API,
and the applicant's ready message (which says to pay first)."""

from decimal import Decimal

import pytest
from django.test import Client

from yichuang.catalogue.models import Matter
from yichuang.fees.models import FeeItem
from yichuang.notifications.models import Message
from yichuang.organisation import services as org_services

from .conftest import ready_single

pytestmark = pytest.mark.django_db


@pytest.fixture
def owed(desk):
    FeeItem.objects.create(
        matter=Matter.objects.get(code="PERMIT"), name="工本费", amount=Decimal("10.00"), basis="某价费字〔2020〕12号"
    )
    return ready_single(desk)


def test_the_desk_list_and_the_api_say_unpaid(client, desk, owed):
    client.force_login(desk.clerk)
    html = client.get("/output/").content.decode()
    assert f'data-submission="{owed.number}"' in html and "待缴费 ¥10.00" in html

    api = Client(HTTP_AUTHORIZATION=f"Bearer {org_services.issue_api_token(desk.clerk)}")
    ready = api.get("/api/output/ready").json()
    assert [(r["submission"], r["owing"]) for r in ready] == [(owed.number, "10.00")]
    shown = api.get(f"/api/output/submissions/{owed.number}").json()
    assert [c["state"] for c in shown["cases"]] == ["unpaid"]


def test_the_ready_message_asks_to_pay_first(owed):
    text = Message.objects.get(kind="result_ready").body
    assert "领取前请先缴费 ¥10.00" in text


def test_nothing_owed_reads_as_before(desk, client):
    submission = ready_single(desk)
    assert "领取前请先缴费" not in Message.objects.get(kind="result_ready").body
    api = Client(HTTP_AUTHORIZATION=f"Bearer {org_services.issue_api_token(desk.clerk)}")
    assert [r["owing"] for r in api.get("/api/output/ready").json()] == [None]
    assert [c["state"] for c in api.get(f"/api/output/submissions/{submission.number}").json()["cases"]] == ["ready"]
