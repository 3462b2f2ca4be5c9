"""The window's time for 企业开办, pre-filled against typed (`python -m bench prefill_window`).

Runs the browser test `test_window_time_prefilled_against_typed` (src/yichuang/prefill/tests/walks.py) with the
clerk at a human pace (YICHUANG_HUMAN_PACE=1: 0.2 s a Latin key, 0.8 s a Chinese character, 0.6 s a click; a hand
scanner at 10 ms a key) on SQLite, three times, and prints each walk's seconds, keys and clicks — and the same walks
at machine pace (the server's and the browser's own share of the time).
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEST = "src/yichuang/prefill/tests/test_prefill_browser.py::test_window_time_prefilled_against_typed"
RUNS = 3


def _run(human: bool) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "times.json"
        env = {**os.environ, "YICHUANG_WINDOW_TIMES": str(out), "YICHUANG_HUMAN_PACE": "1" if human else "0"}
        env.pop("DATABASE_URL", None)  # SQLite: the window's time is the clerk's, not the database's
        subprocess.run([sys.executable, "-m", "pytest", "-q", TEST, "-p", "no:cacheprovider"], cwd=ROOT, env=env,
                       check=True, stdout=subprocess.DEVNULL)  # fmt: skip
        return json.loads(out.read_text())


def main() -> None:
    for human in (False, True):
        runs = [_run(human) for _ in range(RUNS)]
        label = "human pace" if human else "machine pace"
        for walk in ("typed", "prefilled"):
            seconds = [r[walk]["seconds"] for r in runs]
            print(f"{label:12} {walk:9} median {statistics.median(seconds):6.2f} s  (runs: "
                  f"{', '.join(f'{s:.2f}' for s in seconds)})  keys {runs[0][walk]['keys']}  "
                  f"clicks {runs[0][walk]['clicks']}", flush=True)  # fmt: skip
