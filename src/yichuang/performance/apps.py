from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PerformanceConfig(AppConfig):
    name = "yichuang.performance"
    label = "performance"
    verbose_name = _("绩效考核")

    def surfaces(self, request):
        from django.urls import reverse

        from .queries import may_see

        if not may_see(request.user):
            return None
        return {
            "title": _("绩效考核"),
            "order": 45,
            "links": [
                {
                    "label": _("绩效考核"),
                    "url": reverse("performance:report"),
                    "note": _("按人员、窗口、服务区、部门统计办件量、办理与等候时长、按时办结率和满意率"),
                },
            ],
        }
