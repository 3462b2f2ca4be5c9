"""Situation guides (情形引导): a guide per bundle or matter, its versions of rules, and its test cases.

A version's rules are data (`rules.py` says the format); a draft is edited by hall admins and published only when
every test case of its guide passes (`services.publish`). A published version never changes: a submission taken in
under it keeps it (`intake.Submission.situation_version`) with its answers.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from yichuang.catalogue.models import Bundle, Matter, code_validator


class Guide(models.Model):
    code = models.CharField(_("编码"), max_length=40, unique=True, validators=[code_validator])
    name = models.CharField(_("名称"), max_length=200)
    bundle = models.OneToOneField(
        Bundle,
        verbose_name=_("一件事"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="situation_guide",
    )
    matter = models.OneToOneField(
        Matter, verbose_name=_("事项"), null=True, blank=True, on_delete=models.PROTECT, related_name="situation_guide"
    )
    intro = models.TextField(_("引导语"), blank=True)

    class Meta:
        verbose_name = _("情形引导")
        verbose_name_plural = _("情形引导")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(bundle__isnull=True, matter__isnull=False)
                | models.Q(bundle__isnull=False, matter__isnull=True),
                name="guide_for_bundle_or_matter",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        if bool(self.bundle_id) == bool(self.matter_id):
            raise ValidationError(_("情形引导须对应一个一件事或一个事项（二者选一）。"))

    def scope(self) -> list[Matter]:
        """The matters the guide chooses among, in the bundle's order."""
        if self.bundle_id:
            return self.bundle.ordered_matters()
        return [self.matter]

    def published(self) -> "GuideVersion | None":
        return self.versions.filter(status=GuideVersion.Status.PUBLISHED).first()


class GuideVersion(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("已发布")
        RETIRED = "retired", _("已停用")

    guide = models.ForeignKey(Guide, verbose_name=_("情形引导"), on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("版本号"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    source = models.TextField(
        _("规则（YAML）"), help_text=_("问题、选项和各情形下的事项、材料、告知内容；格式见“试算”页的说明。")
    )
    definition = models.JSONField(_("规则（解析后）"), default=dict, editable=False)
    note = models.CharField(_("修订说明"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("创建人"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发布人"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip

    class Meta:
        verbose_name = _("情形引导版本")
        verbose_name_plural = _("情形引导版本")
        ordering = ["guide", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["guide", "number"], name="one_guide_version_number"),
            models.UniqueConstraint(
                fields=["guide"], condition=models.Q(status="published"), name="one_published_guide_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.guide} · v{self.number}（{self.get_status_display()}）"

    def clean(self):
        from . import queries

        if self.pk and self.status != self.Status.DRAFT:
            stored = GuideVersion.objects.filter(pk=self.pk).values_list("source", flat=True).first()
            if stored is not None and stored != self.source:
                raise ValidationError({"source": _("已发布或停用的版本不能修改；请复制为新草稿后修改。")})
        if self.guide_id:
            try:
                self.definition = queries.parse_for(self.guide, self.source)
            except ValidationError as exc:
                raise ValidationError({"source": exc.messages}) from None


class GuideCase(models.Model):
    """A test case: answers and the result they must give. Every case of a guide must pass before a version of it
    is published."""

    guide = models.ForeignKey(Guide, verbose_name=_("情形引导"), on_delete=models.CASCADE, related_name="cases")
    name = models.CharField(_("用例名称"), max_length=100)
    answers = models.TextField(_("回答"), help_text=_("每行一个：问题编码=选项编码，例如 seal=need。"))
    expect_matters = models.TextField(
        _("应办理的事项"), help_text=_("每行一个事项编码；须与结果完全一致（不计顺序）。")
    )
    expect_materials = models.TextField(
        _("材料要求"), blank=True,
        help_text=_("每行一个：材料编码（须为必要材料），可加“ 原件数/复印件数”，如 lease-contract 0/1；"
                    "以“-”开头表示不应出现在清单中，如 -employee-roster。"),
    )  # fmt: skip
    expect_notices = models.TextField(_("应出现的告知内容"), blank=True, help_text=_("每行一段，须原文出现。"))

    class Meta:
        verbose_name = _("测试用例")
        verbose_name_plural = _("测试用例（发布前须全部通过）")
        ordering = ["guide", "id"]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        from .cases import parse_case

        try:
            parse_case(self)
        except ValidationError as exc:
            raise ValidationError({"answers": exc.messages}) from None
