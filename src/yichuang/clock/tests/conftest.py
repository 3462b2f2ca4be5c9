"""The back-office tests' small hall (cases with running clocks) for the calendar-change tests."""

from yichuang.backoffice.tests.conftest import _media, django_db_setup, office  # noqa: F401
