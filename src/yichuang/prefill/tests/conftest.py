"""Fixtures of the pre-filled application's tests: the demo hall with its published 企业开办 guide, on a working
Tuesday morning; a seated enterprise clerk; media in a temp dir; the cache table (sign-in codes, rate limits)."""

import datetime

import pytest
import time_machine
from django.core.management import call_command

from yichuang.clock.workcalendar import SHANGHAI
from yichuang.situation.tests.conftest import demo_catalogue_subset, demo_guides  # noqa: F401 — the demo hall and its guides

T0 = datetime.datetime(2026, 3, 10, 10, 0, tzinfo=SHANGHAI)  # a Tuesday, inside opening hours


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("createcachetable", verbosity=0)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def tuesday():
    with time_machine.travel(T0, tick=True):
        yield


@pytest.fixture
def clerk(demo_guides, tuesday):  # noqa: F811
    from yichuang.organisation import services as org_services
    from yichuang.organisation.models import Window
    from yichuang.organisation.tests.factories import UserFactory

    user = UserFactory(window_clerk=True)
    window = (
        Window.objects.filter(zone__code="sq-enterprise", kind=Window.Kind.INTAKE, is_open=True)
        .order_by("number")
        .first()
    )
    org_services.take_seat(user, window)
    user.window = window
    return user
