"""Eight intakes at the same instant, against whatever database Django is connected to.

Used by test_concurrency.py: in-process on PostgreSQL, and in a subprocess against a temporary SQLite file (an
in-memory SQLite database cannot be shared by threads that each hold their own connection).

    python -m yichuang.intake.tests.hammer   # with DATABASE_URL=sqlite:////tmp/x.sqlite3; prints JSON
"""

import json
import re
import sys
import threading

from django.db import connection

THREADS = 8
PHONES = ("13900000001", "13900000002")  # the same new applicant gives one of two phones
NUMBER_RE = re.compile(r"^411624-20260310-\d{6}$")


def _at_once(fn, n: int) -> tuple[list, list[str]]:
    barrier = threading.Barrier(n)
    results, errors = [None] * n, []

    def run(i):
        try:
            barrier.wait()
            results[i] = fn(i)
        except BaseException as exc:  # reported to the test, not swallowed
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results, errors


def submit_at_once(hall, key: str | None = None) -> dict:
    """THREADS threads submit the bundle at once (with one shared Idempotency-Key when `key` is given), all for
    the same new applicant, half of them with another phone."""
    from yichuang.intake import services
    from yichuang.intake.models import ApplicantContact, Case, Submission

    from .helpers import BUNDLE_MATERIALS, PERSON, T0, received

    def one(i):
        submission = services.submit(
            actor=hall.admin,
            window=hall.w1.pk,
            applicant={**PERSON, "phone": PHONES[i % 2]},
            bundle="qiyekaiban",
            materials=received(*BUNDLE_MATERIALS),
            now=T0,
            idempotency_key=key,
        )
        return submission.number

    returned, errors = _at_once(one, THREADS)
    numbers = list(Submission.objects.values_list("number", flat=True))
    case_numbers = list(Case.objects.values_list("number", flat=True))
    return {
        "vendor": connection.vendor,
        "errors": errors,
        "returned": returned,
        "numbers": sorted(numbers),
        "well_formed": all(n and NUMBER_RE.match(n) for n in numbers),
        "cases": len(case_numbers),
        "cases_unique": len(set(case_numbers)) == len(case_numbers),
        "cases_well_formed": all(
            c.number == f"{c.submission.number}-{c.seq:02d}" for c in Case.objects.select_related("submission")
        ),
        "applicants": len({s.applicant_id for s in Submission.objects.all()}),
        # Each submission keeps the phone it was given; each phone is one contact of the one applicant.
        "phones": sorted(Submission.objects.values_list("applicant_phone", flat=True)),
        "contacts": sorted(ApplicantContact.objects.values_list("phone", flat=True)),
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
    call_command("createcachetable", verbosity=0)
    from .helpers import build_hall

    hall = build_hall()
    key = sys.argv[1] if len(sys.argv) > 1 else None
    print(json.dumps(submit_at_once(hall, key)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
