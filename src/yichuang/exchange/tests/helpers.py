"""A case's whole life through the services, each step writing its timeline (and so the outbox)."""

import datetime as dt

from yichuang.backoffice import services as office
from yichuang.feedback import services as feedback
from yichuang.intake.tests.helpers import T0
from yichuang.output import services as output


def with_special(desk):
    from yichuang.intake import services as intake
    from yichuang.intake.tests.helpers import PERSON, received

    hall = desk.hall
    submission = intake.submit(
        actor=hall.general_clerk, applicant=PERSON, matters=["PERMIT"], materials=received("ID"),
        window=hall.w_general, now=T0,
    )  # fmt: skip
    case = submission.cases.get()
    officer = desk.office.officer
    later = T0 + dt.timedelta(hours=1)
    office.claim(case, officer, now=later)
    office.start_special(case, officer, kind="inspection", reason="现场检验", limit_days=2, now=later)
    office.end_special(case, officer, outcome="合格", now=later + dt.timedelta(hours=1))
    office.conclude(case, officer, outcome="approved", certificate_number="C-1", now=later + dt.timedelta(hours=2))
    output.mail(submission, desk.clerk, address="沈丘县城关镇", carrier="EMS", tracking_number="EMS000111",
                now=later + dt.timedelta(hours=3))  # fmt: skip
    case.refresh_from_db()
    feedback.rate(level=5, channel="portal", case=case, now=later + dt.timedelta(hours=4))
    return submission, case
