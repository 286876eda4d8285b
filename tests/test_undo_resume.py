"""An interrupted undo plan is resumed like a migration plan (tester14b finding 8).

The tester's sequence on the bundled sample: a converged apply, its undo plan (32 reversals) applied and stopped by
SIGINT once two of its ``scim.set_group_members`` were done. ``apply u.json --resume`` was refused as stale ("3
object(s) changed: team ... memberIds: ... left") by the very teams those two reversals had reset, while ``verify``
named that ``--resume`` as the way to finish: the stale check discounted a migration plan's own pushes (members the
plan links) but not an undo plan's (the members its reversal's ``before.members`` name). One rule now,
:func:`planner.execute.stale.left_by_push`, over the real sandbox, the undo applied in a subprocess sent SIGINT.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from planner.execute.journal import journal_path, read_journal
from planner.execute.stale import PlannedEffects, left_by_push
from planner.planfile import read_plan

from .conftest import run_cli_with_environ
from .execute_support import APPLY_TIMEOUT, HOLD_AT_MOST, WriteCounter, journal_states, sandbox_env
from .sandbox_fixture import sample_sandbox
from .test_apply_resume_signals import wait_for

REPO = Path(__file__).resolve().parent.parent
SIGMA, OKTA = REPO / "samples/acme/sigma", REPO / "samples/acme/okta"
POLICY = REPO / "samples/acme/policy-okta-reviewed.yaml"


class HoldPush:
    """WSGI middleware: the ``hold_at``-th SCIM group push (``PATCH /scim/v2/Groups/...``) waits until ``release``
    is set (at most :data:`~tests.execute_support.HOLD_AT_MOST`) before Sigma serves it; ``pushes`` counts the
    pushes received."""

    def __init__(self, app, hold_at: int):
        self.app, self.hold_at = app, hold_at
        self.release = threading.Event()
        self.pushes = 0
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        if environ["REQUEST_METHOD"] == "PATCH" and environ.get("PATH_INFO", "").startswith("/scim/v2/Groups/"):
            with self._lock:
                self.pushes += 1
                held = self.pushes == self.hold_at
            if held:
                self.release.wait(HOLD_AT_MOST)
        return self.app(environ, start_response)


def test_a_push_leaving_out_a_member_the_group_held_is_the_plans_own_for_both_kinds_of_plan():
    """The rule itself: a member gone from a pushed team is the push's doing when the team held them SCIM-managed
    (linked by the plan, or named in the push's ``before.members``) and the push leaves their userName out."""
    effects = PlannedEffects(scalars={}, removes={}, group_members={"team:t1": {"ann@x.example"}},
                             member_user={"mLinked": "bob@x.example", "mKept": "ann@x.example"}, names={},
                             group_before={"team:t1": {"ann@x.example", "cy@x.example"}})
    emails = {"mCy": "Cy@X.example", "mDee": "dee@x.example"}
    assert [m for m in ("mLinked", "mKept", "mCy", "mDee") if left_by_push(m, "team:t1", effects, emails.get)] == [
        "mLinked", "mCy"]
    assert left_by_push("mCy", "team:t1", effects) is False  # no way to read the member's email: drift
    assert left_by_push("mLinked", "team:t2", effects) is False  # no push of that team


@pytest.mark.slow
def test_an_undo_interrupted_after_two_group_pushes_resumes_and_converges(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    server = sample_sandbox(SIGMA)
    server.app = hold = HoldPush(WriteCounter(server.app), hold_at=2)
    server.start()
    urls = ("--rest-base-url", server.base_url, "--scim-base-url", server.scim_base_url)

    def cli(*argv: str, targets: bool = False) -> tuple[int, str, str]:
        return run_cli_with_environ(capsys, monkeypatch, sandbox_env(server), *argv, *(urls if targets else ()))

    try:
        hold.release.set()  # the migration runs freely
        for argv, targets in ((("fetch", "--base-url", server.base_url, "--out", "e1", "--policy", str(POLICY),
                                "--no-progress"), False),
                              (("plan", "--sigma", "e1", "--idp", str(OKTA), "--policy", str(POLICY), "--out",
                                "p.json"), False),
                              (("approve", "p.json", "--by", "T14"), False), (("apply", "p.json"), True),
                              (("undo", "p.json.journal.sqlite", "--out", "u.json"), True),
                              (("approve", "u.json", "--by", "T14"), False)):
            code, out, err = cli(*argv, targets=targets)
            assert code == 0, (argv, out, err)
        undo = read_plan(Path("u.json"))
        assert (len(undo.actions), sum(a.kind.value == "scim.set_group_members" for a in undo.actions)) == (32, 12)

        hold.pushes, hold.hold_at = 0, 2
        hold.release.clear()
        env = {**os.environ, **sandbox_env(server), "PYTHONPATH": str(REPO)}
        proc = subprocess.Popen([sys.executable, "-m", "planner", "apply", "u.json", *urls, "--parallelism", "1",
                                 "--backoff-base", "0.01", "--backoff-cap", "0.05", *APPLY_TIMEOUT],
                                cwd=tmp_path, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        wait_for(lambda: hold.pushes == 2, proc)  # the second push is in flight: Sigma holds it
        proc.send_signal(signal.SIGINT)
        hold.release.set()
        _, err = proc.communicate(timeout=300)
        assert (proc.returncode, err.splitlines()[-1]) == (
            130, "sigma-migrate: error: interrupted; run `sigma-migrate apply u.json --resume` to continue")
        rows = read_journal(Path("u.json"))[2]
        done = [a.kind.value for a in undo.actions if rows[a.id].state == "done"]
        assert (done.count("scim.set_group_members"), done.count("members.reactivate"), len(done)) == (2, 12, 14)
        assert journal_states(journal_path(Path("u.json"))) == {"done": 14, "pending": 18}

        code, out, err = cli("verify", "u.json", targets=True)
        assert code == 3, out + err
        assert "`sigma-migrate apply u.json --resume` finishes it" in out, out

        code, out, err = cli("apply", "u.json", "--resume", targets=True)  # was: exit 1, 'plan is stale, 3 object(s)'
        assert code == 0, out + err
        assert "Stale-plan check: no object changed since the plan was made" in out
        assert ("Apply converged: 32 of 32 done (18 written this run, 14 done by an earlier run), 0 failed, 0 skipped"
                in out), out
        assert journal_states(journal_path(Path("u.json"))) == {"done": 32}
        assert [(r.run_id, r.mode, r.status) for r in read_journal(Path("u.json"))[1]] == [
            (1, "apply", "interrupted"), (2, "resume", "converged")]
        code, out, err = cli("verify", "u.json", targets=True)
        assert (code, out.splitlines()[-1]) == (
            0, "Verify: converged. 32 of 32 object(s) converged, 0 drifted, 0 missing"), out + err
    finally:
        hold.release.set()
        server.close()
