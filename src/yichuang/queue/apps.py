from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QueueConfig(AppConfig):
    name = "yichuang.queue"
    label = "queue"
    verbose_name = _("一号服务（排队叫号）")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from yichuang.organisation.models import OpeningPeriod, Window

        from . import queries
        from .models import QueueSettings

        for model in (QueueSettings, OpeningPeriod, Window):
            post_save.connect(
                queries.clear_caches, sender=model, dispatch_uid=f"queue.clear_caches.save.{model.__name__}"
            )
            post_delete.connect(
                queries.clear_caches, sender=model, dispatch_uid=f"queue.clear_caches.delete.{model.__name__}"
            )

    def surfaces(self, request):
        from django.urls import reverse

        from yichuang.organisation.models import Site

        site = Site.objects.filter(is_default=True).first() or Site.objects.order_by("code").first()
        if site is None:
            return None
        return {
            "title": _("一号服务"),
            "order": 10,
            "links": [
                {
                    "label": _("取号机"),
                    "url": reverse("queue:kiosk", args=[site.code]),
                    "note": _("按服务区或事项取号、预约签到"),
                },
                {"label": _("窗口叫号"), "url": reverse("queue:desk"), "note": _("工作人员登录后使用")},
                {
                    "label": _("显示屏"),
                    "url": reverse("queue:display", args=[site.code]),
                    "note": _("1920×1080 大厅叫号屏"),
                },
                {
                    "label": _("分区显示屏"),
                    "url": reverse("queue:display_boards", args=[site.code]),
                    "note": _("每个服务区一块屏，只显示并播报本区叫号"),
                },
                {"label": _("预约"), "url": reverse("queue:booking", args=[site.code]), "note": _("网上预约办事时段")},
            ],
        }
