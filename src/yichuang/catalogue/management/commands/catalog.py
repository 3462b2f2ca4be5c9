"""`yichuang catalog import FILE` / `yichuang catalog export FILE` — the 实施清单 as .xlsx or YAML."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from yichuang.catalogue.exchange import (
    FORMATS,
    KIND_LABELS,
    CatalogueImportError,
    detect_format,
    export_catalogue,
    import_catalogue,
)


class Command(BaseCommand):
    help = "Import or export the catalogue (实施清单) as .xlsx or YAML; the format follows the file suffix."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, title="actions")
        imp = sub.add_parser("import", help="Check a file and, when it has no problems, apply it in one transaction.")
        imp.add_argument("file")
        imp.add_argument("--format", choices=FORMATS, help="Override the format named by the suffix.")
        imp.add_argument("--user", help="Username recorded as the actor in the audit log.")
        exp = sub.add_parser("export", help="Write the whole catalogue.")
        exp.add_argument("file")
        exp.add_argument("--format", choices=FORMATS, help="Override the format named by the suffix.")

    def handle(self, *args, action, file, format=None, user=None, **options):
        try:
            fmt = detect_format(file, format)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if action == "export":
            self.stdout.write(f"正在导出实施清单（{fmt}）到 {file} …")
            try:
                counts = export_catalogue(file, fmt)
            except OSError as exc:
                raise CommandError(f"无法写入 {file}：{exc}") from None
            self.stdout.write(
                self.style.SUCCESS(
                    "已导出：" + "、".join(f"{KIND_LABELS[kind]} {count}" for kind, count in counts.items())
                )
            )
            return
        actor = None
        if user:
            actor = get_user_model().objects.filter(username=user).first()
            if actor is None:
                raise CommandError(f"没有用户“{user}”。")
        self.stdout.write(f"正在读取并检查 {file}（{fmt}）…")
        try:
            report = import_catalogue(file, fmt, actor=actor)
        except CatalogueImportError as exc:
            for problem in exc.problems:
                self.stderr.write(str(problem))
            raise CommandError(f"发现 {len(exc.problems)} 个问题，未做任何修改。", returncode=1) from None
        self.stdout.write("检查通过，已在一个事务中写入。")
        for row in report.rows():
            self.stdout.write(
                f"  {row['label']}：新增 {row['created']}，更新 {row['updated']}，未变 {row['unchanged']}"
            )
        self.stdout.write(self.style.SUCCESS(f"导入完成，共变更 {report.changed} 条。"))
