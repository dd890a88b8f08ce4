"""Keep the garbage collector off the objects a server process starts with.

Before it serves anything, a Guildhall process has imported Flask, SQLAlchemy,
Whoosh, markdown-it and every plug-in and built the app: a few hundred thousand
objects that live as long as the process. CPython collects its oldest generation
once enough younger objects have survived into it, and every such collection walks
all of them while holding the GIL — 50 to 120 ms on the 2-core bench machine, a
pause that lands on whatever chat message is being sent at the time: it was the p99
of ``bench/chat.py``'s peak phase. ``gc.freeze()`` moves what exists now into a
permanent generation the collector never scans; garbage made later is still
collected as before.

The collector's youngest generation is also collected less often in a server
(``YOUNG_THRESHOLD`` new objects instead of CPython's 700). Every chat event runs in a
new thread with its own app context, session and SQLAlchemy transaction, so a busy
room makes thousands of short-lived objects a second, and each young collection
also scans whatever survived it so far. With the default the collector took about a
sixth of the server's CPU in ``bench/chat.py``'s peak phase (23.2 ms per message
against 19.6 ms with it off; 20.7 ms with this threshold), and its pauses were the
p99. Garbage is still collected, in larger and rarer steps: a few megabytes more at
most.

Only the server entry points call this, never ``create_app``: the test suite builds
hundreds of apps, and frozen ones would never be freed.
"""

from __future__ import annotations

import gc

# New objects between two young collections in a server process (CPython: 700).
YOUNG_THRESHOLD = 10_000


def prepare_server_heap() -> int:
    """Freeze the start-up heap and collect young garbage less often; return how many
    objects were frozen. For a process about to serve, never for the test suite."""
    frozen = freeze_startup_objects()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
    return frozen


def freeze_startup_objects() -> int:
    """Collect once, then freeze everything still alive; return how many were frozen."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
