"""一窗出件: results handed over at the output window (or mailed), a submission's cases together unless the
applicant asks for the parts that are ready. Changes only through `output.services`.
"""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yichuang.core.masking import mask_id_number


class OutputRules(models.Model):
    """The hall's output rules, one row, edited in the admin."""

    remind_after_days = models.PositiveSmallIntegerField(
        _("未领取提醒（天）"),
        default=7,
        validators=[MinValueValidator(1)],
        help_text=_("结果在出件窗口放置超过该天数仍未领取时，提醒申请人。"),
    )
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("出件规则")
        verbose_name_plural = _("出件规则")

    def __str__(self) -> str:
        return str(_("出件规则"))

    @classmethod
    def current(cls) -> "OutputRules":
        return cls.objects.order_by("pk").first() or cls()


class Handover(models.Model):
    """One handover of results: in person at an output window (the collector identified by their own ID
    document, signed or the reason why not) or by mail."""

    class Method(models.TextChoices):
        IN_PERSON = "in_person", _("窗口领取")
        MAIL = "mail", _("邮寄送达")

    class Receiver(models.TextChoices):
        APPLICANT = "applicant", _("申请人本人")
        LEGAL_REP = "legal_rep", _("法定代表人")
        AGENT = "agent", _("委托代理人")

    class Document(models.TextChoices):
        RESIDENT_ID = "resident_id", _("居民身份证")
        # Only on handovers from before the collector had to show their own ID (migration 0002): an
        # organisation's "本人" was then checked by its credit code. Never written now.
        CREDIT_CODE = "credit_code", _("统一社会信用代码")

    submission = models.ForeignKey(
        "intake.Submission", verbose_name=_("受理"), on_delete=models.PROTECT, related_name="handovers"
    )
    method = models.CharField(_("方式"), max_length=12, choices=Method.choices)
    receiver = models.CharField(_("领取人身份"), max_length=12, choices=Receiver.choices, blank=True)
    receiver_name = models.CharField(_("领取人"), max_length=100, blank=True)
    receiver_document = models.CharField(
        _("领取人证件类型"), max_length=12, choices=Document.choices, blank=True, default=""
    )
    # The ID number the receiver showed; checked against the record, kept only masked.
    receiver_id_masked = models.CharField(_("领取人证件号码"), max_length=18, blank=True)
    agent_on_record = models.BooleanField(
        _("受理时登记的代办人"), default=False, help_text=_("委托代理人的证件与受理时登记的代办人一致。")
    )
    authorisation_kept = models.BooleanField(
        _("已收取授权委托书"), default=False, help_text=_("委托代理人出示申请人签署的授权委托书，窗口收取留存。")
    )
    representative_checked = models.BooleanField(
        _("已核对法定代表人"),
        default=False,
        help_text=_("出件人核对了营业执照（或法定代表人身份证明书）：领取人是该单位的法定代表人。"),
    )
    proof_note = models.CharField(_("核验说明"), max_length=200, blank=True)
    signature = models.TextField(_("签名"), blank=True, help_text=_("触摸屏签名（PNG data URL）"))
    no_signature_reason = models.CharField(_("未签名原因"), max_length=200, blank=True)
    address = models.CharField(_("邮寄地址"), max_length=300, blank=True)
    carrier = models.CharField(_("快递公司"), max_length=50, blank=True)
    tracking_number = models.CharField(_("运单号"), max_length=50, blank=True)
    partial = models.BooleanField(_("部分领取"), default=False, help_text=_("申请人要求先领取已办结的部分。"))
    window = models.ForeignKey(
        "organisation.Window", verbose_name=_("出件窗口"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    handed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("出件人"), on_delete=models.PROTECT, related_name="+"
    )
    handed_at = models.DateTimeField(_("出件时间"), default=timezone.now)

    class Meta:
        verbose_name = _("出件记录")
        verbose_name_plural = _("出件记录")
        ordering = ["-handed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(method="in_person", receiver__in=["applicant", "legal_rep", "agent"])
                | Q(method="mail", tracking_number__gt="", address__gt=""),
                name="handover_checked_or_tracked",
            ),
            # The database repeats what output.services checks: an agent is the one on record or brought the
            # authorisation; a legal representative was checked against the licence.
            models.CheckConstraint(
                condition=~Q(receiver="agent") | Q(agent_on_record=True) | Q(authorisation_kept=True),
                name="handover_agent_authorised",
            ),
            models.CheckConstraint(
                condition=~Q(receiver="legal_rep") | Q(representative_checked=True),
                name="handover_representative_checked",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.submission} {self.get_method_display()}"

    @staticmethod
    def mask(id_number: str) -> str:
        return mask_id_number(id_number)

    @property
    def signed(self) -> bool:
        return bool(self.signature)


class HandoverItem(models.Model):
    """A case whose result went out with a handover; a case goes out once."""

    handover = models.ForeignKey(Handover, on_delete=models.PROTECT, related_name="items")
    case = models.OneToOneField(
        "intake.Case", verbose_name=_("办件"), on_delete=models.PROTECT, related_name="handover_item"
    )
    outcome = models.CharField(_("结论"), max_length=12)
    certificate_number = models.CharField(_("证照编号"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("出件明细")
        verbose_name_plural = _("出件明细")

    def __str__(self) -> str:
        return str(self.case)


class Reminder(models.Model):
    """An uncollected-result reminder sent once per submission and round (1st after N days, 2nd after 2N …)."""

    submission = models.ForeignKey("intake.Submission", on_delete=models.CASCADE, related_name="+")
    round = models.PositiveSmallIntegerField(default=1)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("领取提醒")
        verbose_name_plural = _("领取提醒")
        constraints = [models.UniqueConstraint(fields=["submission", "round"], name="reminder_once_per_round")]

    def __str__(self) -> str:
        return f"{self.submission} #{self.round}"
