from django.apps import AppConfig
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class CatalogueConfig(AppConfig):
    name = "yichuang.catalogue"
    label = "catalogue"
    verbose_name = _("事项目录")

    def surfaces(self, request):
        """The public guide on the start page."""
        links = [
            (_("办事指南"), "catalogue:guide", _("查事项、看材料、打印一次性告知书")),
            (_("一件事"), "catalogue:bundles", _("一套材料，一次提交")),
            (_("窗口受理事项公开"), "catalogue:windows", _("各综合窗口受理事项范围")),
        ]
        return {
            "title": _("办事指南"),
            "order": 10,
            "links": [{"label": label, "url": reverse(name), "note": note} for label, name, note in links],
        }
