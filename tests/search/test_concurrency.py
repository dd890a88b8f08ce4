"""Several worker processes indexing at once lose nothing (Whoosh's writer lock)."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from app.search.documents import Document
from app.search.whoosh_backend import STEM_CACHE_SIZE, WhooshBackend, make_schema
from tests.threads import race

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


def test_threads_searching_while_the_index_changes_see_consistent_results(tmp_path):
    """Each thread keeps its own searcher and decoded sets; a new index generation
    replaces both, so a reader never mixes two generations' document numbers."""
    import threading
    from datetime import datetime

    from app.search.querying import Filters, parse_user_query

    backend = WhooshBackend(tmp_path, {})

    def doc(n: int, word: str) -> Document:
        return Document(key=f"post:{n}", kind="post", title="t", body=f"needle {word}", url="/",
                        principals=["public"], created_at=datetime(2024, 1, 1))  # fmt: skip

    with backend.writer(rebuild=True) as writer:
        for n in range(50):
            writer.upsert(doc(n, "before"))
    errors: list[BaseException] = []
    stop = threading.Event()

    def read() -> None:
        try:
            while not stop.is_set():
                result = backend.search(parse_user_query("needle"), ["public"], Filters(), 1, 50, "relevance")
                assert result.total == 50 and sum(result.facets["kind"].values()) == 50
                assert len({h.key for h in result.hits}) == 50
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)

    readers = [threading.Thread(target=read) for _ in range(3)]
    for thread in readers:
        thread.start()
    for n in range(50):
        with backend.writer() as writer:
            writer.upsert(doc(n, "after"))  # an update: the old version is deleted
    stop.set()
    for thread in readers:
        thread.join(30)
    assert not errors, errors[0]
    after = backend.search(parse_user_query("after"), ["public"], Filters(), 1, 50, "relevance")
    assert after.total == 50
    assert backend.search(parse_user_query("before"), ["public"], Filters(), 1, 50, "relevance").total == 0
    backend.close()


def test_threads_analysing_more_distinct_words_than_any_cache_holds_never_fail(tmp_path):
    """Query and snippet words are analysed in every request thread. Whoosh's own
    stem cache (50,000 words) is not thread-safe: once full, threads evicting at once
    raised RuntimeError or KeyError, so a long-running threaded server would have
    failed searches at random."""
    backend = WhooshBackend(tmp_path, {})
    per_thread = STEM_CACHE_SIZE // 3

    def analyse(thread: int) -> None:
        for n in range(per_thread):
            backend._tokens([f"w{thread}x{n}ing"])
            backend._stem(f"v{thread}x{n}ed")

    failures = race(analyse, threads=4)
    assert failures == []
    # Without a cache it is still the index's analyzer, word for word.
    indexing = make_schema()["content"].analyzer
    words = ["Running", "the", "partners'", "integrations", "MSPs"]
    assert backend._tokens(words) == [t.text for word in words for t in indexing(word, mode="query")]


def test_opening_looks_again_when_another_process_removed_the_generation_it_read(tmp_path, monkeypatch):
    """A commit in another process deletes the previous table of contents; opening
    (and Whoosh's own ``exists_in``) could list it and then fail to read it. The
    two-process test above failed that way about once in a few dozen runs."""
    from whoosh import index

    from app.search import whoosh_backend

    WhooshBackend(tmp_path, {}).ensure_schema()  # the index exists on disk
    real_open = index.open_dir
    calls: list[str] = []

    def racing_open(*args, **kwargs):
        calls.append("open")
        if len(calls) == 1:
            raise FileNotFoundError("_guildhall_1.toc")
        return real_open(*args, **kwargs)

    monkeypatch.setattr(whoosh_backend.index, "open_dir", racing_open)
    monkeypatch.setattr(whoosh_backend.index, "exists_in", lambda *a, **k: racing_open(*a, **k) and True)
    backend = WhooshBackend(tmp_path, {})
    backend.ensure_schema()
    assert calls == ["open", "open"]
    assert backend.counts() == {}
    backend.close()
