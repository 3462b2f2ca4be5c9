"""API fuzzing: schemathesis sends what the OpenAPI description at /api/openapi.json allows (and what it does not) to
every operation, anonymously and with a staff member's bearer token, against the demo hall in the test database.
Whatever it sends, the answer is never a server error (5xx): bad input is a 4xx with a reason.

The run is bounded (a few examples per operation, derandomized: the same requests on every run and on both
databases) so that `make test` stays short; API_FUZZ_EXAMPLES=200 explores further by hand.
"""

import os

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.test import override_settings
from hypothesis import HealthCheck, Phase, settings

EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "8"))
HANDLER = WSGIHandler()


def app(environ, start_response):
    """The project's WSGI application, as the servers run it, inside the test's transaction."""
    return HANDLER(environ, start_response)


schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)

FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    print_blob=False,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate],
)


@pytest.fixture(scope="module")
def demo_hall(django_db_setup, django_db_blocker):
    """The demo hall (staff, catalogue, tickets, cases, supervision tasks) loaded once for the module, inside a
    transaction rolled back at its end; every test runs in a savepoint inside it. Django closes a connection at
    the end of each request it serves (close_old_connections), which would end the test's transaction: the test
    client does not do that, and neither does this module while it runs."""
    import datetime as dt

    from yichuang.clock.models import CalendarYear
    from yichuang.clock.workcalendar import DATA_LAST_YEAR
    from yichuang.demo.hall import load_demo
    from yichuang.organisation.models import User
    from yichuang.organisation.services import issue_api_token

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        fast_passwords = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
        with fast_passwords, django_db_blocker.unblock(), transaction.atomic():
            for year in range(DATA_LAST_YEAR + 1, dt.date.today().year + 3):
                CalendarYear.objects.get_or_create(year=year, defaults={"complete": True, "note": "test suite"})
            load_demo()
            token = issue_api_token(User.objects.get(username="admin"), "api fuzzing")
            yield token
            transaction.set_rollback(True)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _server_error(case, response) -> str:
    return f"{response.status_code} for {case.as_curl_command()}\n{response.text[:2000]}"


@pytest.mark.django_db
@schema.parametrize()
@FUZZ_SETTINGS
def test_anonymous_requests_never_meet_a_server_error(case, demo_hall):
    response = case.call()
    assert response.status_code < 500, _server_error(case, response)


@pytest.mark.django_db
@schema.parametrize()
@FUZZ_SETTINGS
def test_requests_with_a_staff_token_never_meet_a_server_error(case, demo_hall):
    headers = {"Authorization": f"Bearer {demo_hall}"}
    response = case.call(headers=headers)
    assert response.status_code < 500, _server_error(case, response)
