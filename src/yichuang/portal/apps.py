from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "yichuang.portal"
    label = "portal"
    verbose_name = _("网上办事大厅")

    def surfaces(self, request):
        from django.urls import reverse

        return {
            "title": _("网上办事大厅"),
            "order": 5,
            "links": [
                {
                    "label": _("网上办事大厅"),
                    "url": reverse("portal:home"),
                    "note": _("手机号和验证码登录，网上申请、补交材料、查看进度"),
                },
                {
                    "label": _("办件进度查询"),
                    "url": reverse("portal:progress"),
                    "note": _("凭受理编号或办件编号和手机号后四位查询，无需登录"),
                },
            ],
        }
