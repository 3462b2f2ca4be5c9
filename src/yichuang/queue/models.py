"""一号服务: tickets, their events, per-zone numbering, queue settings and appointments.

A ticket is numbered once, per zone and day, with the zone's letter (A001 …), and keeps that number for
life, even when transferred to another zone. Its place in the queue is given by a few columns the claim
statement orders by (see services.claim_sql): `front` (transferred to the front), `priority` (绿色通道,
subject to the anti-starvation rules), `booked` (an appointment checked in within its window), then
`queued_at`.
"""

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yichuang.core.masking import mask_name, mask_phone
from yichuang.organisation.models import Site, Window, Zone


def new_token() -> str:
    return secrets.token_urlsafe(16)


class QueueSettings(models.Model):
    """Queue rules for one zone, or for every zone of a site; unset means the defaults below."""

    site = models.ForeignKey(Site, verbose_name=_("服务场所"), null=True, blank=True, on_delete=models.CASCADE)
    zone = models.OneToOneField(Zone, verbose_name=_("服务区"), null=True, blank=True, on_delete=models.CASCADE)
    no_show_after_calls = models.PositiveSmallIntegerField(
        _("呼叫几次后可过号"), default=3, validators=[MinValueValidator(1)]
    )
    priority_wait_bound_minutes = models.PositiveSmallIntegerField(
        _("普通号最长让行（分钟）"),
        default=20,
        validators=[MinValueValidator(1)],
        help_text=_("普通号等候超过此时长，下一个叫普通号。"),
    )
    priority_run_length = models.PositiveSmallIntegerField(
        _("绿色通道连续叫号上限"),
        default=3,
        validators=[MinValueValidator(1)],
        help_text=_("连续叫了这么多个绿色通道号后，下一个叫普通号。"),
    )
    appointment_early_minutes = models.PositiveSmallIntegerField(_("预约可提前签到（分钟）"), default=15)
    appointment_late_minutes = models.PositiveSmallIntegerField(_("预约可迟到（分钟）"), default=10)
    default_service_minutes = models.PositiveSmallIntegerField(
        _("默认办理时长（分钟）"),
        default=8,
        validators=[MinValueValidator(1)],
        help_text=_("开门时尚无当天办结记录，用此值估算等候时间。"),
    )
    near_turn_ahead = models.PositiveSmallIntegerField(
        _("前面还剩几人时提醒"),
        default=3,
        help_text=_(
            "前面等候人数降到此数时，手机页面提示“即将轮到您”，并给留了手机号的取号人发一条短信（每个号一次；"
            "取号时前面人数已不超过此数的不发）。"
        ),
    )

    class Meta:
        verbose_name = _("排队规则")
        verbose_name_plural = _("排队规则")
        constraints = [
            models.CheckConstraint(
                condition=(Q(site__isnull=False) & Q(zone__isnull=True))
                | (Q(site__isnull=True) & Q(zone__isnull=False)),
                name="queue_settings_site_xor_zone",
            ),
            models.UniqueConstraint(
                fields=["site"], condition=Q(zone__isnull=True), name="one_queue_settings_per_site"
            ),
        ]

    def __str__(self) -> str:
        return str(self.zone or self.site)

    def clean(self):
        if bool(self.site_id) == bool(self.zone_id):
            raise ValidationError(_("排队规则须指定一个服务区，或者一个服务场所（适用于其所有服务区）。"))


class RateBucket(models.Model):
    """The rate limit of the public endpoints, per client address: GCRA's theoretical arrival time
    (seconds since the epoch), advanced by one atomic statement (ratelimit.py)."""

    key = models.CharField(max_length=200, primary_key=True)
    tat = models.FloatField()

    class Meta:
        verbose_name = _("限流计数")
        verbose_name_plural = _("限流计数")

    def __str__(self) -> str:
        return self.key


class TicketCounter(models.Model):
    """The last number issued per zone and day; advanced by one INSERT … ON CONFLICT … RETURNING."""

    zone = models.ForeignKey(Zone, on_delete=models.CASCADE, related_name="+")
    date = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("号码计数")
        verbose_name_plural = _("号码计数")
        constraints = [models.UniqueConstraint(fields=["zone", "date"], name="one_counter_per_zone_day")]

    def __str__(self) -> str:
        return f"{self.zone} {self.date} {self.last}"


class AppointmentSlot(models.Model):
    """A bookable time slot of a zone on one day, with a capacity."""

    zone = models.ForeignKey(Zone, verbose_name=_("服务区"), on_delete=models.CASCADE, related_name="appointment_slots")
    date = models.DateField(_("日期"))
    start = models.TimeField(_("开始"))
    end = models.TimeField(_("结束"))
    capacity = models.PositiveSmallIntegerField(_("可约人数"), validators=[MinValueValidator(1)])
    booked = models.PositiveSmallIntegerField(_("已约人数"), default=0, editable=False)

    class Meta:
        verbose_name = _("预约时段")
        verbose_name_plural = _("预约时段")
        ordering = ["date", "start", "zone"]
        constraints = [
            models.UniqueConstraint(fields=["zone", "date", "start"], name="one_slot_per_zone_start"),
            models.CheckConstraint(condition=Q(start__lt=models.F("end")), name="slot_start_before_end"),
            models.CheckConstraint(condition=Q(booked__lte=models.F("capacity")), name="slot_within_capacity"),
        ]

    def __str__(self) -> str:
        return f"{self.zone} {self.date} {self.start:%H:%M}–{self.end:%H:%M}"

    @property
    def free(self) -> int:
        return max(0, self.capacity - self.booked)


class Appointment(models.Model):
    """A booked slot (预约): checked in at the kiosk with its code, it joins the queue ahead of walk-ins."""

    class Status(models.TextChoices):
        BOOKED = "booked", _("已预约")
        CHECKED_IN = "checked_in", _("已签到")
        CANCELLED = "cancelled", _("已取消")

    slot = models.ForeignKey(
        AppointmentSlot, verbose_name=_("时段"), on_delete=models.PROTECT, related_name="appointments"
    )
    code = models.CharField(_("预约码"), max_length=12, unique=True)
    name = models.CharField(_("姓名"), max_length=50)
    phone = models.CharField(_("手机号"), max_length=20)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.BOOKED)
    created_at = models.DateTimeField(_("预约时间"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("代约工作人员"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    checked_in_at = models.DateTimeField(_("签到时间"), null=True, blank=True)
    # What the person comes for: a matter, or a pre-filled application (a situation guide's result) — the
    # confirmation lists its checked materials, and the check-in's ticket brings the application to the window.
    matter = models.ForeignKey(
        "catalogue.Matter", verbose_name=_("事项"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    prefill = models.ForeignKey(
        "prefill.Prefill", verbose_name=_("预填申请"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="appointments",
    )  # fmt: skip
    token = models.CharField(max_length=32, null=True, blank=True, unique=True, editable=False)
    reminded_day_at = models.DateTimeField(_("前一天提醒时间"), null=True, blank=True)
    reminded_hour_at = models.DateTimeField(_("一小时前提醒时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("预约")
        verbose_name_plural = _("预约")
        ordering = ["slot__date", "slot__start", "id"]

    def __str__(self) -> str:
        return f"{self.code} {self.slot}"

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def masked_name(self) -> str:
        return mask_name(self.name)


class Ticket(models.Model):
    """One queue number for one visit (一号服务)."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("等候中")
        CALLED = "called", _("已叫号")
        SERVING = "serving", _("办理中")
        MISSED = "missed", _("已过号")
        FINISHED = "finished", _("已办结")
        CANCELLED = "cancelled", _("已取消")

    class Source(models.TextChoices):
        KIOSK = "kiosk", _("取号机")
        API = "api", _("接口")
        APPOINTMENT = "appointment", _("预约签到")
        STAFF = "staff", _("工作人员")

    # Where the ticket queues now; `issued_zone` numbered it (its letter stays on the ticket).
    zone = models.ForeignKey(Zone, verbose_name=_("服务区"), on_delete=models.PROTECT, related_name="tickets")
    issued_zone = models.ForeignKey(Zone, verbose_name=_("取号服务区"), on_delete=models.PROTECT, related_name="+")
    date = models.DateField(_("日期"))
    seq = models.PositiveIntegerField(_("序号"))
    number = models.CharField(_("号码"), max_length=8)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.WAITING)
    source = models.CharField(_("来源"), max_length=12, choices=Source.choices, default=Source.KIOSK)
    priority = models.BooleanField(_("绿色通道"), default=False)
    front = models.BooleanField(_("插到队首"), default=False, help_text=_("转移时放到新服务区队首。"))
    booked = models.BooleanField(_("预约优先"), default=False, help_text=_("在预约时间窗口内签到，先于现场取号。"))
    appointment = models.OneToOneField(
        Appointment, verbose_name=_("预约"), null=True, blank=True, on_delete=models.PROTECT, related_name="ticket"
    )
    matter = models.ForeignKey(
        "catalogue.Matter",
        verbose_name=_("办理事项"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    token = models.CharField(max_length=32, unique=True, default=new_token, editable=False)
    issued_at = models.DateTimeField(_("取号时间"))
    queued_at = models.DateTimeField(_("排队时间"), help_text=_("进入当前队列的时间；转移、恢复后重新计。"))
    called_at = models.DateTimeField(_("叫号时间"), null=True, blank=True)
    first_called_at = models.DateTimeField(_("首次叫号时间"), null=True, blank=True)
    served_at = models.DateTimeField(_("开始办理"), null=True, blank=True)
    finished_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    missed_at = models.DateTimeField(_("过号时间"), null=True, blank=True)
    call_count = models.PositiveSmallIntegerField(_("呼叫次数"), default=0)
    window = models.ForeignKey(
        Window, verbose_name=_("窗口"), null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("叫号人员"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # What the person was told at issue: kept to measure the estimate against the real wait.
    ahead_at_issue = models.PositiveIntegerField(_("取号时前面人数"), default=0)
    # When the "a few ahead" message was written to the outbox (services.remind_near_turn): once per ticket.
    reminded_at = models.DateTimeField(_("到号提醒时间"), null=True, blank=True)
    wait_low = models.PositiveIntegerField(_("预计等候下限（分钟）"), default=0)
    wait_high = models.PositiveIntegerField(_("预计等候上限（分钟）"), default=0)

    class Meta:
        verbose_name = _("排队号")
        verbose_name_plural = _("排队号")
        ordering = ["-date", "issued_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["issued_zone", "date", "seq"], name="ticket_number_once_per_zone_day"),
            # A window holds at most one ticket at a time, even if it calls twice at the same instant.
            models.UniqueConstraint(
                fields=["window"], condition=Q(status__in=["called", "serving"]), name="one_open_ticket_per_window"
            ),
        ]
        indexes = [
            models.Index(fields=["zone", "date", "status"], name="ticket_queue_idx"),
            models.Index(fields=["zone", "date", "called_at"], name="ticket_calls_idx"),
            models.Index(fields=["window", "status"], name="ticket_window_idx"),
            # The two orders the claim statement walks (绿色通道 first, or an ordinary ticket first), so that
            # claiming the head of a long queue reads one index entry instead of sorting the queue.
            models.Index(
                fields=["zone", "date", "-front", "-priority", "-booked", "queued_at", "id"],
                condition=Q(status="waiting"),
                name="ticket_claim_priority_idx",
            ),
            models.Index(
                fields=["zone", "date", "-front", "priority", "-booked", "queued_at", "id"],
                condition=Q(status="waiting"),
                name="ticket_claim_ordinary_idx",
            ),
            models.Index(
                fields=["zone", "date", "priority", "queued_at"],
                condition=Q(status="waiting"),
                name="ticket_oldest_idx",
            ),
            models.Index(
                fields=["zone", "date", "finished_at"], condition=Q(status="finished"), name="ticket_finished_idx"
            ),
            models.Index(
                fields=["zone", "date", "issued_at"], condition=Q(priority=True), name="ticket_priority_rate_idx"
            ),
            # 绩效考核 (performance.queries): the tickets finished in a period, without reading every day's queue.
            models.Index(fields=["finished_at"], condition=Q(status="finished"), name="ticket_finished_at_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.WAITING, self.Status.CALLED, self.Status.SERVING)


class TicketEvent(models.Model):
    """What happened to a ticket, when, at which window and by whom: the raw material for statistics."""

    class Kind(models.TextChoices):
        ISSUED = "issued", _("取号")
        CALLED = "called", _("叫号")
        RECALLED = "recalled", _("重呼")
        SERVED = "served", _("开始办理")
        NO_SHOW = "no_show", _("过号")
        REACTIVATED = "reactivated", _("恢复")
        TRANSFERRED = "transferred", _("转移")
        FINISHED = "finished", _("办结")
        CANCELLED = "cancelled", _("取消")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("事件"), max_length=12, choices=Kind.choices)
    at = models.DateTimeField(_("时间"))
    zone = models.ForeignKey(Zone, verbose_name=_("服务区"), on_delete=models.PROTECT, related_name="+")
    window = models.ForeignKey(
        Window, verbose_name=_("窗口"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("工作人员"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    detail = models.JSONField(_("详情"), default=dict, blank=True)

    class Meta:
        verbose_name = _("排队事件")
        verbose_name_plural = _("排队事件")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["zone", "at"], name="ticket_event_zone_idx")]

    def __str__(self) -> str:
        return f"{self.at:%H:%M:%S} {self.ticket.number} {self.get_kind_display()}"
