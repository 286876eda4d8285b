"""What changed in Sigma since the plan given to ``plan --applied`` saw it, not by a run of the plans given.

A re-plan reads a new Sigma export; the plan given to ``plan --applied`` that read Sigma last records how it saw
the same objects (its person rows, :class:`~planner.model.AppliedSeen`; its team rows,
:class:`~planner.model.AppliedTeamSeen`). :func:`changes_since` compares the two, one field at a time, and leaves out
what a run of the plans given wrote at or after that plan read Sigma (the journal, :mod:`planner.applied`): what is
left was changed outside this tool between the waves, most likely by a Sigma admin on purpose. One comparison for
every family: each family that would undo such a change, or whose earlier decision it breaks, names it by the
:class:`HandChange` (waves20: a team renamed by hand dropped the link wave 1 made, silently; tester19 findings 1 and
7: a member archived or reactivated by hand, asked about by :mod:`.reactivated`; mend21 made the members' state one
more field here, was a second comparison of its own there).

Fields compared:

- a team's ``name``: a team the plan saw linked to an IdP group (team row of mode ``link``) whose name in the export
  differs, unless the new name is that group's displayName in the IdP export (the IdP's push renames the team to the
  group's name, ``teams.renamed_by_idp``; no run of this tool renames a team: ``scim.link_group`` sends the name it
  read). Read by :func:`planner.rules.teams.renamed_links`.
- a member's state (:data:`MEMBER_STATE`: active, archived, inactive): seen archived or inactive and active now, or
  seen active and archived or inactive now, unless a run of the plans given made that very change at or after that
  plan read Sigma, through the REST API (:attr:`planner.directory.Directory.applied_archives`: an archive, or
  ``members.reactivate``) or by writing ``active`` through SCIM (:attr:`planner.directory.ScimState.written`). Read
  by :func:`planner.rules.reactivated.seen_archived` (tester19 finding 7: reactivated by hand, the re-plan archived
  them again) and :func:`planner.rules.reactivated.archived_by_hand` (tester19 finding 1: archived by hand, linking
  would write it back). A member seen archived and inactive now (or the reverse) is no change of state here: neither
  is active.
- a member's account type (``memberType``), unless a run wrote that ``userType`` through SCIM since
  (:attr:`planner.directory.ScimState.written`); read by :func:`reverted_items` and, an admin type gained, by
  :func:`planner.rules.account_types.settings` (the ``account_types.admin_upgrade`` it was before the change);
- a member's SCIM link (:data:`SCIM_LINK`): Sigma's SCIM state provisions the member for another IdP user than the
  one the plan linked it to (or none), and no run wrote its link since: the IdP's own push made it between the waves
  (tester22 finding 4), named by :func:`linked_since_items`;
- a member's membership of a team the plan acted on (its fingerprint lists the team's members): joined or left since.
  A run's push or removal since is no revert the re-plan plans (it sends the export's membership again), so no run
  is subtracted here.

The account type and team membership are read by :func:`reverted_items`: the IdP winning over a change made by hand
is by design, undoing it without naming it is not (tester19 finding 1, its milder half: nadine.achterberg@ given
Build by hand, downgraded back to View by the re-plan, 0 items).
"""

from __future__ import annotations

from dataclasses import dataclass

from typing import Iterable, Mapping, Sequence

from ..directory import Directory
from ..model import AppliedSeen, ItemEvidence, ReviewItem, SigmaMember, email_key
from ..payloads import (
    UNSET, Action, ScimLinkUser, ScimSetAccountType, ScimSetGroupMembers, TeamsRemoveMember,
)
from . import make_review, person_ref, yaml_snippet

TEAM_NAME = "name"
""":attr:`HandChange.field` of a team renamed since."""

MEMBER_TYPE = "memberType"
""":attr:`HandChange.field` of a member's account type changed since."""

TEAM_MEMBERSHIP = "team"
""":attr:`HandChange.field` of a member who joined or left a team since (``seen``/``now``: ``member`` | ``not a
member``; :attr:`HandChange.team_id`, :attr:`HandChange.team_name`)."""

MEMBER_STATE = "state"
""":attr:`HandChange.field` of a member archived, deactivated or reactivated since (``seen``/``now``:
:data:`ACTIVE` | :data:`ARCHIVED` | :data:`INACTIVE`, :func:`state_word`)."""

SCIM_LINK = "scimLink"
""":attr:`HandChange.field` of a member Sigma's SCIM state links since to an IdP user other than the one the plan
linked it to (``seen``: that IdP id, ``""`` for none; ``now``: the SCIM user's ``externalId``), not by a run:
:func:`scim_link_changes`."""

ACTIVE, ARCHIVED, INACTIVE = "active", "archived", "inactive"

CHANGED_BY_HAND = "applied.changed_by_hand"
"""The rule and item code of a member whose account type or team membership changed by hand since the applied plan
saw it, which this plan sets back (:func:`reverted_items`)."""

IN, OUT = "member", "not a member"


@dataclass(frozen=True)
class HandChange:
    """One value of a Sigma object changed since the plan given to ``plan --applied`` that read Sigma last saw it,
    not by a run of the plans given: the object's ``kind`` (``team`` | ``member``), its id (``object_id``: a teamId
    or a memberId), the ``field`` (:data:`TEAM_NAME`; :data:`MEMBER_STATE`, :data:`MEMBER_TYPE`,
    :data:`TEAM_MEMBERSHIP`), the value ``seen`` and the value ``now`` (the re-plan's export), and the plan that saw
    it (``plan`` as given, ``undo``, ``at``: when it read Sigma, ISO 8601 UTC, ``""`` when unknown). For a team,
    ``group_id`` / ``group_name``: the IdP group that plan gave it; for a team membership, ``team_id`` /
    ``team_name``: the team (its name in the export)."""

    kind: str
    object_id: str
    field: str
    seen: str
    now: str
    plan: str
    undo: bool
    at: str
    group_id: str | None = None
    group_name: str | None = None
    team_id: str | None = None
    team_name: str | None = None

    def plan_words(self) -> str:
        """``"v1.json (Sigma read 2026-12-07T13:20:08Z)"``; ``"undo plan u.json"`` for an undo plan, no date when
        none is known."""
        when = f" (Sigma read {self.at})" if self.at else ""
        return f"{'undo plan ' if self.undo else ''}{self.plan}{when}"


def changes_since(directory: Directory) -> tuple[HandChange, ...]:
    """Every :class:`HandChange` of the export against the plan given to ``plan --applied`` that read Sigma last
    (module docstring): :func:`team_changes`, :func:`state_changes` and :func:`member_changes`, sorted once here by
    kind, object id, field, team name, teamId and the value seen. Empty without ``--applied``."""
    found = [*team_changes(directory), *state_changes(directory), *member_changes(directory)]
    found.sort(key=lambda c: (c.kind, c.object_id, c.field, c.team_name or "", c.team_id or "", c.seen))
    return tuple(found)


def team_changes(directory: Directory) -> list[HandChange]:
    """The teams' :class:`HandChange` s, unsorted (:func:`changes_since` sorts): a linked team renamed since, not
    after its group (module docstring)."""
    found = []
    groups = directory.groups
    for tid, seen in directory.applied_teams_seen.items():
        team = directory.teams.get(tid)
        if team is None or seen.group_id is None or team.name == seen.name:
            continue
        group = groups.get(seen.group_id)
        if group is not None and team.name == group.display_name:
            continue  # the IdP's push named the team after its group
        found.append(HandChange("team", tid, TEAM_NAME, seen.name, team.name, seen.plan, seen.undo, seen.at,
                                seen.group_id, seen.group_name))
    return found


def state_word(archived: bool, inactive: bool) -> str:
    """A member's state as :data:`MEMBER_STATE` words it: :data:`ARCHIVED` (archived, whatever ``active`` says),
    :data:`INACTIVE` (``active: false`` through SCIM), else :data:`ACTIVE`."""
    return ARCHIVED if archived else INACTIVE if inactive else ACTIVE


def state_changed_by_hand(member: SigmaMember, seen: AppliedSeen, directory: Directory) -> bool:
    """Whether ``member``'s state (the export) flipped between active and not since ``seen`` (the plan that read
    Sigma last) and no run of the plans given made that very change at or after that plan read Sigma: its last
    archive or ``members.reactivate`` through the REST API (:attr:`planner.directory.Directory.applied_archives`)
    or its last ``active`` written through SCIM (:attr:`planner.directory.ScimState.written`) left the member as
    the export lists them. Dates are ISO 8601 UTC, compared to the second (module docstring)."""
    active_now = member.is_active
    if active_now is seen.active:
        return False
    last = directory.applied_archives.get(member.member_id)
    if last is not None and last.archived is not active_now and last.at[:19] >= seen.at[:19]:
        return False
    scim = directory.scim.written.get((member.member_id, "active"))
    return not (scim is not None and scim.value is active_now and scim.at[:19] >= seen.at[:19])


def state_changes(directory: Directory) -> list[HandChange]:
    """The members' :data:`MEMBER_STATE` :class:`HandChange` s, unsorted (:func:`changes_since` sorts): one per
    member whose state flipped by hand since the plan saw it (:func:`state_changed_by_hand`). What
    :func:`planner.rules.reactivated.seen_archived` and :func:`~planner.rules.reactivated.archived_by_hand` read:
    this field alone, so the families asking about a member's state do not compare every team's members too."""
    found = []
    members = directory.members
    for mid, seen in directory.applied_seen.items():
        member = members.get(mid)
        if member is not None and state_changed_by_hand(member, seen, directory):
            found.append(HandChange("member", mid, MEMBER_STATE, state_word(seen.archived, seen.inactive),
                                    state_word(member.is_archived, member.is_inactive), seen.plan, seen.undo,
                                    seen.at))
    return found


def type_changes(directory: Directory) -> list[HandChange]:
    """The members' :data:`MEMBER_TYPE` :class:`HandChange` s, unsorted (:func:`changes_since` sorts): account type
    changed since the plan saw it, not by a run's ``userType`` write through SCIM since (module docstring), nor left
    as such a write set it: a run that wrote another type than the one now did not make it (tester22 finding 4: the
    IdP's push gave Admin to a member wave 1 linked as View, and the link's write hid it). What
    :func:`planner.rules.account_types.settings` reads alone (an admin type gained since, tester22 finding 4). A
    member the export or the plan's view lacks, or either side lacks an account type of, is not compared."""
    found = []
    members, written = directory.members, directory.scim.written
    for mid, seen in directory.applied_seen.items():
        member = members.get(mid)
        if member is None or seen.member_type is None or not member.member_type:
            continue
        now_type = member.member_type.casefold()
        if now_type != seen.member_type.casefold():
            wrote = written.get((mid, "userType"))
            if wrote is None or wrote.at[:19] < seen.at[:19] or str(wrote.value).casefold() != now_type:
                found.append(HandChange("member", mid, MEMBER_TYPE, seen.member_type, member.member_type, seen.plan,
                                        seen.undo, seen.at))
    return found


def scim_link_changes(directory: Directory) -> list[HandChange]:
    """The members' :data:`SCIM_LINK` :class:`HandChange` s, unsorted (:func:`changes_since` sorts): a member Sigma's
    SCIM state now provisions for IdP user ``now`` (its ``externalId``) whom the plan saw linked to another IdP user
    or to none (``seen``: that IdP id, ``""``), and whose ``active`` no run of the plans given wrote through SCIM at
    or after that plan read Sigma (a run's ``scim.link_user`` / ``scim.create_user`` writes it): the IdP's own push
    made that link between the waves (tester22 finding 4). A link to the IdP user the plan linked the member to is
    the plan's own decision, whoever pushed it. Read by :func:`linked_since_items`."""
    found = []
    users, written = directory.scim.users, directory.scim.written
    for mid, seen in directory.applied_seen.items():
        user = users.get(mid)
        if user is None or not user.external_id or seen.idp_id == user.external_id or mid not in directory.members:
            continue
        wrote = written.get((mid, "active"))
        if wrote is None or wrote.at[:19] < seen.at[:19]:
            found.append(HandChange("member", mid, SCIM_LINK, seen.idp_id or "", user.external_id, seen.plan,
                                    seen.undo, seen.at))
    return found


def member_changes(directory: Directory) -> list[HandChange]:
    """The members' other :class:`HandChange` s, unsorted (:func:`changes_since` sorts): account type
    (:func:`type_changes`), the SCIM link (:func:`scim_link_changes`) and membership of each team the plan has a
    fingerprint of (module docstring). A member the export or the plan's view lacks is compared on nothing."""
    found = type_changes(directory) + scim_link_changes(directory)
    members = directory.members
    seen_by_member = directory.applied_seen
    for tid, team_seen in directory.applied_teams_seen.items():
        if team_seen.member_ids is None or tid not in directory.teams:
            continue
        before = set(team_seen.member_ids)
        now = {m.member_id for m in directory.team_members.get(tid, ())}
        for mid in before ^ now:
            if mid not in members or mid not in seen_by_member:
                continue
            joined = mid in now
            found.append(HandChange("member", mid, TEAM_MEMBERSHIP, OUT if joined else IN, IN if joined else OUT,
                                    team_seen.plan, team_seen.undo, team_seen.at, team_id=tid,
                                    team_name=directory.teams[tid].name))
    return found


def reverted_items(changes: Iterable[HandChange], actions: Sequence[Action], directory: Directory) -> list[ReviewItem]:
    """One informational ``applied.changed_by_hand`` item per member whose account type or team membership changed
    since the applied plan saw it (``changes``, :func:`changes_since`) and which ``actions`` (the plan's, final) set
    back: a ``scim.set_account_type`` or ``scim.link_user`` sending another type than the one now, a
    ``teams.remove_member`` of a team they joined, a ``scim.set_group_members`` whose members hold them (their email,
    letter case aside) for a team they left. Each item names, per change, the value the plan saw, the value now and
    what this plan does; by memberId. The IdP winning is by design (module docstring)."""
    types: dict[str, tuple[str, str]] = {}
    removals: dict[tuple[str, str], str] = {}
    pushes: dict[str, tuple[str, frozenset[str]]] = {}
    for a in actions:
        if isinstance(a, ScimSetAccountType):
            types[a.target.member_id] = (a.after.user_type, a.id)
        elif isinstance(a, ScimLinkUser) and isinstance(a.after.user_type, str):
            types.setdefault(a.target.member_id, (a.after.user_type, a.id))
        elif isinstance(a, TeamsRemoveMember):
            removals[(a.target.team_id, a.target.member_id)] = a.id
        elif isinstance(a, ScimSetGroupMembers) and a.target.team_id:
            pushes[a.target.team_id] = (a.id, frozenset(map(email_key, a.after.members)))
    words: dict[str, list[str]] = {}
    plan_of: dict[str, HandChange] = {}
    for c in changes:
        if c.kind != "member":
            continue
        said = None
        if c.field == MEMBER_TYPE and c.object_id in types:
            sent, aid = types[c.object_id]
            if sent.casefold() != c.now.casefold():
                said = f"account type {c.seen} then, {c.now} now: this plan sets {sent} ({aid})"
        elif c.field == TEAM_MEMBERSHIP and c.team_id is not None:
            team = c.team_name
            if c.now == IN and (c.team_id, c.object_id) in removals:
                said = (f"joined team {team!r} since: this plan removes them "
                        f"({removals[(c.team_id, c.object_id)]})")
            elif c.now == OUT and c.team_id in pushes:
                member = directory.members[c.object_id]
                aid, sent_keys = pushes[c.team_id]
                if (member.email_key or email_key(member.email or "")) in sent_keys:
                    said = f"left team {team!r} since: this plan's push adds them back ({aid})"
        if said:
            words.setdefault(c.object_id, []).append(said)
            plan_of.setdefault(c.object_id, c)
    items = []
    for mid in sorted(words):
        member, c = directory.members[mid], plan_of[mid]
        items.append(make_review(
            CHANGED_BY_HAND, mid, blocking=False,
            subject=person_ref(member_id=mid, email=member.email),
            message=(f"{member.email}: changed in Sigma since {c.plan_words()} saw them, not by this tool, and this "
                     f"plan sets it back to the IdP's word: {'; '.join(words[mid])}"),
            rule=CHANGED_BY_HAND,
            evidence=ItemEvidence(member_type=member.member_type),
        ))
    return items


def linked_since(changes: Iterable[HandChange]) -> frozenset[str]:
    """The IdP ids Sigma's SCIM state links since the applied plan saw their member (``changes``' :data:`SCIM_LINK`
    ``now``): whose ``linking.reused_addresses: same_person`` accepts that link (:func:`linked_since_items`)."""
    return frozenset(c.now for c in changes if c.field == SCIM_LINK)


LINKED_SINCE = "scim.linked_since"
"""The item code of a member the IdP's own push linked since the applied plan saw it, to another IdP user than that
plan's (:func:`linked_since_items`)."""


def linked_since_items(changes: Iterable[HandChange], directory: Directory,
                       answers: Mapping[str, str]) -> list[ReviewItem]:
    """One ``scim.linked_since`` item per member Sigma's SCIM state links since the applied plan saw it to another IdP
    user (``changes``' :data:`SCIM_LINK`, :func:`scim_link_changes`), by memberId: the IdP's own push (provisioning on
    between the waves) linked it, which the plan keeps as Sigma has it (key ``scim``), so the link is named rather
    than taken as settled (tester22 finding 4: a leaver's inactive member linked and reactivated by the push for a
    new IdP user of the same address, ``link_key: scim``, no item, while the same inputs before the push were a
    blocking ``linking.ambiguous``). Blocking, as the rules ask before such a link (``linking.rehire``,
    ``linking.ambiguous``, ``linking.recycled_address``), when the plan saw the member archived or inactive (the push
    reactivated a leaver's account for that IdP user) or linked to another IdP user; informational when it saw the
    member active and no IdP user of its export matched them. ``answers``: ``linking.reused_addresses`` by IdP id;
    ``same_person`` accepts the link (the item is then informational, saying so)."""
    items = []
    members, users, seen_of = directory.members, directory.idp_users, directory.applied_seen
    for c in changes:
        if c.field != SCIM_LINK:
            continue
        member, seen, idp = members[c.object_id], seen_of[c.object_id], users.get(c.now)
        then = state_word(seen.archived, seen.inactive)
        returned = not seen.active and member.is_active
        accepted = answers.get(c.now) == "same_person"
        named = f"IdP user {c.now}" + (f" ({idp.user_name}, made {idp.created or 'on a date the export does not give'})"
                                       if idp is not None else " (not in the IdP export)")
        before = f"linked to IdP user {c.seen}" if c.seen else "no IdP user of its export matching them"
        what = ("linked it and reactivated it" if returned else "linked it") + (
            f": its account, documents, teams and history are {c.now}'s now")
        if accepted:
            tail = f"; linking.reused_addresses says same_person for {c.now}: the link stands"
        else:
            tail = (f"; the plan keeps Sigma's SCIM link as it is. If {c.now} is not the person this member was (a "
                    f"new hire given a leaver's address), unassign IdP user {c.now} from the Sigma app in the IdP (or "
                    "give them another userName) and move the documents in Sigma; if it is the same person returning, "
                    "accept it")
        items.append(make_review(
            LINKED_SINCE, c.object_id, blocking=(returned or bool(c.seen)) and not accepted,
            subject=person_ref(member_id=c.object_id, email=member.email, idp_id=c.now),
            message=(f"{member.email} [member {c.object_id}]: Sigma's SCIM state links it to {named} since "
                     f"{c.plan_words()} saw it {then}, {before}, and no run of this tool made that link: the IdP's "
                     f"own push {what}{tail}"),
            rule="linking.reused_addresses",
            evidence=ItemEvidence(external_id=c.now, idp_id=c.seen or UNSET, is_archived=seen.archived,
                                  is_inactive=seen.inactive,
                                  idp_created=(idp.created if idp is not None else None) or UNSET),
            resolution="" if accepted else yaml_snippet(
                {"linking": {"reused_addresses": {c.now: "same_person"}}},
                notes=[f"the same person: accept the link SCIM made (or, if not, unassign {c.now} from the Sigma "
                       "app in the IdP, export again and plan again):"]),
        ))
    return sorted(items, key=lambda i: i.id)
