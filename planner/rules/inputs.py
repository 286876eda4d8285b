"""Truncated inputs: every action a truncated export could affect is a blocking item (issue 14 C.6).

A saved export that still names a next page (Graph ``@odata.nextLink``, Okta
``Link: rel="next"``, Google ``nextPageToken``, Sigma ``nextPage``) or an Okta
answer that ends on a full page of its endpoint without its next link (Okta 200 users, a group's 1,000 members,
Graph's 100, Google's 200; or one page of a round size an admin may have asked for, ``limit=25``, tester21
finding 6: :mod:`planner.sources.page_sizes`) is reported by the loaders
as an ``incomplete-pages`` finding (:mod:`planner.sources.envelopes`). An export shown incomplete otherwise is the same
class: group members the users file lacks (``member-not-in-users``: the users file
was saved without some users, who are held) and groups of the groups file without
their membership answer (``missing-group-members``), and two files of one export that disagree about a user
(``users-disagree``: saved at different times, either may be stale), and every record a loader left out
or read only in part (:meth:`planner.sources.files.Findings.skipped`: a record without its id, a group the
groups file lacks, a member type the loader does not know, a Google group whose member is the whole domain),
:data:`~planner.sources.directory.INCOMPLETE_CODES`. The pages that were not saved may hold the people
and memberships the plan would act on: a member "not in the IdP" may be on page
two, a team member "not in the group" may be in its missing members, a user
whose group was not seen would get the default account type.

So, one shared guard for every rule family rather than a case per rule: each
action of a kind such a file can affect (:data:`AFFECTED`: deactivation, guest
disable, SCIM deactivation, team-member removal, account-type change, SCIM group
members set) gets a
blocking ``inputs.truncated`` item keyed by the action id, naming the action, the cause (the finding code's
words in :data:`~planner.sources.directory.INCOMPLETE_CODES`: cut short, files disagreeing, team members
missing, ...) and the file(s). No policy setting settles it (:func:`~planner.rules.outside_policy`): the
resolution is to export the files again, whole; for an Okta listing that ends on a full page, where a new
export gives the same file, also the ways its finding names (:attr:`~planner.sources.page_sizes.PageSizes.ways_out`:
for Okta the empty next page saved, or ``fetch-idp okta``; tester7 finding 17; for Graph and Google a count, or
``fetch-idp``; tester18 finding 2).

An IdP user whose row a spreadsheet rewrote (:func:`spreadsheet_holds`, docs/formats.md §0.8: a cell that is
Excel's formula wrapper ``="ann@x.com"``, its text marker ``'ann@x.com`` or a formula error ``#NAME?``, the
``excel-damaged-value`` / ``spreadsheet-error-value`` findings of :mod:`planner.sources.identity_values`) is
held on one blocking ``inputs.spreadsheet_damage`` item (:func:`spreadsheet_damage_item`): no link, no create,
and the members whose email is the address such a cell shows are held too (the plan says they matched a
damaged IdP value), never deactivated as matched by no IdP user. The shown address is what the source holds
(no IdP or Sigma address takes those shapes), which is how the plan knows whom to hold; it is not used to link,
since a row a spreadsheet rewrote may hold damage no rule sees (a sign-in time turned into ``45000``). Settled
outside the policy: correct the cells or export again without a spreadsheet, then plan again.

The same holds for Sigma's SCIM state (:func:`scim_state_missing_item`, tester6 finding 14): when the
policy says SCIM is on (:func:`planner.rules.scim_state.scim_on`) and the Sigma export holds no
``scim/`` state, the plan cannot see what SCIM already provisioned, so one blocking
``inputs.scim_state_missing`` item holds the plan (every link, create and deactivation in it could be
SCIM's work undone or done twice): fetch again with ``SIGMA_SCIM_TOKEN``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Callable, Collection, Iterable, Mapping, Sequence

import msgspec

from ..directory import Directory, Person, PersonStatus
from ..model import (
    SCIM_STATE_LEFT_OUT, Action, ActionKind, AppliedRunTime, DamagedCell, Finding, GroupAnswerDoubt, GroupNameDoubt,
    InputMark, ItemEvidence, ItemRef, ReviewItem, SigmaExport, SourceRef, TransitiveDoubt,
)
from ..policy import Policy
from ..sources.directory import INCOMPLETE_CODES
from ..sources.values import fast_email_key, separator_words
from ..sources.page_sizes import WAYS_OUT
from . import make_review, outside_policy, yaml_snippet
from .account_types import TypeDecision
from .policy_entries import EntryUse
from .scim_state import scim_on

AFFECTED = (
    ActionKind.MEMBERS_DEACTIVATE,
    ActionKind.MEMBERS_DISABLE_GUEST,
    ActionKind.SCIM_DEACTIVATE_USER,
    ActionKind.TEAMS_REMOVE_MEMBER,
    ActionKind.SCIM_SET_ACCOUNT_TYPE,
    ActionKind.SCIM_SET_GROUP_MEMBERS,
)
"""Action kinds a missing part of an export can make wrong: they act on someone not seen, or not seen whole."""


def truncated(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """The findings that mark an input file as truncated (:data:`~planner.sources.directory.INCOMPLETE_CODES`),
    in input order."""
    return tuple(f for f in findings if f.code in INCOMPLETE_CODES)


def _where(finding: Finding) -> str:
    return f"{finding.file}:{finding.location}" if finding.location else finding.file


def truncation_items(findings: Sequence[Finding], actions: Iterable[Action]) -> list[ReviewItem]:
    """One blocking ``inputs.truncated`` item per action of :data:`AFFECTED` kinds when an input is truncated.

    :param findings: the snapshot's findings (both sides); only :func:`truncated` ones count.
    :param actions: the plan's actions.
    :returns: ``[]`` when no input is truncated; else items with id ``inputs.truncated:<action id>``,
        subject the action's target plus ``actionId`` and ``kind``, evidence the truncated files.
    """
    marks = truncated(findings)
    if not marks:
        return []
    files = sorted({m.file for m in marks})
    evidence = ItemEvidence(truncated=[InputMark(file=m.file, location=m.location, field=m.field, message=m.message)
                                       for m in marks])
    named = "; ".join(f"{_where(m)}: {m.message}" for m in marks)
    causes = " and ".join(dict.fromkeys(INCOMPLETE_CODES[m.code] for m in marks))
    ways_out = "".join(f"{w}; " for w in WAYS_OUT if any(m.message.endswith(w) for m in marks))  # "export
    # again" gives the same file: how a listing that really ends on a full page is shown whole
    resolution = outside_policy("export again, whole (every page, every user, every group's and team's members), "
                                f"{', '.join(files)}; " + ways_out
                                + "then plan again")
    items = []
    for action in actions:
        if action.kind not in AFFECTED:
            continue
        items.append(make_review(
            "inputs.truncated", action.id, blocking=True,
            subject=msgspec.convert(
                {**msgspec.to_builtins(action.target), "actionId": action.id, "kind": action.kind.value}, ItemRef),
            message=(f"{action.kind.value} ({action.reason}) rests on an export {causes}, so what is missing "
                     f"or stale may change it: {named}"),
            rule="inputs.truncated",
            evidence=evidence,
            resolution=resolution,
        ))
    return items


@dataclass(frozen=True)
class SpreadsheetHold:
    """An IdP user held because a spreadsheet rewrote their row (:func:`spreadsheet_holds`).

    ``idp_id``: the user; ``cells``: the values it damaged (:class:`~planner.model.DamagedCell`,
    field order); ``member_ids``: the members whose email has the key of an address a damaged cell shows
    (``="ann@x.com"`` shows ``ann@x.com``), sorted: they matched a damaged IdP value and are held too.
    """

    idp_id: str
    cells: tuple[DamagedCell, ...]
    member_ids: tuple[str, ...]


def spreadsheet_holds(directory: Directory) -> list[SpreadsheetHold]:
    """One :class:`SpreadsheetHold` per IdP user of ``directory`` with a value a spreadsheet rewrote
    (:attr:`~planner.directory.Directory.idp_damaged_users`: the loader's scan, every IdP format, read, never
    made again), in IdP id order; ``[]`` when there is none."""
    holds = []
    by_key = directory.member_ids_by_email_key
    for user in directory.idp_damaged_users:
        cells = user.cells
        shown = {fast_email_key(c.damage.text) for c in cells if c.identity and c.damage.text}
        members = sorted({m for key in shown for m in by_key.get(key, ())})
        holds.append(SpreadsheetHold(user.idp_id, cells, tuple(members)))
    return sorted(holds, key=lambda h: h.idp_id)


def spreadsheet_damage_item(hold: SpreadsheetHold, directory: Directory) -> ReviewItem:
    """The blocking ``inputs.spreadsheet_damage`` item of ``hold`` (module docstring): the IdP user, its row,
    each damaged value and what the spreadsheet did, the members held with it (or why none is), and the
    way out (no policy setting settles it)."""
    user = directory.idp_users[hold.idp_id]
    row = str(user.source) if user.source is not None else ""
    damage = "; ".join(f"{c.field} {c.value!r} {c.damage.words()}" for c in hold.cells)
    shown = sorted({c.damage.text for c in hold.cells if c.identity and c.damage.text})
    members = [directory.members[m] for m in hold.member_ids]
    if members:
        held = (f"member(s) {', '.join(f'{m.member_id} ({m.email})' for m in members)} matched the damaged IdP "
                f"value {', '.join(map(repr, shown))}: held with it (no link, no deactivation)")
    elif any(c.lost for c in hold.cells):
        held = ("the value is lost, so the plan cannot tell which member this person is: held (not created), "
                "and every deactivation waits on its inputs.truncated item")
    elif shown:
        held = f"no member has {', '.join(map(repr, shown))}: held (not created)"
    else:
        held = "held (no link, no create): the names it would send are damaged"
    return make_review(
        "inputs.spreadsheet_damage", hold.idp_id, blocking=True,
        subject=ItemRef(idp_id=hold.idp_id, user_name=user.user_name,
                        member_ids=list(hold.member_ids) if hold.member_ids else msgspec.UNSET),
        message=f"IdP user {hold.idp_id} ({row or 'its row'}): a spreadsheet rewrote the row: {damage}; {held}",
        rule="inputs.spreadsheet_damage",
        evidence=ItemEvidence(rows=[row], differences=[f"{c.field}: {c.value!r}" for c in hold.cells],
                              addresses=shown or msgspec.UNSET),
        resolution=outside_policy(f"correct the cell(s) in {user.source.file if user.source else 'the IdP export'} "
                                  "or export the IdP users again without opening the file in a spreadsheet, "
                                  "then plan again"),
    )


def group_name_separator_items(directory: Directory) -> list[ReviewItem]:
    """One blocking ``inputs.group_name_separator`` item per IdP user whose groups cell names a group likely typed
    with another separator (:attr:`~planner.directory.Directory.idp_group_name_doubts`,
    :func:`planner.sources.values.other_separator_split`), in IdP id order; ``[]`` when there is none.

    Read as one group, ``'Finance, Sales'`` puts the person in none of the groups its pieces name, so every team,
    scope and account type those groups decide would be decided from a likely typo (tester11 finding 9: Ann removed
    from team Finance, "not in IdP group 'Finance'", no item). The item's subject is the IdP user, so step 9b
    (:func:`planner.planning.hold_questioned`) holds the person: no link, create, account type, team push or
    removal for them, no deactivation. Settled outside the policy: write the cell with the export's separator (or,
    when it is one group's name, rename the group in the IdP), then plan again."""
    by_user: dict[str, list[GroupNameDoubt]] = {}
    for doubt in directory.idp_group_name_doubts:
        for user_id in doubt.user_ids:
            by_user.setdefault(user_id, []).append(doubt)
    items = []
    for user_id in sorted(by_user):
        doubts = by_user[user_id]
        user = directory.idp_users.get(user_id)
        if user is None:
            continue
        row = str(user.source) if user.source is not None else "its row"
        said = "; ".join(
            f"group {d.group_id!r}, which splits on {separator_words(d.separator)} into {', '.join(map(repr, d.pieces))} "
            f"({', '.join(map(repr, d.known))} {'is a group' if len(d.known) == 1 else 'are groups'} of the export), "
            f"while the mapping's groups_separator is {d.configured!r}" for d in doubts)
        known = sorted({k for d in doubts for k in d.known})
        configured = sorted({d.configured for d in doubts})
        items.append(make_review(
            "inputs.group_name_separator", user_id, blocking=True,
            subject=ItemRef(idp_id=user_id, user_name=user.user_name, group_ids=[d.group_id for d in doubts]),
            message=(f"IdP user {user_id} ({row}): the {doubts[0].column} cell names {said}: likely several groups "
                     f"typed with another separator; read as written, {user.user_name} is in none of "
                     f"{', '.join(map(repr, known))}, so every team, scope and account type those groups decide "
                     "would be decided from a typo; held (no link, no create, no team push or removal, no "
                     "deactivation)"),
            rule="inputs.group_name_separator",
            evidence=ItemEvidence(rows=[row], differences=[f"{d.column}: {d.group_id!r}" for d in doubts]),
            resolution=outside_policy(
                f"write the cell with {' or '.join(map(repr, configured))} between the group names in "
                f"{user.source.file if user.source else 'the IdP export'} (or, if it is one group's name, rename "
                "that group in the IdP), then plan again"),
        ))
    return items


def transitive_members_items(directory: Directory, read: Mapping[str, tuple[str, ...]]) -> list[ReviewItem]:
    """One blocking ``inputs.transitive_members`` item per active IdP user whose direct membership a Graph
    ``/transitiveMembers`` answer cannot tell (:attr:`~planner.directory.Directory.idp_transitive_doubts`,
    :func:`planner.sources.entra.settle_transitive_answers`) in a group the policy reads, in IdP id order; ``[]``
    when there is none.

    ``read``: the groups of those answers the policy reads, by group id, each with the keys reading it
    (``scope.groups``, ``account_types.group_map``, ``teams``): only there does being a direct member decide
    something. Entra ID provisions only the direct members of an assigned group (docs/formats.md §3e), and such
    an answer lists a nested group's users beside the direct members, so a scope, account type or team the
    group gives them would be a guess (tester14a finding 4: Admin through Sigma-Admins for three people Entra
    would never give it). The item's subject is the IdP user, so step 9b
    (:func:`planner.planning.hold_questioned`) holds the person: no link, create, account type, team push or
    removal, no deactivation. Settled outside the policy: export the group's ``/members``, then plan again."""
    by_user: dict[str, list[TransitiveDoubt]] = {}
    for doubt in directory.idp_transitive_doubts:
        if doubt.group_id in read:
            for user_id in doubt.user_ids:
                if user_id in directory.active_idp_ids:
                    by_user.setdefault(user_id, []).append(doubt)
    groups = directory.groups
    items = []
    for user_id in sorted(by_user):
        doubts = by_user[user_id]
        user = directory.idp_users[user_id]
        said = "; ".join(
            f"group {groups[d.group_id].display_name!r} ({', '.join(read[d.group_id])}), whose answer at "
            f"{d.file}{':' + d.location if d.location else ''} lists nested group(s) "
            f"{', '.join(repr(groups[g].display_name if g in groups else g) for g in d.nested_group_ids)} beside "
            "their members" for d in doubts)
        items.append(make_review(
            "inputs.transitive_members", user_id, blocking=True,
            subject=ItemRef(idp_id=user_id, user_name=user.user_name, group_ids=[d.group_id for d in doubts]),
            message=(f"{user.user_name}: whether they are a direct member cannot be told from a /transitiveMembers "
                     f"answer: {said}; Entra ID provisions only direct members, so the scope, account type or team "
                     "the group gives them would be a guess; held (no link, no create, no team push or removal, "
                     "no deactivation)"),
            rule="inputs.transitive_members",
            evidence=ItemEvidence(rows=[f"{d.file}{':' + d.location if d.location else ''}" for d in doubts]),
            resolution=outside_policy(
                "save " + ", ".join(f"GET /v1.0/groups/{d.group_id}/members" for d in doubts)
                + " (not /transitiveMembers) in place of that answer, or pull with `sigma-migrate fetch-idp entra`, "
                "then plan again"),
        ))
    return items


FED_KINDS = {
    "teams": (ActionKind.SCIM_SET_GROUP_MEMBERS, ActionKind.TEAMS_REMOVE_MEMBER),
    "account_types.group_map": (ActionKind.SCIM_SET_ACCOUNT_TYPE,),
    "scope.groups": (ActionKind.MEMBERS_DEACTIVATE, ActionKind.SCIM_DEACTIVATE_USER),
}
"""The action kinds a group's members decide, by the policy key that reads the group
(:func:`planner.planning.groups_policy_reads`): its team's members (the push and the removals of that team only),
anyone's account type (a member the copy hides may hold the group's type), the deactivation of a person outside
``scope.groups`` (a member it hides is in scope; a leaver's or an unmatched member's deactivation no group
decides): the :data:`AFFECTED` kinds each key can change."""


def confirmed_identical(doubt: GroupAnswerDoubt, policy: Policy, directory: Directory) -> bool:
    """Whether ``doubt`` is an ``"identical"`` one a ``preflight.identical_groups_confirmed`` entry names every group
    of (by displayName or id): the admin says these groups really have the same members. A ``"stale"`` doubt no
    entry confirms: only saving the answers again does."""
    if doubt.reason != "identical":
        return False
    groups = directory.groups
    for entry in policy.preflight.identical_groups_confirmed:
        named = set(entry)
        if all(g in named or (g in groups and groups[g].display_name in named) for g in doubt.group_ids):
            return True
    return False


def identical_groups_uses(policy: Policy, directory: Directory) -> list[EntryUse]:
    """What each ``preflight.identical_groups_confirmed`` entry settled (:class:`~.policy_entries.EntryUse`, by
    index): the doubts it confirms (:func:`confirmed_identical`), else nothing, and why (read by
    :func:`~.policy_entries.unused_entry_items`: an entry no doubt needs is a ``policy.unused_entry`` item)."""
    groups = directory.groups
    uses = []
    for i, entry in enumerate(policy.preflight.identical_groups_confirmed):
        named = set(entry)
        settled = [d for d in directory.idp_answer_doubts
                   if d.reason == "identical" and all(g in named or (g in groups and groups[g].display_name in named) for g in d.group_ids)]
        uses.append(EntryUse(
            "preflight.identical_groups_confirmed", i,
            "; ".join("confirmed groups " + ", ".join(repr(groups[g].display_name if g in groups else g)
                                                      for g in d.group_ids) + " equal" for d in settled),
            "" if settled else "no hand-saved members answers of these groups are identical in this export"))
    return uses


def _fed(doubt: GroupAnswerDoubt, action: Action, read: Mapping[str, tuple[str, ...]],
         team_of: Mapping[str, str | None], not_in_scope: Collection[str]) -> bool:
    """Whether the members of ``doubt``'s groups decide ``action`` (:data:`FED_KINDS`; a team's actions only for
    the team a doubted group is linked to or creates; a deactivation only of a member in ``not_in_scope``)."""
    for gid in doubt.group_ids:
        for key in read.get(gid, ()):
            if action.kind not in FED_KINDS[key]:
                continue
            if key == "account_types.group_map":
                return True
            if key == "scope.groups":
                if getattr(action.target, "member_id", None) in not_in_scope:
                    return True
                continue
            target = action.target
            if action.kind is ActionKind.SCIM_SET_GROUP_MEMBERS and getattr(target, "group_id", None) == gid:
                return True
            if action.kind is ActionKind.TEAMS_REMOVE_MEMBER and team_of.get(gid) is not None and getattr(
                    target, "team_id", None) == team_of[gid]:
                return True
    return False


PERSON_KINDS = (ActionKind.SCIM_LINK_USER, ActionKind.SCIM_CREATE_USER, ActionKind.SCIM_SET_ACCOUNT_TYPE,
                ActionKind.MEMBERS_REACTIVATE)
"""The actions that carry a person's account type or put them in scope (a SCIM link or create sends ``userType``,
docs/sigma-api.md §5.2; a reactivation brings them back): held when a doubted group decides either for them
(:class:`GroupDecides`), whatever the plan changes."""


@dataclass(frozen=True, slots=True)
class GroupDecides:
    """What one group's members answer decides for one person, a change or none (doubts20: tester19 finding 4's
    leftover, where a stale Sigma-Admins answer kept helen.ortiz@ Admin with a link only, and nothing held it).

    ``group_id``: the IdP group; ``member_id`` / ``idp_id``: the person (``None`` where they have none: a create
    has no member); ``key``: the policy key that reads the group for them (``account_types.group_map``: it is one of
    their mapped groups giving the type sent, :attr:`~planner.rules.account_types.TypeDecision.type_groups`;
    ``scope.groups``: no group of the scope but doubted ones holds them); ``who``: the person as an item names them
    (the member's email, else the IdP userName); ``what``: what a ``account_types.group_map`` group decides, as an
    item says it after ``who`` (``keeps Admin through group 'Sigma-Admins'``; ``""`` for ``scope.groups``, whose
    groups the item lists together: ``is in scope through groups 'Sigma-Admins', 'Finance' only``)."""

    group_id: str
    member_id: str | None
    idp_id: str | None
    key: str
    who: str
    what: str = ""


def type_words_of(before: str | None, after: str, group: str) -> str:
    """How an item says what a group gives a person (account types as spelled): ``keeps Admin through group
    'Sigma-Admins'`` (no change: a link only), ``gets View through group 'Sigma-Viewers'`` (a create),
    ``goes View -> Analyze through group 'Sigma-Analyze'``."""
    if before == after:
        return f"keeps {after} through group {group!r}"
    if before is None:
        return f"gets {after} through group {group!r}"
    return f"goes {before} -> {after} through group {group!r}"


def _decided_words(decided: Sequence[GroupDecides], name: Callable[[str], str]) -> str:
    """What doubted groups decide for the people of ``decided``, as an item says it: ``helen.ortiz@acme.example
    keeps Admin through group 'Sigma-Admins', and is in scope through groups 'Sigma-Admins', 'Finance' only
    (scope.groups)``."""
    parts = []
    for who in dict.fromkeys(g.who for g in decided):
        mine = [g for g in decided if g.who == who]
        said = list(dict.fromkeys(g.what for g in mine if g.key != "scope.groups"))
        scoped = list(dict.fromkeys(name(g.group_id) for g in mine if g.key == "scope.groups"))
        if scoped:
            said.append(f"is in scope through group{'s' if len(scoped) > 1 else ''} "
                        + ", ".join(repr(n) for n in scoped) + " only (scope.groups)")
        parts.append(f"{who} " + ", and ".join(said))
    return "; ".join(parts)


def groups_deciding(doubted: Collection[str], read: Mapping[str, tuple[str, ...]], directory: Directory,
                    types: Iterable[TypeDecision], people: Iterable[Person], scope_group_ids: Collection[str]
                    ) -> list[GroupDecides]:
    """Every :class:`GroupDecides` of the ``doubted`` groups (ids) the policy reads (``read``:
    :func:`planner.planning.groups_policy_reads`), for ``people`` (every person's final record).

    ``types``: the provisioned people's account-type decisions; a doubted group read by ``account_types.group_map``
    that lists the person (``member_ids``) and is one of their mapped groups giving the type sent
    (:attr:`~planner.rules.account_types.TypeDecision.type_groups`) decides their type. A doubted group read by
    ``scope.groups`` that lists a person whose IdP user the plan keeps (not ``not_in_scope``) decides their scope
    when no other group of the scope (``scope_group_ids``) lists them. Pure; in the order of ``types`` then
    ``people``."""
    groups = directory.groups
    people = list(people)
    who = {p.person: (p.member.email if p.member is not None else p.idp_user.user_name if p.idp_user is not None
                      else p.person) for p in people}
    found = []
    listed = {g: frozenset(groups[g].member_ids) for g in doubted if g in groups}  # one set per group, not a scan
    mapped = [g for g in doubted if "account_types.group_map" in read.get(g, ()) and g in groups]
    for d in types:
        if d.idp_id is None or d.after is None or not d.type_groups:
            continue
        for gid in mapped:
            group = groups[gid]
            if group.display_name in d.type_groups and d.idp_id in listed[gid]:
                found.append(GroupDecides(gid, d.member_id, d.idp_id, "account_types.group_map",
                                          who.get(d.person, d.person),
                                          type_words_of(d.before, d.after, group.display_name)))
    scoped = [g for g in doubted if "scope.groups" in read.get(g, ()) and g in groups]
    if scoped:
        others = frozenset(i for g in scope_group_ids if g in groups and g not in doubted for i in groups[g].member_ids)
        for p in people:
            user = p.idp_user
            if user is None or p.status is PersonStatus.NOT_IN_SCOPE or user.id in others:
                continue
            for gid in scoped:
                if user.id in listed[gid]:
                    found.append(GroupDecides(gid, p.member_id, user.id, "scope.groups", who[p.person]))
    return found


def _person_keys(action: Action) -> tuple[str, ...]:
    """The keys :func:`group_answer_items` finds ``action``'s person by: ``i:<idp id>``, ``m:<memberId>``."""
    target = action.target
    keys = []
    idp_id = getattr(target, "idp_id", None)
    if isinstance(idp_id, str) and idp_id:
        keys.append("i:" + idp_id)
    member_id = getattr(target, "member_id", None)
    if isinstance(member_id, str) and member_id:
        keys.append("m:" + member_id)
    return tuple(keys)


ANSWER_DOUBT_CODES = {"identical": "inputs.identical_members", "stale": "inputs.stale_members"}
"""The item code of each :attr:`~planner.model.GroupAnswerDoubt.reason`."""


def _answer(a: SourceRef) -> str:
    """``file`` or ``file:location`` of a members answer, as an item names it."""
    return f"{a.file}{':' + a.location if a.location else ''}"


def _doubt_words(doubt: GroupAnswerDoubt, name: Callable[[str], str]) -> str:
    """What an item says of ``doubt``: the groups and their answers, and why they are in doubt."""
    if doubt.stale is not None:
        s = doubt.stale
        return (f"group {name(doubt.group_ids[0])!r} ({_answer(doubt.answers[0])}) embeds {doubt.members} user "
                f"record(s) older than the users file's, e.g. {s.user_id}: lastUpdated {s.listed} in the answer, "
                f"{s.users_file} in the users file")
    return (" and ".join(f"group {name(g)!r} ({_answer(a)})" for g, a in zip(doubt.group_ids, doubt.answers))
            + f" list the same {doubt.members} members in the same order")


_DOUBT_CLAUSE = {
    "identical": ("rests on members answers that may be one answer saved twice, under another group's id or name",
                  "the members the copy hides may change it"),
    "stale": ("rests on a members answer saved before the users file",
              "a member who moved between groups since may change it"),
}


def group_answer_items(policy: Policy, directory: Directory, actions: Iterable[Action],
                       read: Mapping[str, tuple[str, ...]], team_of: Mapping[str, str | None],
                       not_in_scope: Collection[str] = (), decides: Iterable[GroupDecides] = ()
                       ) -> list[ReviewItem]:
    """One blocking item per action and reason that the members of groups whose hand-saved answers are in doubt
    decide (:attr:`~planner.directory.Directory.idp_answer_doubts`, :class:`~planner.model.GroupAnswerDoubt`),
    code :data:`ANSWER_DOUBT_CODES` by reason, keyed by the action id, in action order (for one action:
    ``inputs.identical_members`` then ``inputs.stale_members``); ``[]`` when there is none or every doubt is
    confirmed (:func:`confirmed_identical`).

    ``read``: the doubted groups the policy reads, by group id, with the keys reading each
    (:func:`planner.planning.groups_policy_reads`); ``team_of``: the team each is linked to (``None``: a team to
    create); ``not_in_scope``: the members whose IdP user is outside ``scope.groups`` (memberIds). The actions a
    doubted group's members decide (:data:`FED_KINDS`) are held: that team's push and removals, account-type
    changes when a group is mapped to a type, the deactivations of people outside the scope when a group is in
    ``scope.groups``. So are the :data:`PERSON_KINDS` actions of each person a doubted group decides something for
    (``decides``, :func:`groups_deciding`), a change or none: a link that keeps Admin through a stale Sigma-Admins
    answer carries that type under SCIM (doubts20: was not held, 0 blocking); the message then says what the group
    decides for them (``scim.link_user (...): helen.ortiz@acme.example keeps Admin through group 'Sigma-Admins',
    which rests on a members answer saved before the users file: ...``).

    - ``inputs.identical_members`` (tester18 finding 1): one answer saved twice under another group's id or name
      reads as a group that gained another group's people and lost its own, and which of the two is the copy
      cannot be told. Settled by saving each group's members again, or by ``preflight.identical_groups_confirmed``
      naming the groups (they really are equal: "All staff" and "Sigma users"), which its snippet writes.
    - ``inputs.stale_members`` (tester19 finding 4): an Okta answer embedding a user record older than the users
      file's was saved before that user changed; a move between groups since (Sigma-Build to Sigma-Analyze) is
      missing from it. No policy key settles it (:func:`~planner.rules.outside_policy`): saving the users and
      the group members again, together (or ``fetch-idp okta``), does; an admin cannot vouch for an answer the
      export itself shows older."""
    doubts = [d for d in directory.idp_answer_doubts
              if any(g in read for g in d.group_ids) and not confirmed_identical(d, policy, directory)]
    if not doubts:
        return []
    groups = directory.groups

    def name(gid: str) -> str:
        return groups[gid].display_name if gid in groups else gid

    by_person: dict[str, list[GroupDecides]] = {}
    for g in decides:
        for key in (("i:" + g.idp_id) if g.idp_id else None, ("m:" + g.member_id) if g.member_id else None):
            if key is not None and g not in by_person.setdefault(key, []):
                by_person[key].append(g)
    items = []
    for action in actions:
        fed = [d for d in doubts if _fed(d, action, read, team_of, not_in_scope)]
        person = ([g for k in _person_keys(action) for g in by_person.get(k, ())]
                  if action.kind in PERSON_KINDS else [])
        person = list(dict.fromkeys(person))
        for reason, code in ANSWER_DOUBT_CODES.items():
            held = [d for d in fed if d.reason == reason]
            deciding = [(d, g) for d in doubts if d.reason == reason and d not in held
                        for g in person if g.group_id in d.group_ids]
            if not held and not deciding:
                continue
            rests, may = _DOUBT_CLAUSE[reason]
            if held:
                said = "; ".join(_doubt_words(d, name) for d in held)
                message = f"{action.kind.value} ({action.reason}) {rests}: {said}; {may}"
            else:
                held = list(dict.fromkeys(d for d, _ in deciding))
                said = "; ".join(_doubt_words(d, name) for d in held)
                what = _decided_words([g for _, g in deciding], name)
                message = f"{action.kind.value} ({action.reason}): {what}, which {rests}: {said}; {may}"
            if reason == "identical":
                resolution = yaml_snippet(
                    {"preflight": {"identical_groups_confirmed": [[name(g) for g in d.group_ids] for d in held]}},
                    notes=["the groups really have the same members (else save each group's members answer again, "
                           "then plan again):"])
            else:
                resolution = outside_policy("save the users and the group members again, together (or pull them "
                                            "with sigma-migrate fetch-idp okta), then plan again")
            items.append(make_review(
                code, action.id, blocking=True,
                subject=msgspec.convert(
                    {**msgspec.to_builtins(action.target), "actionId": action.id, "kind": action.kind.value,
                     "groupIds": [g for d in held for g in d.group_ids]}, ItemRef),
                message=message,
                rule=code,
                evidence=ItemEvidence(rows=[_answer(a) for d in held for a in d.answers]),
                resolution=resolution,
            ))
    return items


SCIM_STATE_FIX = ("fetch the Sigma export again with SIGMA_SCIM_TOKEN set (`sigma-migrate fetch` then writes "
                  "scim/Users.json and scim/Groups.json), then plan again")
"""What settles ``inputs.scim_state_missing`` (no policy setting does)."""


def _how_left_out(export: SigmaExport) -> str:
    """The export without SCIM state, and how it came to be, as its fetch manifest says (else: no manifest)."""
    manifest = export.fetch_manifest
    if manifest is None:
        where = f"{export.directory}: " if export.directory else ""
        return (f"{where}the Sigma export has no scim/ folder (Sigma's SCIM state) and no fetch-manifest.json "
                "(saved by hand, or fetched by an older version)")
    how = "--no-scim-state" if manifest.scim_state == SCIM_STATE_LEFT_OUT else "no SIGMA_SCIM_TOKEN"
    return f"{manifest.path}: the Sigma export was fetched without Sigma's SCIM state ({how})"


def scim_state_missing_item(policy: Policy, export: SigmaExport, actions: Sequence[Action]) -> ReviewItem | None:
    """Blocking ``inputs.scim_state_missing`` when the policy says SCIM is on
    (:func:`~planner.rules.scim_state.scim_on`: ``previous_scim: same_setup`` or ``targets.scim_base_url``)
    and the Sigma ``export`` holds no SCIM state (no ``scim/`` folder); ``None`` otherwise.

    Nothing in a REST export marks what SCIM provisioned (docs/sigma-api.md §2.2), so without
    ``scim/Users.json`` and ``scim/Groups.json`` a re-plan after a wave links again every member SCIM
    already links, creates again whom SCIM created and deactivates them as matched by no IdP user
    (:mod:`planner.rules.scim_state` needs the state). One item holds the whole plan, as every blocking
    item does (approve and apply refuse it), with or without actions; the actions stay in the plan,
    counted by kind in the message. The message names the export and its fetch manifest
    (``left_out``: ``--no-scim-state``; ``not_read``: no ``SIGMA_SCIM_TOKEN``; none: saved by hand or by
    an older version), why SCIM is on, and the fix (:data:`SCIM_STATE_FIX`); no policy setting settles it.
    """
    if export.scim_users is not None and export.scim_groups is not None:
        return None
    origin = policy.origin
    why = scim_on(origin.path if origin else "the policy", policy.preflight.previous_scim,
                  policy.targets.scim_base_url)
    if why is None:
        return None
    kinds = Counter(a.kind.value for a in actions)
    held = (f"its {len(actions)} action(s) ({', '.join(f'{n} {k}' for k, n in sorted(kinds.items()))}) may link "
            "again, create again or deactivate what SCIM did" if actions
            else "even with no action planned, that state may hold what a plan must review (a userName the IdP "
                 "changed, a link an override contradicts)")
    manifest = export.fetch_manifest
    return make_review(
        "inputs.scim_state_missing", "sigma", blocking=True,
        subject=ItemRef(policy_key="preflight.previous_scim" if policy.preflight.previous_scim == "same_setup"
                        else "targets.scim_base_url"),
        message=(f"{_how_left_out(export)}, but {why}: fetch again with SIGMA_SCIM_TOKEN set and plan again. "
                 f"Without that state the plan cannot see what SCIM already provisioned: {held}"),
        rule="inputs.scim_state",
        evidence=ItemEvidence(files=[p for p in (export.directory, manifest.path if manifest else "") if p],
                              source=manifest.scim_state if manifest is not None else "no fetch manifest"),
        resolution=outside_policy(SCIM_STATE_FIX),
    )


IDP_EXPORT_FIX = ("export the IdP again (`sigma-migrate fetch-idp`, which records when it read it), close in time to "
                  "the Sigma export, then plan again")
"""What settles ``inputs.idp_export_old`` (no policy setting does; raising ``guards.max_idp_export_age_hours``
only hides it)."""


def export_age_hours(older: str, newer: str) -> float | None:
    """Hours from ``older`` to ``newer`` (both ``fetchedAt`` times, :func:`planner.sources.manifest.parse_fetched_at`),
    ``None`` when either is not one."""
    from ..sources.manifest import parse_fetched_at

    start, end = parse_fetched_at(older), parse_fetched_at(newer)
    if start is None or end is None:
        return None
    return (end - start).total_seconds() / 3600


def idp_export_old_item(policy: Policy, sigma_fetched_at: str | None, idp_fetched_at: str | None,
                        planned_at: str) -> ReviewItem | None:
    """Blocking ``inputs.idp_export_old`` when the IdP export was read more than
    ``guards.max_idp_export_age_hours`` before the Sigma export (both times from the fetch manifests,
    :attr:`planner.model.FetchManifest.fetched_at`, :attr:`planner.model.IdpDirectory.fetched_at`), or, when the
    Sigma export's time is unknown, before ``planned_at`` (the plan's ``created_at``: apply judges the same
    age against its own clock and would refuse the plan, so the plan says so first; tester10 finding 17);
    ``None`` when it was not, or when the IdP export's time is unknown (the plan records the times it has,
    ``PlanOrganization``, and show says which is unknown).

    An older IdP export is a stale picture of the people: who left since stays, who joined is missing, and
    the IdP's push, which sends the IdP as it is then, disagrees with the plan (tester8 finding 21). The
    message names both times, the age and the bound, and the fix (:data:`IDP_EXPORT_FIX`)."""
    bound = policy.guards.max_idp_export_age_hours
    if idp_fetched_at is None:
        return None
    against = (f"the Sigma export ({sigma_fetched_at})" if sigma_fetched_at is not None
               else f"this plan ({planned_at}; the Sigma export's time is unknown)")
    age = export_age_hours(idp_fetched_at, sigma_fetched_at or planned_at)
    if age is None or age <= bound:
        return None
    return make_review(
        "inputs.idp_export_old", "idp", blocking=True,
        subject=ItemRef(policy_key="guards.max_idp_export_age_hours"),
        message=(f"the IdP export was read at {idp_fetched_at}, {age:.1f} hours before {against}, more than "
                 f"guards.max_idp_export_age_hours {bound}: people who left or joined since are not in it, and the "
                 f"IdP's push would disagree with the plan; {IDP_EXPORT_FIX}"),
        rule="guards.max_idp_export_age_hours",
        resolution=outside_policy(IDP_EXPORT_FIX),
    )


SIGMA_EXPORT_FIX = "fetch Sigma's export again and plan again"
"""What settles an export read before a run ``plan --applied`` names, or read at an unknown time (no policy setting
does: :func:`export_predates_run`, :func:`export_time_unknown_item`)."""


def _run_words(run: AppliedRunTime) -> str:
    """``run 1 of plan.json (started 2026-12-07T13:23:00Z, ended 2026-12-07T13:23:08Z)``."""
    return f"run {run.run} of {run.plan} (started {run.started_at}, ended {run.ended_at})"


def export_predates_run(export: SigmaExport, runs: Sequence[AppliedRunTime]) -> str | None:
    """The one-line error when the Sigma ``export`` was read (its fetch manifest's ``fetchedAt``) before the end of a
    run of the plans ``plan --applied`` names (``runs``, :attr:`planner.model.AppliedRuns.runs`: an apply's or an
    undo's, both to the second): ``<export>/fetch-manifest.json: fetched 2026-12-07T13:20:44Z, before run 1 of
    plan.json (started 2026-12-07T13:23:00Z, ended 2026-12-07T13:23:08Z) that --applied names: fetch Sigma's export
    again and plan again``, naming the earliest such run; ``None`` when the export was read after every run ended
    (in the same second counts as after: a fetch records its time to the second), or its time is unknown
    (:func:`export_time_unknown_item`). Such an export cannot show what the run wrote: a re-plan over it plans again
    what the run did (links, creates) and misses what an undo wrote back (tester17 finding 2)."""
    manifest = export.fetch_manifest
    if manifest is None or manifest.fetched_at is None:
        return None
    for run in runs:
        if manifest.fetched_at < run.ended_at:
            return (f"{manifest.path}: fetched {manifest.fetched_at}, before {_run_words(run)} that --applied names: "
                    f"{SIGMA_EXPORT_FIX}")
    return None


def export_time_unknown_item(export: SigmaExport, runs: Sequence[AppliedRunTime]) -> ReviewItem | None:
    """Blocking ``inputs.export_time_unknown`` when ``plan --applied`` names runs (``runs``) and the Sigma ``export``
    records no time it was read (no ``fetch-manifest.json``: saved by hand; or one written before ``fetchedAt`` was
    recorded): whether it was read after the last of them ended, and so shows what they wrote, cannot be told, so
    the plan is held (:func:`export_predates_run` is the error when the time is known to be earlier; tester17
    finding 2); ``None`` when the time is known or no run is named. Key ``sigma``; subject the latest-ending run;
    evidence the export's files and ``source`` (``no fetch manifest`` or ``no fetchedAt``). No policy setting
    settles it: :data:`SIGMA_EXPORT_FIX` (``sigma-migrate fetch`` records the time)."""
    manifest = export.fetch_manifest
    if not runs or (manifest is not None and manifest.fetched_at is not None):
        return None
    last = max(runs, key=lambda r: r.ended_at)
    how = (f"{export.directory}: no fetch-manifest.json says when the Sigma export was read (saved by hand)"
           if manifest is None else f"{manifest.path} records no fetchedAt (written by an older version)")
    return make_review(
        "inputs.export_time_unknown", "sigma", blocking=True,
        subject=ItemRef(action=f"run {last.run} of {last.plan}"),
        message=(f"{how}, so whether it was read after {_run_words(last)} that --applied names, and shows what "
                 f"that run wrote, cannot be told; {SIGMA_EXPORT_FIX} (`sigma-migrate fetch` records when it read "
                 "it)"),
        rule="inputs.export_time",
        evidence=ItemEvidence(files=[p for p in (export.directory, manifest.path if manifest else "") if p],
                              source="no fetch manifest" if manifest is None else "no fetchedAt"),
        resolution=outside_policy(f"{SIGMA_EXPORT_FIX} (`sigma-migrate fetch` records when it read it)"),
    )
