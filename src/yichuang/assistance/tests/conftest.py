"""Fixtures of assisted service's tests: the demo hall with its catalogue on a working Tuesday morning, helpers
seated at the 沈速办帮您办 windows (43, 44) of the feature zone."""

import datetime

import pytest
import time_machine
from django.core.management import call_command

from yichuang.clock.workcalendar import SHANGHAI
from yichuang.situation.tests.conftest import demo_catalogue_subset, demo_guides  # noqa: F401 — the demo hall and its guides

T0 = datetime.datetime(2026, 3, 10, 10, 0, tzinfo=SHANGHAI)  # a Tuesday, inside opening hours
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("createcachetable", verbosity=0)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def helpers(demo_guides):  # noqa: F811
    from yichuang.organisation import services as org_services
    from yichuang.organisation.models import Window
    from yichuang.organisation.tests.factories import UserFactory

    with time_machine.travel(T0, tick=True):
        seated = []
        for number, name in ((43, "甲"), (44, "乙")):
            user = UserFactory(window_clerk=True, last_name="帮", first_name=name)
            org_services.take_seat(user, Window.objects.get(number=number))
            seated.append(user)
        yield seated
