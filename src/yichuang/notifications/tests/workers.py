"""Two delivery workers at once, against whatever database Django is connected to.

Used by test_delivery.py: in-process threads on PostgreSQL, and in a subprocess against a temporary SQLite
file (an in-memory SQLite database cannot be shared by threads that each hold their own connection).

    python -m yichuang.notifications.tests.workers   # with DATABASE_URL=sqlite:////tmp/x.sqlite3; prints JSON
"""

import json
import sys
import threading
import time
from collections import Counter

from django.db import connection

MESSAGES = 120
WORKERS = 2


class RecordingBackend:
    """A gateway that takes a little time per message and remembers who sent what."""

    def __init__(self, delay: float = 0.002):
        self.delay = delay
        self.sent: list[tuple[int, str]] = []
        self._lock = threading.Lock()

    def send(self, message) -> None:
        time.sleep(self.delay)
        with self._lock:
            self.sent.append((message.pk, threading.current_thread().name))


def run() -> dict:
    from django.db import transaction

    from yichuang.notifications import services
    from yichuang.notifications.models import Message

    with transaction.atomic():
        for n in range(MESSAGES):
            services.notify(f"1380000{n:04d}", Message.Kind.ACCEPTED, {"cases": 1}, submission=f"S{n:04d}")
    backend = RecordingBackend()
    errors: list[str] = []
    start = threading.Barrier(WORKERS)

    def work():
        try:
            start.wait()
            services.deliver_due(backend=backend)
        except BaseException as exc:  # reported to the test, not swallowed
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=work, name=f"worker{i}") for i in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    per_message = Counter(pk for pk, _worker in backend.sent)
    return {
        "vendor": connection.vendor,
        "errors": errors,
        "messages": MESSAGES,
        "sends": len(backend.sent),
        "distinct": len(per_message),
        "max_per_message": max(per_message.values(), default=0),
        "workers_used": len({worker for _pk, worker in backend.sent}),
        "sent_rows": Message.objects.filter(status=Message.Status.SENT, attempts=1).count(),
    }


def main() -> int:
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yichuang.settings")
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print(json.dumps(run()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
