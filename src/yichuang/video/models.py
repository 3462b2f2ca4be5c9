"""远程视频: calls between a citizen and the consultation desk (远程视频咨询) and between a window clerk and a
department's expert (远程视频指导 · 业务支撑). Media go peer to peer (WebRTC; a TURN server where peers cannot
reach each other); the application carries only the signalling, as rows, so any app server can relay it.
Calls change only through `video.services`; the call log is these rows.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class VideoRules(models.Model):
    """The hall's video rules, one row, edited in the admin."""

    recording_allowed = models.BooleanField(
        _("允许录制"), default=False, help_text=_("开启后，仍须办事人在屏幕上同意才录制")
    )
    slot_minutes = models.PositiveSmallIntegerField(_("预约时段（分钟）"), default=20)
    ring_seconds = models.PositiveSmallIntegerField(_("呼叫等待（秒）"), default=60)

    class Meta:
        verbose_name = _("视频规则")
        verbose_name_plural = _("视频规则")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)


class Booking(models.Model):
    """A booked slot: a citizen's video consultation, or a clerk's appointment with a department's expert."""

    class Kind(models.TextChoices):
        CONSULT = "consult", _("视频咨询")
        SUPPORT = "support", _("业务支撑")

    kind = models.CharField(_("类别"), max_length=8, choices=Kind.choices)
    department = models.ForeignKey(
        "organisation.Department", verbose_name=_("部门"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    name = models.CharField(_("预约人"), max_length=100, blank=True)
    phone = models.CharField(_("联系电话"), max_length=32, blank=True)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("预约人员"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    topic = models.CharField(_("事由"), max_length=200, blank=True)
    token = models.CharField(max_length=64, unique=True)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("视频预约")
        verbose_name_plural = _("视频预约")
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="booking_ends_after"),
            # One live booking per slot and party (the desk; each department), also under concurrent booking.
            # Two partial constraints because the desk's department is NULL and NULLs never collide.
            models.UniqueConstraint(
                fields=["starts_at"],
                condition=Q(kind="consult", cancelled_at__isnull=True),
                name="booking_one_per_desk_slot",
            ),
            models.UniqueConstraint(
                fields=["department", "starts_at"],
                condition=Q(kind="support", cancelled_at__isnull=True),
                name="booking_one_per_department_slot",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {timezone.localtime(self.starts_at):%Y-%m-%d %H:%M}"


class Call(models.Model):
    """One call, from ringing to hang-up: who, when, how long, which consultation or case."""

    class Kind(models.TextChoices):
        CONSULT = "consult", _("远程视频咨询")
        SUPPORT = "support", _("远程视频指导")

    class Status(models.TextChoices):
        RINGING = "ringing", _("呼叫中")
        ACTIVE = "active", _("通话中")
        ENDED = "ended", _("已结束")
        MISSED = "missed", _("未接通")

    kind = models.CharField(_("类别"), max_length=8, choices=Kind.choices)
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.RINGING)
    # The caller: a staff member (clerk) or an anonymous citizen known by the call's token.
    caller = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("呼叫人员"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    caller_name = models.CharField(_("呼叫人"), max_length=100, blank=True)
    # Who is called: the consultation desk (department empty) or a department's experts on duty.
    department = models.ForeignKey(
        "organisation.Department", verbose_name=_("被呼叫部门"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    callee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("接听人员"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    booking = models.ForeignKey(Booking, null=True, blank=True, on_delete=models.PROTECT, related_name="calls")
    consultation = models.ForeignKey(
        "consultation.Consultation", verbose_name=_("咨询"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="calls",
    )  # fmt: skip
    case = models.ForeignKey(
        "intake.Case", verbose_name=_("办件"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    token = models.CharField(max_length=64, unique=True)
    recording_consent = models.BooleanField(_("同意录制"), default=False)
    created_at = models.DateTimeField(_("呼叫时间"), default=timezone.now)
    answered_at = models.DateTimeField(_("接通时间"), null=True, blank=True)
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    ended_by = models.CharField(_("挂断方"), max_length=8, blank=True)  # caller, callee, or "lost" (both silent)
    # Each side's last poll, written at most every SEEN_RESOLUTION: a side silent for long has gone (power cut,
    # network lost) and the call is ended for it, so that the log never keeps a call running forever.
    caller_seen_at = models.DateTimeField(null=True, blank=True)
    callee_seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("视频通话")
        verbose_name_plural = _("通话记录")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "kind"], name="call_status_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def seconds(self) -> int | None:
        if self.answered_at and self.ended_at:
            return int((self.ended_at - self.answered_at).total_seconds())
        return None


class Signal(models.Model):
    """One signalling message (SDP offer/answer, ICE candidate, hang-up) from one side of a call to the other.
    Each side polls for rows after the last id it has seen; any app server answers."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="signals")
    sender = models.CharField(max_length=8, choices=[("caller", "caller"), ("callee", "callee")])
    kind = models.CharField(max_length=12)
    payload = models.JSONField(default=dict)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["call", "id"], name="signal_call_idx")]

    def __str__(self) -> str:
        return f"{self.call_id} {self.sender} {self.kind}"


def recording_path(instance: "Recording", filename: str) -> str:
    """Under MEDIA_ROOT/video/, which no URL serves: a recording is read only through the log's view."""
    date = timezone.localdate()
    return f"video/{date:%Y/%m}/call-{instance.call_id}.webm"


class Recording(models.Model):
    """A consultation call's recording: only where the hall allows recording and the citizen agreed on screen.
    The answering consultant's browser records the citizen's picture with both voices and uploads it at the end."""

    call = models.OneToOneField(Call, on_delete=models.PROTECT, related_name="recording")
    file = models.FileField(_("录像文件"), upload_to=recording_path, max_length=255)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("录制人员"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    class Meta:
        verbose_name = _("通话录像")
        verbose_name_plural = _("通话录像")

    def __str__(self) -> str:
        return f"{self.call} {self.size} B"
