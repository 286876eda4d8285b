"""The one handling of Python's cyclic garbage collector: :func:`gc_paused`.

Loading, planning and rendering the report each allocate millions of small objects that
stay alive and hold no reference cycles (records, rows, dicts of strings). Every
young-generation collection those allocations trigger rescans the survivors: measured
with bench/plan_bench.py, half of the load time and a tenth of the planning time at 100k
members, and a third of the report's. Reference counting still frees everything that
is dropped, so pausing the cyclic collector over those bounded stages costs no memory
that would otherwise be returned.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def gc_paused(*, freeze: bool = False) -> Iterator[None]:
    """Pause the cyclic garbage collector inside the block; restore its state on leaving.

    Nested uses are free: an inner block finds the collector paused and leaves it so.
    With ``freeze`` the objects alive on leaving (also on an exception) are moved out of the
    collector's reach (``gc.freeze()``): the collections after the block, while the plan
    file and report are written, would otherwise walk all of them again (about half a
    second at 100k members).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        if enabled:
            gc.enable()
