from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutputConfig(AppConfig):
    name = "yichuang.output"
    label = "output"
    verbose_name = _("一窗出件")
