from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VideoConfig(AppConfig):
    name = "yichuang.video"
    label = "video"
    verbose_name = _("远程视频")
