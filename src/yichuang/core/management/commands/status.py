"""`yichuang status`: the periodic jobs and the task workers' heartbeats, as on the admin's 后台任务状态 page.

Exit code 0 when all is well; 1 when no worker's heartbeat is fresh (none silent for less than 3 heartbeat
periods) or a job has not succeeded for more than 3 of its periods — for a monitoring check.
"""

from django.core.management.base import BaseCommand, CommandError

from yichuang.core import periodic


class Command(BaseCommand):
    help = (
        "Show the periodic jobs (period, last success, last error, next run) and the task workers' heartbeats. "
        "Exits 1 when no worker heartbeat is fresh or a job has not succeeded for more than 3 periods, else 0: "
        "usable as a monitoring check."
    )

    def handle(self, *args, **options):
        state = periodic.status()
        out, local = self.stdout.write, periodic.local
        out(self.style.MIGRATE_HEADING(f"后台任务状态（{local(state.now)}）"))
        out(f"工作进程（心跳每 {state.heartbeat_seconds} 秒；3 个周期无心跳即视为停止）：")
        if not state.workers:
            out("  （无）")
        for w in state.workers:
            hb = w.heartbeat
            out(f"  {hb.hostname} 进程 {hb.pid}  启动 {local(hb.started_at)}  最近心跳 {local(hb.last_seen_at)}")
            out(f"    {w.label}")
        out("任务：")
        for job in state.jobs:
            row = job.row
            out(f"  {job.job.title}（{job.job.name}），每 {job.job.period} 秒")
            if row is None:
                out("    尚未登记（工作进程还没有启动过）")
                continue
            duration = f"，用时 {row.last_duration:.1f} 秒" if row.last_duration is not None else ""
            out(f"    最近成功：{local(row.last_success_at)}{duration}  结果：{row.last_result or '—'}")
            if row.last_error_at:
                failures = f"（连续失败 {row.consecutive_failures} 次）" if row.consecutive_failures else ""
                out(f"    最近错误：{local(row.last_error_at)}  {row.last_error}{failures}")
            running = "（正在运行）" if job.running else ""
            out(f"    下次运行：{local(row.next_run_at)}{running}")
        if state.ok:
            out(self.style.SUCCESS("正常。"))
            return
        for problem in state.problems:
            self.stderr.write(f"问题：{problem}")
        raise CommandError(f"有 {len(state.problems)} 个问题。", returncode=1)
