"""Fixtures of the intake tests: the small hall of helpers.build_hall(), fast passwords, media in a temp dir."""

import pytest
from django.core.management import call_command

from .helpers import Hall, build_hall


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The notification outbox enqueues through the database task backend; the cache table is not migrated."""
    with django_db_blocker.unblock():
        call_command("createcachetable", verbosity=0)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def hall(db) -> Hall:
    return build_hall()
