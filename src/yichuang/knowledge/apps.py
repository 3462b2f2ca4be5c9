from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KnowledgeConfig(AppConfig):
    name = "yichuang.knowledge"
    label = "knowledge"
    verbose_name = _("政策业务信息库")

    def surfaces(self, request):
        from django.urls import reverse

        return {
            "title": _("政策业务信息库"),
            "order": 35,
            "links": [
                {
                    "label": _("政策业务信息库"),
                    "url": reverse("knowledge:index"),
                    "note": _("工作人员：检索政策法规、办事要件、办理流程、填报样表；部门编辑编写，大厅管理员审核发布"),
                },
            ],
        }
