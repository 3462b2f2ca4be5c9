"""政策业务信息库: each department's knowledge articles for its matters — policy and legal text, Q&A, the
procedure, sample filled forms (填报样表). A department editor writes a version, a hall admin reviews and
publishes it; every published version is kept (the diff between two is shown), the article points at the one
in force. Articles change only through `knowledge.services`.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Article(models.Model):
    """One article; its text lives in its versions. `published` is the version the public (or staff) read."""

    class Kind(models.TextChoices):
        POLICY = "policy", _("政策法规")
        REQUIREMENTS = "requirements", _("办事要件")
        PROCEDURE = "procedure", _("办理流程")
        SAMPLE = "sample", _("填报样表")
        QA = "qa", _("常见问答")

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("公开")
        INTERNAL = "internal", _("仅内部")

    department = models.ForeignKey(
        "organisation.Department", verbose_name=_("部门"), on_delete=models.PROTECT, related_name="articles"
    )
    matters = models.ManyToManyField(
        "catalogue.Matter", verbose_name=_("相关事项"), blank=True, related_name="articles"
    )
    kind = models.CharField(_("类别"), max_length=16, choices=Kind.choices, default=Kind.QA)
    visibility = models.CharField(_("公开范围"), max_length=8, choices=Visibility.choices, default=Visibility.PUBLIC)
    published = models.OneToOneField(
        "ArticleVersion",
        verbose_name=_("现行版本"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Copied from the published version (title, body, matters, department, pinyin) for search.
    search_text = models.TextField(_("检索文本"), blank=True, editable=False)
    # The same text as overlapping character pairs ("变更 更登 登记"), the search index's input: an FTS5 table on
    # SQLite and a tsvector column on PostgreSQL (migration 0004) find a two-character word by one token and a
    # longer one by a phrase of its pairs, without scanning every article (see queries.py).
    search_grams = models.TextField(blank=True, editable=False)
    review_by = models.DateField(_("复核日期"), null=True, blank=True, help_text=_("过期未复核的文章标为待更新"))
    withdrawn_at = models.DateTimeField(_("撤下时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("创建人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)

    class Meta:
        verbose_name = _("知识文章")
        verbose_name_plural = _("知识文章")
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["visibility", "department"], name="article_visibility_idx"),
            # Covers what search filters and orders by, so that SQLite never reads the wide rows (search text)
            # of the thousands of articles a common word matches.
            models.Index(
                fields=["visibility", "withdrawn_at", "published", "department", "id"], name="article_search_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.published.title if self.published_id else f"#{self.pk}"


class ArticleVersion(models.Model):
    """One version of an article: drafted by an editor, submitted, then published or sent back by a hall admin.
    Published versions are never changed; a new text is a new version."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("待审核")
        PUBLISHED = "published", _("已发布")
        RETURNED = "returned", _("退回修改")

    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("版本号"))
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("正文"))
    legal_basis = models.CharField(_("依据"), max_length=500, blank=True)
    # Who may read the version once published: part of what the hall admin reviews (a department cannot make
    # an internal text public without review); publishing copies it to the article.
    visibility = models.CharField(
        _("公开范围"), max_length=8, choices=Article.Visibility.choices, default=Article.Visibility.PUBLIC
    )
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("编写人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("编写时间"), default=timezone.now)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    review_note = models.TextField(_("审核意见"), blank=True)

    class Meta:
        verbose_name = _("文章版本")
        verbose_name_plural = _("文章版本")
        ordering = ["article", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="one_version_number_per_article"),
            models.CheckConstraint(
                condition=~Q(status="published") | Q(reviewer__isnull=False, reviewed_at__isnull=False),
                name="published_version_reviewed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.number}"


class ArticleFile(models.Model):
    """A file of a version (a sample filled form, the policy as issued). A new version carries its files over."""

    version = models.ForeignKey(ArticleVersion, on_delete=models.PROTECT, related_name="files")
    name = models.CharField(_("文件名"), max_length=200)
    file = models.FileField(_("文件"), upload_to="knowledge/%Y/%m/")
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")

    def __str__(self) -> str:
        return self.name


class SearchLog(models.Model):
    """One search of the knowledge base (query as understood and how many articles it found), so editors see
    the frequent questions and the searches that found nothing. No personal data: only the query text."""

    class Source(models.TextChoices):
        GUIDE = "guide", _("办事指南")
        DESK = "desk", _("受理窗口")
        CONSULT = "consult", _("咨询台")
        API = "api", _("接口")
        STAFF = "staff", _("信息库")

    query = models.CharField(_("检索词"), max_length=100)
    hits = models.PositiveIntegerField(_("结果数"))
    source = models.CharField(_("来源"), max_length=8, choices=Source.choices)
    at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("检索记录")
        verbose_name_plural = _("检索记录")
        indexes = [models.Index(fields=["at"], name="knowledge_search_at_idx")]

    def __str__(self) -> str:
        return self.query
