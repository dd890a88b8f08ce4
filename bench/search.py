"""Search benchmark: Whoosh, the PostgreSQL backend and SQLite FTS5 on the same data.

    .venv/bin/python bench/search.py                    # 100k posts, all three engines
    .venv/bin/python bench/search.py --posts 20000      # quicker
    .venv/bin/python bench/search.py --skip-postgres

It builds a fresh instance in a temporary folder (schema, ``flask seed-demo --posts N``),
then for each engine: builds the index from the database (``flask search reindex``'s
code path), reports build time and size, and runs the same 200 two-word queries as a
signed-in member, so every query is permission-filtered. Whoosh and PostgreSQL go
through ``app.search.services.search`` (principals, hits, total, facets, snippets:
what ``/search.json`` costs minus HTTP); FTS5 is a reference: top 20 by bm25 and a
count, filtered by the member's visible categories.

PostgreSQL: a temporary database is created next to ``--postgres-url``'s (default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``), seeded with the same demo data
and dropped at the end. Results go to ``bench/results/search.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"
TARGETS = {"whoosh_p50_ms": 10.0, "whoosh_p99_ms": 50.0, "whoosh_build_s": 60.0, "postgres_p50_ms": 3.0}
STOP = {"this", "that", "with", "have", "from", "what", "when", "will", "your", "they", "them", "then", "than",
        "there", "their", "into", "also", "just", "after", "before", "about", "does", "same", "here"}  # fmt: skip


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(round(fraction * (len(ordered) - 1)), len(ordered) - 1)]


WRITER_PROCS = 2  # --writer-procs; Whoosh's multi-process writer for the full rebuild


def make_app(instance: Path, database_url: str | None, backend: str):
    from app import create_app

    overrides = {
        "SEARCH_BACKEND": backend,
        "SEARCH_INDEX_DIR": str(instance / "search"),
        "SEARCH_WRITER_PROCS": WRITER_PROCS,
    }
    if database_url:
        overrides["SQLALCHEMY_DATABASE_URI"] = database_url
    return create_app("production", instance_path=str(instance), SECRET_KEY="b" * 48, **overrides)


def seed(app, posts: int) -> float:
    from app.extensions import db

    with app.app_context():
        db.create_all()
    started = time.perf_counter()
    result = app.test_cli_runner().invoke(args=["seed-demo", "--posts", str(posts), "--no-search-index"])
    if result.exit_code != 0:
        raise SystemExit(f"seed-demo failed: {result.output}")
    return time.perf_counter() - started


def pick_queries(app, count: int, seed_value: int = 7) -> list[str]:
    """Two words that occur together in one real post: every query has hits."""
    import sqlalchemy as sa

    from app.extensions import db
    from app.forums.models import Post

    rng = random.Random(seed_value)
    with app.app_context():
        bodies = db.session.scalars(sa.select(Post.body).order_by(Post.id).limit(5000)).all()
    queries = []
    while len(queries) < count:
        words = [w.lower() for w in re.findall(r"[A-Za-z]{4,}", rng.choice(bodies)) if w.lower() not in STOP]
        words = list(dict.fromkeys(words))
        if len(words) >= 2:
            queries.append(" ".join(rng.sample(words, 2)))
    return queries


def bench_member(app):
    import sqlalchemy as sa

    from app.accounts.models import User
    from app.extensions import db

    return db.session.scalar(sa.select(User).where(User.role == "member").order_by(User.id).limit(1))


def time_service(app, queries: list[str], warmup: int = 20) -> dict:
    from app.search import services

    timings, totals = [], []
    with app.test_request_context("/search"):
        actor = bench_member(app)
        for query in queries[:warmup]:
            services.search(actor, query)
        for query in queries:
            started = time.perf_counter()
            result = services.search(actor, query)
            timings.append((time.perf_counter() - started) * 1000)
            totals.append(result.total)
    return summary(timings, totals)


def summary(timings: list[float], totals: list[int]) -> dict:
    return {
        "p50_ms": round(percentile(timings, 0.50), 2),
        "p99_ms": round(percentile(timings, 0.99), 2),
        "mean_ms": round(statistics.fmean(timings), 2),
        "median_hits": int(statistics.median(totals)),
        "max_hits": max(totals),
    }


def run_engine(app, name: str, queries: list[str], size) -> dict:
    from app.search import rebuild

    with app.app_context():
        started = time.perf_counter()
        counts = rebuild.reindex(app)
        build = time.perf_counter() - started
        result = {"engine": name, "documents": sum(counts.values()), "build_s": round(build, 1)}
        result["size_mb"] = round(size() / 1e6, 1)
    result.update(time_service(app, queries))
    return result


def run_fts5(app, queries: list[str]) -> dict:
    """SQLite FTS5 (porter) over the same posts, filtered by visible categories."""
    import sqlalchemy as sa

    from app.extensions import db
    from app.forums.categories import visible_category_ids

    with app.app_context():
        engine = db.engine
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS bench_fts")
            started = time.perf_counter()
            conn.exec_driver_sql(
                "CREATE VIRTUAL TABLE bench_fts USING fts5(title, body, category_id UNINDEXED, tokenize='porter')"
            )
            conn.exec_driver_sql(
                "INSERT INTO bench_fts(rowid, title, body, category_id) SELECT p.id, "
                "CASE WHEN p.number = 1 THEN t.title ELSE '' END, p.body, t.category_id "
                "FROM forum_post p JOIN forum_topic t ON t.id = p.topic_id "
                "WHERE p.deleted_at IS NULL AND p.hidden = 0 AND t.deleted_at IS NULL AND t.hidden = 0"
            )
            build = time.perf_counter() - started
        documents = db.session.scalar(sa.text("SELECT count(*) FROM bench_fts"))
        try:
            size = (
                db.session.scalar(sa.text("SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'bench_fts%'")) or 0
            )
        except Exception:
            size = 0
        timings, totals = [], []
        actor = bench_member(app)
        for index, query in enumerate(queries[:20] + queries):
            started = time.perf_counter()
            allowed = ",".join(str(i) for i in sorted(visible_category_ids(actor))) or "0"
            match = " ".join(f'"{w}"' for w in query.split())
            where = f"bench_fts MATCH :q AND category_id IN ({allowed})"
            db.session.execute(
                sa.text(
                    f"SELECT rowid, bm25(bench_fts) AS r FROM bench_fts WHERE {where} ORDER BY r LIMIT 20"
                ),
                {"q": match},
            ).all()
            total = db.session.scalar(sa.text(f"SELECT count(*) FROM bench_fts WHERE {where}"), {"q": match})
            if index >= 20:
                timings.append((time.perf_counter() - started) * 1000)
                totals.append(total)
        db.session.rollback()
    return {"engine": "sqlite-fts5", "documents": documents, "build_s": round(build, 1),
            "size_mb": round(size / 1e6, 1), **summary(timings, totals)}  # fmt: skip


def dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def main() -> int:
    global WRITER_PROCS
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
    )
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument(
        "--writer-procs",
        type=int,
        default=WRITER_PROCS,
        help="Whoosh rebuild processes (SEARCH_WRITER_PROCS)",
    )
    args = parser.parse_args()
    WRITER_PROCS = args.writer_procs
    logging_quiet()
    load_before = os.getloadavg()
    workdir = Path(tempfile.mkdtemp(prefix="guildhall-search-bench-"))
    results: list[dict] = []
    try:
        instance = workdir / "sqlite"
        app = make_app(instance, None, "whoosh")
        seeded = seed(app, args.posts)
        print(f"seeded {args.posts} posts on SQLite in {seeded:.1f}s", flush=True)
        queries = pick_queries(app, args.queries)
        results.append(run_engine(app, "whoosh", queries, lambda: dir_size(instance / "search")))
        print(results[-1], flush=True)
        results.append(run_fts5(app, queries))
        print(results[-1], flush=True)
        if not args.skip_postgres:
            results.append(run_postgres(args, workdir, queries))
            print(results[-1], flush=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    report = {
        "posts": args.posts,
        "queries": args.queries,
        "machine": f"{platform.machine()}, {os.cpu_count()} cpu, load before {load_before[0]:.1f}, after {os.getloadavg()[0]:.1f}",
        "results": results,
        "targets": TARGETS,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "search.json").write_text(json.dumps(report, indent=2))
    print_table(report)
    return 0


def run_postgres(args: argparse.Namespace, workdir: Path, queries: list[str]) -> dict:
    import sqlalchemy as sa

    base = sa.make_url(args.postgres_url)
    name = f"guildhall_search_bench_{os.getpid()}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        url = base.set(database=name).render_as_string(hide_password=False)
        app = make_app(workdir / "postgres", url, "postgres")
        seeded = seed(app, args.posts)
        print(f"seeded {args.posts} posts on PostgreSQL in {seeded:.1f}s", flush=True)

        def size() -> int:
            from app.extensions import db

            return db.session.scalar(sa.text("SELECT pg_total_relation_size('search_document')"))

        result = run_engine(app, "postgres", queries, size)
        with app.app_context():
            from app.extensions import db

            db.engine.dispose()
        return result
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def logging_quiet() -> None:
    import logging

    logging.getLogger("guildhall").setLevel(logging.WARNING)


def print_table(report: dict) -> None:
    print(f"\n{report['posts']} posts, {report['queries']} two-word queries as a member; {report['machine']}")
    print(
        f"{'engine':<12} {'docs':>8} {'build s':>8} {'size MB':>8} {'p50 ms':>8} {'p99 ms':>8} {'median hits':>12}"
    )
    for r in report["results"]:
        print(
            f"{r['engine']:<12} {r['documents']:>8} {r['build_s']:>8} {r['size_mb']:>8} {r['p50_ms']:>8} {r['p99_ms']:>8} {r['median_hits']:>12}"
        )


if __name__ == "__main__":
    raise SystemExit(main())
