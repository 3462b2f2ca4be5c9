"""一窗受理: applicants, submissions with their merged materials, cases (one per matter), pickup batches of
delegated departments, refusals, attached files and the timeline later steps append to.

Numbers: a submission is `<division code>-<yyyymmdd>-<6-digit sequence>`, the sequence counted per division
code and day (SubmissionCounter, bumped in one statement); a case is `<submission number>-<2-digit n>`. Both
are unique and sort in order of acceptance within a site and day.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import F, OrderBy, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yichuang.core.masking import mask_id_number, mask_name, mask_phone


class ApplicantKind(models.TextChoices):
    PERSON = "person", _("自然人")
    ORG = "org", _("法人或其他组织")


class Channel(models.TextChoices):
    WINDOW = "window", _("窗口受理")
    ONLINE = "online", _("网上申请")


def masked_name(kind: str, name: str) -> str:
    """张* for a person; an organisation's name is public."""
    if kind == ApplicantKind.ORG:
        return name
    return mask_name(name)


class Applicant(models.Model):
    """A person (resident ID) or an organisation (unified social credit code) who applies.

    Never overwritten by an intake: `name` and `phone` are as first recorded. Each submission keeps the applicant
    as given on its day (`Submission.applicant_name`, `applicant_phone` …), and every name and phone given for
    this ID number is an `ApplicantContact` with the moment it was first given.
    """

    kind = models.CharField(_("类别"), max_length=8, choices=ApplicantKind.choices)
    name = models.CharField(_("名称"), max_length=100, help_text=_("首次登记的名称。"))
    id_number = models.CharField(_("证件号码"), max_length=18)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True, help_text=_("首次登记的联系电话。"))
    # 容缺承诺未履行: set when a deferred material was not supplied in time; only an admin clears it.
    deferral_blocked = models.BooleanField(_("容缺失信"), default=False)
    deferral_blocked_at = models.DateTimeField(_("标记时间"), null=True, blank=True)
    deferral_block_reason = models.CharField(_("标记原因"), max_length=200, blank=True)
    deferral_cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("解除人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    deferral_cleared_at = models.DateTimeField(_("解除时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("申请人")
        verbose_name_plural = _("申请人")
        ordering = ["kind", "id_number"]
        constraints = [models.UniqueConstraint(fields=["kind", "id_number"], name="applicant_once_per_kind")]

    def __str__(self) -> str:
        return f"{self.name} {self.masked_id_number}"

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def masked_name(self) -> str:
        return masked_name(self.kind, self.name)


class ApplicantContact(models.Model):
    """A name and phone given for an applicant's ID number, from the moment it was first given (`since`, with the
    submission that gave it). Rows are only added: a changed phone or name is a new row, history stays."""

    applicant = models.ForeignKey(
        Applicant, verbose_name=_("申请人"), on_delete=models.PROTECT, related_name="contacts", db_index=False
    )
    name = models.CharField(_("名称"), max_length=100)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    since = models.DateTimeField(_("首次提供时间"))
    submission = models.ForeignKey(
        "Submission",
        verbose_name=_("首次提供于"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )

    class Meta:
        verbose_name = _("申请人联系信息")
        verbose_name_plural = _("申请人联系信息")
        ordering = ["applicant", "since", "id"]
        constraints = [
            models.UniqueConstraint(fields=["applicant", "name", "phone"], name="applicant_contact_once"),
        ]

    def __str__(self) -> str:
        return f"{masked_name(self.applicant.kind, self.name)} {mask_phone(self.phone)}"

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)


class SubmissionCounter(models.Model):
    """The last submission sequence per division code and day; bumped by one INSERT … ON CONFLICT … RETURNING."""

    division_code = models.CharField(max_length=12)
    date = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("受理编号计数")
        verbose_name_plural = _("受理编号计数")
        constraints = [models.UniqueConstraint(fields=["division_code", "date"], name="one_submission_counter")]

    def __str__(self) -> str:
        return f"{self.division_code} {self.date} {self.last}"


class Submission(models.Model):
    """One intake (一窗受理 / 一次提交): one applicant, one merged set of materials, one receipt.

    Foreign keys that nothing looks rows up by, or that a composite index already leads with, carry no index of
    their own in this app's models: every intake would pay for maintaining it.
    """

    class Status(models.TextChoices):
        ACCEPTED = "accepted", _("已受理")
        REFUSED = "refused", _("不予受理")

    # Drawn just before the intake's transaction (services.draw_number); unique, increasing.
    number = models.CharField(_("受理编号"), max_length=40, unique=True, null=True, blank=True)
    site = models.ForeignKey(
        "organisation.Site",
        verbose_name=_("受理场所"),
        on_delete=models.PROTECT,
        related_name="submissions",
        db_index=False,
    )
    applicant = models.ForeignKey(
        Applicant, verbose_name=_("申请人"), on_delete=models.PROTECT, related_name="submissions"
    )
    # The applicant as given on the day of this submission: receipts, notices, messages and the progress lookup
    # read these, never the Applicant row (a later intake of the same ID number changes nothing here).
    applicant_name = models.CharField(_("申请人名称"), max_length=100, blank=True)
    applicant_id_number = models.CharField(_("申请人证件号码"), max_length=18, blank=True)
    applicant_phone = models.CharField(_("申请人联系电话"), max_length=20, blank=True)
    agent_name = models.CharField(_("代办人"), max_length=50, blank=True)
    agent_id_number = models.CharField(_("代办人身份证号码"), max_length=18, blank=True)
    agent_phone = models.CharField(_("代办人电话"), max_length=20, blank=True)
    bundle = models.ForeignKey(
        "catalogue.Bundle",
        verbose_name=_("一件事"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    # The situation guide's answers and the rule version they were given under (情形引导), when one was used.
    situation_version = models.ForeignKey(
        "situation.GuideVersion",
        verbose_name=_("情形引导版本"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    situation_answers = models.JSONField(_("情形引导回答"), default=dict, blank=True)
    # Assisted service (帮办代办): the assistance it was made for, and the helper who made it as the agent.
    assistance = models.ForeignKey(
        "assistance.Assistance",
        verbose_name=_("帮办代办"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    assisted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("帮办员（代理人）"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    channel = models.CharField(_("渠道"), max_length=8, choices=Channel.choices, default=Channel.WINDOW)
    window = models.ForeignKey(
        "organisation.Window",
        verbose_name=_("受理窗口"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    ticket = models.ForeignKey(
        "queue.Ticket", verbose_name=_("排队号"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("受理人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    accepted_at = models.DateTimeField(_("受理时间"), db_index=True)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.ACCEPTED)
    idempotency_key = models.CharField(_("幂等键"), max_length=200, unique=True, null=True, blank=True)

    class Meta:
        verbose_name = _("受理")
        verbose_name_plural = _("受理")
        ordering = ["-accepted_at", "-id"]
        # 我的申请 and the progress lookup find submissions by the phone given that day (applicant's or agent's).
        indexes = [
            models.Index(fields=["applicant_phone"], name="submission_applicant_phone_idx"),
            models.Index(fields=["agent_phone"], name="submission_agent_phone_idx"),
        ]

    def __str__(self) -> str:
        return self.number or f"#{self.pk}"

    @property
    def has_agent(self) -> bool:
        return bool(self.agent_name)

    @property
    def as_given(self) -> "ApplicantAsGiven":
        """The applicant as given on this submission's day (what its documents and pages show)."""
        return ApplicantAsGiven(
            self.applicant.kind, self.applicant_name, self.applicant_id_number, self.applicant_phone
        )

    @property
    def masked_agent_id_number(self) -> str:
        return mask_id_number(self.agent_id_number)

    @property
    def masked_agent_phone(self) -> str:
        return mask_phone(self.agent_phone)

    @property
    def contact_phone(self) -> str:
        """Where messages about this submission go: the phone given for it (the applicant's, else the agent's)."""
        return self.applicant_phone or self.agent_phone


@dataclass(frozen=True)
class ApplicantAsGiven:
    """A submission's applicant as given on its day, with the attributes templates read of an Applicant."""

    kind: str
    name: str
    id_number: str
    phone: str

    def get_kind_display(self) -> str:
        return str(ApplicantKind(self.kind).label) if self.kind in ApplicantKind.values else self.kind

    @property
    def masked_name(self) -> str:
        return masked_name(self.kind, self.name)

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)


class MaterialStatus(models.TextChoices):
    RECEIVED = "received", _("已收")
    DEFERRED = "deferred", _("容缺")
    PLEDGED = "pledged", _("告知承诺")
    MISSING = "missing", _("缺少")
    # 免提交: the applicant's valid e-licence, or the same material of an earlier submission still valid, stands
    # for it (`licence` or `reused_from`; checked by licences.reuse).
    REUSED = "reused", _("免提交")


class SubmissionMaterial(models.Model):
    """One line of the merged material list (一套材料) of a submission, asked for and received once."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="materials", db_index=False)
    order = models.PositiveSmallIntegerField(_("序号"), default=0)
    material = models.ForeignKey(
        "catalogue.Material", verbose_name=_("材料"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    code = models.CharField(_("材料编码"), max_length=32)
    name = models.CharField(_("材料名称"), max_length=200)
    required = models.BooleanField(_("必要"), default=True)
    core = models.BooleanField(_("核心要件"), default=False)
    originals_required = models.PositiveSmallIntegerField(_("应交原件"), default=0)
    copies_required = models.PositiveSmallIntegerField(_("应交复印件"), default=0)
    matters = models.JSONField(_("所需事项"), default=list, help_text=_("需要本材料的事项编码。"))
    status = models.CharField(_("状态"), max_length=12, choices=MaterialStatus.choices)
    originals = models.PositiveSmallIntegerField(_("收到原件"), default=0)
    copies = models.PositiveSmallIntegerField(_("收到复印件"), default=0)
    due = models.DateField(_("补交期限"), null=True, blank=True)
    supplied_at = models.DateTimeField(_("补交时间"), null=True, blank=True)
    licence = models.ForeignKey(
        "licences.Licence",
        verbose_name=_("免提交：电子证照"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    reused_from = models.ForeignKey(
        "self",
        verbose_name=_("免提交：往次材料"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )

    class Meta:
        verbose_name = _("受理材料")
        verbose_name_plural = _("受理材料")
        ordering = ["submission", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["submission", "code"], name="material_once_per_submission"),
            models.CheckConstraint(
                condition=Q(status="deferred", due__isnull=False) | ~Q(status="deferred"), name="deferred_has_due"
            ),
            # A line stood in for by exactly one thing, and only a 免提交 line.
            models.CheckConstraint(
                condition=Q(status="reused", licence__isnull=False, reused_from__isnull=True)
                | Q(status="reused", licence__isnull=True, reused_from__isnull=False)
                | (~Q(status="reused") & Q(licence__isnull=True, reused_from__isnull=True)),
                name="reused_has_one_source",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} · {self.get_status_display()}"


class Handoff(models.Model):
    """交接单: a delegated department's pickup batch — the cases waiting for its next scheduled pickup."""

    class Status(models.TextChoices):
        OPEN = "open", _("待取件")
        COLLECTED = "collected", _("已取件")

    department = models.ForeignKey(
        "organisation.Department", verbose_name=_("部门"), on_delete=models.PROTECT, related_name="handoffs"
    )
    site = models.ForeignKey("organisation.Site", verbose_name=_("场所"), on_delete=models.PROTECT, related_name="+")
    scheduled_for = models.DateTimeField(_("计划取件时间"))
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    collected_at = models.DateTimeField(_("取件时间"), null=True, blank=True)
    collected_by = models.CharField(_("取件人"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("交接单")
        verbose_name_plural = _("交接单")
        ordering = ["scheduled_for", "department"]
        constraints = [
            models.UniqueConstraint(
                fields=["department", "site", "scheduled_for"], condition=Q(status="open"), name="one_open_handoff"
            ),
        ]

    def __str__(self) -> str:
        local = timezone.localtime(self.scheduled_for)
        return f"{self.department} {local:%Y-%m-%d %H:%M}"


class CaseStatus(models.TextChoices):
    ACCEPTED = "accepted", _("待办理")  # in the department's inbox (or waiting for a delegated pickup)
    IN_PROGRESS = "in_progress", _("办理中")
    CORRECTION = "correction", _("补正中")  # the clock stops
    SPECIAL = "special", _("特别程序中")  # the clock stops
    APPROVED = "approved", _("准予办结")
    REJECTED = "rejected", _("不予许可")
    TERMINATED = "terminated", _("终止")


# Cases whose clock is watched; among them the ones whose clock stands still.
OPEN_STATUSES = (CaseStatus.ACCEPTED, CaseStatus.IN_PROGRESS, CaseStatus.CORRECTION, CaseStatus.SPECIAL)
PAUSED_STATUSES = (CaseStatus.CORRECTION, CaseStatus.SPECIAL)
RUNNING_STATUSES = (CaseStatus.ACCEPTED, CaseStatus.IN_PROGRESS)
CONCLUDED_STATUSES = (CaseStatus.APPROVED, CaseStatus.REJECTED, CaseStatus.TERMINATED)


class WorklistIndex(models.Index):
    """An index whose columns may be `F(…).asc(nulls_first=True)`, to match an `ORDER BY … NULLS FIRST`.

    PostgreSQL's ascending index puts NULL last, so the words are needed there. SQLite puts NULL first in
    ascending order anyway and does not accept NULLS FIRST in CREATE INDEX: there the plain columns are indexed.
    """

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor == "sqlite":
            plain = self.clone()
            plain.expressions = tuple(
                e.expression if isinstance(e, OrderBy) and not e.descending else e for e in self.expressions
            )
            return models.Index.create_sql(plain, model, schema_editor, using=using, **kwargs)
        return super().create_sql(model, schema_editor, using=using, **kwargs)


class Case(models.Model):
    """办件: one matter of a submission, owned by one department, with its own clock.

    The clock (backoffice.clock) is kept in a few columns so that a query and Python read the same state:
    while it runs, `due_at` is the deadline and `warn_at` the moment it turns yellow; while it stands still
    (correction, special procedure) `paused_at` is set and `left_us` holds the opening time that was left.
    `budget_us` is the whole limit in opening time (extensions included): time used = budget − time left.
    """

    Status = CaseStatus

    number = models.CharField(_("办件编号"), max_length=44, unique=True, null=True, blank=True)
    submission = models.ForeignKey(
        Submission, verbose_name=_("受理"), on_delete=models.PROTECT, related_name="cases", db_index=False
    )
    seq = models.PositiveSmallIntegerField(_("序号"))
    matter = models.ForeignKey(
        "catalogue.Matter", verbose_name=_("事项"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    department = models.ForeignKey(
        "organisation.Department",
        verbose_name=_("实施部门"),
        on_delete=models.PROTECT,
        related_name="cases",
        db_index=False,
    )
    matter_snapshot = models.JSONField(_("受理时事项快照"))
    accepted_at = models.DateTimeField(_("受理时间"))
    due_at = models.DateTimeField(_("办结期限"))
    warn_at = models.DateTimeField(_("预警时间"), null=True, blank=True)
    warn_us = models.BigIntegerField(_("预警阈值（微秒）"), default=0)
    budget_us = models.BigIntegerField(_("时限总量（微秒）"), default=0)
    paused_at = models.DateTimeField(_("计时暂停于"), null=True, blank=True)
    left_us = models.BigIntegerField(_("暂停时剩余（微秒）"), null=True, blank=True)
    extended_days = models.PositiveSmallIntegerField(_("已延长工作日"), default=0)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.ACCEPTED)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("承办人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    received_at = models.DateTimeField(_("部门收件时间"), null=True, blank=True)
    concluded_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    returned_at = models.DateTimeField(_("结果送达出件窗口"), null=True, blank=True)
    handoff = models.ForeignKey(
        Handoff, verbose_name=_("交接单"), null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    # The submission's intake window, kept on the case too: statistics per window and zone (performance) read
    # the cases alone instead of joining every case of a period to its submission.
    window = models.ForeignKey(
        "organisation.Window",
        verbose_name=_("受理窗口"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )

    class Meta:
        verbose_name = _("办件")
        verbose_name_plural = _("办件")
        ordering = ["submission", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["submission", "seq"], name="case_seq_once_per_submission"),
            models.CheckConstraint(
                condition=Q(paused_at__isnull=True, left_us__isnull=True)
                | Q(paused_at__isnull=False, left_us__isnull=False),
                name="case_paused_has_left",
            ),
        ]
        indexes = [
            # 绩效考核 (performance.queries): cases concluded in a period; cases accepted in a period per
            # department (index-only on PostgreSQL).
            models.Index(
                fields=["concluded_at"],
                condition=Q(status__in=["approved", "rejected", "terminated"]),
                name="case_concluded_idx",
            ),
            models.Index(fields=["accepted_at", "department", "submission"], name="case_accepted_idx"),
            # The department's worklist: its open cases in the worklist's order (backoffice.queries.worklist:
            # running by deadline, then stopped ones), so its first page is read off the index, never sorted
            # (partial: concluded cases never weigh in).
            WorklistIndex(
                F("department"),
                F("paused_at").asc(nulls_first=True),
                F("due_at"),
                F("left_us").asc(nulls_first=True),
                F("id"),
                F("received_at"),  # so that the page's count (received cases only) is read from the index alone
                condition=Q(status__in=["accepted", "in_progress", "correction", "special"]),
                name="case_worklist_idx",
            ),
            # The supervisor's board (supervision.queries) and the red/yellow lists read these three partial
            # indexes alone (index-only on PostgreSQL): running cases by deadline (red: due_at < now; yellow's
            # first page: from now on), running cases by the moment they turn yellow (counts per department),
            # and the few stopped ones by the time they have left.
            models.Index(
                fields=["due_at", "id", "warn_at", "department"],
                condition=Q(status__in=["accepted", "in_progress"]),
                name="case_running_due_idx",
            ),
            models.Index(
                fields=["warn_at", "due_at", "department"],
                condition=Q(status__in=["accepted", "in_progress"]),
                name="case_running_warn_idx",
            ),
            models.Index(
                fields=["left_us", "warn_us", "department", "due_at", "id"],
                condition=Q(status__in=["correction", "special"]),
                name="case_paused_left_idx",
            ),
        ]

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_paused(self) -> bool:
        return self.paused_at is not None

    def __str__(self) -> str:
        return self.number or f"#{self.pk}"

    @property
    def matter_name(self) -> str:
        return self.matter_snapshot.get("name", "")

    @property
    def limit_display(self) -> str:
        snap = self.matter_snapshot
        if snap.get("limit_unit") == "instant":
            return str(_("即办"))
        unit = {"working_days": _("个工作日"), "working_hours": _("个工作小时")}.get(snap.get("limit_unit"), "")
        return f"{snap.get('promised_limit', '').rstrip('0').rstrip('.')} {unit}"


class Refusal(models.Model):
    """不予受理: the written refusal with its reasons and what was missing (the one-time notice)."""

    submission = models.OneToOneField(Submission, on_delete=models.PROTECT, related_name="refusal")
    reasons = models.TextField(_("不予受理理由"))
    matters = models.JSONField(_("申请事项"), default=list, help_text=_("[{code, name, department}]"))
    missing = models.JSONField(_("缺少的材料"), default=list, help_text=_("[{material, name}]"))

    class Meta:
        verbose_name = _("不予受理")
        verbose_name_plural = _("不予受理")

    def __str__(self) -> str:
        return str(self.submission)


def attachment_path(instance: "Attachment", filename: str) -> str:
    """Under MEDIA_ROOT/intake/, which no URL serves: files are only read through views that check access."""
    date = timezone.localdate()
    return f"intake/{date:%Y/%m}/{instance.submission_id}/{instance.sha256[:16]}-{filename}"


class Attachment(models.Model):
    """A scanned or uploaded material of a submission (PDF, JPEG, PNG or OFD, checked by content)."""

    submission = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="attachments")
    material_code = models.CharField(_("材料编码"), max_length=32)
    file = models.FileField(_("文件"), upload_to=attachment_path, max_length=255)
    sha256 = models.CharField(max_length=64)
    content_type = models.CharField(_("类型"), max_length=64)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    original_name = models.CharField(_("原文件名"), max_length=255)
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("材料文件")
        verbose_name_plural = _("材料文件")
        ordering = ["submission", "uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class TimelineEvent(models.Model):
    """One step in the life of a submission or case: who, what, when, from which window."""

    class Kind(models.TextChoices):
        ACCEPTED = "accepted", _("受理")
        REFUSED = "refused", _("不予受理")
        DISPATCHED = "dispatched", _("分办至部门")
        AWAITING_PICKUP = "awaiting_pickup", _("待部门定时取件")
        MATERIAL_DEFERRED = "material_deferred", _("容缺受理")
        MATERIAL_PLEDGED = "material_pledged", _("告知承诺")
        FILE_ATTACHED = "file_attached", _("上传材料文件")
        FILE_REFUSED = "file_refused", _("材料文件未通过检查")
        MATERIAL_SUPPLIED = "material_supplied", _("补交材料")
        # 后台审批 (backoffice.services)
        COLLECTED = "collected", _("部门取件签收")
        CLAIMED = "claimed", _("认领办件")
        ASSIGNED = "assigned", _("分派承办人")
        CORRECTION_REQUESTED = "correction_requested", _("一次性告知补正")
        CORRECTION_RECEIVED = "correction_received", _("补正材料收到，恢复计时")
        SPECIAL_STARTED = "special_started", _("启动特别程序，暂停计时")
        SPECIAL_ENDED = "special_ended", _("特别程序结束，恢复计时")
        EXTENSION_REQUESTED = "extension_requested", _("申请延期")
        EXTENSION_APPROVED = "extension_approved", _("延期获批")
        EXTENSION_REJECTED = "extension_rejected", _("延期未获批")
        APPROVED = "approved", _("准予办结")
        REJECTED = "rejected", _("不予许可")
        TERMINATED = "terminated", _("终止办理")
        WITHDRAWN = "withdrawn", _("补正逾期，视为撤回申请")
        RESULT_RECORDED = "result_recorded", _("登记办理结果")
        RESULT_RETURNED = "result_returned", _("结果送达出件窗口")
        # 一窗出件 (output.services)
        READY_NOTIFIED = "ready_notified", _("通知领取结果")
        HANDED_OVER = "handed_over", _("窗口领取结果")
        MAILED = "mailed", _("邮寄送达结果")
        # the holiday schedule changed under a running clock (clock.services)
        DEADLINE_MOVED = "deadline_moved", _("节假日安排调整，办结期限变更")

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="timeline", db_index=False)
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.CASCADE, related_name="timeline")
    kind = models.CharField(_("事件"), max_length=32)
    at = models.DateTimeField(_("时间"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    window = models.ForeignKey(
        "organisation.Window",
        verbose_name=_("窗口"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    detail = models.JSONField(_("详情"), default=dict, blank=True)

    class Meta:
        verbose_name = _("时间线事件")
        verbose_name_plural = _("时间线事件")
        ordering = ["submission", "at", "id"]
        indexes = [models.Index(fields=["submission", "at"], name="timeline_submission_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind_display}"

    @property
    def kind_display(self) -> str:
        try:
            return str(self.Kind(self.kind).label)
        except ValueError:
            return self.kind


class ReferenceRevision(models.Model):
    """One row whose token changes whenever the catalogue, the hall's organisation or the working calendar
    changes (signals in reference.py): intake's per-process cache of that reference data is valid while the
    token it was built under is still the one in this row. A random token, never a counter, so that a rolled
    back change can never make a stale cache look current."""

    token = models.CharField(max_length=32)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("基础数据版本")
        verbose_name_plural = _("基础数据版本")

    def __str__(self) -> str:
        return self.token
