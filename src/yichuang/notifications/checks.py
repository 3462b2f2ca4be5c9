"""System checks of the notification settings (`yichuang check`, and at every server start)."""

from django.conf import settings
from django.core import checks
from django.utils.module_loading import import_string


@checks.register()
def notification_backend(app_configs, **kwargs):
    from .backends import DEFAULT_BACKEND, BaseBackend, WebhookBackend

    path = getattr(settings, "NOTIFICATION_BACKEND", "") or DEFAULT_BACKEND
    try:
        backend = import_string(path)
    except ImportError:
        return [checks.Error(f"NOTIFICATION_BACKEND {path!r} cannot be imported", id="notifications.E001")]
    if not (isinstance(backend, type) and issubclass(backend, BaseBackend)):
        return [checks.Error(f"NOTIFICATION_BACKEND {path!r} is not a backend class", id="notifications.E002")]
    url = getattr(settings, "NOTIFICATION_WEBHOOK_URL", "")
    if issubclass(backend, WebhookBackend) and not url.startswith(("http://", "https://")):
        return [
            checks.Error(
                "NOTIFICATION_WEBHOOK_URL must be the gateway's http(s) address for the webhook backend",
                id="notifications.E003",
            )
        ]
    return []
