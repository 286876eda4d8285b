"""planner.gc_pause.gc_paused: the one handling of the cyclic collector (loading, planning, report)."""

from __future__ import annotations

import gc

import pytest

from planner.gc_pause import gc_paused


@pytest.fixture
def collector():
    """The collector enabled and nothing frozen before the test; both restored after it."""
    was_enabled = gc.isenabled()
    gc.enable()
    gc.unfreeze()
    yield
    gc.unfreeze()
    (gc.enable if was_enabled else gc.disable)()


def test_paused_inside_and_enabled_again_after_even_on_an_exception(collector):
    with pytest.raises(RuntimeError):
        with gc_paused():
            assert not gc.isenabled()
            raise RuntimeError("boom")
    assert gc.isenabled()


def test_nested_pauses_leave_the_collector_paused_until_the_outer_one_ends(collector):
    with gc_paused():
        with gc_paused():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_the_caller_disabled_stays_disabled(collector):
    gc.disable()
    with gc_paused():
        pass
    assert not gc.isenabled()


def test_freeze_moves_what_is_alive_out_of_the_collectors_reach_on_leaving(collector):
    with gc_paused(freeze=True):
        kept = [[n] for n in range(1000)]
        assert gc.get_freeze_count() == 0
    assert gc.get_freeze_count() >= len(kept)
    assert gc.isenabled()
