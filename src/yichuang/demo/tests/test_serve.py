"""How `yichuang demo` looks after its two child processes (server and task worker).

Real child processes stand in for granian and the task worker: what is tested is the supervision.
"""

import io
import os
import select
import signal
import subprocess
import sys
import threading

import pytest
from django.core.management.base import CommandError

from yichuang.demo.management.commands import demo as demo_command

# Children wait for a signal (or on select) instead of time.sleep: under libfaketime, which the suite must survive,
# a sleep on the faked monotonic clock can return at once or never.
SLEEPER = [sys.executable, "-c", "import signal; signal.pause()"]


@pytest.fixture
def children(monkeypatch):
    """Every child process the command starts, to check afterwards that none is left running."""
    started = []
    real_popen = subprocess.Popen

    def popen(*args, **kwargs):
        child = real_popen(*args, **kwargs)
        started.append(child)
        return child

    monkeypatch.setattr(demo_command.subprocess, "Popen", popen)
    yield started
    for child in started:
        if child.poll() is None:
            child.kill()
            child.wait()
            pytest.fail(f"child {child.args} was left running")


def run_serve(monkeypatch, server, worker, **kwargs):
    monkeypatch.setattr(demo_command, "server_command", lambda host, port: server)
    monkeypatch.setattr(demo_command, "worker_command", lambda: worker)
    out = io.StringIO()
    command = demo_command.Command(stdout=out, stderr=io.StringIO())
    command._serve("127.0.0.1", 8011)
    return out.getvalue()


def test_sigterm_stops_both_children_cleanly(monkeypatch, children):
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    cancel_r, cancel_w = os.pipe()

    def sigterm_in_a_second():  # select, not threading.Timer: timed waits on condition variables stall under faketime
        if not select.select([cancel_r], [], [], 1.0)[0]:
            os.kill(os.getpid(), signal.SIGTERM)

    timer = threading.Thread(target=sigterm_in_a_second)
    timer.start()
    try:
        out = run_serve(monkeypatch, SLEEPER, SLEEPER)
    finally:
        os.write(cancel_w, b"x")
        timer.join()
        os.close(cancel_r)
        os.close(cancel_w)
    assert "http://127.0.0.1:8011/" in out and "已停止" in out
    assert len(children) == 2
    assert [child.returncode for child in children] == [-signal.SIGTERM, -signal.SIGTERM]
    # Signal handlers are back as they were.
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before


def test_a_dying_child_stops_the_other_and_fails(monkeypatch, children):
    worker = [sys.executable, "-c", "import select, sys; select.select([], [], [], 0.5); sys.exit(3)"]
    with pytest.raises(CommandError) as failure:
        run_serve(monkeypatch, SLEEPER, worker)
    assert failure.value.returncode == 3
    assert "后台任务" in str(failure.value)
    server, worker_child = children
    assert worker_child.returncode == 3
    assert server.returncode == -signal.SIGTERM  # stopped by the command, not left behind


def test_a_child_that_ignores_sigterm_is_killed(monkeypatch, children):
    monkeypatch.setattr(demo_command, "STOP_TIMEOUT", 1)
    stubborn = [
        sys.executable, "-c",
        "import signal; signal.signal(signal.SIGTERM, signal.SIG_IGN); signal.pause()",
    ]  # fmt: skip
    failing = [sys.executable, "-c", "import select, sys; select.select([], [], [], 1); sys.exit(1)"]
    with pytest.raises(CommandError):
        run_serve(monkeypatch, stubborn, failing)
    assert children[0].returncode == -signal.SIGKILL


def test_commands_run_granian_and_the_task_worker():
    server = demo_command.server_command("0.0.0.0", 8123)
    assert server[0].endswith("granian") or server[1:3] == ["-m", "granian"]
    assert server[-11:] == [
        "--interface", "wsgi", "yichuang.wsgi:application", "--host", "0.0.0.0", "--port", "8123",
        "--workers", "2", "--blocking-threads", "1",
    ]  # fmt: skip
    assert demo_command.worker_command()[-1] == "worker"
