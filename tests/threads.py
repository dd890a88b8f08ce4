"""Running test code in several threads at once, switching between them as often as
the interpreter allows, so that a race on shared state shows within a test's time."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable


def race(target: Callable[[int], None], threads: int) -> list[BaseException]:
    """Run ``target(n)`` for n in ``range(threads)`` in as many threads at once; what
    they raised (an empty list when every run finished)."""
    failures: list[BaseException] = []

    def run(n: int) -> None:
        try:
            target(n)
        except BaseException as error:  # noqa: BLE001 - handed back to the test
            failures.append(error)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        started = [threading.Thread(target=run, args=(n,)) for n in range(threads)]
        for thread in started:
            thread.start()
        for thread in started:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    return failures
