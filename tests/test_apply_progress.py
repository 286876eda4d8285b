"""apply's progress (issue 13 item 5): a rich bar with counts and ETA on a terminal; one line per
action with --verbose or when stderr is not a terminal."""

from __future__ import annotations

import io

from planner.execute.progress import LogProgress, RichProgress, make_progress


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_the_bar_unless_verbose():
    assert isinstance(make_progress(stream=Tty()), RichProgress)
    assert isinstance(make_progress(stream=Tty(), verbose=True), LogProgress)


def test_a_pipe_gets_one_line_per_action():
    assert isinstance(make_progress(stream=io.StringIO()), LogProgress)
    assert isinstance(make_progress(stream=io.StringIO(), verbose=True), LogProgress)


def test_the_bar_shows_counts_and_eta():
    bar = make_progress(stream=Tty())
    columns = [getattr(c, "text_format", type(c).__name__) for c in bar._progress.columns]
    assert "MofNCompleteColumn" in columns and "TimeRemainingColumn" in columns
    assert any("{task.fields[done]} done" in str(c) for c in columns)
