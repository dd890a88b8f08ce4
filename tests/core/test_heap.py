"""``freeze_startup_objects``: the server's start-up heap leaves the collector's view."""

import gc

from app.core.heap import freeze_startup_objects


def test_objects_alive_at_start_up_are_frozen_and_later_ones_are_not():
    before = ["made before the freeze"]
    try:
        frozen = freeze_startup_objects()
        after = ["made after the freeze"]
        tracked = gc.get_objects()
        # Other threads of this worker (servers of earlier tests winding down) may free
        # a few frozen objects meanwhile, so the count can only have shrunk.
        assert 0 < gc.get_freeze_count() <= frozen
        assert not any(obj is before for obj in tracked)
        assert any(obj is after for obj in tracked)
    finally:
        gc.unfreeze()  # the rest of the suite builds apps that must stay collectable
    assert gc.get_freeze_count() == 0
    assert any(obj is before for obj in gc.get_objects())


def test_a_server_collects_young_garbage_less_often_and_still_collects_it():
    from app.core.heap import YOUNG_THRESHOLD, prepare_server_heap

    thresholds = gc.get_threshold()
    try:
        frozen = prepare_server_heap()
        assert 0 < gc.get_freeze_count() <= frozen  # see the test above
        assert gc.get_threshold() == (YOUNG_THRESHOLD, *thresholds[1:])
        assert gc.isenabled()
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
