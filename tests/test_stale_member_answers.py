"""An Okta members answer saved by hand long before users.json (it embeds a user record older than the users
file's record of the same id: an earlier ``lastUpdated``) may miss a move between groups: a ``stale-members``
warning naming the group, the file and the user, and the plan holds the team, scope and account-type changes the
group feeds (inputs.stale_members, the identical-answers doubt's mechanism: GroupAnswerDoubt) until the answers
are saved again; no item for a fresh export or under a fetch-idp manifest (tester19 finding 4: Kevin's Sigma-Build
membership of 2026-11-10 made him Build, though users.json of 2026-12-01 is after his move to Sigma-Analyze,
0 blocking). Real files: samples/acme/okta with that one slip, as /work/notes/t19-repro/23/okta-stale-groups."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from planner.planfile import read_plan
from planner.sources import load_idp
from planner.sources.manifest import manifest_document

from .conftest import REPO, run_cli, write

ACME = REPO / "samples" / "acme"
KEVIN, KEVIN_MEMBER = "00uyee4zpiQPgaRGn8y5", "4zQjdiCWgV4iVYkm0DjAkt5ssGb7p"
EVERYONE, BUILD, ANALYZE, SUPPORT = ("00gFX2DIhkqtNC5jhfKN", "00gOCss5XDbtcyFbKinT", "00g3ZRm1DYkqS8x5unid",
                                     "00gfMEdVb1Ytu7KxKizm")
SAVED, CHANGED = "2026-11-10T10:00:00.000Z", "2026-12-01T10:00:00.000Z"
HELD = sorted(["scim.set_group_members:" + SUPPORT] + [f"scim.set_account_type:{m}" for m in (
    KEVIN_MEMBER, "GQ9BAOnWv8F4IYzQCMaWU5KYO5wnY", "JCi8n78Bu4BxSdQVmx45uxO6ACALq", "QK9fJMB9nEBWpYLdl9yg76p7wxYSm",
    "Vjdz0pXiz1nL9sU22p4sg3oud37J4", "ZzMj8XHJHNpplyMM7TMoXMC0Xxk9o", "lsNBvsrfu9kRxWrOwPoXFTLuPh7cj",
    "v3KmZUev8Ame3BFONg1e8LuH7rsw1")])
"""What Sigma-Build (account_types.group_map: every account-type change) and Customer Support (its team's push)
feed; Everyone, which no policy key reads, feeds nothing."""
DECIDED = sorted(["scim.create_user:00uQSJXWaxJmS4L2KHXA"] + [f"scim.link_user:{m}" for m in (
    "0eLTALOj2V7TOJvZ9PHu8sCb2hLL7", KEVIN_MEMBER, "8eG67WJbfIxDHJjW3jaF5XdgF6RBB", "E0LfUNWDEgNgHEw5CzWUacxpKbCxM",
    "GQ9BAOnWv8F4IYzQCMaWU5KYO5wnY", "KymMWOQ36tfBXJVP7uSao9G8chJ8e", "UM1WJCduV7g8K4cefMkTx2z1hiv8s",
    "XpoPoiu2kGCUB1wsOGACYPa2eaqoB", "YWoBmQ5OCu8BVMJCBKB81LPEKssLx", "ZzMj8XHJHNpplyMM7TMoXMC0Xxk9o",
    "eL0lYdSCzsWlchqo2nmcRkUKIrZuI", "eeDBf5Flw4uluQRfKkBR1fqoc9u46", "fivvNajS6nOGopIuAlVlPaVg0T7fz",
    "kisY6hQmNTYFPtZ87qyfLQT8A2gtT", "nCwpaJj0Ors0TnOVV4QbhJEoE4zMO", "qOcZdxi8HXqp2yjzTH6LCHw6OWDZE",
    "yP9DAuur8jWgDO4HmByMTbZswSpCB")])
"""The links and the create of the people the stale groups decide something for, a change or none (doubts20): the
16 Sigma-Build gives Build (Kevin's too, and in scope through Sigma-Build and Customer Support only), lucas.meyer@,
in scope through Customer Support only, and benjamin.hart@, created Build."""


def okta_export(root: Path, *, stale: bool) -> Path:
    """samples/acme/okta where Kevin changed on 2026-12-01 (users.json's lastUpdated): ``stale``, the members answers
    are the copy of 2026-11-10 (his embedded records dated so, and he is still in Sigma-Build, not Sigma-Analyze);
    else a fresh export (his embedded records dated as users.json's, in Sigma-Analyze as the samples say)."""
    return moved_user_export(root, KEVIN, ANALYZE, BUILD, stale=stale)


def moved_user_export(root: Path, user_id: str, now_in: str, was_in: str, *, stale: bool) -> Path:
    """samples/acme/okta written to ``root`` where IdP user ``user_id`` moved from group ``was_in`` to ``now_in`` on
    2026-12-01 (CHANGED, users.json's lastUpdated): ``stale``, the members answers are the copy of 2026-11-10
    (SAVED: the user's embedded records dated so, still in ``was_in``, not in ``now_in``); else a fresh export (the
    sample's groups, the embedded records dated as users.json's). Shared with tests/test_group_answer_decides_people.py."""
    users = json.loads((ACME / "okta" / "users.json").read_text(encoding="utf-8"))
    members = json.loads((ACME / "okta" / "group_members.json").read_text(encoding="utf-8"))
    for user in users:
        if user["id"] == user_id:
            user["lastUpdated"] = CHANGED
    for answer in members.values():
        for user in answer:
            if user["id"] == user_id:
                user["lastUpdated"] = SAVED if stale else CHANGED
    if stale:
        moved = next(u for u in members[now_in] if u["id"] == user_id)
        members[now_in].remove(moved)
        members[was_in].append(moved)
    write(root / "users.json", json.dumps(users, indent=1))
    write(root / "group_members.json", json.dumps(members, indent=1))
    shutil.copy(ACME / "okta" / "groups.json", root / "groups.json")
    return root


def plan(capsys, tmp_path: Path, idp: Path) -> tuple[int, object]:
    out = tmp_path / "plan.json"
    code, _, _ = run_cli(capsys, "plan", "--sigma", str(ACME / "sigma"), "--idp", str(idp), "--policy",
                         str(ACME / "policy-okta-reviewed.yaml"), "--out", str(out), "--detailed-exitcode")
    return code, read_plan(out)


def stale_items(result) -> list[str]:
    return sorted(i.id for i in result.review_items if i.code == "inputs.stale_members" and i.blocking)


def test_the_stale_answers_are_one_warning_per_group_naming_the_file_and_an_example_user(tmp_path):
    root = okta_export(tmp_path / "okta", stale=True)
    directory, findings = load_idp(root, "okta-api")
    file = str(root / "group_members.json")
    assert [(f.severity.value, f.file, f.location, f.field) for f in findings if f.code == "stale-members"] == [
        ("warning", file, f'$["{g}"]', "lastUpdated") for g in (EVERYONE, BUILD, SUPPORT)]
    build = next(f for f in findings if f.code == "stale-members" and f.location == f'$["{BUILD}"]')
    assert build.message == (
        f"the members answer of group 'Sigma-Build' embeds 1 user record(s) older than users.json's, e.g. {KEVIN} "
        "(Kevin.Brown@acme.example): lastUpdated 2026-11-10T10:00:00Z in group_members.json, 2026-12-01T10:00:00Z in "
        "users.json: the answer was saved before that user changed, so its members may be from before a move "
        "between groups. The plan holds the team, scope and account-type changes this group feeds "
        "(inputs.stale_members) until the users and the group members are saved again, together (or pulled by "
        "fetch-idp okta)")
    assert [(d.reason, d.group_ids, d.members, d.stale.user_id, d.stale.listed, d.stale.users_file)
            for d in directory.answer_doubts] == [
        ("stale", (g,), 1, KEVIN, "2026-11-10T10:00:00Z", "2026-12-01T10:00:00Z") for g in (EVERYONE, BUILD, SUPPORT)]


def test_the_stale_answers_hold_what_their_groups_feed(capsys, tmp_path):
    root = okta_export(tmp_path / "okta", stale=True)
    code, result = plan(capsys, tmp_path, root)
    assert code == 3  # changes, blocked by review items
    assert stale_items(result) == sorted("inputs.stale_members:" + a for a in HELD + DECIDED)
    assert sorted(i.id for i in result.review_items if i.blocking) == stale_items(result)  # nothing else blocks
    kevin = next(a for a in result.actions if a.id == f"scim.set_account_type:{KEVIN_MEMBER}")
    assert kevin.reason == "upgrade: View -> Build (group Sigma-Build)"  # as the stale answer says: held
    item = next(i for i in result.review_items if i.id == f"inputs.stale_members:{kevin.id}")
    answer = f'{root / "group_members.json"}:$["{BUILD}"]'
    assert item.message == (
        "scim.set_account_type (upgrade: View -> Build (group Sigma-Build)) rests on a members answer saved before "
        f"the users file: group 'Sigma-Build' ({answer}) embeds 1 user record(s) older than the users file's, e.g. "
        f"{KEVIN}: lastUpdated 2026-11-10T10:00:00Z in the answer, 2026-12-01T10:00:00Z in the users file; a member "
        "who moved between groups since may change it")
    assert item.resolution == (
        "# no policy setting settles this: save the users and the group members again, together (or pull them with "
        "sigma-migrate fetch-idp okta), then plan again\n")
    assert list(item.evidence.rows) == [answer]
    link = next(i for i in result.review_items if i.id == f"inputs.stale_members:scim.link_user:{KEVIN_MEMBER}")
    assert link.message == (
        f"scim.link_user (link to IdP user {KEVIN} (Kevin.Brown@acme.example): the Sigma email equals the IdP "
        "userName): kevin.brown@acme.example goes View -> Build through group 'Sigma-Build', and is in scope through "
        "groups 'Sigma-Build', 'Customer Support' only (scope.groups), which rests on a members answer saved before "
        f"the users file: group 'Sigma-Build' ({answer}) embeds 1 user record(s) older than the users file's, e.g. "
        f"{KEVIN}: lastUpdated 2026-11-10T10:00:00Z in the answer, 2026-12-01T10:00:00Z in the users file; group "
        f"'Customer Support' ({root / 'group_members.json'}:$[\"{SUPPORT}\"]) embeds 1 user record(s) older than the "
        f"users file's, e.g. {KEVIN}: lastUpdated 2026-11-10T10:00:00Z in the answer, 2026-12-01T10:00:00Z in the "
        "users file; a member who moved between groups since may change it")
    team = next(i for i in result.review_items if i.id == f"inputs.stale_members:scim.set_group_members:{SUPPORT}")
    assert team.subject.group_ids == [SUPPORT] and f"group 'Customer Support' ({root / 'group_members.json'}:" \
        f'$["{SUPPORT}"]) embeds 1 user record(s) older' in team.message


def test_a_fresh_export_is_read_as_it_is(capsys, tmp_path):
    root = okta_export(tmp_path / "okta", stale=False)
    directory, findings = load_idp(root, "okta-api")
    assert directory.answer_doubts == () and [f for f in findings if f.code == "stale-members"] == []
    code, result = plan(capsys, tmp_path, root)
    assert code == 2 and stale_items(result) == []
    assert next(a.reason for a in result.actions if a.id == f"scim.set_account_type:{KEVIN_MEMBER}") == (
        "upgrade: View -> Analyze (group Sigma-Analyze)")


def test_a_fetch_idp_manifest_vouches_for_the_answers(capsys, tmp_path):
    root = okta_export(tmp_path / "okta", stale=True)
    directory, _ = load_idp(root, "okta-api")
    counts = {Path(i.path).name: i.records for i in directory.inputs}
    write(root / "fetch-idp-manifest.json", json.dumps(manifest_document("okta", counts)))
    directory, findings = load_idp(root, "okta-api")
    assert directory.answer_doubts == () and [f for f in findings if f.code == "stale-members"] == []
    code, result = plan(capsys, tmp_path, root)
    assert code == 2 and stale_items(result) == []
