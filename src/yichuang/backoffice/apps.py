from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BackofficeConfig(AppConfig):
    name = "yichuang.backoffice"
    label = "backoffice"
    verbose_name = _("后台审批")

    def surfaces(self, request):
        from django.urls import reverse

        return {
            "title": _("后台审批"),
            "order": 30,
            "links": [
                {
                    "label": _("部门工作台"),
                    "url": reverse("backoffice:worklist"),
                    "note": _("后台审批人员：待办、补正、特别程序、延期、办结，按剩余时间排序"),
                },
                {
                    "label": _("定时取件"),
                    "url": reverse("backoffice:handoffs"),
                    "note": _("委托部门的交接单与签收"),
                },
            ],
        }
