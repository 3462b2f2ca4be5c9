"""The guide's search on 5,000 matters, on SQLite and on PostgreSQL (`python -m bench guide_search`).

The parent process runs this module once per database as a child process with DATABASE_URL set (a Django
process talks to one database): SQLite in a temporary file (WAL, as settings.py sets it up) and PostgreSQL in
a scratch database `bench_guide` that it creates and drops on the server of $DATABASE_URL (if that is a
postgres:// URL) or postgres://postgres@127.0.0.1:5432/postgres.

Each child migrates, bulk-creates the matters (search_text from search.matter_search_text, as Matter.save()
would), then times what the guide page runs for a query: `queries.search_page(q, 50)`, i.e.
`queries.matters(q)` with only the listed fields, its first 50 evaluated, plus `.count()` when the page is full,
REPEATS times per query, the queries interleaved. It prints p50/p95/p99 in milliseconds.
"""

import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench._scratch import percentiles

N_MATTERS = 5_000
REPEATS = 500
WARMUP = 20
TARGET_P95_MS = 20.0
PG_DEFAULT = "postgres://postgres@127.0.0.1:5432/postgres"
PG_BENCH_DB = "bench_guide"
CHILD_FLAG = "YICHUANG_BENCH_GUIDE_CHILD"
ROOT = Path(__file__).resolve().parent.parent

QUERIES = [
    ("2 字", "登记"),
    ("2 字", "开办"),
    ("4 字", "变更登记"),
    ("4 字", "企业开办"),
    ("拼音首字母", "qykb"),
    ("全拼", "kaiban"),
    ("两个词", "不动产 登记"),
    ("无结果", "火星移民"),
    ("无结果（拼音）", "zzxxqq"),
]

SUBJECTS = (
    "企业 个体工商户 农民专业合作社 外商投资企业 个人 社会组织 建设单位 道路运输经营者 食品生产者 "
    "药品零售企业 医疗机构 民办学校 养老机构 出租汽车 渔业船舶 建筑施工企业 房地产开发企业 "
    "物业服务企业 旅行社 网吧"
).split()
OBJECTS = [""] * 3 + (
    "营业执照 名称 经营范围 食品经营许可证 建设工程规划许可证 不动产 房屋 机动车 驾驶证 户口 "
    "居民身份证 社会保险 住房公积金 排污许可证 取水许可 危险化学品经营许可证 烟草专卖零售许可证 "
    "卫生许可证 医师执业证书 护士执业证书 道路运输证 印章 发票 银行账户 林木采伐许可证 宅基地 "
    "消防设计 人防工程 供水 供电 燃气 临时占道"
).split()
ACTIONS = (
    "登记 变更登记 注销登记 设立登记 转移登记 开办 核发 换发 补发 延续 注销 备案 审批 许可 "
    "确认 查询 证明开具 年度报告 认定 迁移 核准 报装 过户"
).split()
DEPARTMENTS = (
    "县自然资源局 县税务局 县城管局 县电业局 县供水公司 县燃气公司 县住建局 县公积金中心 "
    "县市场监督管理局 县公安局 县人社局 县医保局 人民银行沈丘分行 县政务服务和大数据管理局 县发改委 "
    "县工信局 县生态环境局 县应急管理局 县水利局 县农业局 县文旅局 县人防办 县气象局 消防支队 "
    "县通信管理办公室 县民政局 县交通运输局 县商务局 县卫健委 县能源局"
).split()


CONDITIONS = "申请人应当具备完全民事行为能力；申请材料齐全、符合法定形式；申请事项属于本机关职权范围。"
PROCEDURE = (
    "1. 申请：申请人到综合受理窗口提交材料或网上申请。\n2. 受理：窗口当场审查材料，符合要求的予以受理并出具受理回执。\n"
    "3. 审查：部门后台审批。\n4. 决定：作出准予或不予的书面决定。\n5. 送达：综合出件窗口统一出件或邮寄。"
)
LEGAL_BASIS = "《中华人民共和国行政许可法》第二十九条、第三十二条、第四十二条；《优化营商环境条例》第三十五条。"


# --- parent -------------------------------------------------------------------------------------------


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}"


def _with_db(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def _run_child(database_url: str, var_dir: str) -> int:
    env = {
        **os.environ,
        CHILD_FLAG: "1",
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "yichuang.settings",
        "YICHUANG_VAR_DIR": var_dir,
        "SECRET_KEY": "bench-only-not-secret",
        "LOG_LEVEL": "WARNING",
    }
    return subprocess.run([sys.executable, "-m", "bench.guide_search"], cwd=ROOT, env=env).returncode


def main() -> None:
    if os.environ.get(CHILD_FLAG):
        child()
        return
    print(f"machine: {machine()}; {time.strftime('%Y-%m-%d')}")
    print(
        f"{N_MATTERS} matters; each query {REPEATS}× (page query: queries.search_page(q, 50)); target p95 < "
        f"{TARGET_P95_MS:.0f} ms",
        flush=True,
    )
    failures = 0
    with tempfile.TemporaryDirectory(prefix="bench-guide-") as tmp:
        print("\n### SQLite (temporary file, WAL)", flush=True)
        failures += _run_child(f"sqlite:///{tmp}/bench.sqlite3", tmp) != 0

        admin_url = os.environ.get("DATABASE_URL", "")
        if not admin_url.startswith("postgres"):
            admin_url = PG_DEFAULT
        print(f"\n### PostgreSQL (scratch database {PG_BENCH_DB})", flush=True)
        try:
            import psycopg

            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {PG_BENCH_DB} WITH (FORCE)")
                conn.execute(f"CREATE DATABASE {PG_BENCH_DB}")
        except Exception as exc:  # no server: say so, the SQLite figures still stand
            print(f"PostgreSQL not available at {admin_url}: {exc}")
            failures += 1
        else:
            try:
                failures += _run_child(_with_db(admin_url, PG_BENCH_DB), tmp) != 0
            finally:
                with psycopg.connect(admin_url, autocommit=True) as conn:
                    conn.execute(f"DROP DATABASE IF EXISTS {PG_BENCH_DB} WITH (FORCE)")
    if failures:
        print(f"\n{failures} run(s) failed")


# --- child: one database ------------------------------------------------------------------------------


def names(count: int, rng: random.Random) -> list[str]:
    combos = [s + o + a for s in SUBJECTS for o in OBJECTS for a in ACTIONS]
    rng.shuffle(combos)
    # Some duplicates of names across departments are realistic (同名事项 at different levels); keep it simple.
    return [combos[i % len(combos)] for i in range(count)]


def populate() -> None:
    from django.db import connection, transaction

    from yichuang.catalogue.models import LimitUnit, Matter
    from yichuang.catalogue.search import matter_search_text
    from yichuang.organisation.models import Department, Site, Zone

    rng = random.Random(20221029)
    with transaction.atomic():
        site = Site.objects.create(code="bench", name="基准测试中心", division_code="411624", is_default=True)
        zone = Zone.objects.create(
            site=site, code="bench", name="综合审批服务区", kind="comprehensive", ticket_letter="A"
        )
        departments = Department.objects.bulk_create(
            [Department(code=f"d{i:02d}", name=name) for i, name in enumerate(DEPARTMENTS)]
        )
        matters = []
        for i, name in enumerate(names(N_MATTERS, rng)):
            instant = rng.random() < 0.3
            matter = Matter(
                code=f"411624-BENCH-{i:05d}",
                name=name,
                kind=rng.choice(Matter.Kind.values),
                department=rng.choice(departments),
                limit_unit=LimitUnit.INSTANT if instant else LimitUnit.WORKING_DAYS,
                legal_limit=Decimal("0") if instant else Decimal("20"),
                promised_limit=Decimal("0") if instant else Decimal(rng.choice([1, 3, 5, 10])),
                online=rng.random() < 0.5,
                keywords=rng.choice(["", "证照", "不动产", "社保", "企业", "办证"]),
                status=Matter.Status.IN_USE if rng.random() < 0.95 else Matter.Status.SUSPENDED,
                # Published guides carry long texts: they make rows wide, as in a real catalogue.
                conditions=CONDITIONS * rng.randint(1, 4),
                procedure=PROCEDURE,
                legal_basis=LEGAL_BASIS * rng.randint(1, 3),
            )
            matter.search_text = matter_search_text(matter)
            matters.append(matter)
        Matter.objects.bulk_create(matters, batch_size=500)
        Matter.zones.through.objects.bulk_create(
            [Matter.zones.through(matter_id=m.pk, zone_id=zone.pk) for m in Matter.objects.only("pk")],
            batch_size=1000,
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def child() -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from yichuang.catalogue import queries

    call_command("migrate", verbosity=0, interactive=False)
    started = time.perf_counter()
    populate()
    print(
        f"{connection.vendor} {connection.pg_version if connection.vendor == 'postgresql' else ''}".strip()
        + f"; loaded {N_MATTERS} matters in {time.perf_counter() - started:.1f} s"
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = 'catalogue_matter_search_trgm'")
            print("pg_trgm GIN index on search_text:", "yes" if cursor.fetchone() else "no")

    def page_query(q: str) -> int:
        return queries.search_page(q, 50)[1]  # what views.guide runs

    hits = {q: page_query(q) for _, q in QUERIES}
    for _ in range(WARMUP):
        for _, q in QUERIES:
            page_query(q)
    samples: dict[str, list[float]] = {q: [] for _, q in QUERIES}
    for _ in range(REPEATS):
        for _, q in QUERIES:
            t0 = time.perf_counter()
            page_query(q)
            samples[q].append((time.perf_counter() - t0) * 1000)

    print(f"{'query':<14}{'kind':<14}{'hits':>6}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    for kind, q in QUERIES:
        p50, p95, p99 = percentiles(samples[q])
        print(f"{q:<14}{kind:<14}{hits[q]:>6}{p50:>9.2f}{p95:>9.2f}{p99:>9.2f}")
    everything = [s for values in samples.values() for s in values]
    p50, p95, p99 = percentiles(everything)
    verdict = "OK" if p95 < TARGET_P95_MS else "OVER TARGET"
    print(f"{'all':<28}{len(everything):>6}{p50:>9.2f}{p95:>9.2f}{p99:>9.2f}  p95 {verdict}", flush=True)


if __name__ == "__main__":
    main()
