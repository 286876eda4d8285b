"""A doubted members answer (saved before users.json, or one answer saved under two groups) holds every person whose
account type or scope the group decides, a change or none: their link or create carries the account type under SCIM
(docs/sigma-api.md §5.2), so a link that keeps Admin through a stale Sigma-Admins answer is held like a type change
(doubts20, tester19 finding 4's leftover: helen.ortiz@, moved in Okta from Sigma-Admins to Sigma-Analyze after the
group answers were saved, was linked and stayed Admin, 0 blocking, and her acknowledged downgrade was reported
"settled nothing ... remove it"). Real files: samples/acme/okta with the slip, as /work/notes/t19-repro/23/
okta-stale-admins (the stale variant) and with Leadership's answer a copy of Sigma-Admins' (the identical one)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from planner.planfile import read_plan

from .conftest import REPO, run_cli, write
from .test_stale_member_answers import moved_user_export

ACME = REPO / "samples" / "acme"
HELEN, HELEN_MEMBER = "00uDXNuDXUhYql9AzxH9", "QK9fJMB9nEBWpYLdl9yg76p7wxYSm"
ADMINS, ANALYZE, FINANCE, LEADERSHIP = ("00gF7jYOB2uaP9Gm51OW", "00g3ZRm1DYkqS8x5unid", "00gSUDsbhMqeLxqzTHLU",
                                        "00ghyb0Fj5fJcmIn5iO9")
ADMIN_LINKS = ["scim.link_user:IdQgzZz22upwrg72mX8PcOW4BlQ16", "scim.link_user:a2k0X05ZReoLOuaKbMMocRqhaR08A",
               "scim.link_user:mpoIt9ybWq5xXzAozzUkcpIbJqDBV"]
"""The links of the three other members Sigma-Admins keeps Admin (priya.raman@, tomasz.nowak@, grace.liu@)."""
TYPE_CHANGES = [f"scim.set_account_type:{m}" for m in (
    "4zQjdiCWgV4iVYkm0DjAkt5ssGb7p", "GQ9BAOnWv8F4IYzQCMaWU5KYO5wnY", "JCi8n78Bu4BxSdQVmx45uxO6ACALq",
    "Vjdz0pXiz1nL9sU22p4sg3oud37J4", "ZzMj8XHJHNpplyMM7TMoXMC0Xxk9o", "lsNBvsrfu9kRxWrOwPoXFTLuPh7cj",
    "v3KmZUev8Ame3BFONg1e8LuH7rsw1")]
"""Every account-type change but Helen's (Sigma-Admins is read by account_types.group_map: held as before)."""


def okta_export(root: Path, *, stale: bool) -> Path:
    """samples/acme/okta where Helen moved from Sigma-Admins to Sigma-Analyze on 2026-12-01 (users.json's
    lastUpdated): ``stale``, the members answers are the copy of 2026-11-10 (her embedded records dated so, she is
    still in Sigma-Admins and not in Sigma-Analyze); else a fresh export (the sample's groups, her records dated as
    users.json's)."""
    return moved_user_export(root, HELEN, ANALYZE, ADMINS, stale=stale)


def plan(capsys, tmp_path: Path, idp: Path) -> tuple[int, object]:
    out = tmp_path / "plan.json"
    code, _, _ = run_cli(capsys, "plan", "--sigma", str(ACME / "sigma"), "--idp", str(idp), "--policy",
                         str(ACME / "policy-okta-reviewed.yaml"), "--out", str(out), "--detailed-exitcode")
    return code, read_plan(out)


def held(result, code: str) -> list[str]:
    """The action ids the blocking ``code`` items hold."""
    return sorted(i.subject.action_id for i in result.review_items if i.code == code and i.blocking)


def test_a_stale_admins_answer_holds_the_link_that_keeps_helen_admin(capsys, tmp_path):
    code, result = plan(capsys, tmp_path, okta_export(tmp_path / "okta", stale=True))
    assert code == 3
    actions = {a.id: a for a in result.actions}
    assert f"scim.set_account_type:{HELEN_MEMBER}" not in actions  # the stale answer keeps her Admin: a link only
    assert held(result, "inputs.stale_members") == sorted(
        ADMIN_LINKS + [f"scim.link_user:{HELEN_MEMBER}"] + TYPE_CHANGES
        + ["scim.set_group_members:" + FINANCE,
           "teams.remove_member:e5cd73fd-a310-46b1-8740-b7e718874ef3:6XJQCTmG8EsWeaHh7oAnZwcr5aXnT"])
    [item] = [i for i in result.review_items if i.id == f"inputs.stale_members:scim.link_user:{HELEN_MEMBER}"]
    file = tmp_path / "okta" / "group_members.json"
    assert item.message == (
        f"scim.link_user (link to IdP user {HELEN} (helen.ortiz@acme.example): the Sigma email equals the IdP "
        "userName): helen.ortiz@acme.example keeps Admin through group 'Sigma-Admins', and is in scope through groups "
        "'Sigma-Admins', 'Finance' only (scope.groups), which rests on a members answer saved before the users "
        f"file: group 'Sigma-Admins' ({file}:$[\"{ADMINS}\"]) embeds 1 user record(s) older than the users file's, "
        f"e.g. {HELEN}: lastUpdated 2026-11-10T10:00:00Z in the answer, 2026-12-01T10:00:00Z in the users file; "
        f"group 'Finance' ({file}:$[\"{FINANCE}\"]) embeds 1 user record(s) older than the users file's, e.g. "
        f"{HELEN}: lastUpdated 2026-11-10T10:00:00Z in the answer, 2026-12-01T10:00:00Z in the users file; a member "
        "who moved between groups since may change it")
    assert (item.subject.member_id, item.subject.group_ids, item.evidence.rows) == (
        HELEN_MEMBER, [ADMINS, FINANCE], [f'{file}:$["{ADMINS}"]', f'{file}:$["{FINANCE}"]'])
    [priya] = [i for i in result.review_items if i.id == "inputs.stale_members:" + ADMIN_LINKS[0]]
    assert priya.message.startswith(
        "scim.link_user (link to IdP user 00uCuQbt5PScKaNQVpDR (priya.raman@acme.example): the Sigma email equals "
        "the IdP userName): priya.raman@acme.example keeps Admin through group 'Sigma-Admins', which rests on a "
        "members answer saved before the users file: group 'Sigma-Admins' (")
    # her acknowledged downgrade is kept for her (the downgrade may come back once the answers are saved again)
    assert [i.id for i in result.review_items if i.code == "policy.unused_entry" and "helen" in i.message] == []


def test_a_fresh_export_downgrades_helen_and_holds_nothing(capsys, tmp_path):
    code, result = plan(capsys, tmp_path, okta_export(tmp_path / "okta", stale=False))
    assert code == 2
    assert [i.id for i in result.review_items if i.code.startswith("inputs.")] == []
    change = next(a for a in result.actions if a.id == f"scim.set_account_type:{HELEN_MEMBER}")
    assert (change.before.member_type, change.after.user_type) == ("Admin", "Analyze")


def test_identical_answers_hold_the_links_their_group_keeps_admin(capsys, tmp_path):
    """Leadership's answer saved as a copy of Sigma-Admins': the three members Sigma-Admins keeps Admin are held
    with inputs.identical_members, beside the type changes and Leadership's team actions (as before)."""
    root = tmp_path / "okta"
    members = json.loads((ACME / "okta" / "group_members.json").read_text(encoding="utf-8"))
    members[LEADERSHIP] = json.loads(json.dumps(members[ADMINS]))
    write(root / "group_members.json", json.dumps(members, indent=1))
    for name in ("users.json", "groups.json"):
        shutil.copy(ACME / "okta" / name, root / name)
    code, result = plan(capsys, tmp_path, root)
    assert code == 3
    team = "teams.remove_member:f4b79d9b-8885-4721-85a7-6a30bcc4d62a:"
    assert held(result, "inputs.identical_members") == sorted(
        ADMIN_LINKS + TYPE_CHANGES + [f"scim.set_account_type:{HELEN_MEMBER}", "scim.set_group_members:" + LEADERSHIP]
        + [team + m for m in ("6U0TqioLCzi4EbkjPreYb3MKnqEuI", "Obv0KsEqSjR2EkN5lqwXdbGsJEnDV",
                              "YPooTz1utT7clWOrY92gJRZZrBbSN", "kzY3suQdJWCn13Ng5SgqOEwPcDadN",
                              "p6COSKzHctX03hA52sgCf48EWojxI")])
    [grace] = [i for i in result.review_items if i.id == "inputs.identical_members:" + ADMIN_LINKS[2]]
    file = root / "group_members.json"
    assert grace.message == (
        "scim.link_user (link to IdP user 00uupGKyqs8TOj11kVQn (grace.liu@acme.example): the Sigma email equals the "
        "IdP userName): grace.liu@acme.example keeps Admin through group 'Sigma-Admins', which rests on members "
        "answers that may be one answer saved twice, under another group's id or name: group 'Sigma-Admins' "
        f"({file}:$[\"{ADMINS}\"]) and group 'Leadership' ({file}:$[\"{LEADERSHIP}\"]) list the same 3 members in "
        "the same order; the members the copy hides may change it")
    assert grace.resolution.splitlines()[-3:] == ["preflight:", "  identical_groups_confirmed:",
                                                  "    - [Sigma-Admins, Leadership]"]
