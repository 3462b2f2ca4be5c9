"""Fixtures of the back-office tests: the intake tests' small hall, with officers, a lead and a supervisor."""

from dataclasses import dataclass

import pytest
from django.core.management import call_command

from yichuang.intake import services as intake
from yichuang.intake.tests.helpers import PERSON, T0, Hall, build_hall, received
from yichuang.organisation.tests.factories import UserFactory


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("createcachetable", verbosity=0)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@dataclass
class Office:
    hall: Hall
    officer: object  # 县市场监督管理局
    officer2: object  # 县市场监督管理局
    lead: object  # 县市场监督管理局
    tax_officer: object  # 县税务局: another department
    civil_officer: object  # 县民政局 (delegated)
    supervisor: object


@pytest.fixture
def office(db) -> Office:
    hall = build_hall()
    return Office(
        hall=hall,
        officer=UserFactory(officer=True, department=hall.samr, username="samr1"),
        officer2=UserFactory(officer=True, department=hall.samr, username="samr2"),
        lead=UserFactory(lead=True, department=hall.samr, username="samr_lead"),
        tax_officer=UserFactory(officer=True, department=hall.tax, username="tax1"),
        civil_officer=UserFactory(officer=True, department=hall.civil, username="civil1"),
        supervisor=UserFactory(supervisor=True, username="sup"),
    )


def take_in(hall: Hall, matter_code: str = "PERMIT", *, now=T0, materials=None, window=None):
    """Accept one matter at the general zone's window (PERMIT: 县市场监督管理局, 3 working days)."""
    submission = intake.submit(
        actor=hall.general_clerk,
        applicant=PERSON,
        matters=[matter_code],
        materials=materials if materials is not None else received("ID"),
        window=window or hall.w_general,
        now=now,
    )
    return submission.cases.get()
