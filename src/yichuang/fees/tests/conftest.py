"""Fixtures of the fee tests: the output tests' small hall (an output clerk at its window), fee items on PERMIT
(县市场监督管理局), and the simulator as the gateway with a known secret and no misbehaviour unless a test asks."""

from decimal import Decimal

import pytest
from django.core.cache import cache

from yichuang.catalogue.models import Matter
from yichuang.fees.gateways import SimulatorGateway
from yichuang.fees.models import FeeItem, Stage
from yichuang.output.tests.conftest import (  # noqa: F401 - fixtures
    _media,
    desk,
    django_db_setup,
    office,
)

SECRET = "test-secret"


@pytest.fixture(autouse=True)
def _gateway(settings, request):
    settings.FEES_GATEWAY = "simulator"
    settings.FEES_GATEWAY_SECRET = SECRET
    settings.FEES_SIMULATOR = ""
    settings.FEES_SIMULATOR_CALLBACK_URL = ""
    settings.FEES_GATEWAY_TIMEOUT = 2
    settings.FEES_SIMULATOR_ALLOWED = True  # the suite runs as a demonstration (DEBUG off): its 模拟缴费 button
    # The simulator keeps its platform in the cache (a database table here): emptied around each test using it.
    uses_db = request.node.get_closest_marker("django_db") or {"db", "transactional_db"} & set(request.fixturenames)
    if uses_db:
        cache.clear()
    yield
    if uses_db:
        cache.clear()


def simulator(**rules) -> SimulatorGateway:
    slept = []
    gateway = SimulatorGateway(rules, sleep=slept.append)
    gateway.slept = slept
    return gateway


def fee(stage=Stage.ACCEPTANCE, amount="50.00", **kw) -> FeeItem:
    return FeeItem.objects.create(
        matter=Matter.objects.get(code="PERMIT"),
        name=kw.pop("name", "工本费" if stage == Stage.CONCLUSION else "审查费"),
        amount=Decimal(amount),
        basis=kw.pop("basis", "豫发改收费〔2020〕12号"),
        stage=stage,
        **kw,
    )
