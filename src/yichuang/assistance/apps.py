from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssistanceConfig(AppConfig):
    name = "yichuang.assistance"
    label = "assistance"
    verbose_name = _("帮办代办")

    def surfaces(self, request):
        from django.urls import reverse

        return {
            "title": _("沈速办帮您办"),
            "order": 14,
            "links": [
                {
                    "label": _("帮办代办"),
                    "url": reverse("assistance:index"),
                    "note": _("帮办员：为老年人、残疾人和企业投资项目代为准备和提交申请，一页跟进全部办件"),
                },
            ],
        }
