from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HallConfig(AppConfig):
    name = "yichuang.hall"
    label = "hall"
    verbose_name = _("大厅运行")

    def surfaces(self, request):
        from django.urls import NoReverseMatch, reverse

        from .queries import may_see

        # Shown before signing in (the manager signs in from there) and to whoever may open it; never to a
        # signed-in member of staff who would only be refused.
        user = request.user
        if user.is_authenticated and not may_see(user):
            return None
        links = [
            {
                "label": _("大厅运行监测"),
                "url": reverse("hall:live"),
                "note": _("各服务区等候、窗口冷热、今日办件与评价，差评和久等即时提醒（大厅管理员、督办人员）"),
            }
        ]
        try:
            links.append(
                {
                    "label": _("窗口承载力测算"),
                    "url": reverse("hall:capacity"),
                    "note": _("按本厅历史数据测算各时段所需窗口数（Erlang C / A 与仿真对照）"),
                }
            )
        except NoReverseMatch:
            pass
        return {"title": _("大厅运行"), "order": 44, "links": links}
