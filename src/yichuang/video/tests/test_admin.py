"""The admin: hall admins edit the video rules (audited); calls and bookings are read-only there, for everyone."""

import pytest
from django.test import Client

from yichuang.core.models import AuditEvent
from yichuang.organisation.roles import sync_role_groups
from yichuang.organisation.tests.factories import UserFactory
from yichuang.video import services
from yichuang.video.models import Call, VideoRules

pytestmark = pytest.mark.django_db


def test_hall_admins_edit_the_rules_and_only_read_calls():
    sync_role_groups()
    client = Client()
    client.force_login(UserFactory(hall_admin=True))
    form = {"slot_minutes": "30", "ring_seconds": "45", "recording_allowed": "on"}
    assert client.post("/admin/video/videorules/add/", form).status_code == 302
    rules = VideoRules.objects.get()
    assert rules.recording_allowed and rules.slot_minutes == 30 and rules.ring_seconds == 45
    assert AuditEvent.objects.filter(action="admin.add", object_type__contains="videorules").exists()
    assert client.post("/admin/video/videorules/add/", form).status_code == 403  # one row
    call = services.place_call(kind=Call.Kind.CONSULT, caller_name="张三")
    page = client.get(f"/admin/video/call/{call.pk}/change/")
    assert page.status_code == 200 and "张三" not in page.text and 'name="_save"' not in page.text
    assert client.post(f"/admin/video/call/{call.pk}/change/", {"status": "ended"}).status_code == 403


def test_a_supervisor_reads_the_call_log_in_the_admin_but_not_the_rules_form():
    sync_role_groups()
    client = Client()
    client.force_login(UserFactory(supervisor=True, is_staff=True))
    assert client.get("/admin/video/call/").status_code == 200
    assert client.post("/admin/video/videorules/add/", {"slot_minutes": "30", "ring_seconds": "45"}).status_code == 403
