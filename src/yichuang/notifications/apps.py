from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "yichuang.notifications"
    label = "notifications"
    verbose_name = _("一次反馈（消息通知）")

    def ready(self):
        from . import checks  # noqa: F401  (registers the settings checks)
