"""The catalogue of matters (实施清单): matters, the shared material dictionary, bundles, life events.

Invariants live in the models' clean() methods and are enforced by every writer (services, admin,
import) through full_clean(). A case taken in later keeps a snapshot (Matter.snapshot()), so editing
a matter never changes cases already accepted.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from yichuang.organisation.models import Department, Zone

from .codes import basic_code_of, validate_basic_code, validate_implementation_code

code_validator = RegexValidator(r"^[A-Za-z0-9_.-]+$", _("只能包含字母、数字、点、下划线和连字符。"))


class Audience(models.TextChoices):
    PERSON = "person", _("个人")
    ORG = "org", _("法人")
    BOTH = "both", _("个人和法人")


class LimitUnit(models.TextChoices):
    WORKING_DAYS = "working_days", _("工作日")
    WORKING_HOURS = "working_hours", _("工作小时")
    INSTANT = "instant", _("即办")


class LifeEvent(models.Model):
    """A situation in life (开办企业, 买卖二手房 …) by which people browse the guide."""

    code = models.CharField(_("编码"), max_length=32, unique=True, validators=[code_validator])
    name = models.CharField(_("名称"), max_length=100)
    audience = models.CharField(_("服务对象"), max_length=8, choices=Audience.choices, default=Audience.PERSON)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("主题（人生事件）")
        verbose_name_plural = _("主题（人生事件）")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name


class Material(models.Model):
    """A kind of document from one shared dictionary, so that bundles can merge their lists."""

    code = models.CharField(_("编码"), max_length=32, unique=True, validators=[code_validator])
    name = models.CharField(_("名称"), max_length=200)
    description = models.TextField(_("说明"), blank=True)
    issuer = models.CharField(_("出具单位"), max_length=100, blank=True, help_text=_("例如：申请人自备、公安机关。"))

    class Meta:
        verbose_name = _("材料")
        verbose_name_plural = _("材料字典")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class MatterQuerySet(models.QuerySet):
    def in_use(self):
        return self.filter(status=Matter.Status.IN_USE)


class Matter(models.Model):
    """One thing a person can apply for, owned by one department (事项)."""

    class Kind(models.TextChoices):
        LICENSE = "license", _("行政许可")
        CONFIRMATION = "confirmation", _("行政确认")
        PAYMENT = "payment", _("行政给付")
        RULING = "ruling", _("行政裁决")
        LEVY = "levy", _("行政征收")
        REWARD = "reward", _("行政奖励")
        OTHER_POWER = "other_power", _("其他行政权力")
        PUBLIC_SERVICE = "public_service", _("公共服务")

    class Status(models.TextChoices):
        IN_USE = "in_use", _("在用")
        SUSPENDED = "suspended", _("暂停")
        CANCELLED = "cancelled", _("取消")

    code = models.CharField(_("事项编码"), max_length=40, unique=True, validators=[code_validator])
    name = models.CharField(_("事项名称"), max_length=200)
    # GB/T 39554.1 codes from the province's 实施清单 (form checked by catalogue.codes; sent to the province).
    implementation_code = models.CharField(
        _("实施编码"), max_length=35, blank=True, validators=[validate_implementation_code]
    )
    basic_code = models.CharField(_("基本编码"), max_length=12, blank=True, validators=[validate_basic_code])
    kind = models.CharField(_("事项类型"), max_length=16, choices=Kind.choices)
    department = models.ForeignKey(
        Department, verbose_name=_("实施部门"), on_delete=models.PROTECT, related_name="matters"
    )
    zones = models.ManyToManyField(
        Zone, verbose_name=_("受理服务区"), related_name="matters", blank=True,
        help_text=_("这些服务区的综合受理窗口可受理本事项。"),
    )
    audience = models.CharField(_("服务对象"), max_length=8, choices=Audience.choices, default=Audience.PERSON)
    life_events = models.ManyToManyField(LifeEvent, verbose_name=_("主题"), related_name="matters", blank=True)
    limit_unit = models.CharField(_("时限单位"), max_length=16, choices=LimitUnit.choices)
    legal_limit = models.DecimalField(
        _("法定时限"), max_digits=6, decimal_places=1, default=Decimal("0"), validators=[MinValueValidator(0)]
    )
    promised_limit = models.DecimalField(
        _("承诺时限"), max_digits=6, decimal_places=1, default=Decimal("0"), validators=[MinValueValidator(0)]
    )
    fee = models.DecimalField(
        _("收费（元）"), max_digits=10, decimal_places=2, default=Decimal("0"), validators=[MinValueValidator(0)]
    )
    fee_note = models.CharField(_("收费说明"), max_length=200, blank=True)
    online = models.BooleanField(_("可网上办理"), default=False)
    visits = models.PositiveSmallIntegerField(_("到现场次数"), default=1)
    delegated = models.BooleanField(_("委托综窗收件"), default=False)
    specialized_only = models.BooleanField(_("仅限专业窗口"), default=False)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.IN_USE)
    conditions = models.TextField(_("受理条件"), blank=True)
    procedure = models.TextField(_("办理流程"), blank=True)
    legal_basis = models.TextField(_("设定依据"), blank=True)
    keywords = models.CharField(_("检索关键词"), max_length=200, blank=True)
    # Denormalised search text (names, codes, department, keywords, pinyin), kept by save().
    search_text = models.TextField(editable=False, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = MatterQuerySet.as_manager()

    class Meta:
        verbose_name = _("事项")
        verbose_name_plural = _("事项")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(promised_limit__lte=models.F("legal_limit")), name="promised_within_legal"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        errors = {}
        if self.limit_unit == LimitUnit.INSTANT:
            if self.legal_limit or self.promised_limit:
                errors["legal_limit"] = _("即办件不设时限天数。")
        else:
            if not self.promised_limit or self.promised_limit <= 0:
                errors["promised_limit"] = _("承诺件须填写承诺时限。")
            if self.promised_limit is not None and self.legal_limit is not None and (
                self.promised_limit > self.legal_limit
            ):
                errors["promised_limit"] = _("承诺时限不得超过法定时限。")
        if self.department_id and self.department.is_delegated and not self.delegated:
            errors["delegated"] = _("委托部门的事项须由综窗代为收件。")
        embedded = basic_code_of(self.implementation_code)
        if embedded and self.basic_code and embedded != self.basic_code:
            errors["implementation_code"] = _("实施编码中的基本编码与基本编码不一致。")
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        from .search import matter_search_text

        self.search_text = matter_search_text(self)
        super().save(*args, **kwargs)

    @property
    def is_instant(self) -> bool:
        return self.limit_unit == LimitUnit.INSTANT

    @property
    def can_be_taken_in(self) -> bool:
        return self.status == self.Status.IN_USE

    def limit_display(self) -> str:
        if self.is_instant:
            return str(_("即办"))
        return f"{self.promised_limit.normalize():f} {self.get_limit_unit_display()}"

    def snapshot(self) -> dict:
        """What a case keeps of this matter at acceptance: limits and material requirements."""
        return {
            "code": self.code,
            "name": self.name,
            "department": self.department.code,
            "limit_unit": self.limit_unit,
            "legal_limit": str(self.legal_limit),
            "promised_limit": str(self.promised_limit),
            "fee": str(self.fee),
            "delegated": self.delegated,
            "materials": [mm.snapshot() for mm in self.requirements.select_related("material").order_by("order")],
        }


class MatterMaterial(models.Model):
    """A material as one matter requires it."""

    matter = models.ForeignKey(Matter, verbose_name=_("事项"), on_delete=models.CASCADE, related_name="requirements")
    material = models.ForeignKey(Material, verbose_name=_("材料"), on_delete=models.PROTECT, related_name="uses")
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    required = models.BooleanField(_("必要"), default=True)
    core = models.BooleanField(_("核心要件"), default=False, help_text=_("核心要件不得容缺。"))
    originals = models.PositiveSmallIntegerField(_("原件份数"), default=0)
    copies = models.PositiveSmallIntegerField(_("复印件份数"), default=0)
    deferrable = models.BooleanField(_("可容缺"), default=False)
    pledgeable = models.BooleanField(_("可告知承诺"), default=False)
    notes = models.CharField(_("备注"), max_length=300, blank=True)
    blank_form = models.FileField(_("空白表格"), upload_to="catalogue/forms/", blank=True)
    sample = models.FileField(_("填写样例"), upload_to="catalogue/samples/", blank=True)

    class Meta:
        verbose_name = _("申请材料")
        verbose_name_plural = _("申请材料")
        ordering = ["matter", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["matter", "material"], name="material_once_per_matter"),
            models.CheckConstraint(
                condition=~models.Q(core=True, deferrable=True), name="core_material_never_deferrable"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.matter.code} · {self.material}"

    def clean(self):
        errors = {}
        if self.core and not self.required:
            errors["core"] = _("核心要件必须是必要材料。")
        if self.core and self.deferrable:
            errors["deferrable"] = _("核心要件不得容缺。")
        if self.deferrable and not self.required:
            errors["deferrable"] = _("非必要材料无需容缺。")
        if self.originals == 0 and self.copies == 0:
            errors["originals"] = _("原件和复印件至少一项大于零。")
        if errors:
            raise ValidationError(errors)

    def snapshot(self) -> dict:
        return {
            "material": self.material.code,
            "name": self.material.name,
            "required": self.required,
            "core": self.core,
            "originals": self.originals,
            "copies": self.copies,
            "deferrable": self.deferrable,
            "pledgeable": self.pledgeable,
        }


class Bundle(models.Model):
    """一件事: several matters applied for together with one set of materials."""

    code = models.CharField(_("编码"), max_length=40, unique=True, validators=[code_validator])
    name = models.CharField(_("名称"), max_length=200)
    description = models.TextField(_("说明"), blank=True)
    zone = models.ForeignKey(
        Zone, verbose_name=_("受理服务区"), on_delete=models.PROTECT, related_name="bundles"
    )
    life_event = models.ForeignKey(
        LifeEvent, verbose_name=_("主题"), null=True, blank=True, on_delete=models.SET_NULL, related_name="bundles"
    )
    limit_unit = models.CharField(_("时限单位"), max_length=16, choices=LimitUnit.choices)
    limit = models.DecimalField(
        _("一件事办结时限"), max_digits=6, decimal_places=1, default=Decimal("0"), validators=[MinValueValidator(0)]
    )
    status = models.CharField(_("状态"), max_length=16, choices=Matter.Status.choices, default=Matter.Status.IN_USE)
    matters = models.ManyToManyField(Matter, through="BundleItem", related_name="bundles")

    class Meta:
        verbose_name = _("一件事")
        verbose_name_plural = _("一件事")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        if self.limit_unit == LimitUnit.INSTANT and self.limit:
            raise ValidationError({"limit": _("即办不设时限数值。")})
        if self.limit_unit != LimitUnit.INSTANT and not self.limit:
            raise ValidationError({"limit": _("请填写一件事办结时限。")})

    def limit_display(self) -> str:
        if self.limit_unit == LimitUnit.INSTANT:
            return str(_("即办"))
        return f"{self.limit.normalize():f} {self.get_limit_unit_display()}"

    def ordered_matters(self):
        return [item.matter for item in self.items.select_related("matter__department").order_by("order", "id")]


class BundleItem(models.Model):
    bundle = models.ForeignKey(Bundle, verbose_name=_("一件事"), on_delete=models.CASCADE, related_name="items")
    matter = models.ForeignKey(Matter, verbose_name=_("事项"), on_delete=models.PROTECT, related_name="+")
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)

    class Meta:
        verbose_name = _("一件事所含事项")
        verbose_name_plural = _("一件事所含事项")
        ordering = ["bundle", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["bundle", "matter"], name="matter_once_per_bundle")]

    def __str__(self) -> str:
        return f"{self.bundle.code} · {self.matter.code}"


class Synonym(models.Model):
    """An everyday phrase and the catalogue words it means (营业执照 → 设立登记、企业开办), entered by hall admins.

    The guide's search reads them for every query (understand.py): an edit takes effect at once everywhere."""

    phrase = models.CharField(
        _("常用说法"), max_length=32, unique=True,
        help_text=_("群众常说的词，例如：营业执照、过户、公积金提取。保存时统一为半角小写、去掉标点和空格。"),
    )  # fmt: skip
    words = models.CharField(
        _("对应的事项用语"), max_length=200,
        help_text=_("事项名称或关键词中的说法，多个用顿号或逗号分隔；一个说法内用空格分隔的词须同时出现。"
                    "例如：设立登记、企业开办；住房公积金 提取。"),
    )  # fmt: skip
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("检索同义词")
        verbose_name_plural = _("检索同义词")
        ordering = ["phrase"]

    def __str__(self) -> str:
        return f"{self.phrase} → {self.words}"

    def clean(self):
        from .understand import alternatives_of, normalise

        errors = {}
        self.phrase = normalise(self.phrase).replace(" ", "")
        if not self.phrase:
            errors["phrase"] = _("请填写常用说法（不能只有标点或空格）。")
        elif len(self.phrase) < 2:
            errors["phrase"] = _("常用说法至少两个字符：一个字会出现在太多查询里。")
        alternatives = alternatives_of(self.words)
        if not alternatives:
            errors["words"] = _("请至少填写一个对应的说法。")
        elif self.phrase and all(alt == (self.phrase,) for alt in alternatives):
            errors["words"] = _("对应的说法不能只是常用说法本身。")
        if errors:
            raise ValidationError(errors)
        # One canonical text: the same words always read the same (and export the same).
        self.words = "、".join(" ".join(alt) for alt in alternatives)

    def save(self, *args, **kwargs):
        from .understand import normalise

        self.phrase = normalise(self.phrase).replace(" ", "")  # as a query is, so that the lookup finds it
        super().save(*args, **kwargs)

    def alternatives(self) -> list[tuple[str, ...]]:
        from .understand import alternatives_of

        return alternatives_of(self.words)
