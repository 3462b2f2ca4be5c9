"""The knowledge base's search on 20,000 published articles (`python -m bench knowledge`).

Runs on the database of $DATABASE_URL: a postgres:// URL → a scratch database `bench_knowledge` created on that
server (and dropped afterwards); empty or sqlite:// → a temporary SQLite file (WAL, as settings.py sets it up).
`make bench` runs it under PostgreSQL; `DATABASE_URL= .venv/bin/python -m bench knowledge` on SQLite.

The child process migrates, bulk-creates 30 departments, 600 matters and 20,000 articles — each with one
published version whose text is a few hundred characters (a question, an answer, a legal basis), a quarter of
them internal — with `search_text` built by `services.search_text_of`, exactly as publishing builds it. It then
times `queries.search(q, public_only=…, limit=10)` (what the guide, the API and the consultation desk call), for
two-character words, longer words, pinyin, initials, two words, and queries that find nothing, REPEATS times each,
interleaved, and prints p50/p95/p99 in milliseconds.
"""

import os
import random
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from bench._scratch import machine, percentiles, with_database

N_ARTICLES = 20_000
N_MATTERS = 600
REPEATS = int(os.environ.get("YICHUANG_BENCH_REPEATS", "200"))
WARMUP = 10
TARGET_P95_MS = 20.0
PG_DEFAULT = "postgres://postgres@127.0.0.1:5432/postgres"
PG_BENCH_DB = "bench_knowledge"
CHILD_FLAG = "YICHUANG_BENCH_KNOWLEDGE_CHILD"
ROOT = Path(__file__).resolve().parent.parent

QUERIES = [
    ("2 字", "登记", True),
    ("2 字", "社保", True),
    ("2 字（内部）", "口径", False),
    ("4 字", "变更登记", True),
    ("问句", "营业执照丢了怎么办", True),
    ("全拼", "gongjijin", True),
    ("拼音首字母", "ylbx", True),
    ("两个词", "不动产 抵押", False),
    ("无结果", "火星移民", True),
    ("无结果（拼音）", "zzxxqq", True),
]

DEPARTMENTS = (
    "县自然资源局 县税务局 县城管局 县电业局 县供水公司 县燃气公司 县住建局 县公积金中心 "
    "县市场监督管理局 县公安局 县人社局 县医保局 人民银行沈丘分行 县政务服务和大数据管理局 县发改委 "
    "县工信局 县生态环境局 县应急管理局 县水利局 县农业局 县文旅局 县人防办 县气象局 消防支队 "
    "县通信管理办公室 县民政局 县交通运输局 县商务局 县卫健委 县能源局"
).split()
SUBJECTS = "企业 个体工商户 农民专业合作社 个人 社会组织 建设单位 食品经营者 医疗机构 养老机构 旅行社".split()
OBJECTS = (
    "营业执照 食品经营许可证 不动产 房屋 机动车 户口 居民身份证 社会保险 住房公积金 医疗保险 排污许可证 "
    "印章 发票 宅基地 消防设计 供水 供电 燃气"
).split()
ACTIONS = "登记 变更登记 注销登记 设立登记 转移登记 抵押登记 核发 补发 延续 备案 审批 许可 查询 迁移 过户".split()
TITLES = ["{s}{o}{a}常见问题", "{o}{a}办理流程", "{o}{a}政策解读", "{s}{o}{a}填报样表说明", "{o}{a}内部口径"]
QUESTIONS = [
    "问：{o}{a}需要带哪些材料？答：申请书、身份证明和相关证明材料，窗口当场核验原件。",
    "问：{o}丢了怎么办？答：先登报声明作废，再到综合受理窗口申请补发，一般三个工作日办结。",
    "问：{a}可以网上办吗？答：可以通过网上办事大厅提交，材料齐全的当场受理，结果邮寄送达。",
    "问：委托他人办理{o}{a}怎么办？答：携带授权委托书和双方身份证件原件。",
    "问：{o}{a}收费吗？答：不收费。",
]
BASIS = "《中华人民共和国行政许可法》第二十九条、第三十二条；《优化营商环境条例》第三十五条；"
STEPS = "办理流程：1. 申请；2. 受理：窗口当场审查材料；3. 审查：部门后台审批；4. 决定；5. 送达：统一出件或邮寄。"


def main() -> None:
    if os.environ.get(CHILD_FLAG):
        child()
        return
    print(f"machine: {machine()}; {time.strftime('%Y-%m-%d %H:%M %Z')}")
    print(
        f"{N_ARTICLES} published articles; each query {REPEATS}× (queries.search(q, public_only=…, limit=10)); "
        f"target p95 < {TARGET_P95_MS:.0f} ms",
        flush=True,
    )
    url = os.environ.get("DATABASE_URL", "")
    with tempfile.TemporaryDirectory(prefix="bench-knowledge-") as tmp:
        if not url.startswith("postgres"):
            print("\n### SQLite (temporary file, WAL)", flush=True)
            _run_child(f"sqlite:///{tmp}/bench.sqlite3", tmp)
            return
        import psycopg

        print(f"\n### PostgreSQL (scratch database {PG_BENCH_DB})", flush=True)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_BENCH_DB} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {PG_BENCH_DB}")
        try:
            _run_child(with_database(url, PG_BENCH_DB), tmp)
        finally:
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {PG_BENCH_DB} WITH (FORCE)")


def _run_child(database_url: str, var_dir: str) -> int:
    env = {
        **os.environ,
        CHILD_FLAG: "1",
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "yichuang.settings",
        "YICHUANG_VAR_DIR": var_dir,
        "SECRET_KEY": "bench-only-not-secret",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT / "src"),
    }
    return subprocess.run([sys.executable, "-m", "bench.knowledge"], cwd=ROOT, env=env).returncode


def populate() -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from yichuang.catalogue.models import LimitUnit, Matter
    from yichuang.knowledge.models import Article, ArticleVersion
    from yichuang.knowledge.queries import search_grams_of
    from yichuang.knowledge.services import search_text_of
    from yichuang.organisation.models import Department, User

    rng = random.Random(20221016)
    now = timezone.now()
    with transaction.atomic():
        author = User.objects.create(username="bench-editor")
        reviewer = User.objects.create(username="bench-admin")
        departments = Department.objects.bulk_create(
            [Department(code=f"d{i:02d}", name=name) for i, name in enumerate(DEPARTMENTS)]
        )
        matters = Matter.objects.bulk_create(
            [
                Matter(
                    code=f"411624-KB-{i:05d}",
                    name=rng.choice(SUBJECTS) + rng.choice(OBJECTS) + rng.choice(ACTIONS),
                    kind=Matter.Kind.LICENSE,
                    department=departments[i % len(departments)],
                    limit_unit=LimitUnit.WORKING_DAYS,
                    legal_limit=Decimal("20"),
                    promised_limit=Decimal("5"),
                )
                for i in range(N_MATTERS)
            ],
            batch_size=500,
        )
        by_department: dict[int, list] = {}
        for m in matters:
            by_department.setdefault(m.department_id, []).append(m)
        articles = []
        plans = []
        for i in range(N_ARTICLES):
            department = departments[i % len(departments)]
            own = by_department[department.pk]
            linked = rng.sample(own, k=rng.randint(1, 2))
            words = {"s": rng.choice(SUBJECTS), "o": rng.choice(OBJECTS), "a": rng.choice(ACTIONS)}
            title = rng.choice(TITLES).format(**words)
            body = "\n".join(rng.choice(QUESTIONS).format(**words) for _ in range(rng.randint(2, 5)))
            if rng.random() < 0.5:
                body += "\n" + STEPS
            visibility = Article.Visibility.INTERNAL if "内部" in title or rng.random() < 0.2 else "public"
            articles.append(
                Article(
                    department=department, kind=rng.choice(Article.Kind.values), visibility=visibility,
                    created_by=author, created_at=now, updated_at=now,
                )
            )  # fmt: skip
            plans.append((title, body, visibility, linked))
        Article.objects.bulk_create(articles, batch_size=1000)
        versions = [
            ArticleVersion(
                article=a, number=1, title=title, body=body, legal_basis=BASIS, visibility=visibility,
                status=ArticleVersion.Status.PUBLISHED, author=author, reviewer=reviewer, created_at=now,
                reviewed_at=now,
            )
            for a, (title, body, visibility, _linked) in zip(articles, plans, strict=True)
        ]  # fmt: skip
        ArticleVersion.objects.bulk_create(versions, batch_size=1000)
        Article.matters.through.objects.bulk_create(
            [
                Article.matters.through(article_id=a.pk, matter_id=m.pk)
                for a, (_t, _b, _v, linked) in zip(articles, plans, strict=True)
                for m in linked
            ],
            batch_size=2000,
        )
        names = {m.pk: m for m in matters}
        for a, v, (_t, _b, _v, linked) in zip(articles, versions, plans, strict=True):
            a.published = v
            a.department = next(d for d in departments if d.pk == a.department_id)
            a.search_text = _search_text(a, v, [names[m.pk] for m in linked], search_text_of)
            a.search_grams = search_grams_of(a.search_text)
        Article.objects.bulk_update(articles, ["published", "search_text", "search_grams"], batch_size=1000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _search_text(article, version, matters, search_text_of) -> str:
    """services.search_text_of with the matters given (it would query them one article at a time)."""

    class _Matters:
        def values_list(self, *fields):
            return [(m.code, m.name) for m in matters]

    class _Article:
        department = article.department

    _Article.matters = _Matters()
    return search_text_of(_Article, version)


def child() -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from yichuang.knowledge import queries
    from yichuang.knowledge.models import Article

    call_command("migrate", verbosity=0, interactive=False)
    started = time.perf_counter()
    if not (os.environ.get("YICHUANG_BENCH_REUSE") and Article.objects.exists()):
        populate()
    vendor = f"{connection.vendor} {connection.pg_version if connection.vendor == 'postgresql' else ''}".strip()
    print(f"{vendor}; loaded {N_ARTICLES} articles in {time.perf_counter() - started:.1f} s")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = 'knowledge_article_search_vector'")
            print("GIN index on search_vector:", "yes" if cursor.fetchone() else "no")

    def run(q: str, public_only: bool) -> int:
        return len(queries.search(q, public_only=public_only, limit=10))

    hits = {q: run(q, p) for _k, q, p in QUERIES}
    for _ in range(WARMUP):
        for _k, q, p in QUERIES:
            run(q, p)
    samples: dict[str, list[float]] = {q: [] for _k, q, _p in QUERIES}
    for _ in range(REPEATS):
        for _k, q, p in QUERIES:
            t0 = time.perf_counter()
            run(q, p)
            samples[q].append((time.perf_counter() - t0) * 1000)

    print(f"{'query':<16}{'kind':<14}{'hits':>6}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    for kind, q, _p in QUERIES:
        p50, p95, p99 = percentiles(samples[q])
        print(f"{q:<16}{kind:<14}{hits[q]:>6}{p50:>9.2f}{p95:>9.2f}{p99:>9.2f}")
    everything = [s for values in samples.values() for s in values]
    p50, p95, p99 = percentiles(everything)
    verdict = "OK" if p95 < TARGET_P95_MS else "OVER TARGET"
    print(f"{'all':<30}{len(everything):>6}{p50:>9.2f}{p95:>9.2f}{p99:>9.2f}  p95 {verdict}", flush=True)


if __name__ == "__main__":
    main()
