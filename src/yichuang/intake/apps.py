from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    name = "yichuang.intake"
    label = "intake"
    verbose_name = _("一窗受理")

    def surfaces(self, request):
        from django.urls import reverse

        return {
            "title": _("一窗受理"),
            "order": 20,
            "links": [
                {
                    "label": _("综合受理"),
                    "url": reverse("intake:desk"),
                    "note": _("窗口人员入座后受理申请：一套材料、一次提交、一次分办"),
                },
            ],
        }

    def ready(self):
        from . import reference

        reference.connect_signals()
