"""The start page's link to 绩效考核: shown before signing in (those who may see it sign in from there) and to those
who may see it, never to a signed-in member of staff who would only be refused."""

import pytest
from django.apps import apps
from django.contrib.auth.models import AnonymousUser

from yichuang.organisation.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("who", "shown"),
    [(None, True), ({"supervisor": True}, True), ({"lead": True}, True), ({"window_clerk": True}, False)],
)
def test_performance_link_on_the_start_page(rf, who, shown):
    request = rf.get("/")
    request.user = AnonymousUser() if who is None else UserFactory(**who)
    group = apps.get_app_config("performance").surfaces(request)
    assert (group is not None) is shown
    if shown:
        assert group["links"][0]["url"] == "/performance/"
        assert ("登录后查看" in group["links"][0]["note"]) is (who is None)
