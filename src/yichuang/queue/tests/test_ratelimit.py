"""The public ticket endpoints: a kiosk's burst is never refused, a script's flood is."""

import pytest
from django.test import Client

from yichuang.queue import ratelimit
from yichuang.queue.models import RateBucket, Ticket

pytestmark = pytest.mark.django_db


class FakeClock:
    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(ratelimit, "clock", fake)
    return fake


def take(client, ip="10.0.0.5"):
    return client.post("/api/tickets", {"zone": "za"}, content_type="application/json", REMOTE_ADDR=ip)


def test_a_kiosk_burst_of_30_in_a_minute_is_never_refused(hall, clock):
    client = Client()
    start = clock.now
    for minute in range(5):
        clock.now = start + 60 * minute
        for i in range(30):  # 30 people in the first six seconds of every minute
            assert take(client).status_code == 201, (minute, i)
            clock.now += 0.2
    assert Ticket.objects.count() == 150


def test_thirty_at_the_same_instant_after_a_busy_minute(hall, clock):
    client = Client()
    for _i in range(30):
        assert take(client).status_code == 201
        clock.now += 2
    for _i in range(30):
        assert take(client).status_code == 201


def test_a_flood_is_refused(hall, clock):
    client = Client()
    statuses = [take(client).status_code for _ in range(200)]
    assert statuses.count(201) == 40 and statuses[:40] == [201] * 40
    refused = take(client)
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 2
    assert Ticket.objects.count() == 40
    # The script is held to the rate: one more per 1.5 s.
    clock.now += 1.5
    assert take(client).status_code == 201
    assert take(client).status_code == 429


def test_one_address_flooding_does_not_block_another(hall, clock):
    client = Client()
    for _ in range(60):
        take(client, ip="10.0.0.66")
    assert take(client, ip="10.0.0.66").status_code == 429
    assert take(client, ip="10.0.0.7").status_code == 201


def test_the_count_lives_in_the_database_shared_by_every_app_server(hall, clock):
    take(Client(), ip="10.0.0.9")
    bucket = RateBucket.objects.get(key="10.0.0.9")
    assert bucket.tat == pytest.approx(clock.now + 60 / 40)


def test_a_refused_flood_changes_nothing_and_old_buckets_are_cleaned(hall, clock, monkeypatch):
    client = Client()
    for _ in range(40):
        take(client, ip="10.0.0.10")
    tat = RateBucket.objects.get(key="10.0.0.10").tat
    assert take(client, ip="10.0.0.10").status_code == 429
    assert RateBucket.objects.get(key="10.0.0.10").tat == tat
    clock.now += 3600
    monkeypatch.setattr(ratelimit, "CLEANUP_CHANCE", 1.0)
    take(client, ip="10.0.0.11")
    assert not RateBucket.objects.filter(key="10.0.0.10").exists()


def test_an_invalid_request_takes_no_token(hall, clock):
    client = Client()
    for _ in range(50):
        assert client.post("/api/tickets", {"zone": "nope"}, content_type="application/json").status_code == 422
    assert take(client).status_code == 201


def test_the_kiosk_page_is_limited_too(hall, clock):
    client = Client()
    for _ in range(40):
        response = client.post("/kiosk/hall/take/", {"zone": "za"}, REMOTE_ADDR="10.0.0.8")
        assert response.status_code == 302 and "/ticket/" in response["Location"]
    response = client.post("/kiosk/hall/take/", {"zone": "za"}, REMOTE_ADDR="10.0.0.8", follow=True)
    assert "取号过于频繁" in response.content.decode()
    assert Ticket.objects.count() == 40


def test_rate_is_configurable(hall, clock, settings):
    settings.QUEUE_TICKET_RATE = "5/60"
    client = Client()
    assert [take(client).status_code for _ in range(6)] == [201] * 5 + [429]


def test_behind_the_proxy_the_forwarded_address_counts(hall, clock, settings):
    client = Client()

    def take_via_proxy(forwarded):
        return client.post(
            "/api/tickets",
            {"zone": "za"},
            content_type="application/json",
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR=forwarded,
        )

    # Without the proxy setting the header is the client's to forge: ignored.
    for i in range(40):
        take_via_proxy(f"192.168.0.{i}")
    assert take_via_proxy("192.168.0.99").status_code == 429
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # Behind the proxy: the address it appended counts, not what the client put before it.
    for _ in range(40):
        assert take_via_proxy("1.2.3.4, 192.168.1.5").status_code == 201
    assert take_via_proxy("9.9.9.9, 192.168.1.5").status_code == 429
    assert take_via_proxy("192.168.1.6").status_code == 201
