"""Fixtures of the consultation tests: the back-office tests' small hall (officers of 县市场监督管理局, an officer of
县税务局, a supervisor) with a consultant seated at the consultation window 39 (综合审批服务区)."""

import datetime as dt
from dataclasses import dataclass

import pytest

from yichuang.backoffice.tests.conftest import (  # noqa: F401  (fixtures)
    Office,
    _media,
    django_db_setup,
    office,
)
from yichuang.intake.tests.helpers import T0
from yichuang.organisation import services as org_services
from yichuang.organisation.roles import Role
from yichuang.organisation.tests.factories import UserFactory

SHANGHAI = T0.tzinfo


def at(y, m, d, hh=10, mm=0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


@dataclass
class Desk:
    office: Office
    consultant: object  # seated at window 39
    consultant2: object  # not seated

    @property
    def hall(self):
        return self.office.hall


@pytest.fixture
def desk(office) -> Desk:  # noqa: F811
    consultant = UserFactory(roles=[Role.CONSULTANT], username="zx1", last_name="马", first_name="俊")
    consultant2 = UserFactory(roles=[Role.CONSULTANT], username="zx2")
    org_services.take_seat(consultant, office.hall.w_consult)
    return Desk(office=office, consultant=consultant, consultant2=consultant2)


def published_article(desk):
    """A public article of 县市场监督管理局 about the hall's 食品经营许可 matter, written by its officer and published
    by the hall admin."""
    from yichuang.knowledge import services as knowledge

    hall, officer = desk.hall, desk.office.officer
    article = knowledge.create_article(
        officer, department=hall.samr, title="食品经营许可延续办理指南", matters=[hall.licence_days],
        body="食品经营许可证有效期届满需要延续的，应当在有效期届满前 30 个工作日提出延续申请。",
    )  # fmt: skip
    version = knowledge.submit(officer, article.versions.get())
    return knowledge.publish(hall.admin, version)
