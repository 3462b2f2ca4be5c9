"""The feedback admin: ratings, rectifications and appeals read-only; the rating rules edited by hall admins."""

import pytest

from yichuang.feedback import services
from yichuang.feedback.models import Channel, Evaluation, FeedbackRules

pytestmark = pytest.mark.django_db


def test_ratings_are_read_only_in_the_admin(client, office, case):
    evaluation = services.rate(level=1, channel=Channel.LINK, case=case, comment="差")
    services.appeal(evaluation, office.officer, "非服务问题")
    client.force_login(office.hall.admin)
    for model in ("evaluation", "rectification", "appeal"):
        assert client.get(f"/admin/feedback/{model}/").status_code == 200, model
        assert client.get(f"/admin/feedback/{model}/add/").status_code == 403, model
    page = client.get(f"/admin/feedback/evaluation/{evaluation.pk}/change/").content.decode()
    assert "非常不满意" in page and "保存" not in page
    assert client.post(f"/admin/feedback/evaluation/{evaluation.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.post(f"/admin/feedback/evaluation/{evaluation.pk}/change/", {"level": 5}).status_code == 403
    assert Evaluation.objects.get().level == 1


def test_hall_admins_edit_the_rules(client, office):
    client.force_login(office.hall.admin)
    response = client.post(
        "/admin/feedback/feedbackrules/add/",
        {"rectification_days": 3, "link_valid_days": 15, "default_after_days": "", "default_level": 4},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert FeedbackRules.current().rectification_days == 3
    assert client.get("/admin/feedback/feedbackrules/add/").status_code == 403  # one row
    office.supervisor.is_staff = True  # supervisors use the admin (STAFF_ROLES)
    office.supervisor.save(update_fields=["is_staff"])
    client.force_login(office.supervisor)
    assert client.get("/admin/feedback/evaluation/").status_code == 200
    assert client.get(f"/admin/feedback/feedbackrules/{FeedbackRules.current().pk}/change/").status_code == 200
    assert (
        client.post(
            f"/admin/feedback/feedbackrules/{FeedbackRules.current().pk}/change/",
            {"rectification_days": 9, "link_valid_days": 15, "default_level": 4},
        ).status_code
        == 403
    )
    assert FeedbackRules.current().rectification_days == 3
