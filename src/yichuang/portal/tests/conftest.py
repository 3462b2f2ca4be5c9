"""Fixtures of the portal tests: intake's small hall, a clean cache (rate limits), signing in through the pages."""

import re

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse

from yichuang.intake.tests.helpers import Hall, build_hall
from yichuang.notifications.models import Message

PHONE = "13912345678"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Rate limits live in the database cache, whose table migrations do not create."""
    with django_db_blocker.unblock():
        call_command("createcachetable", verbosity=0)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _clean_cache(request):
    if "db" in request.fixturenames or "transactional_db" in request.fixturenames:
        cache.clear()
    yield


@pytest.fixture
def hall(db) -> Hall:
    return build_hall()


def last_code(phone: str = PHONE) -> str:
    """The code of the newest sign-in message to `phone`, read from the outbox (as the SMS would show it)."""
    body = Message.objects.filter(recipient=phone, kind=Message.Kind.SIGN_IN_CODE).latest("created_at", "id").body
    return re.search(r"\d{6}", body).group(0)


def sign_in(client, phone: str = PHONE):
    response = client.post(reverse("portal:request_code"), {"phone": phone})
    assert response.status_code == 302, response.content.decode()[:2000]
    response = client.post(reverse("portal:code"), {"code": last_code(phone)})
    assert response.status_code == 302
    return client


@pytest.fixture
def applicant(client, hall):
    """A client signed in to the online hall with PHONE."""
    return sign_in(client)
