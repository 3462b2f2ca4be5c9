"""Links in QR codes, printed documents and messages (core/links.py): PUBLIC_URL when set; otherwise the address
the page was requested at; without a request (the task worker) SERVING_URL, which `yichuang demo` sets for the
processes it starts to the port it serves."""

import io
import sys
import types

import pytest
from django.core.management.base import CommandError
from django.test import RequestFactory

from yichuang.core import links
from yichuang.demo.management.commands import demo as demo_command
from yichuang.intake import services as intake_services
from yichuang.intake import views as intake_views
from yichuang.intake.tests.helpers import BUNDLE_MATERIALS, T0, build_hall, received
from yichuang.intake.tests.test_submit import ORG
from yichuang.notifications.models import Message
from yichuang.queue import services as queue_services
from yichuang.queue.models import Ticket
from yichuang.queue.tests.conftest import make_hall
from yichuang.queue.views import qr_svg


def accept():
    """An accepted submission (its "accepted" message is written then, without a request)."""
    hall = build_hall()
    submission = intake_services.submit(
        actor=hall.clerk, applicant=ORG, bundle="qiyekaiban", materials=received(*BUNDLE_MATERIALS), now=T0
    )
    return hall, submission


def test_the_helper(settings):
    request = RequestFactory().get("/", HTTP_HOST="testserver:8100")
    settings.PUBLIC_URL, settings.SERVING_URL = "", "http://127.0.0.1:8100"
    assert links.absolute("/t/x/") == "http://127.0.0.1:8100/t/x/"
    assert links.absolute("/t/x/", request) == "http://testserver:8100/t/x/"
    settings.PUBLIC_URL = "https://zwfw.example.gov.cn/"
    assert links.absolute("/t/x/", request) == "https://zwfw.example.gov.cn/t/x/"
    assert links.absolute("t/x/") == "https://zwfw.example.gov.cn/t/x/"


def test_a_host_the_server_does_not_answer_to_is_never_linked(settings):
    settings.PUBLIC_URL, settings.SERVING_URL = "", "http://127.0.0.1:8100"
    request = RequestFactory().get("/", HTTP_HOST="evil.example.com")
    assert links.absolute("/t/x/", request) == "http://127.0.0.1:8100/t/x/"


@pytest.mark.django_db
def test_public_url_is_in_the_receipt_qr_code_and_the_message(client, settings):
    settings.PUBLIC_URL = "https://zwfw.example.gov.cn"
    hall, submission = accept()
    client.force_login(hall.clerk)
    receipt = client.get(f"/desk/intake/{submission.number}/receipt/", HTTP_HOST="testserver:8100").content.decode()
    url = f"https://zwfw.example.gov.cn/progress/{submission.number}/"
    assert intake_views._qr_svg(url) in receipt and url in receipt
    message = Message.objects.get(kind=Message.Kind.ACCEPTED, submission=submission.number)
    assert url in message.body


@pytest.mark.django_db
def test_without_public_url_the_qr_codes_follow_the_request(client, settings):
    settings.PUBLIC_URL, settings.SERVING_URL = "", "http://127.0.0.1:8000"
    hall, submission = accept()
    client.force_login(hall.clerk)
    receipt = client.get(f"/desk/intake/{submission.number}/receipt/", HTTP_HOST="testserver:8100").content.decode()
    url = f"http://testserver:8100/progress/{submission.number}/"
    assert intake_views._qr_svg(url) in receipt and url in receipt and ":8000" not in receipt
    # The message was written without a request: the serving address.
    message = Message.objects.get(kind=Message.Kind.ACCEPTED, submission=submission.number)
    assert f"http://127.0.0.1:8000/progress/{submission.number}/" in message.body


@pytest.mark.django_db
def test_the_kiosk_ticket_qr_code_and_a_message_written_during_a_request(client, settings):
    settings.PUBLIC_URL, settings.SERVING_URL = "", "http://127.0.0.1:8000"
    hall = make_hall()
    for i in range(5):
        queue_services.issue_ticket(hall.a, phone=f"1390000000{i}")
    fifth = Ticket.objects.get(number="A005")
    page = client.get(f"/kiosk/hall/ticket/{fifth.token}/", HTTP_HOST="testserver:8100").content.decode()
    assert qr_svg(f"http://testserver:8100/t/{fifth.token}/") in page
    # A clerk calls at the desk on :8100: the reminder the call writes links to :8100, not to the default.
    client.force_login(hall.clerks[0])
    assert client.post("/desk/call/", HTTP_HOST="testserver:8100").status_code == 302
    message = Message.objects.get(kind=Message.Kind.TURN_NEAR)
    assert f"http://testserver:8100/t/{fifth.token}/" in message.body


def test_yichuang_demo_tells_its_processes_the_port_it_serves(monkeypatch, tmp_path):
    seen = tmp_path / "serving_url"
    report = f"import os, sys; open({str(seen)!r}, 'w').write(os.environ.get('SERVING_URL', '')); sys.exit(3)"
    sleeper = [sys.executable, "-c", "import signal; signal.pause()"]
    monkeypatch.setattr(demo_command, "server_command", lambda host, port: sleeper)
    monkeypatch.setattr(demo_command, "worker_command", lambda: [sys.executable, "-c", report])
    command = demo_command.Command(stdout=io.StringIO(), stderr=io.StringIO())
    with pytest.raises(CommandError):  # the "worker" exits at once, after writing what it was given
        command._serve("127.0.0.1", 8100)
    assert seen.read_text() == "http://127.0.0.1:8100"
    assert demo_command.serving_url("0.0.0.0", 8100) == "http://127.0.0.1:8100"
    assert demo_command.serving_url("::1", 8100) == "http://[::1]:8100"


@pytest.mark.django_db
def test_messages_queued_while_the_demo_loads_link_to_the_port_it_will_serve(monkeypatch, settings):
    settings.PUBLIC_URL, settings.SERVING_URL = "", "http://127.0.0.1:8000"
    seen = []
    loaded = types.SimpleNamespace(site=None)
    monkeypatch.setattr(
        demo_command.hall, "load_demo", lambda progress=None: seen.append(links.base_url(None)) or loaded
    )
    # The weeks of ticket history are played after the demo (their messages link the same way).
    monkeypatch.setattr(demo_command, "load_history_weeks", lambda site, **kw: seen.append(links.base_url(None)))
    monkeypatch.setattr(demo_command.Command, "_print_credentials", lambda self, result: None)
    monkeypatch.setattr(demo_command.Command, "_serve", lambda self, host, port: None)
    demo_command.Command(stdout=io.StringIO(), stderr=io.StringIO()).handle(host="127.0.0.1", port=8010)
    assert seen == ["http://127.0.0.1:8010"] * 2
