"""Jobs started at the same instant in threads of their own, each with its own database connection (on
PostgreSQL real concurrent transactions; SQLite serializes the writers)."""

import threading

from django.core.exceptions import ValidationError
from django.db import connection


def run_together(*jobs) -> list[tuple[str, object]]:
    """Run the jobs at once; per job ("ok", its result), ("refused", the ValidationError) or ("error", repr)."""
    barrier, results = threading.Barrier(len(jobs)), [None] * len(jobs)

    def run(i, job):
        try:
            barrier.wait()
            results[i] = ("ok", job())
        except ValidationError as exc:
            results[i] = ("refused", exc)
        except Exception as exc:  # noqa: BLE001 - reported to the test
            results[i] = ("error", repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results
