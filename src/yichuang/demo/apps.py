from django.apps import AppConfig
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from yichuang.organisation.roles import Role

# Roles whose department says where they work (a clerk's says only who employs them: their window does).
_BY_DEPARTMENT = (Role.BACKOFFICE_OFFICER, Role.DEPARTMENT_LEAD)


class DemoConfig(AppConfig):
    name = "yichuang.demo"
    label = "demo"
    verbose_name = _("演示大厅")

    def surfaces(self, request):
        """On the start page: the demo accounts with their role and where they work, once `yichuang demo` has loaded
        them (never on an installation without the demo), under a sentence that says so."""
        from .hall import demo_staff

        members = demo_staff()
        if not members:
            return None
        login = reverse("login")
        links = []
        for member in members:
            user, role = member.user, member.role
            parts = [str(role.label), user.display_name]
            if member.seated:
                parts.append(
                    _("%(n)s 号窗口（%(zone)s）") % {"n": member.window.number, "zone": member.window.zone.name}
                )
            elif role in _BY_DEPARTMENT and user.department_id:
                parts.append(user.department.name)
            links.append({"label": user.username, "url": f"{login}?next=/", "note": " · ".join(parts)})
        return {
            "title": _("演示账号"),
            "key": "demo-accounts",
            "intro": _(
                "以下账号是演示账号：本系统载入了沈丘县演示数据（yichuang demo），所以它们才存在；"
                "正式使用的系统没有这些账号。密码见 README 或 yichuang demo 的输出。"
            ),
            "order": 90,
            "wide": True,
            "links": links,
        }
