"""The demo's day at the consultation desk, loaded with the whole demo hall under a clock frozen on Tuesday
2026-11-10 at 10:20: window questions from consultant1's tickets, phone and video, online ones; an escalation to
县人社局 overdue (red on the supervision board), one answered and rated; loading again changes nothing."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from yichuang.consultation.demo import load_consultation_history
from yichuang.consultation.models import Consultation, ConsultationRating
from yichuang.demo import hall
from yichuang.queue import queries as queue_queries
from yichuang.supervision import queries as supervision

pytestmark = pytest.mark.django_db

TUESDAY = dt.datetime(2026, 11, 10, 10, 20, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_the_demo_day_at_the_desk():
    queue_queries.clear_caches()
    with time_machine.travel(TUESDAY, tick=False):
        lines = []
        hall.load_demo(lines.append)
        # The loader's report counts what is in the database after the whole day (one overdue, one waiting).
        assert any("转办 3，其中超期未答复 1；网上待答复 1）" in line for line in lines), lines
        channels = set(Consultation.objects.values_list("channel", flat=True))
        assert channels == {"window", "phone", "video", "online"}
        assert Consultation.objects.filter(channel="window", ticket__isnull=False).count() >= 1
        overdue = supervision.board(None).overdue_escalations
        assert [e.department.code for e in overdue] == ["hrss"]
        assert Consultation.objects.filter(status="replied").count() == 1
        assert ConsultationRating.objects.get().level == 5
        assert Consultation.objects.filter(status="open", channel="online").count() == 1
        escalated_today = Consultation.objects.get(status="escalated", escalation__department__code="market")
        assert escalated_today.escalation.due_at > TUESDAY
        count = Consultation.objects.count()
        assert load_consultation_history() == "咨询：已有，未改动"
        assert Consultation.objects.count() == count
    queue_queries.clear_caches()
