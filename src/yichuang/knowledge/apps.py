from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KnowledgeConfig(AppConfig):
    name = "yichuang.knowledge"
    label = "knowledge"
    verbose_name = _("政策业务信息库")
