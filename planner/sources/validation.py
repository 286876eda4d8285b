"""Cross-record checks on a loaded snapshot: the findings no single record can show.

Loaders (:mod:`planner.sources`) report what is wrong *inside* a file or a
record; this module reports what is wrong *between* records of one export:

Sigma side (:func:`check_sigma`):

- ``duplicate-email`` (warning): two or more members whose emails have the same
  :func:`~planner.model.email_key` (also when they differ only by letter case);
  one finding names every memberId; none is dropped (issue 2, case 1).
- ``empty-email`` (error: Sigma requires every member's email, docs/sigma-api.md §2.4, so the record is
  damaged; tester6 finding 22) / ``invalid-email`` (warning: the plan holds an unlinked active member with
  such an address by a blocking ``linking.invalid_sigma_email`` item, :func:`planner.rules.linking.unreadable_emails`,
  never deactivating it on it) for people (not the scheduler robot), judged on
  the address once cleaned; ``unclean-email`` (info): an email typed with stray spaces, control or
  invisible characters, or not NFC, naming each difference (a plan linking the member sets it
  to the IdP's userName first, issue 14 item 1).
- ``unknown-member-type`` (warning, an incomplete-input code): a ``memberType`` that matches no
  ``accountTypeName`` case-insensitively, when ``account_types.json`` was given
  (docs/sigma-api.md §4.1): every member's type is an account type of the org, so the
  account types file is incomplete; one finding per type at that file, with the member count.
  ``member-type-space`` (warning) instead when the ``memberType`` differs from an account type only by the white
  space around it (``"Analyze "``, kept as written: :data:`~.values.CSV_PADDING`): one finding per type at its
  first member's file and record (tester14a finding 10); the account types file is not blamed.
- ``unknown-user-kind`` (error, like ``unreadable-status``): ``userKind`` not ``internal``/``guest``/``embed``
  (docs/sigma-api.md §2.2): never read as internal; one error per word naming its first record.
- ``member-not-in-members`` / ``team-not-in-teams`` (warning, incomplete-input codes): a SCIM User of
  ``scim/Users.json`` that is no member, a SCIM Group of ``scim/Groups.json`` that is no team: every SCIM
  resource is a Sigma member or team, so the members / teams file is incomplete;
- ``mixed-organization-id`` (error): members naming two ``organizationId``s (tester6 finding 24): one
  error per foreign id at its first record, naming both ids;
- ``no-organization-id`` (warning): no member carries ``organizationId``: ``apply`` refuses a plan
  that cannot be bound to its organization, so ``plan`` makes it a blocking
  ``organization.id_missing`` item (:mod:`planner.rules.organization`);
- ``duplicate-team-name`` (warning): team names of one :func:`~planner.sources.values.team_name_key` (letter
  case and surrounding white space aside; IdP groups link to teams by name, docs/sigma-api.md §9).

:func:`drop_dangling_memberships` (run by the loader before :func:`check_sigma`)
holds team memberships that name a teamId or memberId the export does not
hold (e.g. members exported without ``includeArchived=true``, docs/formats.md §1b):
such a reference proves the teams / members file incomplete, so one
``team-not-in-teams`` warning at the teams file and one ``member-not-in-members``
warning at the members file name them, incomplete-input codes
(:data:`~planner.sources.directory.INCOMPLETE_CODES`): every action the gap could
change is a blocking ``inputs.truncated`` item (:mod:`planner.rules.inputs`), as
for the IdP's ``member-not-in-users``. Nothing downstream ever sees a membership
without its member or team.

IdP side (:func:`check_idp`):

- ``duplicate-email`` / ``duplicate-user-name`` (warning) across users, naming the ids (the plan
  makes those the IdP provisions one blocking ``linking.idp_duplicate`` item, issue 14 item 3);
- ``empty-email`` / ``invalid-email`` (warning) for a user's primary email;
- ``invalid-user-name`` (warning): a ``userName`` that is not a syntactically
  valid email (:func:`~planner.sources.values.is_valid_email`); Sigma identifies
  SCIM users by ``userName`` = email (docs/sigma-api.md §5.2-5.3). Not for users the
  export marks inactive (``active is False``: deprovisioned, suspended): the IdP
  never provisions them, so no ``userName`` of theirs reaches Sigma;
- ``duplicate-group-name`` (warning): groups whose displayNames are one team name, letter case and surrounding
  white space aside (:func:`~planner.sources.values.shared_group_names`): the plan holds a team linked or
  created by that name (a blocking ``teams.conflict``), since the IdP's push finds a team by displayName;
- ``group-cycle`` (warning): a group that contains itself through nesting;
- ``no-idp-users`` (error): the export holds no user at all, or its users listing (a ``*.users`` input:
  Okta ``users.json``, Entra/Google/generic users file) holds none, whatever group member records add.

Policy against data (:func:`check_policy_inputs`, run by ``check`` and ``plan``):

- ``missing-group-memberships`` (error): the IdP export holds users but no
  group membership at all (the group members file was not saved) while the
  policy reads groups (``scope.groups``, ``account_types.group_map``,
  ``teams.map``, or ``teams.rules`` with active Sigma teams): every account type
  and team would change on that absence (issue 14 C.7). The error names the
  file the format keeps memberships in (:data:`MEMBERSHIP_FILES`). A groups listing read that holds no
  group is an IdP without groups, no error (:func:`lacks_group_memberships`).

:func:`nesting` measures group nesting (max depth, cycles) with networkx.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from itertools import chain
from operator import attrgetter
from dataclasses import dataclass, replace
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

from ..model import Finding, IdpDirectory, IdpGroup, IdpUser, SigmaExport, SourceRef, Snapshot, export_organization_id
from .files import Findings
from .values import (EMAIL_RE, clean_addresses, is_valid_email, padding_parts, shared_group_names, spreadsheet_damage,
                     team_name_key, unclean_parts)

if TYPE_CHECKING:
    import networkx as nx

    from ..policy import Policy

_MAX_NAMED = 6


NO_ORGANIZATION_ID = (
    "the plan does not record the organizationId of the Sigma organization it was made for "
    "(its Sigma export has none), so apply cannot check it talks to that organization; "
    "plan again from an export with organizationId (`sigma-migrate fetch`, or an organizationId column in a "
    "flattened members.csv: docs/formats.md §1f)"
)
"""Why a plan without ``organizationId`` never runs: said by ``check`` (``no-organization-id``), by the
plan's blocking ``organization.id_missing`` item and by ``apply``
(:func:`planner.execute.apply.required_organization_id`)."""


def _where(source: SourceRef | None) -> tuple[str, str]:
    return (source.file, source.location) if source else ("", "")


def _short(source: SourceRef | None) -> str:
    return source.location if source and source.location else ""


def _own_place(source: SourceRef, file: str) -> str:
    """Where a record of a finding is: its location (``line 3``, ``$.value[3]``) when it is in the
    finding's ``file``, else ``<its file>:<location>`` (a record of another file of the export)."""
    if source.file == file:
        return source.location
    return f"{source.file}:{source.location}" if source.location else source.file


def _duplicate_outcome(group: Sequence[IdpUser]) -> str:
    """What the plan does with IdP users sharing an address, in words true whatever the Sigma side holds (``check``
    judges the IdP export alone): users the export gives as inactive (``active: false``, an Entra tombstone) are
    never provisioned, and :func:`planner.rules.duplicates.idp_collisions` groups active users only: the plan holds
    two or more active ones (neither linked nor created, a blocking ``linking.idp_duplicate``), else links or creates
    the one active user like any other. Inactive or not, each still matches Sigma members (:mod:`planner.matching`):
    a member two of them match by the same match key is held with them by a blocking ``linking.ambiguous`` until
    ``linking.overrides`` pairs it with one. Was: "inactive (never provisioned) and ignored: the plan links or creates
    <the active user>", while the plan held the member the address names on ``linking.ambiguous`` (tester17 finding
    10; tester6 finding 11 for why inactive users are named)."""
    inactive = [u for u in group if u.active is False]
    active = [u for u in group if u.active is not False]
    held = (f"a Sigma member {'both' if len(group) == 2 else 'two of them'} match by the same match key is held "
            "with them by a blocking linking.ambiguous until linking.overrides pairs it with one")
    if len(active) >= 2:
        named = "" if not inactive else f"{_list([u.id for u in inactive])} (inactive, never provisioned); "
        return (f"{named}all are kept, and the plan links or creates none the IdP provisions until "
                f"linking.excluded_idp_users decides; {held}")
    never = (f"{_list([u.id for u in inactive])} {'is' if len(inactive) == 1 else 'are'} inactive (never "
             "provisioned)")
    if active:
        return f"{never}: {held}; otherwise the plan links or creates {active[0].id} like any other user"
    return f"{never}: none is active, so the plan creates none of them; {held}"


def _list(items: Sequence[str]) -> str:
    shown = ", ".join(items[:_MAX_NAMED])
    return shown + (f", ... ({len(items)} in all)" if len(items) > _MAX_NAMED else "")


def _invalid_addresses(values: Iterable[str]) -> set[str]:
    """The ``values`` that are not valid addresses (:func:`is_valid_email`).

    ``EMAIL_RE.fullmatch`` (C speed) passes the trimmed valid ones; the rest go through :func:`is_valid_email`.
    """
    match = EMAIL_RE.fullmatch
    return {v for v in values if match(v) is None and not is_valid_email(v)}


def _email_problems(records: Sequence, values: Sequence[str], keys: Sequence[str], invalid: set[str]) -> list:
    """The records whose email (``values[i]``) is empty (no key) or ``invalid`` (:func:`_invalid_addresses`),
    in order."""
    if not invalid and all(keys):
        return []
    return [r for r, v, k in zip(records, values, keys) if not k or v in invalid]


def _repeated(records: Sequence, keys: Sequence[str]) -> list[tuple[str, list]]:
    """``(key, records)`` for every non-empty key held by two or more records, in first-seen order."""
    if len(set(keys)) == len(keys):  # no key repeats (checked in C, 4x cheaper than counting)
        return []
    counts = Counter(keys)
    dupes = {k for k, n in counts.items() if n > 1 and k}
    if not dupes:
        return []
    groups: dict[str, list] = {}
    for r, k in zip(records, keys):
        if k in dupes:
            groups.setdefault(k, []).append(r)
    return list(groups.items())


# --------------------------------------------------------------------------- Sigma


def padded_member_type_message(member_type: str, account_type: str, members: Sequence) -> str:
    """The ``member-type-space`` warning of ``memberType`` ``member_type`` (of ``members``, the first named), which
    differs from the account type ``account_type`` of the account types file only by the white space around it
    (docs/formats.md §0.8, :data:`~.values.CSV_PADDING`: a JSON export's value, or a CSV cell's no-break space,
    is kept as written). Sigma matches account types exactly and writes a member's type as the type is named, so
    the members file was changed, not the account types file left incomplete (tester14a finding 10)."""
    return (f"memberType {member_type!r} of {len(members)} member(s) (first {members[0].member_id}) has white space "
            f"around it ({padding_parts(member_type)}): it differs from account type {account_type!r} only by white "
            "space; Sigma matches account types exactly and writes a member's type as the type is named, so the "
            f"plan reads it as written, not as {account_type!r} (kept, it is a type Sigma does not know, "
            "account_types.unknown_type; changed, a custom-type replacement): export the members again without "
            "editing them")


def check_sigma(export: SigmaExport) -> list[Finding]:
    """Cross-record findings for a Sigma export (see the module docstring for the codes)."""
    findings = Findings()
    people = export.people
    emails = list(map(attrgetter("email"), people))
    keys = list(map(attrgetter("email_key"), people))
    cleaned = clean_addresses(emails)
    unclean = [m for m, clean in zip(people, cleaned) if clean != m.email] if cleaned != emails else []
    for m in unclean:
        file, loc = _where(m.source)
        findings.info("unclean-email", file, loc, "email",
                      f"member {m.member_id}'s email {m.email!r}: {'; '.join(unclean_parts(m.email))}; a plan "
                      "linking it sets it to the IdP's userName first (linking.unclean_sigma_email)")
    # a value a spreadsheet rewrote is its excel-damaged-value error (.identity_values), not a bad address too
    invalid = {v for v in _invalid_addresses(cleaned) if spreadsheet_damage(v) is None}
    for m in _email_problems(people, cleaned, keys, invalid):
        file, loc = _where(m.source)
        if not m.email_key:
            findings.error("empty-email", file, loc, "email",
                           f"member {m.member_id} has no email, which Sigma requires of every member (docs/sigma-api.md "
                           "§2.2, §2.4): the record is damaged, and the plan cannot tell who it is (it would read as no "
                           "IdP user's, and be deactivated); export the members again")
        else:
            findings.warning("invalid-email", file, loc, "email",
                             f"member {m.member_id} has an invalid email {m.email!r}")
    for key, group in _repeated(people, keys):
        file, loc = _where(group[0].source)
        named = [f"{m.member_id} ({m.email!r}{', ' + _short(m.source) if _short(m.source) else ''})"
                 for m in group]
        findings.warning(
            "duplicate-email", file, loc, "email",
            f"{len(group)} members have the same address {key}: {_list(named)}; all are kept",
        )

    if export.account_types is not None:
        known = {t.name.casefold() for t in export.account_types}
        unknown: dict[str, list] = defaultdict(list)
        strange = {t for t in set(map(attrgetter("member_type"), people)) if t and t.casefold() not in known}
        for m in people if strange else ():  # each distinct memberType is judged once, above
            if m.member_type in strange:
                unknown[m.member_type].append(m)
        names = ", ".join(sorted(t.name for t in export.account_types))
        types_file = next((i.path for i in export.inputs if i.kind == "sigma.account_types"), "")
        by_key = {t.name.strip().casefold(): t.name for t in export.account_types}
        for member_type, group in unknown.items():
            file, loc = _where(group[0].source)
            near = by_key.get(member_type.strip().casefold())
            if near is not None:  # not a type the file lacks: a value with white space around it
                findings.warning("member-type-space", file, loc, "memberType",
                                 padded_member_type_message(member_type, near, group))
                continue
            findings.warning(
                "unknown-member-type", types_file or file, "" if types_file else loc, "memberType",
                f"memberType {member_type!r} of {len(group)} member(s) (first {group[0].member_id}, "
                f"{Path(file).name}:{loc}) is not an account type of this account types file ({names}), which is "
                "therefore incomplete (a page not saved, or saved before the type was made); export the account "
                "types again",
            )

    kinds: dict[str, list] = defaultdict(list)
    # "" is a kind the loader could not read, its unreadable-status / missing-column error said so
    strange = set(map(attrgetter("user_kind"), export.members)).difference(("internal", "guest", "embed", ""))
    for m in export.members if strange else ():
        if m.user_kind in strange:
            kinds[m.user_kind].append(m)
    for kind, group in kinds.items():
        file, loc = _where(group[0].source)
        findings.error("unknown-user-kind", file, loc, "userKind",
                       f"userKind {kind!r} of {len(group)} member(s) (first {group[0].member_id}) is not internal, "
                       "guest or embed: whether the member is a guest or an embed user cannot be read (a plan "
                       "never guesses it, never reads it as internal); fix the export")

    _mixed_organizations(export.members, findings)
    if people and not any(m.organization_id for m in export.members):
        file, _ = _where(people[0].source)
        findings.warning("no-organization-id", file, "", "organizationId",
                         f"no member carries organizationId: {NO_ORGANIZATION_ID}")

    _scim_references(export, findings)

    names: dict[str, list] = defaultdict(list)
    for t in export.teams:
        names[team_name_key(t.name)].append(t)
    for key, group in names.items():
        if len(group) > 1 and key:  # a team without a name is planner.sources.required's missing-value
            file, loc = _where(group[0].source)
            findings.warning(
                "duplicate-team-name", file, loc, "name",
                f"{len(group)} teams are named {group[0].name!r} (ignoring case): "
                f"{_list([t.team_id for t in group])}; IdP groups link to teams by name",
            )
    return list(findings)


def _mixed_organizations(members: Sequence, findings: Findings) -> None:
    """``mixed-organization-id`` (error): members of one export naming two or more ``organizationId``s.

    A Sigma export is one organization's (docs/sigma-api.md §2.1: every member carries its
    organization's id); a record naming another is a second organization's export pasted in,
    and the plan binds itself to one organization (docs/apply.md), so the input is damaged.
    One error per foreign id at its first record, naming file, record, both ids and the count;
    the export's own id is :func:`planner.model.export_organization_id` (the most members').
    A member without the field is not judged here (``no-organization-id`` is the whole file's).
    """
    ids = {m.organization_id for m in members}
    ids.discard("")
    if len(ids) < 2:
        return
    own = export_organization_id(members)
    foreign: dict[str, list] = defaultdict(list)
    for m in members:
        if m.organization_id and m.organization_id != own:
            foreign[m.organization_id].append(m)
    for other, group in foreign.items():
        first = group[0]
        file, loc = _where(first.source)
        findings.error(
            "mixed-organization-id", file, loc, "organizationId",
            f"member {first.member_id} ({first.email!r}) has organizationId {other!r}, the export's other "
            f"members {own!r} ({len(group)} member(s) name {other!r}): an export holds one organization's "
            "members; export the members of one organization again",
        )


def _scim_references(export: SigmaExport, findings: Findings) -> None:
    """``member-not-in-members`` / ``team-not-in-teams`` for Sigma's SCIM state (``scim/``): every SCIM User
    is a member and every SCIM Group a team (docs/sigma-api.md §10.2), so one that is no member (by id, else
    userName = email) or no team (by id, else displayName) shows the members / teams file incomplete."""
    files = {i.kind: i.path for i in export.inputs}
    if export.scim_users and "sigma.members" in files:
        ids = {m.member_id for m in export.members}
        keys = {m.email_key for m in export.members}
        lost = [f"{u.id} ({u.user_name!r})" for u in export.scim_users
                if u.id not in ids and u.user_name_key not in keys]
        if lost:
            findings.warning("member-not-in-members", files["sigma.members"], "", "memberId",
                             f"{len(lost)} SCIM user(s) of scim/Users.json are not in this members file, which is "
                             f"therefore incomplete (exported without includeArchived=true&includeInactive=true?): "
                             f"{_list(lost)}; export the members again, every page and state")
    if export.scim_groups and "sigma.teams" in files:
        ids = {t.team_id for t in export.teams}
        names = {t.name.strip().casefold() for t in export.teams}
        lost = [f"{g.id} ({g.display_name!r})" for g in export.scim_groups
                if g.id not in ids and g.display_name.strip().casefold() not in names]
        if lost:
            findings.warning("team-not-in-teams", files["sigma.teams"], "", "teamId",
                             f"{len(lost)} SCIM group(s) of scim/Groups.json are not in this teams file, which is "
                             f"therefore incomplete: {_list(lost)}; export the teams again, every page")


def drop_dangling_memberships(export: SigmaExport) -> tuple[SigmaExport, list[Finding]]:
    """``export`` without the team memberships whose team or member it does not hold (held), and the warnings.

    One ``member-not-in-members`` warning at the members file naming the missing
    memberIds (each with its teams and where its first membership is) and one
    ``team-not-in-teams`` warning at the teams file naming the missing teamIds:
    both prove that file incomplete (:data:`~planner.sources.directory.INCOMPLETE_CODES`,
    blocking what the gap could change). A side whose
    file was not read (no ``sigma.members`` / ``sigma.teams`` input: its own
    error says why) is not checked. Set differences first (C speed); the
    per-membership pass runs only when something dangles.
    """
    findings = Findings()
    memberships = export.team_memberships
    kinds = {i.kind for i in export.inputs}
    unknown_teams: set[str] = set()
    if "sigma.teams" in kinds or export.teams:
        unknown_teams = set(map(attrgetter("team_id"), memberships)).difference(
            map(attrgetter("team_id"), export.teams))
    unknown_members: set[str] = set()
    if "sigma.members" in kinds or export.members:
        unknown_members = set(map(attrgetter("member_id"), memberships)).difference(
            map(attrgetter("member_id"), export.members))
    if not unknown_teams and not unknown_members:
        return export, []
    missing_team: dict[str, list] = defaultdict(list)
    missing_member: dict[str, list] = defaultdict(list)
    kept = []
    for tm in memberships:
        dangling = False
        if tm.team_id in unknown_teams:
            missing_team[tm.team_id].append(tm)
            dangling = True
        if tm.member_id in unknown_members:
            missing_member[tm.member_id].append(tm)
            dangling = True
        if not dangling:
            kept.append(tm)
    files = {i.kind: i.path for i in export.inputs}
    if missing_team:
        first = next(iter(missing_team.values()))[0]
        named = [f"{team_id} ({len(group)} membership(s), {_short(group[0].source)})"
                 for team_id, group in missing_team.items()]
        findings.warning(
            "team-not-in-teams", files.get("sigma.teams", ""), "", "teamId",
            f"{len(missing_team)} team(s) of {Path(first.source.file).name if first.source else 'the team members file'} "
            f"are not in this teams file, which is therefore incomplete: {_list(named)}; their memberships are "
            "held (no action for them); export the teams again, every page",
        )
    if missing_member:
        first = next(iter(missing_member.values()))[0]
        named = [f"{member_id} (team {_list(sorted({tm.team_id for tm in group}))}, {_short(group[0].source)})"
                 for member_id, group in missing_member.items()]
        findings.warning(
            "member-not-in-members", files.get("sigma.members", ""), "", "memberId",
            f"{len(missing_member)} team member(s) of "
            f"{Path(first.source.file).name if first.source else 'the team members file'} are not in this members "
            f"file, which is therefore incomplete (exported without includeArchived=true&includeInactive=true?): "
            f"{_list(named)}; their memberships are held (no action for them); export the members again, "
            "every page and state",
        )
    return replace(export, team_memberships=tuple(kept)), list(findings)


# --------------------------------------------------------------------------- IdP


@dataclass(frozen=True)
class Nesting:
    """Group nesting of an IdP directory.

    ``max_depth``: the longest chain of group-in-group edges (0 = no group
    contains another; cycles are collapsed first). ``nested_groups``: groups
    that contain at least one group. ``cycles``: one example cycle (group ids,
    first repeated at the end) per strongly connected set of groups.
    """

    max_depth: int
    nested_groups: int
    cycles: tuple[tuple[str, ...], ...]


def group_graph(groups: Iterable[IdpGroup]) -> nx.DiGraph:
    """Directed graph of group ids, an edge ``parent -> child`` per nested group membership."""
    import networkx as nx

    graph = nx.DiGraph()
    for g in groups:
        graph.add_node(g.id)
        for child in g.member_group_ids:
            graph.add_edge(g.id, child)
    return graph


def nesting(groups: Sequence[IdpGroup]) -> Nesting:
    """Measure the nesting of ``groups`` (see :class:`Nesting`).

    Only groups that take part in nesting enter the graph (flat groups change
    neither depth nor cycles), so thousands of flat groups cost nothing. Without
    a cycle (the usual case) the depth is counted along the standard library's
    topological order (:mod:`graphlib`); networkx (0.12 s to import) is loaded
    only to find the cycles and measure around them.
    """
    parents = [g for g in groups if g.member_group_ids]
    if not parents:
        return Nesting(0, 0, ())
    children = {g.id: g.member_group_ids for g in parents}
    try:
        order = list(TopologicalSorter(children).static_order())  # a group after every group it holds
    except CycleError:
        pass
    else:
        depth: dict[str, int] = {}
        for group_id in order:
            depth[group_id] = max((depth[c] + 1 for c in children.get(group_id, ())), default=0)
        return Nesting(max(depth.values()), len(parents), ())
    import networkx as nx

    graph = group_graph(parents)
    nested = len(parents)
    cycles = []
    for component in nx.strongly_connected_components(graph):
        if len(component) == 1:
            node = next(iter(component))
            if not graph.has_edge(node, node):
                continue
            cycles.append((node, node))
            continue
        start = min(component)
        edges = nx.find_cycle(graph.subgraph(component), source=start)
        cycles.append(tuple([edges[0][0]] + [v for _, v in edges]))
    condensed = nx.condensation(graph)
    depth = nx.dag_longest_path_length(condensed)
    return Nesting(depth, nested, tuple(sorted(cycles)))


USER_NAME_FIELDS = {
    "okta-api": "profile.login",
    "entra-csv": "userPrincipalName",
    "entra-graph": "userPrincipalName",
    "google-csv": "primaryEmail",
    "google-api": "primaryEmail",
    "scim": "userName",
    "generic-csv": "userName",
    "onelogin": "email",
}
"""Per IdP format, the source field that becomes SCIM ``userName`` (named by ``invalid-user-name``)."""


def check_idp(
    directory: IdpDirectory, paths: Sequence[str | Path] = (), *, report_empty: bool = True
) -> list[Finding]:
    """Cross-record findings for an IdP directory (see the module docstring for the codes).

    ``paths`` (the ``--idp`` paths) name the file of ``no-idp-users`` when no
    input file was read either; ``report_empty=False`` leaves that error out
    (the loader already has an error that explains the missing users).
    """
    findings = Findings()
    users = directory.users
    empty_listings = [i.path for i in directory.inputs if i.kind.endswith(".users") and i.records == 0]
    for file in empty_listings:  # users taken from group member records do not make up for it
        findings.error("no-idp-users", file, "", "",
                       "the users listing holds no users: a plan from it would deactivate every member "
                       "(an incomplete export?); export the users again")
    if not users and report_empty and not empty_listings:
        file = directory.inputs[0].path if directory.inputs else (str(paths[0]) if paths else "")
        findings.error("no-idp-users", file, "", "",
                       f"the {directory.format or 'IdP'} export holds no users: a plan would find no one "
                       "in the IdP (an incomplete export?)")
    user_name_field = USER_NAME_FIELDS.get(directory.format, "userName")
    primaries = [u.emails[0] if u.emails else None for u in users]  # loaders put the primary first
    values = [e.value if e else "" for e in primaries]
    keys = [e.key if e else "" for e in primaries]
    names = list(map(attrgetter("user_name"), users))
    # the userName is most often the primary email: judged once
    invalid = _invalid_addresses(chain(names, [v for v, n in zip(values, names) if v != n]))
    # a value a spreadsheet rewrote is its excel-damaged-value finding (.identity_values), not a bad address too
    invalid = {v for v in invalid if spreadsheet_damage(v) is None} if invalid else invalid
    for u in users if invalid else ():
        if u.user_name in invalid and u.active is not False and u.user_name.strip():  # blank: missing-value
            file, loc = _where(u.source)
            findings.warning(
                "invalid-user-name", file, loc, user_name_field,
                f"user {u.id}: the userName ({user_name_field}) is {u.user_name!r}, not a valid email address; "
                "Sigma identifies SCIM users "
                "by userName = email (docs/sigma-api.md §5.2-5.3)",
            )
    for u in _email_problems(users, values, keys, invalid):
        file, loc = _where(u.source)
        if not u.emails:
            findings.warning("empty-email", file, loc, "emails", f"user {u.id} ({u.user_name!r}) has no email")
        else:
            findings.warning("invalid-email", file, loc, "emails",
                             f"user {u.id} has an invalid email {u.emails[0].value!r}")
    by_email = dict(_repeated(users, keys))
    by_name = dict(_repeated(users, list(map(attrgetter("user_name_key"), users))))

    reported: set[frozenset[str]] = set()
    for key, group in by_email.items():
        if len(group) < 2:
            continue
        reported.add(frozenset(u.id for u in group))
        file, loc = _where(group[0].source)
        named = [f"{u.id} ({u.primary_email.value!r}{', ' + _own_place(u.source, file) if u.source else ''})"
                 for u in group]
        findings.warning("duplicate-email", file, loc, "emails",
                         f"{len(group)} users have the same email {key}: {_list(named)}; {_duplicate_outcome(group)}")
    for key, group in by_name.items():
        if len(group) < 2 or frozenset(u.id for u in group) in reported:
            continue
        file, loc = _where(group[0].source)
        findings.warning("duplicate-user-name", file, loc, "userName",
                         f"{len(group)} users have the same userName {key}: "
                         f"{_list([u.id for u in group])}; {_duplicate_outcome(group)}")

    by_id = {g.id: g for g in directory.groups}
    _shared_group_names(directory.groups, by_id, findings)
    for cycle in nesting(directory.groups).cycles:
        group = by_id.get(cycle[0])
        file, loc = _where(group.source if group else None)
        path = " > ".join(by_id[g].display_name if g in by_id else g for g in cycle)
        findings.warning("group-cycle", file, loc, "members",
                         f"group {path.split(' > ')[0]!r} contains itself through nesting: {path}")
    return list(findings)


def _shared_group_names(groups: Sequence[IdpGroup], by_id: dict[str, IdpGroup], findings: Findings) -> None:
    """``duplicate-group-name`` (warning): two or more IdP groups whose displayNames are one team name, letter case
    and surrounding white space aside (:func:`~.values.shared_group_names`, the rule the plan holds a team by: a
    team linked or created by that name is a blocking ``teams.conflict``, :func:`planner.rules.teams.group_twins`).
    One finding per name, at its first group, naming each group's id and displayName as spelled."""
    for found in shared_group_names((g.id, g.display_name) for g in groups).values():
        file, loc = _where(by_id[found[0][0]].source)
        named = [f"{gid} ({name!r})" for gid, name in found]
        findings.warning(
            "duplicate-group-name", file, loc, "displayName",
            f"{len(found)} groups are named {found[0][1]!r} (letter case and surrounding white space aside): "
            f"{_list(named)}; the IdP finds the team a group is pushed to by displayName, ignoring letter case, "
            "so a team linked or created by that name is held by a blocking teams.conflict until all but one "
            "of the groups are renamed in the IdP")


MEMBERSHIP_FILES = {
    "okta-api": "group_members.json ({groupId: [users]}: the answers of GET /api/v1/groups/{id}/users)",
    "entra-csv": "group_members/<group name>.csv (Groups > Members > Download members, one file per group)",
    "entra-graph": "the GET /groups/{id}/members answers (group_members/<group>.json or {groupId: <answer>})",
    "google-csv": "groups.json and group_members/<group id>.json (Directory API answers; the users CSV "
                  "holds no groups)",
    "google-api": "group_members/<group id>.json (the Directory API members.list answers)",
    "scim": "Groups.json (a SCIM ListResponse of Groups with their members)",
    "generic-csv": "a groups column (columns: groups:) or a group membership CSV",
    "onelogin": ("a groups column, which the onelogin layout does not read (OneLogin's export names roles by id, "
                 "role_ids; docs/formats.md §5: read the CSV with a generic CSV mapping naming columns.groups)"),
}
"""Per IdP format, where its group memberships are saved (README "Accepted export layouts")."""


def policy_group_uses(policy: Policy, sigma: SigmaExport) -> list[str]:
    """The policy settings that read IdP group memberships for this organization (dotted paths).

    ``teams.rules`` count only when Sigma has an active team (or ``teams.mode`` is ``create``):
    with no team to link, name rules change nothing.
    """
    uses = [name for name, value in (("scope.groups", policy.scope.groups),
                                     ("account_types.group_map", policy.account_types.group_map),
                                     ("teams.map", policy.teams.map)) if value]
    if policy.teams.rules and not policy.teams.map and (
            policy.teams.mode == "create" or any(not t.is_archived for t in sigma.teams)):
        uses.append("teams.rules")
    return uses


def lacks_group_memberships(idp: IdpDirectory) -> bool:
    """True when the IdP export holds users but not one group membership, though its groups could hold some:
    the only case in which :func:`check_policy_inputs` can find anything. A groups listing read that holds
    no group (a ``*.groups`` input: Okta ``groups.json`` ``[]``, an Entra or Google groups file without
    rows) says the IdP has none, so no membership is missing (was: refused as a missing members file,
    tester10 finding 15); the policy's group names are then unknown references (``policy.unknown_reference``)."""
    if not idp.users or any(g.member_user_ids or g.member_group_ids for g in idp.groups):
        return False
    return bool(idp.groups) or not any(i.kind.endswith(".groups") for i in idp.inputs)


def check_policy_inputs(snapshot: Snapshot, policy: Policy, paths: Sequence[str | Path] = ()) -> list[Finding]:
    """Findings of the policy against the loaded exports (see the module docstring): today
    ``missing-group-memberships``, an error naming the file the IdP format keeps memberships in.

    ``paths`` (the ``--idp`` paths) name the file when the directory records no input.
    """
    idp = snapshot.idp
    if not lacks_group_memberships(idp):
        return []
    uses = policy_group_uses(policy, snapshot.sigma)
    if not uses:
        return []
    where = str(paths[0]) if paths else (str(Path(idp.inputs[0].path).parent) if idp.inputs else "")
    wanted = MEMBERSHIP_FILES.get(idp.format.split("+")[0], "the group membership file(s)")
    held = f"{len(idp.groups)} group(s) without members" if idp.groups else "no groups"
    read = sum(1 for i in idp.inputs if i.kind.endswith(".group_members"))
    inline = idp.groups and idp.format.split("+")[0] == "scim"  # a SCIM Group holds its members: the file was read
    missing = (f"the {len(idp.groups)} SCIM Group(s) read list no member that could be read (each \"members\": [], "
               "or members with neither value nor a $ref naming one: the missing-id warnings)" if inline else
               f"{wanted} is missing" if not read else
               f"the {read} members file(s) read give none of them a member (each empty, or named by a display "
               "name several groups share: the shared-group-name warning)")
    findings = Findings()
    findings.error(
        "missing-group-memberships", where, "", "",
        f"the {idp.format or 'IdP'} export has {len(idp.users)} user(s) but {held}: {missing}, and "
        f"the policy reads group memberships ({', '.join(uses)}); every account type and team would change on "
        "that absence: " + ("add the file" if not read and not inline
                                else "download the members again as the warnings say"),
    )
    return list(findings)
