"""``sigma-migrate diff OLD NEW`` after a wave (tester12 #9): an action of OLD that the re-plan NEW lacks is done,
dropped or "not in the new plan", from what NEW was made from: the journal of OLD that ``plan --applied OLD`` read
(NEW's ``inputs`` hold its sha256), read again beside OLD only while it is unchanged.

Against the bundled sample's sandbox over HTTP (the module fixture of test_replan_after_pilot_wave: plan v1, approve,
``apply --only group:Finance``, fetch again)."""

from __future__ import annotations

import json
import shutil
import sqlite3

import pytest

from planner.execute.journal import read_journal

from .conftest import run_cli, run_cli_with_environ, write
from . import test_replan_after_pilot_wave as pilot
from .test_replan_after_pilot_wave import SAME_SETUP, WENDY, plan_again

wave = pilot.wave  # the module fixture: the sandbox after the Finance wave of v1.json

FATES = ("done", "refused", "dropped", "not_in_new_plan")


def diff_json(capsys, old, new) -> dict:
    code, out, err = run_cli(capsys, "diff", str(old), str(new), "--json")
    assert code == 2, err
    return json.loads(out)


def wave_done(folder) -> dict[str, str]:
    """action id -> ``run 1 of plan <v1>, <finished>`` of every action the Finance wave did."""
    rows = read_journal(folder / "v1.json")[2]
    return {i: f"run 1 of plan {folder / 'v1.json'}, {r.finished_at}" for i, r in rows.items() if r.state == "done"}


def test_a_replan_given_the_wave_with_applied_says_which_actions_are_done_and_which_dropped(wave, capsys):
    server, folder = wave
    done = wave_done(folder)
    assert len(done) == 23
    # Wendy (made by hand in 2023) is kept now: her deactivation, which no run did, is dropped
    keep_wendy = SAME_SETUP.replace("  decisions: {tom.becker@acme.example: deactivate}\n",
                                    "  decisions: {tom.becker@acme.example: deactivate, wendy.park@acme.example: keep}\n")
    assert keep_wendy != SAME_SETUP
    plan_again(folder, capsys, "kept", keep_wendy, "--applied", str(folder / "v1.json"))

    document = diff_json(capsys, folder / "v1.json", folder / "kept.json")

    removed = {r["id"]: (r["fate"], r["by"]) for r in document["actions"]["removed"]}
    assert removed == {**{i: ("done", by) for i, by in done.items()},
                       f"members.deactivate:{WENDY}": ("dropped", None)}
    assert document["actions"]["removed_fates"] == {"done": 23, "refused": 0, "dropped": 1, "not_in_new_plan": 0}
    assert document["journals_unread"] == []

    code, out, _ = run_cli(capsys, "diff", str(folder / "v1.json"), str(folder / "kept.json"))
    lines = out.splitlines()
    assert lines[1] == "Actions: 0 added, 24 removed (23 done, 1 dropped), 4 changed"
    at = lines.index(f"  - members.deactivate:{WENDY}: deactivate: no IdP user matches this member; documents go to "
                     "tomasz.nowak@acme.example")
    assert lines[at + 1] == "      dropped: no run did it, and the new plan no longer plans it"
    link = next(i for i in done if i.startswith("scim.link_user:"))
    assert lines[lines.index(next(x for x in lines if x.startswith(f"  - {link}: "))) + 1] == f"      done by {done[link]}"


def test_without_applied_the_diff_does_not_say_why_and_a_journal_changed_since_is_read_as_the_replan_found_it(wave, capsys, tmp_path):
    server, folder = wave
    done = wave_done(folder)
    plan_again(folder, capsys, "blind2", SAME_SETUP)  # no --applied: the plan does not know what the wave did
    document = diff_json(capsys, folder / "v1.json", folder / "blind2.json")
    assert {r["fate"] for r in document["actions"]["removed"]} == {"not_in_new_plan"}
    assert {r["by"] for r in document["actions"]["removed"]} == {None}
    assert document["journals_unread"] == []

    # the same plans, v1's journal moved on since the re-plan read it (as another wave would move it): not read
    plan_again(folder, capsys, "given", SAME_SETUP, "--applied", str(folder / "v1.json"))
    copy = tmp_path / "v1.json"
    shutil.copy(folder / "v1.json", copy)
    shutil.copy(folder / "v1.json.journal.sqlite", tmp_path / "v1.json.journal.sqlite")
    read = [x for x in json.loads((folder / "given.json").read_text())["inputs"] if x["kind"] == "apply.journal"]
    assert [x["path"] for x in read] == [str(folder / "v1.json.journal.sqlite")]
    db = sqlite3.connect(tmp_path / "v1.json.journal.sqlite")
    db.execute("UPDATE meta SET value = 'elsewhere' WHERE key = 'plan_path'")
    db.commit()
    db.close()
    document = diff_json(capsys, copy, folder / "given.json")
    # its rows finished before the re-plan was made are read (tester20 #6): done, never "dropped" (not complete)
    assert document["actions"]["removed_fates"] == {"done": len(done), "refused": 0, "dropped": 0,
                                                    "not_in_new_plan": 0}
    [unread] = document["journals_unread"]
    made = json.loads((folder / "given.json").read_text())["created_at"]
    assert unread.startswith(f"{tmp_path / 'v1.json.journal.sqlite'}: the journal of {folder / 'v1.json'} the new "
                             "plan read with --applied: changed since (sha256 ")
    assert unread.endswith(f", the new plan read {read[0]['sha256'][:12]}): only what its runs finished before the "
                           f"new plan was made ({made}) is read")
    code, out, _ = run_cli(capsys, "diff", str(copy), str(folder / "given.json"))
    assert out.splitlines()[1:3] == [f"Actions: 0 added, {len(done)} removed ({len(done)} done), "
                                     "4 changed", f"  ? {unread}"]
    # a row finished after the re-plan was made is not what it read: not in the new plan
    db = sqlite3.connect(tmp_path / "v1.json.journal.sqlite")
    db.execute("UPDATE actions SET finished_at = '2999-01-01T00:00:00.000Z' WHERE action_id = ?", (next(iter(done)),))
    db.commit()
    db.close()
    document = diff_json(capsys, copy, folder / "given.json")
    assert document["actions"]["removed_fates"] == {"done": len(done) - 1, "refused": 0, "dropped": 0,
                                                    "not_in_new_plan": 1}

    # and without the journal beside OLD: the one the re-plan read, where it read it, unchanged (verify18 finding 2:
    # the journals of a plan are found wherever its file is)
    (tmp_path / "v1.json.journal.sqlite").unlink()
    document = diff_json(capsys, copy, folder / "given.json")
    assert document["journals_unread"] == []
    assert {r["id"]: r["fate"] for r in document["actions"]["removed"]} == dict.fromkeys(done, "done")
    # gone there too: not found
    (folder / "v1.json.journal.sqlite").rename(tmp_path / "kept.sqlite")
    document = diff_json(capsys, copy, folder / "given.json")
    (tmp_path / "kept.sqlite").rename(folder / "v1.json.journal.sqlite")
    assert document["journals_unread"] == [
        f"{folder / 'v1.json.journal.sqlite'}: the journal of {folder / 'v1.json'} the new plan read with --applied: "
        "not found"]
    assert document["actions"]["removed_fates"]["not_in_new_plan"] == len(done)

    # the journal as the re-plan read it: every removed action done
    document = diff_json(capsys, folder / "v1.json", folder / "given.json")
    assert {r["id"]: r["fate"] for r in document["actions"]["removed"]} == dict.fromkeys(done, "done")


def test_after_the_replan_is_applied_the_actions_the_wave_did_are_still_done(tmp_path, capsys):
    """tester20 #6: applying the re-plan writes its supersession row into the wave's journal, which then differs from
    the one the re-plan read; ``diff`` still reads the rows finished before the re-plan was made, so the wave's
    actions are done (was: every one "not in the new plan")."""
    server = pilot.sample_sandbox(pilot.SIGMA)
    server.start()
    mp = pytest.MonkeyPatch()
    try:
        env = pilot.sandbox_env(server)
        urls = ("--rest-base-url", server.base_url, "--scim-base-url", server.scim_base_url)
        v1, v2 = tmp_path / "v1.json", tmp_path / "v2.json"
        write(tmp_path / "pol.yaml", pilot.REVIEWED)
        write(tmp_path / "pol2.yaml", SAME_SETUP)
        for argv in (("fetch", "--base-url", server.base_url, "--out", str(tmp_path / "e1"), "--policy",
                      str(tmp_path / "pol.yaml"), "--no-progress"),
                     ("plan", "--sigma", str(tmp_path / "e1"), "--idp", str(pilot.OKTA), "--policy",
                      str(tmp_path / "pol.yaml"), "--out", str(v1)),
                     ("approve", str(v1), "--by", "T21"),
                     ("apply", str(v1), "--only", "group:Finance", *urls),
                     ("fetch", "--base-url", server.base_url, "--out", str(tmp_path / "e2"), "--policy",
                      str(tmp_path / "pol2.yaml"), "--no-progress"),
                     ("plan", "--sigma", str(tmp_path / "e2"), "--idp", str(pilot.OKTA), "--policy",
                      str(tmp_path / "pol2.yaml"), "--out", str(v2), "--applied", str(v1)),
                     ("approve", str(v2), "--by", "T21"),
                     ("apply", str(v2), *urls)):
            code, out, err = run_cli_with_environ(capsys, mp, env, *argv)
            assert code == 0, (argv, out, err)
    finally:
        mp.undo()
        server.close()
    done = wave_done(tmp_path)
    assert len(done) == 23

    document = diff_json(capsys, v1, v2)

    assert {r["id"]: (r["fate"], r["by"]) for r in document["actions"]["removed"]} == {
        i: ("done", by) for i, by in done.items()}
    [unread] = document["journals_unread"]
    made = json.loads(v2.read_text())["created_at"]
    assert unread.startswith(f"{tmp_path / 'v1.json.journal.sqlite'}: the journal of {v1} the new plan read with "
                             "--applied: changed since (sha256 ")
    assert unread.endswith(f"): only what its runs finished before the new plan was made ({made}) is read")
    code, out, _ = run_cli(capsys, "diff", str(v1), str(v2))
    assert out.splitlines()[1:3] == ["Actions: 0 added, 23 removed (23 done), 4 changed", f"  ? {unread}"]
