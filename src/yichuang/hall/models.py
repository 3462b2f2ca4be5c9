"""The live hall's configuration and the alerts it raises for the hall manager."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yichuang.organisation.models import Site, Window, Zone


class AlertRules(models.Model):
    """When the hall manager is alerted. One row per site, or one for every site (site empty); a site's own row
    wins. Without any row the defaults below apply."""

    site = models.OneToOneField(Site, verbose_name=_("服务场所"), null=True, blank=True, on_delete=models.CASCADE)
    wait_count = models.PositiveSmallIntegerField(
        _("等候人数（N）"),
        default=5,
        validators=[MinValueValidator(1)],
        help_text=_("一个服务区中超过 M 分钟仍在等候的人数达到 N 时提醒。"),
    )
    wait_minutes = models.PositiveSmallIntegerField(
        _("等候时长（M 分钟）"), default=20, validators=[MinValueValidator(1)]
    )
    idle_minutes = models.PositiveSmallIntegerField(
        _("窗口空闲（分钟）"),
        default=30,
        validators=[MinValueValidator(1)],
        help_text=_("窗口有人值守、开放，却这么久没有叫号时提醒。"),
    )
    bad_rating = models.BooleanField(_("差评立即提醒"), default=True)
    message = models.BooleanField(
        _("同时发短信"), default=True, help_text=_("提醒也以短信发给本场所留有手机号的大厅管理员。")
    )

    class Meta:
        verbose_name = _("大厅提醒规则")
        verbose_name_plural = _("大厅提醒规则")

    def __str__(self) -> str:
        return str(self.site) if self.site_id else str(_("全部场所"))

    def clean(self):
        if self.site_id is None and AlertRules.objects.filter(site__isnull=True).exclude(pk=self.pk).exists():
            raise ValidationError({"site": _("已有适用于全部场所的提醒规则，请修改那一条。")})

    @classmethod
    def for_site(cls, site: Site) -> "AlertRules":
        return (
            cls.objects.filter(site=site).first()
            or cls.objects.filter(site__isnull=True).order_by("pk").first()
            or cls(site=None)
        )


class Alert(models.Model):
    """One alert for the hall manager. `key` names the condition (a zone's long waits, a window's idleness, one
    bad rating); while an alert of a key is open (not cleared) no second one is raised — the database holds
    that, so two workers raising at once make one. A long wait or an idle window clears when it is over; a
    later episode is a new alert."""

    class Kind(models.TextChoices):
        LONG_WAIT = "long_wait", _("等候过久")
        BAD_RATING = "bad_rating", _("差评")
        IDLE_WINDOW = "idle_window", _("窗口空闲")

    site = models.ForeignKey(Site, verbose_name=_("服务场所"), on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("类别"), max_length=16, choices=Kind.choices)
    key = models.CharField(_("条件"), max_length=64)
    zone = models.ForeignKey(
        Zone, verbose_name=_("服务区"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    window = models.ForeignKey(
        Window, verbose_name=_("窗口"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    evaluation = models.OneToOneField(
        "feedback.Evaluation", verbose_name=_("评价"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    text = models.CharField(_("内容"), max_length=300)
    suggestion = models.CharField(_("建议"), max_length=300, blank=True)
    suggested_window = models.ForeignKey(
        Window, verbose_name=_("建议调配窗口"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    raised_at = models.DateTimeField(_("提醒时间"), default=timezone.now)
    cleared_at = models.DateTimeField(_("解除时间"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("确认人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("大厅提醒")
        verbose_name_plural = _("大厅提醒")
        ordering = ["-raised_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["site", "key"], condition=Q(cleared_at__isnull=True), name="one_open_alert_per_condition"
            ),
        ]
        indexes = [models.Index(fields=["site", "raised_at"], name="hall_alert_site_raised")]

    def __str__(self) -> str:
        return self.text
