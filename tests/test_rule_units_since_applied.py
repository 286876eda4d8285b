"""planner.rules.since_applied.changes_since: the one comparison of the re-plan's Sigma export with how the plan given
to ``plan --applied`` saw it, every field in one sorted list, and the members' state read from it by
planner.rules.reactivated (mend21: the archived state was a second comparison of its own,
``reactivated.changed_by_hand``; close10-s20 'REVIEW OF THE WHOLE CHANGE'). A small directory, the exact changes."""

from __future__ import annotations

from dataclasses import replace

from planner.directory import build_directory
from planner.model import AppliedArchive, AppliedRuns, AppliedSeen
from planner.rules.reactivated import archived_by, archived_by_hand, seen_archived
from planner.rules.since_applied import HandChange, changes_since, state_changes

from .plan_factory import member, policy, snapshot

SEEN_AT = "2026-12-07T10:00:00Z"
MEMBERS = [
    member("m-back", "back@x.example", archived=True),     # seen active, archived now: by hand
    member("m-laura", "laura@x.example"),                   # seen archived, active now: reactivated by hand
    member("m-off", "off@x.example", inactive=True),        # seen active, inactive now: by hand
    member("m-ran", "ran@x.example", archived=True),        # seen active, a run archived them after: no change
    member("m-early", "early@x.example", archived=True),    # a run archived them before v1 read Sigma: by hand
    member("m-still", "still@x.example", inactive=True),    # seen archived, inactive now: neither active, no change
    member("m-type", "type@x.example", member_type="Build"),  # seen View, Build now
]


def seen(mid: str, archived: bool = False, inactive: bool = False, member_type: str = "View") -> AppliedSeen:
    return AppliedSeen(mid, f"{mid[2:]}@x.example", archived, inactive, "v1.json", False, SEEN_AT,
                       member_type=member_type)


def archive(mid: str, at: str) -> AppliedArchive:
    return AppliedArchive(mid, f"{mid[2:]}@x.example", "members.deactivate", True, "v1.json", False, 1, at)


def directory():
    applied = AppliedRuns(
        seen=(seen("m-back"), seen("m-laura", archived=True), seen("m-off"), seen("m-ran"), seen("m-early"),
              seen("m-still", archived=True), seen("m-type")),
        archives=(archive("m-ran", "2026-12-07T10:05:00.120Z"), archive("m-early", "2026-12-07T09:59:59.900Z")))
    return build_directory(replace(snapshot(MEMBERS, with_root=False), applied=applied), policy())


def change(mid: str, field: str, was: str, now: str) -> HandChange:
    return HandChange("member", mid, field, was, now, "v1.json", False, SEEN_AT)


def test_every_field_is_one_sorted_list_of_changes():
    assert changes_since(directory()) == (
        change("m-back", "state", "active", "archived"),
        change("m-early", "state", "active", "archived"),
        change("m-laura", "state", "archived", "active"),
        change("m-off", "state", "active", "inactive"),
        change("m-type", "memberType", "View", "Build"),
    )


def test_the_reactivated_and_archived_by_hand_members_are_read_from_that_list():
    d = directory()
    assert sorted(state_changes(d), key=lambda c: c.object_id) == [
        c for c in changes_since(d) if c.field == "state"]
    assert seen_archived(d) == {"m-laura": change("m-laura", "state", "archived", "active")}
    assert archived_by_hand(d) == {"m-back": change("m-back", "state", "active", "archived"),
                                   "m-early": change("m-early", "state", "active", "archived"),
                                   "m-off": change("m-off", "state", "active", "inactive")}
    assert archived_by(seen_archived(d)["m-laura"]) == (
        f"archived when plan v1.json read Sigma ({SEEN_AT}), active in Sigma since, no run of this tool reactivated "
        "them")
    assert archived_by(change("m-x", "state", "inactive", "active")) == (
        f"deactivated when plan v1.json read Sigma ({SEEN_AT}), active in Sigma since, no run of this tool "
        "reactivated them")


def test_without_applied_nothing_changed():
    assert changes_since(build_directory(snapshot(MEMBERS, with_root=False), policy())) == ()
