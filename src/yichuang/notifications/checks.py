"""System checks of the notification settings (`yichuang check`, `check --deploy`, and at every server start)."""

from django.conf import settings
from django.core import checks
from django.utils.module_loading import import_string


@checks.register()
def notification_backend(app_configs, **kwargs):
    """Each active channel's backend can be imported and is configured; in production (DEBUG off) none is the
    console backend, which only writes messages to the log (sign-in codes included) and tells nobody."""
    from .backends import CHANNEL_SETTINGS, BaseBackend, ConsoleBackend, EmailBackend, WebhookBackend, backend_path

    errors = []
    for channel, setting in CHANNEL_SETTINGS.items():
        path = backend_path(channel)
        if not path:
            continue  # the channel is off
        try:
            backend = import_string(path)
        except ImportError:
            errors.append(checks.Error(f"{setting} {path!r} cannot be imported", id="notifications.E001"))
            continue
        if not (isinstance(backend, type) and issubclass(backend, BaseBackend)):
            errors.append(checks.Error(f"{setting} {path!r} is not a backend class", id="notifications.E002"))
            continue
        if issubclass(backend, ConsoleBackend) and not settings.DEBUG and not _console_allowed():
            errors.append(
                checks.Error(
                    f"{setting} is the console backend: in production ({channel}) messages would only be logged",
                    hint="Configure the channel's real backend (docs/channels.md), or turn the channel off.",
                    id="notifications.E004",
                )
            )
        url = getattr(settings, "NOTIFICATION_WEBHOOK_URL", "")
        if issubclass(backend, WebhookBackend) and not url.startswith(("http://", "https://")):
            errors.append(
                checks.Error(
                    "NOTIFICATION_WEBHOOK_URL must be the gateway's http(s) address for the webhook backend",
                    id="notifications.E003",
                )
            )
        if issubclass(backend, EmailBackend) and not getattr(settings, "DEFAULT_FROM_EMAIL", ""):
            errors.append(
                checks.Error("DEFAULT_FROM_EMAIL must be set for the e-mail channel", id="notifications.E005")
            )
        if channel == "wechat":
            errors.extend(_wechat_settings())
    return errors


def _console_allowed() -> bool:
    return bool(getattr(settings, "NOTIFICATION_CONSOLE_ALLOWED", False))


@checks.register(deploy=True)
def console_in_deployment(app_configs, **kwargs):
    """`check --deploy` refuses the console channel even where a demonstration allowed it."""
    from .backends import CHANNEL_SETTINGS, ConsoleBackend, backend_path

    if settings.DEBUG or not _console_allowed():
        return []  # with DEBUG on nothing is deployed; without the allowance notification_backend says it already
    errors = []
    for channel, setting in CHANNEL_SETTINGS.items():
        path = backend_path(channel)
        try:
            backend = import_string(path) if path else None
        except ImportError:
            continue
        if isinstance(backend, type) and issubclass(backend, ConsoleBackend):
            errors.append(
                checks.Error(
                    f"{setting} is the console backend, allowed only by NOTIFICATION_CONSOLE_ALLOWED (demonstrations)",
                    id="notifications.E008",
                )
            )
    return errors


def _wechat_settings() -> list:
    from .wechat import DEFAULT_ADAPTER, HttpTemplateAdapter

    adapter_path = getattr(settings, "NOTIFICATION_WECHAT_ADAPTER", "") or DEFAULT_ADAPTER
    try:
        adapter = import_string(adapter_path)
    except ImportError:
        return [
            checks.Error(f"NOTIFICATION_WECHAT_ADAPTER {adapter_path!r} cannot be imported", id="notifications.E006")
        ]
    missing = []
    if isinstance(adapter, type) and issubclass(adapter, HttpTemplateAdapter):
        for name in ("NOTIFICATION_WECHAT_TOKEN_URL", "NOTIFICATION_WECHAT_SEND_URL"):
            if not str(getattr(settings, name, "")).startswith(("http://", "https://")):
                missing.append(name)
        for name in ("NOTIFICATION_WECHAT_APP_ID", "NOTIFICATION_WECHAT_APP_SECRET"):
            if not getattr(settings, name, ""):
                missing.append(name)
    if not getattr(settings, "NOTIFICATION_WECHAT_TEMPLATES", None):
        missing.append("NOTIFICATION_WECHAT_TEMPLATES")
    if missing:
        return [
            checks.Error(f"the WeChat channel needs {', '.join(missing)}", id="notifications.E007"),
        ]
    return []
