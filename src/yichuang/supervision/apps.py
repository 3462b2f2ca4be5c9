from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "yichuang.supervision"
    label = "supervision"
    verbose_name = _("督查督办")

    def surfaces(self, request):
        from django.urls import reverse

        return {
            "title": _("督查督办"),
            "order": 40,
            "links": [
                {
                    "label": _("督办看板"),
                    "url": reverse("supervision:board"),
                    "note": _("督办人员：各部门红灯、黄灯办件，督办单台账，改革任务"),
                },
            ],
        }
