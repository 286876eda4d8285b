"""A plan's apply history is found again by its digest, wherever the plan file is (tester16b #1).

The tester's sequence on the bundled sample: plan -> approve -> apply -> undo -> apply the undo plan, then the plan
copied to another folder (or its journal deleted): ``approve`` and ``apply`` of the copy saw no journal, so no
rollback, and re-applied the plan under its old approval. Now sigma-migrate's state index
(planner/execute/history.py; ``SIGMA_MIGRATE_STATE_DIR``, here each test's own: tests/conftest.py) records which
journal each digest's runs wrote to and every plan that ended it, and every command that takes the plan reads it.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from planner.execute.history import digest_lock
from planner.state import STATE_DIR_ENV, history_path
from planner.state import state_dir as state_directory
from planner.execute.journal import read_journal, read_reversals
from planner.planfile import read_plan, write_plan
from planner.planning import plan_from_paths
from planner.redaction import clip

from .test_apply_after_rollback import OKTA, POLICY, SIGMA, refusal, rolled_back_sequence, sigma_image


@pytest.fixture
def rolled_back(tmp_path, capsys, monkeypatch):
    """The tester's sequence up to the approved undo plan (tests/test_apply_after_rollback.py), ``tmp_path`` the
    current folder."""
    with rolled_back_sequence(tmp_path, capsys, monkeypatch) as found:
        yield found


def copy_of_plan(folder: str) -> Path:
    """``plan.json`` (and its approval) copied into ``folder``, without its journal: what an admin copies."""
    Path(folder).mkdir()
    for name in ("plan.json", "plan.json.approval"):
        shutil.copy(name, Path(folder) / name)
    return Path(folder) / "plan.json"


def history_of(digest: str) -> dict:
    return json.loads(history_path(digest).read_text(encoding="utf-8"))


def test_a_copy_of_a_rolled_back_plan_is_refused_as_the_plan_is_naming_its_journal(rolled_back, tmp_path):
    server, counter, cli = rolled_back
    code, out, err = cli("apply", "undo.json")
    assert code == 0, out + err
    plan, undo = read_plan(Path("plan.json")), read_plan(Path("undo.json"))
    at = read_journal(Path("undo.json"))[1][0].started_at
    assert history_of(plan.digest)["journals"] == [{
        "journal": str(tmp_path / "plan.json.journal.sqlite"), "plan": str(tmp_path / "plan.json"),
        "runs": [{"run": 1, "applied": "the whole plan", "mode": "apply",
                  "started_at": read_journal(Path("plan.json"))[1][0].started_at}],
        "target": server.base_url}]  # the Sigma the run wrote to (rehearse20)
    assert history_of(plan.digest)["format"] == 2
    assert [(e["kind"], e["plan"], e["digest"], e["run"], e["at"], len(e["action_ids"]), e["target"])
            for e in history_of(plan.digest)["endings"]] == [("undo", "undo.json", undo.digest, 1, at, 32, server.base_url)]
    copy = copy_of_plan("elsewhere")
    writes, image = counter.total(), sigma_image(server)
    head = refusal(at).split("; applying it again")[0].replace("plan.json: this plan", "elsewhere/plan.json: this plan") + (
        f"; its journal is {tmp_path / 'plan.json.journal.sqlite'}, not beside this file")
    full = refusal(at).replace(refusal(at).split("; applying it again")[0], head).removeprefix("sigma-migrate: error: ")
    line = "sigma-migrate: error: " + clip(full, 1000)  # the CLI prints 1,000 characters of an error
    on = (f"(started {at})", f"(started {at}, on {server.base_url})")  # said by a command given no Sigma (rehearse20)

    for argv in (("approve", str(copy), "--by", "T16", "--force"), ("apply", str(copy)),
                 ("apply", str(copy), "--auto-approve"), ("apply", str(copy), "--resume")):
        code, out, err = cli(*argv, targets=argv[0] == "apply")
        expected = line if argv[0] == "apply" else "sigma-migrate: error: " + clip(full.replace(*on), 1000)
        assert (code, err.splitlines()) == (1, [expected]), argv
        assert "Stale-plan check" not in out
    code, out, err = cli("apply", str(copy), "--dry-run")
    assert [n for n in out.splitlines() if n.startswith("# note")] == [
        "# note: apply will refuse: " + full]
    assert (code, err) == (1, "")
    code, out, err = cli("verify", str(copy))
    assert (code, err.splitlines()) == (1, [
        head + "; Sigma is as that undo left it, not as this plan did: check it with "
        "`sigma-migrate verify undo.json`; nothing was read"])
    code, out, err = cli("show", str(copy), targets=False)
    assert (code, out.splitlines()[0]) == (0, "Rolled back: " + head.replace(*on).removeprefix("sigma-migrate: error: ") + f"; no apply of it to "
                                           f"{server.base_url} runs again: fetch Sigma's export, plan and approve again")
    assert counter.total() == writes  # nothing sent
    assert sigma_image(server) == image
    assert sorted(p.name for p in Path("elsewhere").iterdir()) == [  # no journal (the lock of apply's try)
        "plan.json", "plan.json.approval", "plan.json.journal.lock"]

    # a re-plan of the same export files is this very plan: the same digest, refused too, and the line says so
    again, _ = plan_from_paths(str(SIGMA), [str(OKTA)], str(POLICY))
    write_plan(again, tmp_path / "again.json")
    assert read_plan(tmp_path / "again.json").digest == plan.digest
    code, out, err = cli("approve", "again.json", "--by", "T16", targets=False)
    assert code == 1 and "(a plan of the same export files is this plan again, the same digest, refused too)" in err
    assert err.startswith("sigma-migrate: error: again.json: this plan was rolled back by undo plan undo.json")


def test_a_plan_whose_journal_was_deleted_or_which_was_copied_is_refused_naming_its_journal(rolled_back, tmp_path):
    """Applied, not rolled back: a copy is refused, naming the journal and its runs (apply it there); the plan with
    its journal deleted is refused naming the journal gone (what the runs wrote cannot be known); exit 1, nothing
    sent, no second journal."""
    server, counter, cli = rolled_back
    plan = read_plan(Path("plan.json"))
    copy = copy_of_plan("copy")
    writes = counter.total()
    journal = tmp_path / "plan.json.journal.sqlite"
    applied = (f"copy/plan.json: this plan ({plan.digest}) was applied from {tmp_path / 'plan.json'}: its journal "
               f"{journal} records run 1 (the whole plan, converged), and this file has no journal beside it; {{here}}, "
               "without what those runs did: {command} it where its journal is (`sigma-migrate {command} "
               f"{tmp_path / 'plan.json'}`); nothing was written")
    here = {"apply": "an apply here would start a second history of the same plan",
            "verify": "a verify here would check every action as if the plan were applied whole"}
    other = ("; nothing was written", f"; to apply it to another Sigma than {server.base_url}, give that Sigma's REST "
             "base URL (--rest-base-url); nothing was written")  # approve given no Sigma names the runs' (rehearse20)
    for argv, command in ((("approve", str(copy), "--by", "T16", "--force"), "apply"), (("apply", str(copy)), "apply"),
                         (("verify", str(copy)), "verify")):
        code, out, err = cli(*argv, targets=argv[0] != "approve")
        expected = applied.format(command=command, here=here[command])
        expected = expected.replace(*other) if argv[0] == "approve" else expected
        assert (code, err.splitlines()) == (1, ["sigma-migrate: error: " + expected]), argv
    code, out, err = cli("apply", str(copy), "--dry-run")
    assert [n for n in out.splitlines() if n.startswith("# note")] == [
        "# note: apply will refuse: " + applied.format(command="apply", here=here["apply"])]

    shutil.copy(journal, "copy/plan.json.journal.sqlite")  # a copy of the journal too: a second history
    code, out, err = cli("apply", str(copy))
    assert (code, err.splitlines()) == (1, ["sigma-migrate: error: " + applied.format(command="apply", here=here["apply"]).replace(
        "this file has no journal beside it", "its journal beside this file is another copy of that history")])
    os.remove("copy/plan.json.journal.sqlite")

    started = read_journal(Path("plan.json"))[1][0].started_at
    journal.unlink()
    gone = (f"this plan ({plan.digest}) was applied from {tmp_path / 'plan.json'}, run 1 (the whole plan, started "
            f"{started}), but its journal {journal} is gone and this file has no journal beside it: what those runs "
            f"wrote and left cannot be known; put that journal back beside {tmp_path / 'plan.json'}, or fetch Sigma's "
            "export again and plan again; nothing was written")
    for path in ("plan.json", str(copy)):
        for argv in (("approve", path, "--by", "T16", "--force"), ("apply", path), ("apply", path, "--resume")):
            code, out, err = cli(*argv, targets=argv[0] == "apply")
            expected = gone.replace(*other) if argv[0] == "approve" else gone
            assert (code, err.splitlines()) == (1, [f"sigma-migrate: error: {path}: {expected}"]), argv
    assert counter.total() == writes
    assert not journal.exists() and not Path("copy/plan.json.journal.sqlite").exists()


def test_a_plan_moved_with_its_journal_applies_where_it_now_is(rolled_back, tmp_path):
    """The folder moved, the plan with its journal: that journal is the plan's history; the re-apply runs and the
    index records its new place."""
    server, counter, cli = rolled_back
    plan = read_plan(Path("plan.json"))
    Path("moved").mkdir()
    for name in ("plan.json", "plan.json.approval", "plan.json.journal.sqlite"):
        Path(name).rename(Path("moved") / name)
    code, out, err = cli("apply", "moved/plan.json")
    assert code == 0, out + err
    assert [(j["journal"], [r["run"] for r in j["runs"]]) for j in history_of(plan.digest)["journals"]] == [
        (str(tmp_path / "plan.json.journal.sqlite"), [1]), (str(tmp_path / "moved/plan.json.journal.sqlite"), [2])]


def test_two_copies_of_one_plan_never_apply_at_once(rolled_back, tmp_path, state_dir):
    """Apply holds the digest lock in the state directory besides the lock beside the plan file: while an apply
    of the plan runs from one file, an apply of a copy (its own lock beside it free) is refused. The plan here is
    the approved undo plan, not applied yet."""
    server, counter, cli = rolled_back
    undo = read_plan(Path("undo.json"))
    Path("copy").mkdir()
    for name in ("undo.json", "undo.json.approval"):
        shutil.copy(name, Path("copy") / name)
    lock = state_dir / "locks" / f"{undo.digest.removeprefix('sha256:')}.lock"
    writes = counter.total()
    with digest_lock(undo.digest, tmp_path / "undo.json"):  # as the apply of undo.json holds it
        code, out, err = cli("apply", "copy/undo.json")
    assert (code, err.splitlines()) == (1, [
        f"sigma-migrate: error: copy/undo.json: another apply of this plan ({undo.digest}) is running, from this file "
        f"or a copy of it (it holds {lock}); let it finish, then apply or resume the plan where its journal is; "
        "nothing was written"])
    assert counter.total() == writes and not Path("copy/undo.json.journal.sqlite").exists()
    code, out, err = cli("apply", "copy/undo.json")  # the lock released: the first apply of it, from the copy
    assert code == 0, out + err
    assert [j["journal"] for j in history_of(undo.digest)["journals"]] == [
        str(tmp_path / "copy/undo.json.journal.sqlite")]
    code, out, err = cli("apply", "undo.json")  # now the original file is the other copy
    assert (code, err.splitlines()) == (1, [
        f"sigma-migrate: error: undo.json: this plan ({undo.digest}) was applied from {tmp_path / 'copy/undo.json'}: "
        f"its journal {tmp_path / 'copy/undo.json.journal.sqlite'} records run 1 (the whole plan, converged), and this "
        "file has no journal beside it; an apply here would start a second history of the same plan, without what "
        f"those runs did: apply it where its journal is (`sigma-migrate apply {tmp_path / 'copy/undo.json'}`); "
        "nothing was written"])


def test_an_unwritable_state_directory_refuses_apply_in_one_line_before_any_write(rolled_back, tmp_path,
                                                                                 monkeypatch):
    """The approved undo plan, not applied yet, with a state directory that cannot be made: one line, exit 1,
    nothing sent, no journal, no rollback recorded in the undone plan's journal."""
    server, counter, cli = rolled_back
    Path("not-a-folder").write_text("x")
    monkeypatch.setenv(STATE_DIR_ENV, str(tmp_path / "not-a-folder/state"))
    writes = counter.total()
    code, out, err = cli("apply", "undo.json")
    assert (code, err.splitlines()) == (1, [
        f"sigma-migrate: error: {tmp_path / 'not-a-folder/state/locks'}: cannot write sigma-migrate's state directory "
        f"(Not a directory): apply records there which journal each plan's runs write to, so that a copy of the plan "
        f"is never applied again; make it writable, or set {STATE_DIR_ENV} to a writable directory; nothing was "
        "written"])
    assert counter.total() == writes and not Path("undo.json.journal.sqlite").exists()
    assert read_reversals(tmp_path / "plan.json.journal.sqlite") == []


def test_the_state_directory_is_the_variables_else_xdg_state_home_else_the_home_folders(tmp_path, state_dir):
    assert state_directory() == state_dir  # the fixture's: each test its own
    assert state_directory({STATE_DIR_ENV: str(tmp_path / "s"), "XDG_STATE_HOME": "/x"}) == tmp_path / "s"
    assert state_directory({"XDG_STATE_HOME": "/var/lib/admin-state"}) == Path("/var/lib/admin-state/sigma-migrate")
    home = Path.home()
    assert state_directory({"XDG_STATE_HOME": "relative"}) == home / ".local/state/sigma-migrate"  # absolute only
    assert state_directory({}) == home / ".local/state/sigma-migrate"


def test_a_damaged_history_file_is_one_line_naming_it(tmp_path, capsys):
    """approve reads the plan's history: a file that is not one refuses in one line naming it, nothing approved."""
    from .conftest import run_cli
    from .execute_support import write_test_plan

    plan = write_test_plan(tmp_path)
    damaged = history_path(read_plan(plan).digest)
    damaged.parent.mkdir(parents=True)
    damaged.write_text("{not json", encoding="utf-8")
    code, out, err = run_cli(capsys, "approve", str(plan), "--by", "Ada Admin")
    assert (code, err.splitlines()) == (1, [
        f"sigma-migrate: error: {damaged}: not a plan history of sigma-migrate (JSON is malformed: object keys must "
        "be strings (byte 1)); nothing was written"])
    assert not Path(f"{plan}.approval").exists()


def read_history_run(digest: str) -> str:
    """When the state index records run 1 of the plan of ``digest`` started."""
    return history_of(digest)["journals"][-1]["runs"][0]["started_at"]


def test_an_emptied_or_damaged_journal_is_refused_never_made_anew_and_never_a_traceback(rolled_back, tmp_path):
    """tester22 finding 2: a journal cut to 0 bytes (a full disk, a sync client, ``> file``) was made a new, empty
    journal by the next apply (then verify: "0 of 0 converged", undo: nothing to undo, ``plan --applied``: silent),
    and one with a damaged page made apply print a traceback. Now every command refuses it in one line, the file
    left as it is; the index's refusals call it damaged, not gone."""
    server, counter, cli = rolled_back
    plan = read_plan(Path("plan.json"))
    journal = tmp_path / "plan.json.journal.sqlite"
    whole = journal.read_bytes()
    writes = counter.total()
    journal.write_bytes(b"")
    empty = "plan.json.journal.sqlite: not a usable journal (the file is empty, 0 bytes: cut short or overwritten)"
    for argv in (("apply", "plan.json"), ("apply", "plan.json", "--resume")):
        code, out, err = cli(*argv)
        assert (code, err.splitlines()) == (1, [f"sigma-migrate: error: {empty}; put back a good copy of it, or, if "
                                                "no run of this plan wrote to Sigma, move it away to start over"]), argv
    for argv, folder in ((("verify", "plan.json"), ""), (("undo", str(journal), "--out", "undo2.json"), f"{tmp_path}/")):
        code, out, err = cli(*argv)
        assert (code, err.splitlines()[-1]) == (1, f"sigma-migrate: error: {folder}{empty}"), argv
    code, out, err = cli("plan", "--sigma", str(SIGMA), "--idp", str(OKTA), "--policy", str(POLICY), "--applied",
                         "plan.json", "--out", "replan.json", targets=False)
    assert (code, err.splitlines()[-1]) == (1, (
        f"sigma-migrate: error: plan.json: --applied: sigma-migrate's state index records run 1 (the whole plan, "
        f"started {read_history_run(plan.digest)}) of this plan ({plan.digest}) with the journal {journal}, which is "
        f"damaged ({empty.removeprefix('plan.json.journal.sqlite: ')}), and none is beside this file: what those runs "
        f"wrote cannot be known; put that journal back beside {tmp_path / 'plan.json'}; no plan written"))
    assert journal.read_bytes() == b"" and counter.total() == writes and not Path("replan.json").exists()

    journal.write_bytes(whole[:4096] + b"\0" * 8192 + whole[4096 + 8192:])  # a damaged page
    code, out, err = cli("apply", "plan.json")
    assert (code, err.splitlines()) == (1, ["sigma-migrate: error: plan.json.journal.sqlite: not a usable journal (database disk "
                                            "image is malformed); put back a good copy of it, or, if no run of "
                                            "this plan wrote to Sigma, move it away to start over"])
    assert counter.total() == writes
