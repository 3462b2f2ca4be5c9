"""The one read-only admin base (core.admin.ReadOnlyAdmin / ReadOnlyInline): rows that change only through their
app's services are shown in the admin and never added, changed or deleted there, by a superuser neither."""

import pytest
from django.contrib import admin
from django.test import RequestFactory

from yichuang.core.admin import ReadOnlyAdmin, ReadOnlyInline, SearchTermMixin

READ_ONLY = {
    "core.auditevent", "core.periodicjob", "intake.submission", "intake.case", "intake.handoff", "intake.applicant",
    "queue.ticket", "queue.appointment", "supervision.order", "supervision.orderevent", "output.handover",
    "output.reminder", "feedback.evaluation", "feedback.rectification", "feedback.appeal", "feedback.ratingpad",
    "backoffice.correction", "backoffice.specialprocedure", "backoffice.extension", "backoffice.decision",
    "backoffice.alert", "consultation.consultation", "consultation.escalation", "consultation.consultationrating",
    "knowledge.article", "knowledge.articleversion", "knowledge.articlefile", "knowledge.searchlog", "video.call",
    "video.booking",
}  # fmt: skip


def _label(model) -> str:
    return f"{model._meta.app_label}.{model._meta.model_name}"


def test_the_service_owned_tables_use_the_one_base():
    registered = {_label(model): model_admin for model, model_admin in admin.site._registry.items()}
    missing = READ_ONLY - set(registered)
    assert not missing
    for label in READ_ONLY:
        assert isinstance(registered[label], ReadOnlyAdmin), label
        for inline in registered[label].inlines:
            assert issubclass(inline, ReadOnlyInline), (label, inline)


@pytest.mark.django_db
def test_no_other_read_only_base_is_defined():
    """Every admin refusing add, change and delete alike is a ReadOnlyAdmin (no copies of the base)."""
    request = RequestFactory().get("/admin/")
    request.user = type("Superuser", (), {"is_superuser": True, "is_active": True, "has_perm": lambda *a: True})()
    for model, model_admin in admin.site._registry.items():
        if not type(model_admin).__module__.startswith("yichuang."):
            continue  # third-party admins (the task results of django-tasks-db) are theirs
        refuses = not any(
            (
                model_admin.has_add_permission(request),
                model_admin.has_change_permission(request),
                model_admin.has_delete_permission(request),
            )
        )
        assert refuses == isinstance(model_admin, ReadOnlyAdmin), _label(model)


@pytest.mark.django_db
def test_read_only_even_for_a_superuser(django_user_model):
    from yichuang.intake.models import Submission

    user = django_user_model.objects.create_superuser("root", password="x")
    request = RequestFactory().get("/admin/")
    request.user = user
    model_admin = admin.site._registry[Submission]
    assert model_admin.has_view_permission(request)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
    assert isinstance(model_admin, SearchTermMixin)
    from yichuang.intake.admin import MaterialInline

    inline = MaterialInline(Submission, admin.site)
    assert not inline.has_add_permission(request, None)
    assert not inline.has_change_permission(request, None)
    assert not inline.has_delete_permission(request, None)
