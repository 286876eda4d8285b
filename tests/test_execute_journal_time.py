"""The journal's timestamps (planner/execute/journal.py ``utc_now``/``utc_text``): ISO 8601 UTC with
milliseconds cut, not rounded, exactly as ``datetime.isoformat(timespec="milliseconds")`` wrote them
before the text up to the second was kept for its second (issue 10 item 5)."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest

from planner.execute.journal import utc_now, utc_text


def _by_datetime(ns: int) -> str:
    """The text the journal wrote before: a ``datetime`` of the microseconds, cut to milliseconds."""
    moment = datetime.fromtimestamp(ns // 1000 // 10**6, timezone.utc).replace(microsecond=ns // 1000 % 10**6)
    return moment.isoformat(timespec="milliseconds")[:-6] + "Z"


@pytest.mark.parametrize("ns, text", [
    (1_767_323_045_678_000_000, "2026-01-02T03:04:05.678Z"),
    (1_767_323_045_678_999_999, "2026-01-02T03:04:05.678Z"),  # cut, not rounded up
    (1_767_323_045_999_999_999, "2026-01-02T03:04:05.999Z"),
    (1_767_323_046_000_000_000, "2026-01-02T03:04:06.000Z"),  # the next second: its own text
    (1_767_225_599_999_000_000, "2025-12-31T23:59:59.999Z"),
    (1_767_225_600_000_000_000, "2026-01-01T00:00:00.000Z"),
    (0, "1970-01-01T00:00:00.000Z"),
])
def test_a_stamp_is_the_text_datetime_wrote(ns, text):
    assert utc_text(ns) == text == _by_datetime(ns)


def test_stamps_within_one_second_and_across_seconds_match_datetime():
    start = 1_767_323_045_000_000_000
    for ns in range(start - 3_000_000_000, start + 3_000_000_000, 7_777_777):
        assert utc_text(ns) == _by_datetime(ns)


def test_now_is_a_stamp_of_now():
    before = datetime.now(timezone.utc).replace(tzinfo=None)
    stamp = utc_now()
    after = datetime.now(timezone.utc).replace(tzinfo=None)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", stamp)
    assert before.replace(microsecond=before.microsecond // 1000 * 1000) <= datetime.fromisoformat(stamp[:-1]) <= after
