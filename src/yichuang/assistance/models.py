"""Assisted service (帮办代办, 沈速办帮您办): a helper — a member of staff — takes on a person (the elderly, a
disabled person) or an enterprise's project (立项 to 施工许可), with the person's consent recorded; the helper may
prepare and submit applications on their behalf (each submission records the assistance and the helper as agent),
follows every case on one page, and the person follows the same page through their link.
"""

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def new_token() -> str:
    return secrets.token_urlsafe(24)


class AssistanceCounter(models.Model):
    """The last BB-<year>-<seq> number drawn per year (core.counters.bump: no gaps, also under concurrency)."""

    year = models.PositiveSmallIntegerField(unique=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("帮办编号计数")
        verbose_name_plural = _("帮办编号计数")

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class Assistance(models.Model):
    class Category(models.TextChoices):
        ELDERLY = "elderly", _("老年人")
        DISABLED = "disabled", _("残疾人")
        PROJECT = "project", _("企业投资项目")
        OTHER = "other", _("其他需要帮助的群众或企业")

    class Status(models.TextChoices):
        ACTIVE = "active", _("帮办中")
        CLOSED = "closed", _("已结束")
        WITHDRAWN = "withdrawn", _("已撤回同意")

    number = models.CharField(_("帮办编号"), max_length=20, unique=True)
    category = models.CharField(_("服务对象"), max_length=12, choices=Category.choices)
    subject_kind = models.CharField(_("类别"), max_length=8, choices=[("person", _("自然人")), ("org", _("法人"))])
    subject_name = models.CharField(_("姓名 / 单位名称"), max_length=100)
    subject_id_number = models.CharField(_("身份证号码 / 统一社会信用代码"), max_length=18)
    subject_phone = models.CharField(_("联系电话"), max_length=20)
    project_name = models.CharField(_("项目名称"), max_length=200, blank=True)
    helper = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("帮办员"), on_delete=models.PROTECT, related_name="assistances"
    )
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.ACTIVE)
    # Consent (授权委托): what the person agreed to, when, before whom, and the signed form's scan.
    consent_submit = models.BooleanField(_("同意代为准备和提交申请"), default=True)
    consent_collect = models.BooleanField(_("同意代为领取结果"), default=False)
    consent_at = models.DateTimeField(_("同意时间"))
    consent_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("记录人"), on_delete=models.PROTECT, related_name="+"
    )
    consent_file = models.FileField(_("签字的授权委托书（扫描件）"), max_length=255)
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    created_at = models.DateTimeField(_("建立时间"), auto_now_add=True)
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("帮办代办")
        verbose_name_plural = _("帮办代办")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["helper", "status"], name="assistance_helper_idx")]

    def __str__(self) -> str:
        return self.number

    @property
    def title(self) -> str:
        return self.project_name or self.subject_name


class AssistanceEvent(models.Model):
    """The project's log: taken on, consent, a submission made for it, a note, reassigned, ended."""

    class Kind(models.TextChoices):
        STARTED = "started", _("开始帮办")
        SUBMITTED = "submitted", _("代为提交申请")
        NOTE = "note", _("跟进记录")
        REASSIGNED = "reassigned", _("更换帮办员")
        CLOSED = "closed", _("结束帮办")
        WITHDRAWN = "withdrawn", _("撤回同意")

    assistance = models.ForeignKey(Assistance, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices)
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    text = models.CharField(_("内容"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("帮办记录")
        verbose_name_plural = _("帮办记录")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.assistance_id} {self.kind}"
