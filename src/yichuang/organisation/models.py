"""The organisation of a hall: sites, departments, zones, windows, staff and today's seating."""

import hashlib

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .roles import Role

WEEKDAYS = [
    (0, _("星期一")),
    (1, _("星期二")),
    (2, _("星期三")),
    (3, _("星期四")),
    (4, _("星期五")),
    (5, _("星期六")),
    (6, _("星期日")),
]

code_validator = RegexValidator(r"^[A-Za-z0-9_-]+$", _("只能包含字母、数字、下划线和连字符。"))


class Site(models.Model):
    """One physical hall (政务服务中心 / 便民服务中心)."""

    code = models.CharField(_("编码"), max_length=32, unique=True, validators=[code_validator])
    name = models.CharField(_("名称"), max_length=100)
    division_code = models.CharField(
        _("行政区划代码"), max_length=12, validators=[RegexValidator(r"^\d{6}(\d{3}|\d{6})?$")]
    )
    address = models.CharField(_("地址"), max_length=200, blank=True)
    phone = models.CharField(_("咨询电话"), max_length=40, blank=True)
    instant_cutoff_minutes = models.PositiveSmallIntegerField(
        _("即办件截止(闭厅前分钟)"), default=30,
        help_text=_("此时刻之后受理的即办件顺延至下一个工作日。"),
    )
    is_default = models.BooleanField(_("默认场所"), default=False)

    class Meta:
        verbose_name = _("服务场所")
        verbose_name_plural = _("服务场所")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="one_default_site")
        ]

    def __str__(self) -> str:
        return self.name

    def hours_on(self, weekday: int) -> list[tuple]:
        return [(p.start, p.end) for p in self.opening_periods.all() if p.weekday == weekday]


class OpeningPeriod(models.Model):
    """A span of opening time on one weekday; a day may have several (morning, afternoon)."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="opening_periods")
    weekday = models.PositiveSmallIntegerField(_("星期"), choices=WEEKDAYS)
    start = models.TimeField(_("开始"))
    end = models.TimeField(_("结束"))

    class Meta:
        verbose_name = _("开放时段")
        verbose_name_plural = _("开放时段")
        ordering = ["site", "weekday", "start"]
        constraints = [models.CheckConstraint(condition=Q(start__lt=models.F("end")), name="period_start_before_end")]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"


class Department(models.Model):
    """A government body or utility that owns matters and decides cases."""

    class Presence(models.TextChoices):
        STATIONED = "stationed", _("进驻大厅")
        DELEGATED = "delegated", _("委托综窗收件")

    class Kind(models.TextChoices):
        GOVERNMENT = "government", _("政府部门")
        UTILITY = "utility", _("公用企业")
        FINANCIAL = "financial", _("金融机构")

    code = models.CharField(_("编码"), max_length=32, unique=True, validators=[code_validator])
    name = models.CharField(_("名称"), max_length=100, unique=True)
    kind = models.CharField(_("类别"), max_length=16, choices=Kind.choices, default=Kind.GOVERNMENT)
    presence = models.CharField(_("进驻方式"), max_length=16, choices=Presence.choices, default=Presence.STATIONED)
    phone = models.CharField(_("联系电话"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("部门")
        verbose_name_plural = _("部门")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_delegated(self) -> bool:
        return self.presence == self.Presence.DELEGATED


class PickupSlot(models.Model):
    """When a delegated department collects its materials from the hall (部门定时取件)."""

    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="pickup_slots")
    weekday = models.PositiveSmallIntegerField(_("星期"), choices=WEEKDAYS)
    time = models.TimeField(_("取件时间"))

    class Meta:
        verbose_name = _("定时取件")
        verbose_name_plural = _("定时取件")
        ordering = ["department", "weekday", "time"]
        constraints = [models.UniqueConstraint(fields=["department", "weekday", "time"], name="unique_pickup_slot")]

    def __str__(self) -> str:
        return f"{self.department} {self.get_weekday_display()} {self.time:%H:%M}"

    def clean(self):
        if self.department_id and not self.department.is_delegated:
            raise ValidationError(_("只有委托综窗收件的部门才有定时取件安排。"))


class Zone(models.Model):
    """An area of a hall with its own queue (服务专区)."""

    class Kind(models.TextChoices):
        SPECIALIZED = "specialized", _("服务专区")
        COMPREHENSIVE = "comprehensive", _("综合服务区")
        CONSULTATION = "consultation", _("集中咨询区")
        FEATURE = "feature", _("特色服务区")

    site = models.ForeignKey(Site, verbose_name=_("服务场所"), on_delete=models.PROTECT, related_name="zones")
    code = models.CharField(_("编码"), max_length=32, unique=True, validators=[code_validator])
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类别"), max_length=16, choices=Kind.choices)
    ticket_letter = models.CharField(
        _("号码字母"), max_length=1, validators=[RegexValidator(r"^[A-Z]$", _("一个大写字母。"))]
    )
    lead_department = models.ForeignKey(
        Department, verbose_name=_("牵头部门"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    description = models.TextField(_("说明"), blank=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("服务区")
        verbose_name_plural = _("服务区")
        ordering = ["site", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["site", "ticket_letter"], name="unique_ticket_letter_per_site"),
        ]

    def __str__(self) -> str:
        return self.name


class Window(models.Model):
    """A counter in a zone. Windows are divided by business, never by department."""

    class Kind(models.TextChoices):
        INTAKE = "intake", _("综合受理")
        CONSULT = "consult", _("综合咨询")
        OUTPUT = "output", _("综合出件")
        SPECIALIZED = "specialized", _("专业窗口")
        CASHIER = "cashier", _("收费发证")
        ASSIST = "assist", _("帮办代办")

    zone = models.ForeignKey(Zone, verbose_name=_("服务区"), on_delete=models.PROTECT, related_name="windows")
    number = models.PositiveSmallIntegerField(_("窗口号"))
    name = models.CharField(_("窗口名称"), max_length=100)
    kind = models.CharField(_("类别"), max_length=16, choices=Kind.choices)
    department = models.ForeignKey(
        Department, verbose_name=_("专业窗口所属部门"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="windows", help_text=_("仅专业窗口填写。"),
    )
    is_open = models.BooleanField(_("开放"), default=True)
    is_new = models.BooleanField(
        _("改革新设综合窗口"), default=False, help_text=_("沈“放管服”办〔2022〕16号新设的 16 个综合服务窗口之一。")
    )

    class Meta:
        verbose_name = _("窗口")
        verbose_name_plural = _("窗口")
        ordering = ["zone__site", "number"]
        constraints = [models.UniqueConstraint(fields=["zone", "number"], name="unique_window_number_per_zone")]

    def __str__(self) -> str:
        return _("%(number)s 号窗口（%(name)s）") % {"number": self.number, "name": self.name}

    @property
    def site(self) -> Site:
        return self.zone.site

    def clean(self):
        # The number is what the display board announces, so it is unique across the whole site.
        if self.zone_id and self.number is not None:
            clash = Window.objects.filter(zone__site_id=self.zone.site_id, number=self.number).exclude(pk=self.pk)
            if clash.exists():
                raise ValidationError({"number": _("本场所已有该窗口号。")})
        if self.kind == self.Kind.SPECIALIZED and not self.department_id:
            raise ValidationError({"department": _("专业窗口须指定所属部门。")})
        if self.kind != self.Kind.SPECIALIZED and self.department_id:
            raise ValidationError({"department": _("综合窗口不按部门设置，只分业务不分部门。")})


class User(AbstractUser):
    """A member of staff. Roles are Django groups (see roles.py)."""

    department = models.ForeignKey(
        Department, verbose_name=_("所属部门"), null=True, blank=True, on_delete=models.PROTECT, related_name="staff",
        help_text=_("后台审批人员只能看到本部门的办件。"),
    )
    site = models.ForeignKey(Site, verbose_name=_("所在场所"), null=True, blank=True, on_delete=models.PROTECT)
    phone = models.CharField(_("手机号"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("工作人员")
        verbose_name_plural = _("工作人员")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def get_full_name(self) -> str:
        """Family name first, no space (许文静), as Chinese names are written; Django's default is "文静 许"."""
        return f"{self.last_name}{self.first_name}".strip()

    @property
    def display_name(self) -> str:
        return str(self)

    def role_names(self) -> set[str]:
        if not hasattr(self, "_role_names"):
            self._role_names = set(self.groups.values_list("name", flat=True)) if self.pk else set()
        return self._role_names

    def has_role(self, *roles: Role) -> bool:
        return bool(self.role_names() & {str(r) for r in roles})

    def clean(self):
        if Role.BACKOFFICE_OFFICER in self.role_names() and not self.department_id:
            raise ValidationError({"department": _("后台审批人员须指定所属部门。")})


class Seat(models.Model):
    """Who sits at which window: today's seating. A clerk's window and zone come from here."""

    window = models.ForeignKey(Window, verbose_name=_("窗口"), on_delete=models.PROTECT, related_name="seats")
    user = models.ForeignKey(User, verbose_name=_("工作人员"), on_delete=models.PROTECT, related_name="seats")
    date = models.DateField(_("日期"), default=timezone.localdate, db_index=True)
    since = models.DateTimeField(_("入座"), default=timezone.now)
    until = models.DateTimeField(_("离座"), null=True, blank=True)

    class Meta:
        verbose_name = _("窗口排班")
        verbose_name_plural = _("窗口排班")
        ordering = ["-date", "window__number"]
        constraints = [
            # At any moment a person sits at one window and a window has one person.
            models.UniqueConstraint(fields=["user", "date"], condition=Q(until__isnull=True), name="one_seat_per_user"),
            models.UniqueConstraint(
                fields=["window", "date"], condition=Q(until__isnull=True), name="one_user_per_window"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.window} {self.user}"


class ApiToken(models.Model):
    """A bearer token for the staff API. Only its hash is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    label = models.CharField(_("用途"), max_length=100, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    last_used = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")

    def __str__(self) -> str:
        return f"{self.user} {self.label}"

    @staticmethod
    def hash(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()
