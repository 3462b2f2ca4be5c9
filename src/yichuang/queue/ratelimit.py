"""Rate limit of the public ticket endpoints, kept in the shared cache (database or Redis, never process
memory, so that every app server sees the same counts).

A token bucket per client address, written as GCRA (one cached number per client: the theoretical
arrival time). The bucket holds `burst` tokens and refills `burst` per `period` seconds, so a kiosk that
serves 30 people in a minute — or every minute — is never refused with the default 40 per 60 s, while a
script is held to that pace after its first 40 tickets. Settings: QUEUE_TICKET_RATE = "40/60".

With the database cache two requests of one client at the very same instant may both pass (read, then
write); a flood still stays within the rate plus the client's concurrency.
"""

import math
import time

from django.conf import settings
from django.core.cache import cache

from yichuang.core.audit import client_ip

DEFAULT_RATE = "40/60"
clock = time.time


def parse_rate(rate: str) -> tuple[int, float]:
    burst, _sep, period = (rate or DEFAULT_RATE).partition("/")
    return max(int(burst), 1), max(float(period or 60), 1.0)


def hit(key: str, rate: str | None = None, now: float | None = None) -> float:
    """Take one token for `key`: 0.0 if allowed, else the seconds to wait before the next try."""
    burst, period = parse_rate(rate or getattr(settings, "QUEUE_TICKET_RATE", DEFAULT_RATE))
    interval = period / burst
    now = clock() if now is None else now
    cache_key = f"queue:rate:{key}"
    tat = max(float(cache.get(cache_key) or now), now)
    new_tat = tat + interval
    earliest = new_tat - period  # the bucket is full again at tat; it holds `burst` tokens
    if earliest > now + 1e-6:
        return earliest - now
    cache.set(cache_key, new_tat, timeout=int(math.ceil(new_tat - now)) + 1)
    return 0.0


def client_key(request) -> str:
    return client_ip(request) or "unknown"


def check(request) -> float:
    """Rate-limit one public request: 0.0, or the Retry-After seconds."""
    return hit(client_key(request))
