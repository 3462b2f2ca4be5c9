from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """One line of the audit log: a change of state, or a view of a person's full data.

    Append-only: nothing in the product updates or deletes a row (the admin is read-only).
    """

    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    action = models.CharField(_("动作"), max_length=64, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=64, blank=True)
    object_id = models.CharField(_("对象"), max_length=64, blank=True)
    summary = models.CharField(_("摘要"), max_length=255, blank=True)
    detail = models.JSONField(_("详情"), default=dict, blank=True)
    ip = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)

    class Meta:
        verbose_name = _("审计日志")
        verbose_name_plural = _("审计日志")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.action} {self.object_type}:{self.object_id}"


class PeriodicJob(models.Model):
    """The schedule and the last outcome of one periodic job (yichuang.core.periodic), shared by every worker.

    A worker claims a due row in a short transaction, moves `next_run_at` one period on before it runs the job
    (so a failing run cannot stop the next one) and marks the row as running by itself (`running_by`: no
    second worker starts the job while that worker's heartbeat is fresh).
    """

    name = models.CharField(_("任务"), max_length=100, unique=True)
    period_seconds = models.PositiveIntegerField(_("周期（秒）"))
    next_run_at = models.DateTimeField(_("下次运行"), db_index=True)
    running_by = models.CharField(_("正在运行的工作进程"), max_length=64, blank=True)
    last_started_at = models.DateTimeField(_("最近开始"), null=True, blank=True)
    last_success_at = models.DateTimeField(_("最近成功"), null=True, blank=True)
    last_duration = models.FloatField(_("最近用时（秒）"), null=True, blank=True)
    last_result = models.CharField(_("最近结果"), max_length=300, blank=True)
    last_error = models.CharField(_("最近错误"), max_length=500, blank=True)
    last_error_at = models.DateTimeField(_("最近出错"), null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(_("连续失败次数"), default=0)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("后台任务")
        verbose_name_plural = _("后台任务状态")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class WorkerHeartbeat(models.Model):
    """A task worker's sign of life: written at every scheduler tick, marked stopped when it shuts down."""

    worker_id = models.CharField(_("工作进程"), max_length=64, unique=True)
    hostname = models.CharField(_("主机"), max_length=255, blank=True)
    pid = models.PositiveIntegerField(_("进程号"), null=True, blank=True)
    started_at = models.DateTimeField(_("启动时间"))
    last_seen_at = models.DateTimeField(_("最近心跳"), db_index=True)
    stopped_at = models.DateTimeField(_("停止时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("工作进程心跳")
        verbose_name_plural = _("工作进程心跳")
        ordering = ["-last_seen_at"]

    def __str__(self) -> str:
        return f"{self.hostname}:{self.pid} ({self.worker_id[:8]})"


class FormToken(models.Model):
    """A one-time form token claimed by a POST (yichuang.core.once): the unique key decides, also at once.

    The row is written in the same transaction as what the form creates, and records where its first result is
    shown; a repeat of the token finds it and is sent there. Rows older than the token's lifetime are removed.
    """

    key = models.CharField(_("令牌"), max_length=64, unique=True)
    owner = models.CharField(_("提交人"), max_length=80, blank=True)
    form = models.CharField(_("表单"), max_length=200, blank=True)
    result_url = models.CharField(_("第一次提交的结果"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("提交时间"), db_index=True)

    class Meta:
        verbose_name = _("一次性表单令牌")
        verbose_name_plural = _("一次性表单令牌")

    def __str__(self) -> str:
        return f"{self.form} {self.created_at:%Y-%m-%d %H:%M:%S}"
