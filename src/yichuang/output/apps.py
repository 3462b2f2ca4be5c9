from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutputConfig(AppConfig):
    name = "yichuang.output"
    label = "output"
    verbose_name = _("一窗出件")

    def surfaces(self, request):
        from django.urls import reverse

        return {
            "title": _("一窗出件"),
            "order": 40,
            "links": [
                {
                    "label": _("综合出件窗口"),
                    "url": reverse("output:desk"),
                    "note": _("出件人员：查找待领取的结果，核验身份后交付或邮寄，打印领取回执"),
                },
            ],
        }
