"""The simulator with DEBUG off is a start-up error unless a demonstration allows it; the HTTP gateway needs its
address and its secret."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from yichuang.fees.checks import payment_gateway


def ids(settings):
    return [e.id for e in payment_gateway(None)]


def test_the_simulator_in_production_is_an_error(db, settings):
    settings.DEBUG, settings.FEES_GATEWAY, settings.FEES_SIMULATOR_ALLOWED = False, "simulator", False
    assert ids(settings) == ["fees.E001"]
    with pytest.raises(SystemCheckError, match="fees.E001"):  # as every management command and server start runs it
        call_command("check")
    settings.FEES_SIMULATOR_ALLOWED = True  # a demonstration (make demo, make bench)
    assert ids(settings) == []
    settings.FEES_SIMULATOR_ALLOWED, settings.DEBUG = False, True  # development
    assert ids(settings) == []
    settings.FEES_GATEWAY, settings.DEBUG = "", False  # empty: the default, the simulator
    assert ids(settings) == ["fees.E001"]


def test_the_http_gateway_needs_its_address_and_its_secret(settings):
    settings.DEBUG, settings.FEES_SIMULATOR_ALLOWED, settings.FEES_GATEWAY = False, False, "http"
    settings.FEES_GATEWAY_URL, settings.FEES_GATEWAY_SECRET = "https://pay.example.cn/api", "s3cret"
    assert ids(settings) == []
    settings.FEES_GATEWAY_URL = ""
    assert ids(settings) == ["fees.E002"]
    settings.FEES_GATEWAY_URL, settings.FEES_GATEWAY_SECRET = "pay.example.cn", ""
    assert ids(settings) == ["fees.E002", "fees.E003"]
    settings.DEBUG = True  # also in development: nothing would work
    assert ids(settings) == ["fees.E002", "fees.E003"]
    settings.FEES_GATEWAY = "yichuang.fees.gateways.HttpGateway"  # the same, by its dotted path
    assert ids(settings) == ["fees.E002", "fees.E003"]


def test_deploy_refuses_the_simulator_even_when_a_demonstration_allows_it(settings):
    from yichuang.fees.checks import simulator_in_deployment

    settings.DEBUG, settings.FEES_GATEWAY, settings.FEES_SIMULATOR_ALLOWED = False, "simulator", True
    assert payment_gateway(None) == []  # the demo starts
    assert [e.id for e in simulator_in_deployment(None)] == ["fees.E004"]
    settings.FEES_GATEWAY, settings.FEES_GATEWAY_URL, settings.FEES_GATEWAY_SECRET = "http", "https://pay.example", "k"
    assert simulator_in_deployment(None) == []
