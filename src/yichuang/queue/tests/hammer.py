"""Many threads issuing and calling at once, against whatever database Django is connected to.

Used by test_concurrency.py: in-process on PostgreSQL, and in a subprocess against a temporary SQLite file
(an in-memory SQLite database cannot be shared by threads that each hold their own connection).

    python -m yichuang.queue.tests.hammer   # with DATABASE_URL=sqlite:////tmp/x.sqlite3; prints JSON
"""

import json
import sys
import threading
import time

from django.db import close_old_connections, connection

ISSUERS = 6
TICKETS_PER_ISSUER = 30
WINDOWS = 10


def _run(threads):
    errors = []

    def wrap(fn):
        def target():
            try:
                fn()
            except BaseException as exc:  # reported to the test, not swallowed
                errors.append(repr(exc))
            finally:
                connection.close()

        return target

    workers = [threading.Thread(target=wrap(fn)) for fn in threads]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    return errors


def build_hall():
    from yichuang.organisation import services as org_services
    from yichuang.organisation.tests.factories import SiteFactory, UserFactory, WindowFactory, ZoneFactory

    site = SiteFactory(code="hammer", name="并发测试中心")
    zone = ZoneFactory(site=site, code="hz", ticket_letter="H")
    seats = []
    for n in range(WINDOWS):
        window = WindowFactory(zone=zone, number=100 + n)
        clerk = UserFactory(window_clerk=True)
        org_services.take_seat(clerk, window)
        seats.append((window, clerk))
    return zone, seats


def hammer(zone, seats) -> dict:
    """Issue from ISSUERS threads while WINDOWS threads call and finish until everything is served."""
    from yichuang.queue import services
    from yichuang.queue.models import Ticket, TicketEvent

    barrier = threading.Barrier(ISSUERS + len(seats))
    issuers_left = [ISSUERS]
    issuing_done = threading.Event()
    lock = threading.Lock()
    claimed: list[int] = []
    retries = [0]

    def issuer():
        try:
            barrier.wait()
            for _ in range(TICKETS_PER_ISSUER):
                services.issue_ticket(zone, priority=False)
        finally:
            with lock:
                issuers_left[0] -= 1
                if not issuers_left[0]:
                    issuing_done.set()

    def window_loop(window, clerk):
        def run():
            close_old_connections()
            barrier.wait()
            while True:
                try:
                    ticket = services.call_next(window, clerk)
                except services.TryAgain:
                    with lock:
                        retries[0] += 1
                    continue
                if ticket is None:
                    if (
                        issuing_done.is_set()
                        and not Ticket.objects.filter(zone=zone, status=Ticket.Status.WAITING).exists()
                    ):
                        return
                    time.sleep(0.002)  # a clerk does not press 叫号 a thousand times a second
                    continue
                with lock:
                    claimed.append(ticket.pk)
                services.finish(ticket, clerk)

        return run

    errors = _run([issuer] * ISSUERS + [window_loop(w, c) for w, c in seats])
    seqs = sorted(Ticket.objects.filter(issued_zone=zone).values_list("seq", flat=True))
    numbers = list(Ticket.objects.filter(issued_zone=zone).values_list("number", flat=True))
    called_events = list(
        TicketEvent.objects.filter(zone=zone, kind=TicketEvent.Kind.CALLED).values_list("ticket_id", flat=True)
    )
    return {
        "vendor": connection.vendor,
        "errors": errors,
        "issued": len(seqs),
        "seqs_gap_free": seqs == list(range(1, len(seqs) + 1)),
        "numbers_unique": len(set(numbers)) == len(numbers),
        "claimed": len(claimed),
        "claimed_unique": len(set(claimed)),
        "called_events": len(called_events),
        "called_events_unique": len(set(called_events)),
        "finished": Ticket.objects.filter(zone=zone, status=Ticket.Status.FINISHED).count(),
        "windows_used": len(
            set(TicketEvent.objects.filter(zone=zone, kind=TicketEvent.Kind.CALLED).values_list("window_id", flat=True))
        ),
        "retries": retries[0],
    }


def book_at_once(slot, people: int) -> dict:
    """`people` threads book the same slot at the same instant."""
    from yichuang.queue import services
    from yichuang.queue.models import Appointment, AppointmentSlot

    barrier = threading.Barrier(people)
    outcomes = []

    def book(i):
        def run():
            barrier.wait()
            try:
                services.book_appointment(slot, name=f"测{i}", phone=f"139{i:08d}")
                outcomes.append("ok")
            except services.Conflict:
                outcomes.append("full")

        return run

    errors = _run([book(i) for i in range(people)])
    slot = AppointmentSlot.objects.get(pk=slot.pk)
    return {
        "errors": errors,
        "ok": outcomes.count("ok"),
        "full": outcomes.count("full"),
        "booked": slot.booked,
        "appointments": Appointment.objects.filter(slot=slot).count(),
    }


def main() -> int:
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yichuang.settings")
    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("migrate", verbosity=0)
    zone, seats = build_hall()
    result = hammer(zone, seats)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
