from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "yichuang.feedback"
    label = "feedback"
    verbose_name = _("好差评")

    def surfaces(self, request):
        from django.urls import reverse

        links = [
            {
                "label": _("差评整改"),
                "url": reverse("feedback:rectifications"),
                "note": _("差评回访、整改、申诉复核；超期标红"),
            },
        ]
        for window in pad_windows():
            links.append(
                {
                    "label": _("评价器 · %(n)s 号窗口") % {"n": window.number},
                    "url": reverse("feedback:pad", args=[window.pk]),
                    "note": _("%(name)s旁的平板：工作人员登录后配对一次，办事人在这里评价刚刚办完的服务")
                    % {"name": window.name},
                }
            )
        return {"title": _("好差评"), "order": 60, "links": links}


def pad_windows() -> list:
    """The windows whose rating pads the start page links: the output windows of the default site with somebody
    seated today (results are rated where they are handed over), else the first output window; [] without any."""
    from django.db.models import Exists, OuterRef
    from django.utils import timezone

    from yichuang.organisation.models import Seat, Site, Window

    site = Site.objects.filter(is_default=True).first() or Site.objects.order_by("code").first()
    if site is None:
        return []
    staffed = Seat.objects.filter(window=OuterRef("pk"), date=timezone.localdate(), until__isnull=True)
    windows = list(
        Window.objects.filter(zone__site=site, kind=Window.Kind.OUTPUT, is_open=True)
        .annotate(staffed=Exists(staffed))
        .order_by("-staffed", "number")
    )
    return [w for w in windows if w.staffed] or windows[:1]
