from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VideoConfig(AppConfig):
    name = "yichuang.video"
    label = "video"
    verbose_name = _("远程视频")

    def surfaces(self, request):
        from django.urls import reverse

        return {
            "title": _("远程视频"),
            "order": 36,
            "links": [
                {
                    "label": _("远程视频咨询"),
                    "url": reverse("video:citizen"),
                    "note": _("办事群众（网上大厅、乡镇服务站）视频呼叫综合咨询台，或预约时段"),
                },
                {
                    "label": _("视频咨询台"),
                    "url": reverse("video:desk"),
                    "note": _("咨询人员：保持页面打开即在岗，接听群众的视频呼叫"),
                },
                {
                    "label": _("呼叫业务支撑"),
                    "url": reverse("video:support"),
                    "note": _("综合受理人员：就委托事项视频呼叫部门专家，可共享屏幕"),
                },
                {
                    "label": _("远程视频指导"),
                    "url": reverse("video:expert"),
                    "note": _("部门后台人员：接听窗口的业务支撑呼叫"),
                },
                {
                    "label": _("通话记录"),
                    "url": reverse("video:log"),
                    "note": _("谁、何时、多长时间，关联的咨询或办件"),
                },
            ],
        }
