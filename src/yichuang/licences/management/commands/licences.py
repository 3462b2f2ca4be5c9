"""`yichuang licences import FILE [--dry-run]`: licences from the province's licence store, one JSON object per line
(fields in docs/licences.md), all or nothing; `-` reads standard input. Every error is listed with its line."""

import sys

from django.core.management.base import BaseCommand, CommandError

from yichuang.licences import services


class Command(BaseCommand):
    help = "E-licences: 'import' loads licences from the province's licence store (JSON lines), all or nothing."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("import", help="Import licences (JSON lines; - for standard input).")
        load.add_argument("file")
        load.add_argument("--dry-run", action="store_true", help="Check and count, write nothing.")

    def handle(self, *args, action: str, file: str, dry_run: bool = False, **options):
        try:
            stream = sys.stdin if file == "-" else open(file, encoding="utf-8")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise CommandError(f"无法读取 {file}：{exc.strerror}") from None
        with stream:
            result = services.import_province(stream, dry_run=dry_run)
        if result.errors:
            for line in result.errors:
                self.stderr.write(line)
            raise CommandError(f"导入未执行：{len(result.errors)} 处错误。")
        verb = "将" if dry_run else "已"
        counts = f"{verb}新增 {result.created} 张，{verb}更新 {result.updated} 张，未变 {result.unchanged} 张。"
        self.stdout.write(counts)
