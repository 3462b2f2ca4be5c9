from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsultationConfig(AppConfig):
    name = "yichuang.consultation"
    label = "consultation"
    verbose_name = _("集中咨询")

    def surfaces(self, request):
        from django.urls import reverse

        return {
            "title": _("集中咨询"),
            "order": 25,
            "links": [
                {
                    "label": _("咨询台"),
                    "url": reverse("consultation:desk"),
                    "note": _("咨询人员：登记窗口、电话、远程视频咨询，信息库文章提示，转办部门"),
                },
                {
                    "label": _("部门咨询转办"),
                    "url": reverse("consultation:department"),
                    "note": _("部门专家：答复咨询台转来的问题，按答复期限排列"),
                },
                {
                    "label": _("我要咨询"),
                    "url": reverse("consultation:ask"),
                    "note": _("群众：网上提问，答复以短信告知"),
                },
            ],
        }
