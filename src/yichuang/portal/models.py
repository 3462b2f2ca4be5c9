"""The applicant's sign-in to the online hall: one-time codes sent by SMS.

Neither the code nor the phone number is kept in clear: both are stored as HMACs under the SECRET_KEY, so
this table says nothing about who signed in, and a copy of it does not let anyone try codes offline.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SignInCode(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("待验证")
        USED = "used", _("已使用")
        SUPERSEDED = "superseded", _("已被新验证码取代")
        LOCKED = "locked", _("尝试次数过多")

    phone_hash = models.CharField(max_length=64, db_index=True)
    code_hash = models.CharField(max_length=64)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("登录验证码")
        verbose_name_plural = _("登录验证码")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_status_display()}"


class StagedUpload(models.Model):
    """A file an applicant uploaded on an application form that was then refused (for any reason): kept on the
    server so that the form, shown again, need not ask for it again. It belongs to one form (`key`, the form's
    one-time hidden key) and one verified phone (`owner`, an HMAC like `SignInCode.phone_hash`): no other session
    sees or uses it. Attached to the submission once accepted, then deleted; kept at most
    `services.STAGED_HOURS` (older ones are deleted whenever a file is staged, and never used)."""

    owner = models.CharField(max_length=64)
    key = models.CharField(max_length=64)
    material = models.CharField(max_length=32)
    file = models.FileField(max_length=255)
    original_name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("暂存的申请材料")
        verbose_name_plural = _("暂存的申请材料")
        constraints = [
            models.UniqueConstraint(fields=["owner", "key", "material"], name="one_staged_file_per_line"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.material}"
