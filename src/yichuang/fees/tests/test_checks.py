"""The simulator in production is a warning."""

from yichuang.fees.checks import payment_gateway


def test_the_simulator_is_a_warning_in_production(settings):
    settings.DEBUG, settings.FEES_GATEWAY = False, "simulator"
    assert [w.id for w in payment_gateway(None)] == ["fees.W001"]
    settings.FEES_GATEWAY = "http"
    assert payment_gateway(None) == []
    settings.FEES_GATEWAY, settings.DEBUG = "simulator", True
    assert payment_gateway(None) == []
