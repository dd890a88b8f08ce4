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

Only the server entry points call this, never ``create_app``: the test suite builds
hundreds of apps, and frozen ones would never be freed.
"""

from __future__ import annotations

import gc


def freeze_startup_objects() -> int:
    """Collect once, then freeze everything still alive; return how many were frozen."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
