from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeesConfig(AppConfig):
    name = "yichuang.fees"
    verbose_name = _("收费")

    def ready(self):
        # Fee items are reference data an intake reads (intake.reference): a change gives it a new revision.
        from django.db.models.signals import post_delete, post_save

        from yichuang.intake.reference import bump

        from . import checks  # noqa: F401 - registers the system check
        from .models import FeeItem

        post_save.connect(bump, sender=FeeItem, dispatch_uid="fees.reference.save.feeitem")
        post_delete.connect(bump, sender=FeeItem, dispatch_uid="fees.reference.delete.feeitem")
