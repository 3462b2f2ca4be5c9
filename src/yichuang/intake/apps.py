from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    name = "yichuang.intake"
    label = "intake"
    verbose_name = _("一窗受理")
