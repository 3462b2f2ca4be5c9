from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class OrganisationConfig(AppConfig):
    name = "yichuang.organisation"
    label = "organisation"
    verbose_name = _("组织与人员")

    def ready(self):
        from .roles import sync_role_groups

        # After the whole project's migrate, so every app's permissions exist.
        post_migrate.connect(sync_role_groups, dispatch_uid="yichuang.sync_role_groups")
