from django.apps import AppConfig
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    name = "yichuang.demo"
    label = "demo"
    verbose_name = _("演示大厅")

    def surfaces(self, request):
        """On the start page: the demo accounts and their roles, once `yichuang demo` has loaded them."""
        from .hall import demo_accounts

        accounts = demo_accounts()
        if not accounts:
            return None
        login = reverse("login")
        return {
            "title": _("演示账号"),
            "order": 90,
            "links": [
                {"label": user.username, "url": f"{login}?next=/", "note": f"{role.label} · {user.display_name}"}
                for user, role in accounts
            ],
        }
