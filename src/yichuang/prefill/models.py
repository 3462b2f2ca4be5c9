"""Applications filled in before the visit (预填): at a self-service terminal in the hall or at home in the online
hall. The person answers the situation guide, gives the applicant's data and uploads what they have; they get a
code (and its QR) that the window clerk scans to fill the intake form, which is then checked and accepted as
usual. A pre-filled application is taken in once (`submission`), and forgotten after `PREFILL_DAYS`.
"""

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# No 0/O, 1/I/L, 2/Z, 5/S, 8/B: a code read aloud or typed from paper is typed right.
ALPHABET = "ACDEFGHJKMNPQRTUVWXY3479"
CODE_LENGTH = 8


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


class Prefill(models.Model):
    class Channel(models.TextChoices):
        KIOSK = "kiosk", _("自助终端")
        PORTAL = "portal", _("网上大厅")

    class Precheck(models.TextChoices):
        NONE = "", _("未申请预审")
        REQUESTED = "requested", _("待预审")
        COMPLETE = "complete", _("材料齐全，请到窗口办理")
        MISSING = "missing", _("材料不全，请补齐")

    code = models.CharField(_("预填码"), max_length=CODE_LENGTH, unique=True, default=new_code, editable=False)
    site = models.ForeignKey(
        "organisation.Site", verbose_name=_("服务场所"), on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField(_("填报渠道"), max_length=8, choices=Channel.choices)
    owner = models.CharField(max_length=64, blank=True, help_text="portal.services.phone_hash of the signed-in phone")
    version = models.ForeignKey(
        "situation.GuideVersion", verbose_name=_("情形引导版本"), on_delete=models.PROTECT, related_name="+"
    )
    answers = models.JSONField(_("情形引导回答"), default=dict)
    matters = models.JSONField(_("事项"), default=list)  # codes the answers chose, for lists and the desk
    applicant = models.JSONField(_("申请人"), default=dict)  # kind, name, id_number, phone (checked as intake does)
    agent = models.JSONField(_("代办人"), default=dict, blank=True)
    created_at = models.DateTimeField(_("填报时间"), auto_now_add=True)
    expires_at = models.DateTimeField(_("有效期至"))
    ticket = models.ForeignKey(
        "queue.Ticket", verbose_name=_("排队号"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submission = models.OneToOneField(
        "intake.Submission", verbose_name=_("受理"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="prefill",
    )  # fmt: skip
    used_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    precheck = models.CharField(_("预审"), max_length=12, choices=Precheck.choices, default="", blank=True)
    precheck_note = models.CharField(_("预审意见"), max_length=500, blank=True)
    prechecked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("预审人"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    prechecked_at = models.DateTimeField(_("预审时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("预填申请")
        verbose_name_plural = _("预填申请")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["owner", "-created_at"], name="prefill_owner_idx")]

    def __str__(self) -> str:
        return self.code

    @property
    def display_code(self) -> str:
        return f"{self.code[:4]} {self.code[4:]}"


class PrefillFile(models.Model):
    """A material's file uploaded with the pre-filled application; attached to the submission when it is accepted."""

    prefill = models.ForeignKey(Prefill, on_delete=models.CASCADE, related_name="files")
    material = models.CharField(_("材料"), max_length=32)
    file = models.FileField(max_length=255)
    original_name = models.CharField(_("文件名"), max_length=255)
    content_type = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("预填材料文件")
        verbose_name_plural = _("预填材料文件")
        constraints = [models.UniqueConstraint(fields=["prefill", "material"], name="one_prefill_file_per_material")]

    def __str__(self) -> str:
        return f"{self.prefill_id} {self.material}"
