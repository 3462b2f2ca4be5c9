from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PerformanceConfig(AppConfig):
    name = "yichuang.performance"
    label = "performance"
    verbose_name = _("绩效考核")

    def surfaces(self, request):
        from django.urls import reverse

        from .queries import may_see

        # Shown to whoever may open it, and before signing in (督办人员、大厅管理员 or a lead signs in from there);
        # never to a signed-in member of staff who would only be refused.
        user = request.user
        if user.is_authenticated and not may_see(user):
            return None
        note = _("按人员、窗口、服务区、部门统计办件量、办理与等候时长、按时办结率和满意率")
        if not user.is_authenticated:
            note = _("%(what)s（督办人员、大厅管理员看全部，部门负责人看本部门，登录后查看）") % {"what": note}
        return {
            "title": _("绩效考核"),
            "order": 45,
            "links": [{"label": _("绩效考核"), "url": reverse("performance:report"), "note": note}],
        }
