"""``freeze_startup_objects``: the server's start-up heap leaves the collector's view."""

import gc

from app.core.heap import freeze_startup_objects


def test_objects_alive_at_start_up_are_frozen_and_later_ones_are_not():
    before = ["made before the freeze"]
    try:
        frozen = freeze_startup_objects()
        after = ["made after the freeze"]
        tracked = gc.get_objects()
        assert frozen == gc.get_freeze_count() > 0
        assert not any(obj is before for obj in tracked)
        assert any(obj is after for obj in tracked)
    finally:
        gc.unfreeze()  # the rest of the suite builds apps that must stay collectable
    assert gc.get_freeze_count() == 0
    assert any(obj is before for obj in gc.get_objects())
