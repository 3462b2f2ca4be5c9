"""Run benchmarks: `python -m bench` runs all, `python -m bench guide_search clock` some.

Each module in bench/ with a `main()` is a benchmark. It prints its figures (and the machine) to stdout.
DATABASE_URL chooses the database (scripts/with-postgres.sh sets PostgreSQL); a benchmark that needs both
databases runs itself on each.
"""

import importlib
import pkgutil
import platform
import sys
import time
from pathlib import Path


def machine() -> str:
    import os

    cpu = platform.processor() or platform.machine()
    return f"{platform.node()} · {cpu} · {os.cpu_count()} cores · Python {platform.python_version()}"


def main(argv: list[str]) -> int:
    here = Path(__file__).parent
    names = argv or sorted(m.name for m in pkgutil.iter_modules([str(here)]) if not m.name.startswith("_"))
    print(f"# bench on {machine()} at {time.strftime('%Y-%m-%d %H:%M %Z')}")
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        if not hasattr(module, "main"):
            continue
        print(f"\n## {name}", flush=True)
        module.main()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
