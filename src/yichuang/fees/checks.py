"""System checks of the fee settings (`yichuang check`, and at every server start)."""

from django.conf import settings
from django.core import checks


@checks.register()
def payment_gateway(app_configs, **kwargs):
    """In production (DEBUG off) the simulator takes no real money. A warning, not an error: a hall whose matters
    charge nothing never calls the gateway, and the demo runs on the simulator on purpose."""
    if settings.DEBUG or getattr(settings, "FEES_GATEWAY", "simulator") != "simulator":
        return []
    return [
        checks.Warning(
            "FEES_GATEWAY is the simulator: payment notices are not real (a hall that charges fees sets its gateway)",
            hint="Set FEES_GATEWAY=http, FEES_GATEWAY_URL and FEES_GATEWAY_SECRET (docs/fees.md).",
            id="fees.W001",
        )
    ]
