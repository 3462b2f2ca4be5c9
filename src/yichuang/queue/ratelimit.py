"""Rate limit of the public ticket and booking endpoints, per client address, shared by every app server.

A token bucket written as GCRA: one number per client (its theoretical arrival time), kept in the database
table RateBucket and advanced by ONE statement (`INSERT … ON CONFLICT DO UPDATE … WHERE … RETURNING`, on
SQLite and PostgreSQL), so that concurrent requests of one client cannot both take the last token — unlike
a read-then-write on a cache — and the count is never in process memory. Called inside the transaction that
issues the ticket, it costs one statement and no commit of its own.

The bucket holds `burst` tokens and refills `burst` per `period` seconds: with the default 40 per 60 s a kiosk
that serves 30 people in a minute — or every minute — is never refused, while a script is held to that pace
after its first 40 tickets. Settings: QUEUE_TICKET_RATE = "40/60".
"""

import random
import time

from django.conf import settings
from django.db import connection

from yichuang.core.audit import client_ip

from . import sql
from .models import RateBucket

DEFAULT_RATE = "40/60"
clock = time.time
CLEANUP_CHANCE = 0.01  # of requests that also delete buckets that have been full for a while


def parse_rate(rate: str) -> tuple[int, float]:
    burst, _sep, period = (rate or DEFAULT_RATE).partition("/")
    return max(int(burst), 1), max(float(period or 60), 1.0)


def hit(key: str, rate: str | None = None, now: float | None = None) -> float:
    """Take one token for `key`: 0.0 if allowed, else the seconds to wait before the next try."""
    burst, period = parse_rate(rate or getattr(settings, "QUEUE_TICKET_RATE", DEFAULT_RATE))
    interval = period / burst
    now = clock() if now is None else now
    table = RateBucket._meta.db_table
    greatest = "GREATEST" if connection.vendor == "postgresql" else "MAX"
    key = key[:200]
    with sql.cursor() as cursor:
        if random.random() < CLEANUP_CHANCE:
            cursor.execute(f"DELETE FROM {table} WHERE tat < %s", [now - period])
        cursor.execute(
            f"INSERT INTO {table} (key, tat) VALUES (%s, %s) ON CONFLICT (key) DO UPDATE "
            f"SET tat = {greatest}({table}.tat, %s) + %s WHERE {greatest}({table}.tat, %s) + %s - %s <= %s "
            f"RETURNING tat",
            [key, now + interval, now, interval, now, interval, period, now + 1e-6],
        )
        if cursor.fetchone() is not None:
            return 0.0
        cursor.execute(f"SELECT tat FROM {table} WHERE key = %s", [key])
        row = cursor.fetchone()
    tat = row[0] if row else now
    return max(tat + interval - period - now, 0.001)


def wait(key: str, rate: str | None = None, now: float | None = None) -> float:
    """The seconds before `key` may take a token (0.0: it may now), without taking one: the same comparison as
    `hit`, read only."""
    burst, period = parse_rate(rate or getattr(settings, "QUEUE_TICKET_RATE", DEFAULT_RATE))
    interval = period / burst
    now = clock() if now is None else now
    tat = RateBucket.objects.filter(key=key[:200]).values_list("tat", flat=True).first()
    if tat is None or max(tat, now) + interval - period <= now + 1e-6:
        return 0.0
    return max(tat + interval - period - now, 0.001)


def client_key(request) -> str:
    """The client's address. Behind the hall's TLS proxy (BEHIND_TLS_PROXY=1) every request comes from the
    proxy, so the address the proxy appended to X-Forwarded-For counts (the last one: those before it are
    whatever the client sent)."""
    if settings.SECURE_PROXY_SSL_HEADER:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if forwarded:
            return forwarded[-1][:64]
    return client_ip(request) or "unknown"


def check(request) -> float:
    """Rate-limit one public request: 0.0, or the Retry-After seconds."""
    return hit(client_key(request))
