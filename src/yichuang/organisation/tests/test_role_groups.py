"""The role groups: made by migrate (post_migrate) with exactly each role's permissions, once per migrate."""

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext

from yichuang.organisation.roles import ROLE_PERMISSIONS, sync_role_groups

pytestmark = pytest.mark.django_db


def _granted() -> dict[str, set[str]]:
    return {
        group.name: {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
        for group in Group.objects.prefetch_related("permissions__content_type")
    }


def test_migrate_made_one_group_per_role_with_exactly_its_permissions():
    granted = _granted()
    for role, perms in ROLE_PERMISSIONS.items():
        assert granted[str(role)] == set(perms), role


def test_the_signal_of_every_app_but_the_last_does_nothing_and_the_last_restores_the_groups():
    Group.objects.get(name=str(next(iter(ROLE_PERMISSIONS)))).permissions.clear()
    with_models = [a for a in apps.get_app_configs() if a.models_module]
    with CaptureQueriesContext(connection) as queries:
        for app_config in with_models[:-1]:
            sync_role_groups(app_config=app_config)
    assert len(queries) == 0
    sync_role_groups(app_config=with_models[-1])
    granted = _granted()
    assert all(granted[str(role)] == set(perms) for role, perms in ROLE_PERMISSIONS.items())
