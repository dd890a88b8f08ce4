"""A Whoosh rebuild killed with SIGKILL leaves its temporary files; the next open of
the index, or the next rebuild, removes them, and never while another writer runs.

The killed writer runs in a child process that signals once it is mid-rebuild (its
sorted runs and new segment written, nothing committed) and then waits on its stdin,
so the kill lands at a known point without any sleep.
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path

import pytest

from app.search.documents import Document
from app.search.querying import Filters, parse_user_query
from app.search.whoosh_backend import WhooshBackend

ROOT = Path(__file__).resolve().parents[2]
WAIT = 120  # seconds: an upper bound for a slow machine, not a measurement

CHILD = textwrap.dedent(
    """
    import sys
    from datetime import datetime
    from pathlib import Path

    from app.search.documents import Document
    from app.search.whoosh_backend import WhooshBackend

    # A small memory limit makes the writer spill sorted runs to its temporary folder.
    backend = WhooshBackend(Path(sys.argv[1]), {"SEARCH_WRITER_LIMITMB": 1})
    with backend.writer(rebuild=True) as writer:
        for n in range(3000):
            writer.upsert(Document(key=f"post:{n}", kind="post", title="t",
                                   body=f"rebuiltword{n} " + "filler text " * 30, url="/",
                                   principals=["public"], created_at=datetime(2024, 1, 1)))
        print("mid-rebuild", flush=True)
        sys.stdin.read()  # until killed
    """
)


def _doc(n: int, word: str) -> Document:
    return Document(key=f"post:{n}", kind="post", title="t", body=f"{word} body", url="/",
                    principals=["public"], created_at=datetime(2024, 1, 1))  # fmt: skip


def _index_with_one_document(directory: Path) -> None:
    backend = WhooshBackend(directory, {})
    with backend.writer() as writer:
        writer.upsert(_doc(0, "keptword"))
    backend.close()


def _kill_a_rebuild_midway(directory: Path) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(directory)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        with selectors.DefaultSelector() as selector:
            selector.register(child.stdout, selectors.EVENT_READ)
            assert selector.select(timeout=WAIT), "the rebuild never reached its midpoint"
        assert child.stdout.readline().strip() == b"mid-rebuild"
        child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=WAIT) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=WAIT)
        child.stdin.close()
        child.stdout.close()


def _names(directory: Path) -> set[str]:
    return {path.name for path in directory.iterdir()}


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_opening_the_index_removes_what_a_killed_rebuild_left(tmp_path):
    _index_with_one_document(tmp_path)
    committed = _names(tmp_path)
    _kill_a_rebuild_midway(tmp_path)
    left = _names(tmp_path) - committed
    assert "guildhall.tmp" in left  # the writer's sorted runs
    assert any(name.startswith("guildhall_") and "." in name for name in left)  # the new segment

    backend = WhooshBackend(tmp_path, {})
    assert backend.counts() == {"post": 1}  # the last commit stands
    assert _names(tmp_path) == committed
    result = backend.search(parse_user_query("keptword"), ["public"], Filters(), 1, 10, "relevance")
    assert [hit.key for hit in result.hits] == ["post:0"]
    backend.close()


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_the_next_rebuild_removes_them_in_a_process_that_had_the_index_open(tmp_path):
    _index_with_one_document(tmp_path)
    backend = WhooshBackend(tmp_path, {})
    assert backend.counts() == {"post": 1}  # opened before the kill: no cleanup since
    _kill_a_rebuild_midway(tmp_path)
    assert (tmp_path / "guildhall.tmp").exists()
    # A kill while the table of contents is written leaves it under its temporary
    # name (Whoosh renames it when complete, and never removes an unfinished one).
    unfinished = tmp_path / "_guildhall_9.toc.1765000000.25"
    unfinished.write_bytes(b"half a table of contents")
    with backend.writer(rebuild=True) as writer:
        writer.upsert(_doc(1, "freshword"))
    assert not unfinished.exists()
    assert not (tmp_path / "guildhall.tmp").exists()
    assert backend.counts() == {"post": 1}
    backend.close()


def test_no_file_is_removed_while_another_writer_is_running(tmp_path):
    """A live writer's temporary files look exactly like a dead one's: only the
    write lock tells them apart."""
    _index_with_one_document(tmp_path)
    writing = WhooshBackend(tmp_path, {})
    with writing.writer() as writer:
        writer.upsert(_doc(2, "inflightword"))
        in_flight = _names(tmp_path)
        assert "guildhall.tmp" in in_flight
        other = WhooshBackend(tmp_path, {})
        assert other.remove_stale_files() == []
        assert _names(tmp_path) == in_flight
        other.close()
    assert writing.counts() == {"post": 2}
    writing.close()
