from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "yichuang.feedback"
    label = "feedback"
    verbose_name = _("好差评")

    def surfaces(self, request):
        from django.urls import reverse

        return {
            "title": _("好差评"),
            "order": 60,
            "links": [
                {
                    "label": _("差评整改"),
                    "url": reverse("feedback:rectifications"),
                    "note": _("差评回访、整改、申诉复核；超期标红"),
                },
            ],
        }
