from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrefillConfig(AppConfig):
    name = "yichuang.prefill"
    label = "prefill"
    verbose_name = _("预填申请")

    def surfaces(self, request):
        from django.urls import reverse

        from yichuang.catalogue.queries import default_site

        site = default_site()
        links = [
            {
                "label": _("在家预填（网上大厅）"),
                "url": reverse("prefill:portal_start"),
                "note": _("群众：按情形引导填好申请、上传材料，得到预填码，到窗口出示即可"),
            }
        ]
        links.append(
            {
                "label": _("预填申请预审"),
                "url": reverse("prefill:precheck_list"),
                "note": _("工作人员登录后使用：在线预审群众提交的预填申请，告知材料是否齐全"),
            }
        )
        if site is not None:
            links.insert(
                0,
                {
                    "label": _("自助填报终端"),
                    "url": reverse("prefill:kiosk_start", args=[site.code]),
                    "note": _("大厅自助办理区：无需登录，大字、触屏和键盘可用；填好后取号到窗口"),
                },
            )
        return {"title": _("预填申请"), "order": 13, "links": links}
