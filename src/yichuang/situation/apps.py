from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SituationConfig(AppConfig):
    name = "yichuang.situation"
    label = "situation"
    verbose_name = _("情形引导")

    def surfaces(self, request):
        from django.urls import reverse

        return {
            "title": _("情形引导"),
            "order": 12,
            "links": [
                {
                    "label": _("情形引导"),
                    "url": reverse("situation:index"),
                    "note": _("回答几个问题，得到适合自己情形的事项、材料清单和告知内容（企业开办等）"),
                },
            ],
        }
