from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LicencesConfig(AppConfig):
    name = "yichuang.licences"
    verbose_name = _("电子证照")

    def surfaces(self, request):
        from django.urls import reverse

        return {
            "title": _("电子证照"),
            "order": 47,
            "links": [
                {
                    "label": _("电子证照核验"),
                    "url": reverse("licences:verify"),
                    "note": _("凭证照编号和核验码核对本中心颁发的电子证照是否有效（不显示持证人信息）"),
                }
            ],
        }
