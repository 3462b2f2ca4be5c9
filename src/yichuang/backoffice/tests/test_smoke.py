import datetime as dt

from yichuang.backoffice import services
from yichuang.clock import caseclock
from yichuang.intake.tests.helpers import T0

from .conftest import take_in


def test_claim_correct_resume_approve(office):
    case = take_in(office.hall)
    assert case.due_at == dt.datetime(2026, 3, 13, 17, 30, tzinfo=T0.tzinfo)
    assert caseclock.level(case, T0) == caseclock.GREEN
    services.claim(case, office.officer, now=T0)
    services.request_correction(
        case,
        office.officer,
        items=[{"material": "ID", "note": "复印件不清晰"}],
        due=dt.date(2026, 3, 20),
        now=T0 + dt.timedelta(hours=1),
    )
    case.refresh_from_db()
    assert case.status == "correction" and case.left_us is not None
    services.receive_correction(case, None, now=dt.datetime(2026, 3, 16, 9, 0, tzinfo=T0.tzinfo), channel="online")
    case.refresh_from_db()
    assert case.status == "in_progress"
    assert case.due_at == dt.datetime(2026, 3, 19, 17, 30, tzinfo=T0.tzinfo)
