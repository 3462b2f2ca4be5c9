"""System checks of the fee settings (`yichuang check`, and at every server start, the worker's included)."""

from django.conf import settings
from django.core import checks

from . import gateways


@checks.register()
def payment_gateway(app_configs, **kwargs):
    """The simulator takes no real money and lets a clerk mark a notice paid: with DEBUG off it is an error unless
    a demonstration allows it (FEES_SIMULATOR_ALLOWED, set by `make demo` and `make bench`). The HTTP gateway needs
    its address and the shared secret (without it every callback is refused and no request is signed)."""
    errors = []
    if gateways.is_simulator() and not settings.DEBUG and not getattr(settings, "FEES_SIMULATOR_ALLOWED", False):
        errors.append(
            checks.Error(
                "FEES_GATEWAY is the simulator with DEBUG off: payment notices are not real and any output clerk "
                "could mark one paid",
                hint="Set FEES_GATEWAY=http, FEES_GATEWAY_URL and FEES_GATEWAY_SECRET (docs/fees.md); a demonstration "
                "sets FEES_SIMULATOR_ALLOWED=1.",
                id="fees.E001",
            )
        )
    if gateways._gateway_path() == gateways.ALIASES["http"]:
        if not str(getattr(settings, "FEES_GATEWAY_URL", "")).startswith(("http://", "https://")):
            errors.append(
                checks.Error(
                    "FEES_GATEWAY is http but FEES_GATEWAY_URL is not an http(s) address",
                    hint="Set FEES_GATEWAY_URL to the platform's base address (docs/fees.md).",
                    id="fees.E002",
                )
            )
        if not getattr(settings, "FEES_GATEWAY_SECRET", ""):
            errors.append(
                checks.Error(
                    "FEES_GATEWAY is http but FEES_GATEWAY_SECRET is empty: requests go unsigned and every callback "
                    "is refused",
                    hint="Set FEES_GATEWAY_SECRET to the secret shared with the platform (docs/fees.md).",
                    id="fees.E003",
                )
            )
    return errors


@checks.register(deploy=True)
def simulator_in_deployment(app_configs, **kwargs):
    """`check --deploy` refuses the simulator even where a demonstration allowed it (as notifications.E008 does
    for the console channel)."""
    if settings.DEBUG or not gateways.is_simulator():
        return []
    return [
        checks.Error(
            "FEES_GATEWAY is the simulator, allowed only by FEES_SIMULATOR_ALLOWED (demonstrations)",
            hint="A deployment configures its payment gateway (docs/fees.md).",
            id="fees.E004",
        )
    ]
