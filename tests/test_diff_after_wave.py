"""``sigma-migrate diff OLD NEW`` after a wave (tester12 #9): an action of OLD that the re-plan NEW lacks is done,
dropped or "not in the new plan", from what NEW was made from: the journal of OLD that ``plan --applied OLD`` read
(NEW's ``inputs`` hold its sha256), read again beside OLD only while it is unchanged.

Against the bundled sample's sandbox over HTTP (the module fixture of test_replan_after_pilot_wave: plan v1, approve,
``apply --only group:Finance``, fetch again)."""

from __future__ import annotations

import json
import shutil
import sqlite3

from planner.execute.journal import read_journal

from .conftest import run_cli
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


def test_without_applied_or_with_the_journal_changed_since_the_diff_does_not_say_why(wave, capsys, tmp_path):
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
    assert document["actions"]["removed_fates"] == {"done": 0, "refused": 0, "dropped": 0,
                                                    "not_in_new_plan": len(done)}
    [unread] = document["journals_unread"]
    assert unread.startswith(f"{tmp_path / 'v1.json.journal.sqlite'}: the journal of {folder / 'v1.json'} the new "
                             "plan read with --applied: changed since (sha256 ")
    assert unread.endswith(f", the new plan read {read[0]['sha256'][:12]})")
    code, out, _ = run_cli(capsys, "diff", str(copy), str(folder / "given.json"))
    assert out.splitlines()[1:3] == [f"Actions: 0 added, {len(done)} removed ({len(done)} not in the new plan), "
                                     "4 changed", f"  ? {unread}"]

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
