from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "yichuang.core"
    label = "core"
    verbose_name = _("平台基础")

    def surfaces(self, request):
        from django.urls import reverse

        return {
            "title": _("管理与接口"),
            "order": 90,
            "links": [
                {"label": _("管理后台"), "url": reverse("admin:index"), "note": _("大厅配置、事项目录、实施清单")},
                {"label": _("审计日志"), "url": reverse("admin:core_auditevent_changelist"), "note": _("审计人员")},
                {
                    "label": _("后台任务状态"),
                    "url": reverse("admin:core_periodicjob_changelist"),
                    "note": _("大厅管理员：定期任务与工作进程心跳"),
                },
                {"label": _("接口文档"), "url": reverse("api:openapi-view"), "note": "OpenAPI"},
            ],
        }

    def ready(self):
        from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

        from . import signals, wording

        wording.install()
        user_logged_in.connect(signals.logged_in, dispatch_uid="yichuang.audit.logged_in")
        user_logged_out.connect(signals.logged_out, dispatch_uid="yichuang.audit.logged_out")
        user_login_failed.connect(signals.login_failed, dispatch_uid="yichuang.audit.login_failed")
