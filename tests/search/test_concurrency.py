"""Several worker processes indexing at once lose nothing (Whoosh's writer lock)."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from app.search.documents import Document
from app.search.whoosh_backend import WhooshBackend

PER_PROCESS = 40


def _write(directory: str, prefix: str, start_event) -> None:
    from datetime import datetime

    backend = WhooshBackend(Path(directory), {"SEARCH_LOCK_TIMEOUT": 30})
    start_event.wait(10)
    for n in range(PER_PROCESS):
        # One commit per document, like one request per post: maximum lock contention.
        with backend.writer() as writer:
            writer.upsert(
                Document(key=f"{prefix}:{n}", kind="post", title="t", body=f"body {prefix}", url="/",
                         principals=["public"], created_at=datetime(2024, 1, 1))
            )  # fmt: skip
    backend.close()


def test_two_processes_writing_at_once_lose_nothing(tmp_path):
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    workers = [context.Process(target=_write, args=(str(tmp_path), name, start)) for name in ("a", "b")]
    for worker in workers:
        worker.start()
    start.set()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    backend = WhooshBackend(tmp_path, {})
    assert backend.counts() == {"post": 2 * PER_PROCESS}
    backend.close()
