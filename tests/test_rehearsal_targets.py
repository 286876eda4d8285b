"""Rehearsing the very plan in the sandbox does not block, or misdirect, its apply to Sigma (rehearse20).

The natural flow: plan.json from production's export, a copy in ``rehearsal/`` approved with the sandbox's URLs and
applied there, then plan.json approved and applied to Sigma. sigma-migrate's state index knew a plan by its digest
only, so the real apply was refused, pointing at the sandbox's journal (``apply it where its journal is (`sigma-migrate
apply rehearsal/plan.json`)``), and an undo rehearsed in the sandbox refused it as rolled back. Now each run's journal
and each ending records the Sigma it wrote to (planner/execute/history.py), and apply, approve and verify read the
history of their own Sigma only; a copy applied again to the same Sigma is refused as before (tester16b #1).

Two sandboxes of the bundled sample on 127.0.0.1, over HTTP: ``A`` (the rehearsal) and ``B`` (standing for Sigma),
seeded from the same export (one organization), on two ports: two targets.
"""

from __future__ import annotations

import json
import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest

from planner.execute.journal import read_journal
from planner.execute.targets import normal_base_url
from planner.planfile import read_plan, write_plan
from planner.planning import plan_from_paths
from planner.redaction import clip
from planner.state import history_path

from .conftest import run_cli_with_environ
from .execute_support import counting_sandbox, sandbox_env
from .test_apply_after_rollback import FIRST_FIVE, OKTA, POLICY, REDONE, SIGMA, sigma_image

CONVERGED = "Apply converged: 196 of 196 done (185 written this run, 11 already so), 0 failed, 0 skipped"
WRITES = 185  # the sandbox's successful writes of a whole apply of plan.json (tests.execute_support.WriteCounter)


@contextmanager
def two_sigmas(tmp_path, capsys, monkeypatch):
    """plan.json (the bundled sample, okta, reviewed: 196 actions) in ``tmp_path`` (the current folder), its copy in
    ``rehearsal/``, and two started sandboxes: ``(a, b, cli)``, each sandbox a ``(server, counter)`` pair;
    ``cli(sandbox, *argv)`` runs the CLI with that sandbox's credentials and URLs (``sandbox`` ``None``: no URL)."""
    plan, _ = plan_from_paths(str(SIGMA), [str(OKTA)], str(POLICY))
    assert (len(plan.actions), plan.blocking_items) == (196, ())
    write_plan(plan, tmp_path / "plan.json")
    (tmp_path / "rehearsal").mkdir()
    shutil.copy(tmp_path / "plan.json", tmp_path / "rehearsal" / "plan.json")
    monkeypatch.chdir(tmp_path)
    a, b = counting_sandbox(SIGMA), counting_sandbox(SIGMA)

    def cli(sandbox, *argv: str) -> tuple[int, str, str]:
        if sandbox is None:
            return run_cli_with_environ(capsys, monkeypatch, {}, *argv)
        server = sandbox[0]
        return run_cli_with_environ(capsys, monkeypatch, sandbox_env(server), *argv, "--rest-base-url",
                                    server.base_url, "--scim-base-url", server.scim_base_url)

    try:
        yield a, b, cli
    finally:
        a[0].close()
        b[0].close()


@pytest.fixture
def sigmas(tmp_path, capsys, monkeypatch):
    with two_sigmas(tmp_path, capsys, monkeypatch) as found:
        yield found


def applied(cli, sandbox, plan: str) -> str:
    """Approve ``plan`` for ``sandbox`` and apply it there; the line that says how the apply ended."""
    code, out, err = cli(sandbox, "approve", plan, "--by", "R20")
    assert (code, err) == (0, ""), out
    code, out, err = cli(sandbox, "apply", plan)
    assert code == 0, out + err
    return next(line for line in out.splitlines() if line.startswith("Apply converged"))


def history(digest: str) -> dict:
    return json.loads(history_path(digest).read_text(encoding="utf-8"))


def copy_of(name: str) -> str:
    """plan.json copied into folder ``name`` (without approval or journal): what an admin copies."""
    Path(name).mkdir()
    shutil.copy("plan.json", Path(name) / "plan.json")
    return f"{name}/plan.json"


def test_the_plan_rehearsed_in_the_sandbox_is_applied_whole_to_sigma(sigmas, tmp_path):
    """The copy applied to A, then plan.json to B: B's apply runs whole (196 writes), A's history and A untouched;
    another copy applied again to A is refused as before, naming the rehearsal's journal; a copy to B names B's."""
    a, b, cli = sigmas
    digest = read_plan(Path("plan.json")).digest
    assert applied(cli, a, "rehearsal/plan.json").startswith(CONVERGED)
    assert a[1].total() == WRITES, a[1].total()
    rehearsed = history(digest)["journals"]
    assert [(h["journal"], h["target"]) for h in rehearsed] == [
        (str(tmp_path / "rehearsal/plan.json.journal.sqlite"), a[0].base_url)]
    image_a = sigma_image(a[0])

    # was: `approve` and `apply` refused, "... was applied from rehearsal/plan.json ...; apply it where its journal is"
    assert applied(cli, b, "plan.json").startswith(CONVERGED)
    assert (b[1].total(), a[1].total()) == (WRITES, WRITES)
    assert sigma_image(a[0]) == image_a
    started = read_journal(Path("plan.json"))[1][0].started_at
    assert history(digest)["journals"] == [*rehearsed, {
        "journal": str(tmp_path / "plan.json.journal.sqlite"), "plan": str(tmp_path / "plan.json"),
        "runs": [{"run": 1, "applied": "the whole plan", "mode": "apply", "started_at": started}],
        "target": b[0].base_url}]
    assert history(digest)["endings"] == []

    code, out, err = cli(b, "verify", "plan.json")  # verify reads B's history: plan.json's own journal
    assert code == 0, out + err

    for sandbox, home in ((a, "rehearsal/plan.json"), (b, "plan.json")):  # a copy to the same Sigma: as before
        copy = copy_of(f"again-{len(home)}")
        writes = sandbox[1].total()
        for argv in (("approve", copy, "--by", "R20", "--force"), ("apply", copy, "--auto-approve")):
            code, out, err = cli(sandbox, *argv)
            assert (code, err.splitlines()) == (1, [
                f"sigma-migrate: error: {copy}: this plan ({digest}) was applied from {tmp_path / home}: its journal "
                f"{tmp_path / home}.journal.sqlite records run 1 (the whole plan, converged), and this file has no "
                "journal beside it; an apply here would start a second history of the same plan, without what those "
                f"runs did: apply it where its journal is (`sigma-migrate apply {tmp_path / home}`); nothing was "
                "written"]), argv
        assert sandbox[1].total() == writes

    # a command that knows no Sigma reads every history and names each; which one to read is the admin's choice
    code, out, err = cli(None, "plan", "--sigma", str(SIGMA), "--idp", str(OKTA), "--policy", str(POLICY),
                         "--out", "p2.json", "--applied", "again-9/plan.json")
    runs = {path: read_journal(Path(path))[1][0].started_at for path in ("rehearsal/plan.json", "plan.json")}
    assert (code, out, err.splitlines()) == (1, "", ["sigma-migrate: error: " + clip(
        f"again-9/plan.json: --applied: this plan ({digest}) was applied to more than one Sigma and none of its "
        f"journals is beside this file; a re-plan reads the history of one Sigma: give --applied "
        f"{tmp_path}/rehearsal/plan.json for {a[0].base_url}, or --applied {tmp_path}/plan.json for {b[0].base_url}; "
        f"no plan written; sigma-migrate's state index records run 1 (the whole plan, started "
        f"{runs['rehearsal/plan.json']}) with {tmp_path}/rehearsal/plan.json.journal.sqlite (applied from "
        f"{tmp_path}/rehearsal/plan.json to {a[0].base_url}); and run 1 (the whole plan, started {runs['plan.json']}) "
        f"with {tmp_path}/plan.json.journal.sqlite (applied from {tmp_path}/plan.json to {b[0].base_url})", 1000)])
    assert not Path("p2.json").exists()


def test_an_undo_rehearsed_in_the_sandbox_does_not_refuse_the_plan_on_sigma(sigmas, tmp_path):
    """The copy applied to A and undone there (its undo plan applied to A), then plan.json to B: applied whole; a
    copy applied again to A is refused as rolled back (tester16b #1), and ``show plan.json`` says where it was."""
    a, b, cli = sigmas
    digest = read_plan(Path("plan.json")).digest
    assert applied(cli, a, "rehearsal/plan.json").startswith(CONVERGED)
    code, out, err = cli(a, "undo", "rehearsal/plan.json.journal.sqlite", "--out", "rehearsal/undo.json")
    assert code == 0, out + err
    code, out, err = cli(a, "approve", "rehearsal/undo.json", "--by", "R20")
    assert code == 0, out + err
    code, out, err = cli(a, "apply", "rehearsal/undo.json")
    assert code == 0, out + err
    undo = read_plan(Path("rehearsal/undo.json"))
    at = read_journal(Path("rehearsal/undo.json"))[1][0].started_at
    assert [(e["kind"], e["plan"], e["digest"], e["run"], len(e["action_ids"]), e["target"])
            for e in history(digest)["endings"]] == [("undo", "rehearsal/undo.json", undo.digest, 1, 32, a[0].base_url)]
    writes_a = a[1].total()

    # was: refused, "plan.json: this plan was rolled back by undo plan rehearsal/undo.json ..."
    assert applied(cli, b, "plan.json").startswith(CONVERGED)
    assert (b[1].total(), a[1].total()) == (WRITES, writes_a)

    rolled_back = (f"this plan was rolled back by undo plan rehearsal/undo.json ({undo.digest}) run 1 (started {at}), "
                   f"which reversed 32 of its action(s) ({REDONE})")
    copy = copy_of("again")
    code, out, err = cli(a, "apply", copy, "--auto-approve")
    assert (code, err.splitlines()) == (1, ["sigma-migrate: error: " + clip(
        f"{copy}: {rolled_back}; its journal is {tmp_path}/rehearsal/plan.json.journal.sqlite, not beside this file; "
        "applying it again would redo them under its old approval: fetch Sigma's export again, plan and approve again "
        "(a plan of the same export files is this plan again, the same digest, refused too); nothing was written; it "
        f"would redo {FIRST_FIVE}, and 27 more", 1000)])
    assert a[1].total() == writes_a

    code, out, err = cli(None, "show", "plan.json")
    assert (code, out.splitlines()[0]) == (0, "Rolled back: plan.json: " + rolled_back.replace(
        f"(started {at})", f"(started {at}, on {a[0].base_url})") + f"; no apply of it to {a[0].base_url} runs "
        "again: fetch Sigma's export, plan and approve again")


def test_a_history_written_before_the_target_counts_for_every_sigma(sigmas, tmp_path):
    """A history of format 1 (no target: the older version) is every Sigma's: plan.json approved for B is refused as
    before, naming the rehearsal's journal."""
    a, b, cli = sigmas
    digest = read_plan(Path("plan.json")).digest
    assert applied(cli, a, "rehearsal/plan.json").startswith(CONVERGED)
    old = history(digest)
    old["format"] = 1
    for home in old["journals"]:
        del home["target"]
    history_path(digest).write_text(json.dumps(old), encoding="utf-8")
    code, out, err = cli(b, "approve", "plan.json", "--by", "R20")
    home = tmp_path / "rehearsal/plan.json"
    assert (code, err.splitlines()) == (1, [
        f"sigma-migrate: error: plan.json: this plan ({digest}) was applied from {home}: its journal {home}.journal.sqlite "
        "records run 1 (the whole plan, converged), and this file has no journal beside it; an apply here would start a "
        "second history of the same plan, without what those runs did: apply it where its journal is (`sigma-migrate "
        f"apply {home}`); nothing was written"])
    assert b[1].total() == 0


@pytest.mark.parametrize("url, target", [
    ("HTTPS://API.SigmaComputing.com:443/", "https://api.sigmacomputing.com"),
    ("http://127.0.0.1:8765/", "http://127.0.0.1:8765"),
    ("http://LOCALHOST:80", "http://localhost"),
    ("https://api.example/Sigma/v2/", "https://api.example/Sigma/v2"),
    ("http://[::1]:9000/x/", "http://[::1]:9000/x"),
    ("http://[", "http://["),  # does not parse: kept as written, refused before any request
])
def test_the_target_is_the_rest_base_url_normalised(url, target):
    """The Sigma a run is recorded under: scheme and host lower-cased, default port and trailing slash dropped."""
    assert normal_base_url(url) == target
