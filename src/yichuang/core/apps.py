from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "yichuang.core"
    label = "core"
    verbose_name = _("平台基础")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

        from . import signals

        user_logged_in.connect(signals.logged_in, dispatch_uid="yichuang.audit.logged_in")
        user_logged_out.connect(signals.logged_out, dispatch_uid="yichuang.audit.logged_out")
        user_login_failed.connect(signals.login_failed, dispatch_uid="yichuang.audit.login_failed")
