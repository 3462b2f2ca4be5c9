"""Electronic licences (电子证照): the types the hall's matters issue, and each licence issued or imported.

The fields follow the metadata that GB/T 36903 names for an e-licence (type, identifier, number, holder and the
holder's identifier, issuing authority and its code, date of issue, validity). The identifier's layout is ours
(`services.identifier`): the province's licence catalogue fixes the real one when the hall connects to it.
"""

import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _

from yichuang.intake.models import ApplicantKind

# No look-alike letters or digits (0/O, 1/I/L, 2/Z, 5/S, 8/B): a code is read off paper and typed.
ALPHABET = "ACDEFGHJKMNPQRTUVWXY3479"
CODE_LENGTH = 8


def new_verify_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


HolderKind = ApplicantKind  # a licence's holder is an applicant: a person or an organisation


class LicenceType(models.Model):
    """A kind of licence (证照类型): which matters issue it when approved, which catalogue materials it stands for
    at intake, and how long it is valid."""

    code = models.CharField(
        _("证照类型代码"), max_length=32, unique=True, help_text=_("省电子证照目录中的证照类型代码。")
    )
    name = models.CharField(_("证照名称"), max_length=100)
    holder_kind = models.CharField(_("持证主体类型"), max_length=8, choices=HolderKind.choices)
    valid_years = models.PositiveSmallIntegerField(
        _("有效期（年）"), null=True, blank=True, help_text=_("留空表示长期有效。")
    )
    issuing_matters = models.ManyToManyField(
        "catalogue.Matter",
        verbose_name=_("颁发此证照的事项"),
        related_name="licence_types",
        blank=True,
        help_text=_("这些事项准予办结时，自动生成此电子证照。"),
    )
    materials = models.ManyToManyField(
        "catalogue.Material",
        verbose_name=_("可替代的申请材料"),
        related_name="licence_types",
        blank=True,
        help_text=_("受理时，申请人持有有效的此类证照即可免提交这些材料。"),
    )

    class Meta:
        verbose_name = _("证照类型")
        verbose_name_plural = _("证照类型")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class Licence(models.Model):
    class Source(models.TextChoices):
        HALL = "hall", _("本中心颁发")
        PROVINCE = "province", _("省电子证照库导入")

    class Status(models.TextChoices):
        VALID = "valid", _("有效")
        REVOKED = "revoked", _("已注销")

    identifier = models.CharField(_("证照标识"), max_length=100, unique=True)  # type code (32) - number (64)
    type = models.ForeignKey(LicenceType, verbose_name=_("证照类型"), on_delete=models.PROTECT, related_name="+")
    number = models.CharField(_("证照编号"), max_length=64)
    holder_kind = models.CharField(_("持证主体类型"), max_length=8, choices=HolderKind.choices)
    holder_name = models.CharField(_("持证主体"), max_length=100)
    holder_id_number = models.CharField(_("持证主体代码"), max_length=18, help_text=_("身份证号码或统一社会信用代码。"))
    issuer_name = models.CharField(_("颁发机构"), max_length=100)
    issuer_code = models.CharField(_("颁发机构代码"), max_length=18, blank=True)
    department = models.ForeignKey(
        "organisation.Department",
        verbose_name=_("颁发部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    issued_on = models.DateField(_("颁证日期"))
    valid_until = models.DateField(_("有效期至"), null=True, blank=True, help_text=_("留空表示长期有效。"))
    case = models.OneToOneField(
        "intake.Case",
        verbose_name=_("办件"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="licence",
    )
    source = models.CharField(_("来源"), max_length=12, choices=Source.choices, default=Source.HALL)
    verify_code = models.CharField(_("核验码"), max_length=CODE_LENGTH, default=new_verify_code)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.VALID)
    revoked_at = models.DateTimeField(_("注销时间"), null=True, blank=True)
    revoke_reason = models.CharField(_("注销原因"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("电子证照")
        verbose_name_plural = _("电子证照")
        ordering = ["-issued_on", "-id"]
        constraints = [models.UniqueConstraint(fields=["type", "number"], name="licence_number_once_per_type")]
        indexes = [models.Index(fields=["holder_kind", "holder_id_number"], name="licence_holder_idx")]

    def __str__(self) -> str:
        return f"{self.type.name} {self.number}"




class ReusableMaterial(models.Model):
    """A material whose copy from an earlier submission of the same applicant may stand in for a new one while it
    is recent enough (an ID card copy, a business licence copy): offered at intake with its date."""

    material = models.OneToOneField(
        "catalogue.Material", verbose_name=_("材料"), on_delete=models.CASCADE, related_name="reuse_rule"
    )
    valid_days = models.PositiveSmallIntegerField(
        _("可复用天数"), help_text=_("往次受理后多少天内可免提交（含当天）。")
    )

    class Meta:
        verbose_name = _("可复用材料")
        verbose_name_plural = _("可复用材料")
        ordering = ["material__code"]

    def __str__(self) -> str:
        return f"{self.material.name}（{self.valid_days} 天）"
