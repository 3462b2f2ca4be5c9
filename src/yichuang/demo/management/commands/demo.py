"""`yichuang demo`: load the Shenqiu demo hall, then serve it with the task worker.

    yichuang demo [--no-serve] [--host 127.0.0.1] [--port 8000] [--history-weeks 4]

Loading is idempotent (see yichuang.demo.hall). Unless --no-serve, the web server (granian, WSGI) and the
task worker (`yichuang worker`, which also starts the periodic jobs) run as child processes until Ctrl-C or
SIGTERM; if either of them dies, the other is stopped and the command exits non-zero.
"""

import ctypes
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

from yichuang.demo import hall
from yichuang.queue.demo import HISTORY_WEEKS, load_history_weeks

STOP_TIMEOUT = 15  # seconds a child gets to shut down before it is killed
PR_SET_PDEATHSIG = 1
try:
    _prctl = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):  # not Linux
    _prctl = None


def _die_with_parent() -> None:  # runs in the child between fork and exec
    """Linux: the child gets SIGTERM if this command is killed outright, so nothing is left behind."""
    if _prctl is not None:
        _prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def server_command(host: str, port: int) -> list[str]:
    binary = Path(sys.executable).parent / "granian"
    base = [str(binary)] if binary.exists() else [sys.executable, "-m", "granian"]
    return [
        *base,
        "--interface", "wsgi", "yichuang.wsgi:application",
        "--host", host, "--port", str(port),
        "--workers", "2", "--blocking-threads", "1",
    ]  # fmt: skip


def serving_url(host: str, port: int) -> str:
    """The address the demo serves at, for links built without a request (core.links, SERVING_URL)."""
    if host in ("", "0.0.0.0", "::"):  # every interface: this machine's own address answers too
        host = "127.0.0.1"
    return f"http://{f'[{host}]' if ':' in host else host}:{port}"


def worker_command() -> list[str]:
    return [sys.executable, "-m", "yichuang.manage", "worker"]


class Command(BaseCommand):
    help = "载入沈丘县政务服务中心演示数据（大厅、工作人员、事项目录），并启动网站和后台任务进程。"

    def add_arguments(self, parser):
        parser.add_argument("--no-serve", action="store_true", help="只载入演示数据，不启动服务。")
        parser.add_argument("--host", default="127.0.0.1", help="监听地址（默认 127.0.0.1）。")
        parser.add_argument("--port", type=int, default=8000, help="监听端口（默认 8000）。")
        parser.add_argument(
            "--history-weeks",
            type=int,
            default=HISTORY_WEEKS,
            help=f"往期排队历史的周数，供窗口承载力测算（默认 {HISTORY_WEEKS}；0 为不载入）。",
        )

    def handle(self, *args, no_serve=False, host="127.0.0.1", port=8000, history_weeks=HISTORY_WEEKS, **options):
        self._check_migrated()
        # `make demo` does this too; here it lets the command work right after `yichuang migrate`.
        call_command("createcachetable", verbosity=0)

        if not no_serve:
            # Messages queued while loading (the demo's history) link to the port served here, as the
            # worker's later ones do (PUBLIC_URL, when set, still wins).
            settings.SERVING_URL = serving_url(host, port)
        self.stdout.write("载入沈丘县政务服务中心演示数据 …")
        started = time.monotonic()
        try:
            result = hall.load_demo(progress=self.stdout.write)
        except Exception as exc:
            problems = getattr(exc, "problems", None)
            if problems:
                for problem in problems:
                    self.stderr.write(f"  - {problem}")
                message = f"事项目录有 {len(problems)} 处问题（见上）。"
                raise CommandError(f"演示数据未载入（已全部回滚）：{message}") from None
            raise CommandError(f"演示数据未载入（已全部回滚）：{exc}") from exc
        # Weeks of tickets before yesterday, for the capacity planner: a day at a time, each committed, so that an
        # interrupted load resumes where it stopped (days with tickets are skipped).
        self.stdout.write("往期排队历史（窗口承载力测算用）…")
        self.stdout.write(f"    {load_history_weeks(result.site, weeks=history_weeks, progress=self.stdout.write)}")
        self.stdout.write(self.style.SUCCESS(f"演示数据已就绪（{time.monotonic() - started:.1f} 秒）。"))
        self._print_credentials(result)

        if not no_serve:
            self._serve(host, port)

    def _check_migrated(self) -> None:
        connection = connections[DEFAULT_DB_ALIAS]
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            raise CommandError("数据库尚未迁移：请先运行 `yichuang migrate`（或 `make demo`）。")

    def _print_credentials(self, result: hall.DemoLoad) -> None:
        rows = [("用户名", "角色", "姓名", "部门", "今日窗口")]
        for member in result.staff:
            user = member.user
            if member.window is None:
                window = ""
            elif member.seated:
                window = f"{member.window.number} 号 {member.window.name}"
            else:
                window = f"（未入座）{member.window.number} 号"
            rows.append((user.username, str(member.role.label), user.display_name, str(user.department or ""), window))
        widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))]
        self.stdout.write("")
        self.stdout.write(self.style.MIGRATE_HEADING("演示账号"))
        for n, row in enumerate(rows):
            line = "  ".join(_pad(cell, widths[i]) for i, cell in enumerate(row)).rstrip()
            self.stdout.write(line)
            if n == 0:
                self.stdout.write("  ".join("-" * w for w in widths))
        self.stdout.write(f"全部演示账号的密码：{hall.DEMO_PASSWORD}")
        self.stdout.write("")

    def _serve(self, host: str, port: int) -> None:
        stop = {"signal": None}

        def on_signal(signum, frame):
            stop["signal"] = signum

        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
        children: dict[str, subprocess.Popen] = {}
        failed = None
        try:
            # Own process groups: a Ctrl-C in the terminal reaches only this command, which then stops
            # each child exactly once (a second signal makes the task worker abandon its running task).
            # Messages the worker writes link to the port served here (PUBLIC_URL, when set, still wins).
            env = {**os.environ, "SERVING_URL": serving_url(host, port)}
            for name, cmd in (("网站服务", server_command(host, port)), ("后台任务", worker_command())):
                children[name] = subprocess.Popen(
                    cmd, process_group=0, preexec_fn=_die_with_parent if _prctl else None, env=env
                )
            shown_host = f"[{host}]" if ":" in host else host
            self.stdout.write(self.style.SUCCESS(f"http://{shown_host}:{port}/"))
            self.stdout.write("按 Ctrl-C 停止。")
            while stop["signal"] is None and failed is None:
                for name, child in children.items():
                    if child.poll() is not None:
                        failed = (name, child.returncode)
                        break
                else:
                    time.sleep(0.2)
        finally:
            self._stop(children)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if failed is not None:
            name, code = failed
            raise CommandError(f"{name}进程意外退出（退出码 {code}），已停止其余进程。", returncode=code or 1)
        self.stdout.write("已停止。")

    def _stop(self, children: dict[str, subprocess.Popen]) -> None:
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        for name, child in children.items():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.stderr.write(f"{name}未在 {STOP_TIMEOUT} 秒内退出，强制结束。")
                child.kill()
                child.wait()


def _width(text: str) -> int:
    """Display width in a terminal: CJK characters take two columns."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
