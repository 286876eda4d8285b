"""The snapshot as pandas tables, built once per plan and read by matching and every rule family.

:func:`build_context` turns the frozen snapshot objects into column tables so
that matching and the rules can join, group and count without per-row Python
loops. Shapes (one row per object, ``str`` columns unless said otherwise):

- ``members``: Sigma people (Sigma's scheduler robot excluded): ``member_id``,
  ``email``, ``email_key``, ``first_name``, ``last_name``,
  ``member_type`` (as exported), ``account_type`` (the org's spelling of it,
  sigma-api.md §4.1), ``user_kind``, ``is_archived``/``is_inactive``/``active``
  (bool), ``is_guest`` (bool);
- ``idp_users``: ``idp_id``, ``user_name`` (as the IdP stores it),
  ``scim_user_name`` (what the IdP app sends as SCIM userName, per
  ``linking.scim_user_name`` and ``user_name_guard.overrides: use_primary_email``),
  ``scim_user_name_key``, ``email`` (primary),
  ``given_name``, ``family_name``, ``display_name``, ``status``, ``active`` (bool),
  ``is_guest`` (bool), ``in_scope`` (bool: active and inside ``scope.groups``);
- ``idp_emails``: ``idp_id``, ``value``, ``key``, ``position`` (0 = primary/first),
  ``idp_row`` (int: the user's row in ``idp_users``);
- ``groups``: ``group_id``, ``display_name``;
- ``group_members``: ``group_id``, ``idp_id``, ``idp_row`` (int: its row in
  ``idp_users``): who is in each group, nested groups flattened when
  ``teams.flatten_nested`` (cycles broken, each member once), rows grouped by
  group; :attr:`Context.group_rows` has the same by group id;
- ``teams``: ``team_id``, ``name``, ``is_archived`` (bool);
- ``team_members``: ``team_id``, ``member_id``, ``is_team_admin`` (bool), ``member_row``
  (int: its row in ``members``, ``-1`` for a member the export does not have).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Mapping

import networkx as nx
import numpy as np
import pandas as pd

from ..model import DERIVED_EMAIL_TYPES, Email, IdpUser, ScimGroup, ScimUser, SigmaExport, SigmaMember, Snapshot, email_key
from ..policy import Policy, group_pattern_matcher

INACTIVE_STATUSES = frozenset(
    {"SUSPENDED", "DEPROVISIONED", "STAGED", "DISABLED", "INACTIVE", "DELETED", "ARCHIVED", "FALSE"}
)
"""IdP status words meaning "not an active user" when the export has no ``active`` flag
(Okta user statuses, formats.md §2a)."""


def name_key(first: str | None, last: str | None) -> str:
    """Comparison key of a person's name for review hints: accents dropped, case-folded.

    ``("José", "Álvarez")`` -> ``"jose alvarez"``; empty when either part is missing
    (a hint needs both names).
    """
    if not (first and first.strip() and last and last.strip()):
        return ""
    text = unicodedata.normalize("NFKD", f"{first.strip()} {last.strip()}")
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.casefold().split())


def member_of(series: pd.Series, values) -> np.ndarray:
    """``series.isin(values)`` as a bool array, by Python set lookups.

    pandas' ``isin`` on Arrow-backed strings converts ``values`` element by
    element on every call (about 0.3 s for 100k against 100k); a set lookup
    per row is some 30 times faster and gives the same answer.
    """
    if not isinstance(values, (set, frozenset, dict)):
        values = set(values)
    return np.fromiter((v in values for v in series.tolist()), dtype=bool, count=len(series))


def sorted_positions(values: pd.Series) -> list[int]:
    """Row positions that sort ``values`` (strings), stable: ``df.iloc[sorted_positions(df.x)]``
    is ``df.sort_values("x", kind="stable")``, with Python's sort (some three times faster than
    pandas' on object columns)."""
    items = values.tolist()
    return sorted(range(len(items)), key=items.__getitem__)


def positions(ids: pd.Series, row: Mapping[str, int]) -> np.ndarray:
    """Row positions of ``ids`` in a table (``row``: :attr:`Context.member_row` or :attr:`Context.idp_row`),
    ``-1`` for ids the table does not have."""
    return _rows_of(ids.tolist(), row)


def _rows_of(ids: list, row: Mapping[str, int]) -> np.ndarray:
    found = list(map(row.get, ids))  # map over dict.get runs in C: several times faster than a generator
    if None in found:
        found = [-1 if r is None else r for r in found]
    return np.array(found, dtype=np.intp)


def take_rows(column: pd.Series, rows: np.ndarray, missing) -> np.ndarray:
    """``column``'s values at ``rows`` (from :func:`positions`), ``missing`` where the row is ``-1``.

    The join a ``merge(how="left")`` would do, by position, with an explicit value for
    what is missing (never NaN) and no hashing of string keys.
    """
    values = column.to_numpy()
    return np.append(values, np.array([missing], dtype=values.dtype))[rows]


def find_member_id(ctx: "Context", ref: str | None) -> str | None:
    """memberId of a person the policy names by memberId or email (a unique match), else ``None``."""
    if not ref:
        return None
    if ref in ctx.member_by_id:
        return ref
    hit = ctx.members.loc[ctx.members["email_key"] == email_key(ref), "member_id"]
    return str(hit.iloc[0]) if len(hit) == 1 else None


PROTECTED_BECAUSE = {
    "organization.scim_setup_admin": "the SCIM token belongs to them",
    "organization.api_credential_owner": "apply's API credentials belong to them",
}
"""Why each protected person must stay active and admin (sigma-api.md §5.1, §1.2)."""


def protected_refs(ctx: "Context") -> dict[str, str]:
    """memberId -> policy key (``organization.scim_setup_admin`` or ``organization.api_credential_owner``)
    of the people the guards protect, those found in the export (the first key when one person is both).

    The SCIM token belongs to the setup admin (sigma-api.md §5.1) and the REST credentials to their
    owner (§1.2): the rules never plan a change that breaks either.
    """
    out: dict[str, str] = {}
    org = ctx.policy.organization
    for key in ("scim_setup_admin", "api_credential_owner"):
        mid = find_member_id(ctx, getattr(org, key))
        if mid:
            out.setdefault(mid, f"organization.{key}")
    return out


def find_idp_id(ctx: "Context", ref: str | None) -> str | None:
    """IdP id of a user the policy names by id, userName or sent userName (a unique match), else ``None``."""
    if not ref:
        return None
    if ref in ctx.idp_by_id:
        return ref
    u = ctx.idp_users
    key = email_key(ref)
    for col in ("user_name_key", "scim_user_name_key"):
        hit = u.loc[u[col] == key, "idp_id"]
        if len(hit) == 1:
            return str(hit.iloc[0])
    return None


def idp_is_active(user: IdpUser) -> bool:
    """``active`` when the export says it; else the status word; unknown means active."""
    if user.active is not None:
        return bool(user.active)
    return (user.status or "").strip().upper() not in INACTIVE_STATUSES


@dataclass(frozen=True)
class GroupCycle:
    """IdP groups that contain each other through nesting (one strongly connected component)."""

    group_ids: tuple[str, ...]
    display_names: tuple[str, ...]


@dataclass(frozen=True)
class Context:
    """Everything the rules read: the policy, the tables above, and lookups by id."""

    policy: Policy
    members: pd.DataFrame
    idp_users: pd.DataFrame
    idp_emails: pd.DataFrame
    groups: pd.DataFrame
    group_members: pd.DataFrame
    group_cycles: tuple[GroupCycle, ...]
    teams: pd.DataFrame
    team_members: pd.DataFrame
    account_type_names: tuple[str, ...] | None
    member_by_id: Mapping[str, SigmaMember] = field(repr=False)
    idp_by_id: Mapping[str, IdpUser] = field(repr=False)
    organization_id: str = ""
    idp_format: str = ""
    member_row: Mapping[str, int] = field(default_factory=dict, repr=False)
    """Row position of each memberId in :attr:`members`."""
    idp_row: Mapping[str, int] = field(default_factory=dict, repr=False)
    """Row position of each IdP id in :attr:`idp_users`."""
    group_rows: Mapping[str, np.ndarray] = field(default_factory=dict, repr=False)
    """The :attr:`idp_users` rows of each group's members (flattened, each once), by group id."""
    scim: ScimState = field(default=None, repr=False)  # type: ignore[assignment]
    """What an IdP already provisioned (:func:`scim_state`; decided on in :mod:`planner.rules.scim_state`)."""
    custom_account_types: frozenset[str] = frozenset()
    """Account type names the organization marks ``isCustom`` (``account_types.json``, sigma-api.md §4.1)."""
    nested_groups: Mapping[str, tuple[str, ...]] = field(default_factory=dict, repr=False)
    """The groups nested directly in each group (sorted ids), for groups that hold any."""
    nested_only: Mapping[str, Mapping[int, tuple[str, ...]]] = field(default_factory=dict, repr=False)
    """With ``teams.flatten_nested`` off: for each group, the :attr:`idp_users` rows of users who
    are not its direct members but sit in a group nested in it, each with the displayNames of the
    nesting path from the group's child down to the group holding them (breadth first, children
    by id: the shortest path, the same for the same inputs). Empty when flattening."""

    def account_type_spelling(self, name: str) -> str | None:
        """The organization's spelling of account type ``name`` (case-insensitive), if known."""
        if self.account_type_names is None:
            return None
        folded = {n.casefold(): n for n in self.account_type_names}
        return folded.get(name.casefold())


def build_context(snapshot: Snapshot, policy: Policy) -> Context:
    """Tabulate ``snapshot`` for ``policy``. Pure; raises nothing for data problems."""
    people = [m for m in snapshot.sigma.members if not m.is_system]
    member_by_id = {m.member_id: m for m in people}
    account_types = snapshot.sigma.account_types
    type_names = tuple(sorted({a.name for a in account_types})) if account_types is not None else None
    members = _members_table(people, type_names)

    users = list(snapshot.idp.users)
    idp_by_id = {u.id: u for u in users}
    idp_users, idp_emails = _idp_tables(users, policy)

    groups = pd.DataFrame(
        {
            "group_id": [g.id for g in snapshot.idp.groups],
            "display_name": [g.display_name for g in snapshot.idp.groups],
        },
        dtype=object,
    )
    idp_ids = idp_users["idp_id"].tolist()
    idp_row = {iid: i for i, iid in enumerate(idp_ids)}
    group_members, group_rows, cycles = _flatten_groups(snapshot, idp_ids, idp_row,
                                                        flatten=policy.teams.flatten_nested)
    nested_groups = _nested_groups(snapshot)
    nested_only = ({} if policy.teams.flatten_nested or not nested_groups
                   else _nested_only(snapshot, nested_groups, group_rows))

    in_scope = idp_users["active"].to_numpy(copy=True)
    if policy.scope.groups:
        scoped = np.zeros(len(idp_users), dtype=bool)
        for gid in _groups_matching(groups, policy.scope.groups):
            scoped[group_rows.get(gid, ())] = True
        in_scope &= scoped
    idp_users["in_scope"] = in_scope

    teams = pd.DataFrame(
        {
            "team_id": [t.team_id for t in snapshot.sigma.teams],
            "name": [t.name for t in snapshot.sigma.teams],
            "is_archived": [bool(t.is_archived) for t in snapshot.sigma.teams],
        },
        dtype=object,
    )
    teams["is_archived"] = teams["is_archived"].astype(bool)
    memberships = snapshot.sigma.team_memberships
    if len({(t.team_id, t.member_id) for t in memberships}) != len(memberships):
        memberships = _first_memberships(memberships)  # a membership listed twice: the first one counts
    member_row = {mid: i for i, mid in enumerate(members["member_id"].tolist())}
    team_member_ids = [t.member_id for t in memberships]
    team_members = pd.DataFrame(
        {
            "team_id": pd.Series([t.team_id for t in memberships], dtype=object),
            "member_id": pd.Series(team_member_ids, dtype=object),
            # -1: a member the members export does not have (Sigma's system member, or one exported
            # without includeArchived/includeInactive)
            "member_row": _rows_of(team_member_ids, member_row),
            "is_team_admin": np.fromiter((bool(t.is_team_admin) for t in memberships), dtype=bool,
                                         count=len(memberships)),
        },
    )

    org_ids = pd.Series([m.organization_id for m in snapshot.sigma.members if m.organization_id], dtype=object)
    organization_id = str(org_ids.value_counts().sort_index().idxmax()) if len(org_ids) else ""

    return Context(
        policy=policy,
        members=members,
        idp_users=idp_users,
        idp_emails=idp_emails,
        groups=groups,
        group_members=group_members.reset_index(drop=True),
        group_cycles=cycles,
        teams=teams,
        team_members=team_members.reset_index(drop=True),
        account_type_names=type_names,
        member_by_id=member_by_id,
        idp_by_id=idp_by_id,
        organization_id=organization_id,
        idp_format=snapshot.idp.format,
        member_row=member_row,
        idp_row=idp_row,
        group_rows=group_rows,
        scim=scim_state(snapshot.sigma),
        nested_groups=nested_groups,
        nested_only=nested_only,
        custom_account_types=frozenset(a.name for a in account_types or () if a.is_custom),
    )


def _first_memberships(memberships) -> list:
    seen: set[tuple[str, str]] = set()
    out = []
    for t in memberships:
        pair = (t.team_id, t.member_id)
        if pair not in seen:
            seen.add(pair)
            out.append(t)
    return out


def _members_table(people: list[SigmaMember], type_names: tuple[str, ...] | None) -> pd.DataFrame:
    df = pd.DataFrame(
        {
            "member_id": [m.member_id for m in people],
            "email": [m.email for m in people],
            "email_key": [m.email_key or email_key(m.email) for m in people],
            "first_name": [m.first_name or "" for m in people],
            "last_name": [m.last_name or "" for m in people],
            "member_type": [m.member_type or "" for m in people],
            "user_kind": [m.user_kind or "internal" for m in people],
            "is_archived": [bool(m.is_archived) for m in people],
            "is_inactive": [bool(m.is_inactive) for m in people],
        },
        dtype=object,
    )
    for col in ("is_archived", "is_inactive"):
        df[col] = df[col].astype(bool)
    df["active"] = ~(df["is_archived"] | df["is_inactive"])
    df["is_guest"] = (df["user_kind"] == "guest").astype(bool)
    # Sigma matches userType case-sensitively; exports may spell memberType in another case
    # (formats.md §1b): the "before" side uses the organization's accountTypeName spelling.
    if type_names is not None:
        folded = {n.casefold(): n for n in type_names}
        df["account_type"] = [folded.get(t.casefold(), t) for t in df["member_type"]]
    else:
        df["account_type"] = df["member_type"]
    return df


def mapped_email(email: Email | None) -> str:
    """What an IdP app mapping userName from the email sends: the primary email, ``""`` when the user
    has none, or only one a loader derived from another attribute (:data:`DERIVED_EMAIL_TYPES`: Entra
    then sends no userName at all, issue 14 item 2)."""
    if email is None or email.type in DERIVED_EMAIL_TYPES:
        return ""
    return email.value


def _idp_tables(users: list[IdpUser], policy: Policy) -> tuple[pd.DataFrame, pd.DataFrame]:
    primary = [u.primary_email for u in users]
    use_email = policy.linking.scim_user_name == "primary_email"
    scim_user_name = [mapped_email(p) if use_email else u.user_name for u, p in zip(users, primary)]
    # user_name_guard.overrides `use_primary_email`: the IdP app sends these users' primary email
    refs = {ref for ref, how in policy.user_name_guard.overrides.items() if how == "use_primary_email"}
    if refs and not use_email:
        keys = {email_key(ref) for ref in refs}
        for i, (u, p) in enumerate(zip(users, primary)):
            if u.id in refs or (u.user_name_key or email_key(u.user_name)) in keys:
                scim_user_name[i] = mapped_email(p)
    df = pd.DataFrame(
        {
            "idp_id": [u.id for u in users],
            "user_name": [u.user_name or "" for u in users],
            "user_name_key": [u.user_name_key or email_key(u.user_name) for u in users],
            "scim_user_name": scim_user_name,
            "scim_user_name_key": [
                email_key(s) if s is not u.user_name else (u.user_name_key or email_key(s))
                for s, u in zip(scim_user_name, users)
            ],
            "email": [(p.value if p is not None else "") for p in primary],
            "given_name": [u.given_name or "" for u in users],
            "family_name": [u.family_name or "" for u in users],
            "display_name": [u.display_name or "" for u in users],
            "status": [u.status or "" for u in users],
            "active": [idp_is_active(u) for u in users],
            "is_guest": [u.is_guest for u in users],
        },
        dtype=object,
    )
    for col in ("active", "is_guest"):
        df[col] = df[col].astype(bool)
    rows = []
    for row, u in enumerate(users):  # each (user, key) once, the first spelling; no blank keys
        if len(u.emails) == 1:
            e = u.emails[0]
            key = e.key or email_key(e.value)
            if key:
                rows.append((u.id, e.value, key, 0, row))
            continue
        seen = set()
        for i, e in enumerate(u.emails):
            key = e.key or email_key(e.value)
            if key and key not in seen:
                seen.add(key)
                rows.append((u.id, e.value, key, i, row))
    emails = pd.DataFrame(rows, columns=["idp_id", "value", "key", "position", "idp_row"], dtype=object)
    emails["position"] = emails["position"].astype(int)
    emails["idp_row"] = emails["idp_row"].astype(np.intp)
    return df, emails


def _groups_matching(groups: pd.DataFrame, patterns: list[str]) -> set[str]:
    """Ids of groups whose displayName matches any of ``patterns`` (exact or ``re:``)."""
    found: set[str] = set()
    for pattern in patterns:
        match = group_pattern_matcher(pattern)
        found.update(gid for gid, name in zip(groups["group_id"].tolist(), groups["display_name"].tolist()) if match(name))
    return found


def _nested_groups(snapshot: Snapshot) -> dict[str, tuple[str, ...]]:
    """``{group id: sorted ids of the groups nested directly in it}`` for groups holding any
    (a group id listed twice: its nested groups together)."""
    out: dict[str, set[str]] = {}
    for g in snapshot.idp.groups:
        if g.member_group_ids:
            out.setdefault(g.id, set()).update(g.member_group_ids)
    return {gid: tuple(sorted(subs)) for gid, subs in out.items()}


def _nested_only(snapshot: Snapshot, nested_groups: Mapping[str, tuple[str, ...]],
                 direct_rows: Mapping[str, np.ndarray]) -> dict[str, dict[int, tuple[str, ...]]]:
    """For each group holding nested groups: ``{idp row: nesting path (displayNames)}`` of the users
    reachable only through them (see :attr:`Context.nested_only`). A cycle is walked once."""
    names = {g.id: g.display_name for g in snapshot.idp.groups}
    out: dict[str, dict[int, tuple[str, ...]]] = {}
    for gid in sorted(nested_groups):
        direct = set(direct_rows.get(gid, np.zeros(0, dtype=np.intp)).tolist())
        found: dict[int, tuple[str, ...]] = {}
        seen = {gid}
        frontier = [(sub, (names.get(sub, sub),)) for sub in nested_groups[gid]]
        while frontier:
            following = []
            for sub, path in frontier:
                if sub in seen:
                    continue
                seen.add(sub)
                for r in direct_rows.get(sub, np.zeros(0, dtype=np.intp)).tolist():
                    if r not in direct and r not in found:
                        found[r] = path
                following += [(deeper, path + (names.get(deeper, deeper),)) for deeper in nested_groups.get(sub, ())]
            frontier = following
        if found:
            out[gid] = found
    return out


def _flatten_groups(
    snapshot: Snapshot, idp_ids: list[str], idp_row: Mapping[str, int], *, flatten: bool
) -> tuple[pd.DataFrame, dict[str, np.ndarray], tuple[GroupCycle, ...]]:
    """Flattened group memberships, each once: the table, the IdP rows of each group, the cycles.

    A group's members are its direct users plus, when ``flatten``, the users of
    every group reachable through ``member_group_ids`` (networkx descendants:
    a cycle A -> B -> A is walked once, never looped). Users are handled by their
    row in ``idp_users`` (``idp_row``); ids it does not have are left out. Built
    group by group with Python lists and sets of row numbers, which is several
    times faster than joining and de-duplicating 500k string pairs in pandas.
    Returns ``group_id, idp_id, idp_row`` rows (grouped by group), ``{group_id:
    array of idp rows}``, and the cycles.
    """
    groups = snapshot.idp.groups
    direct: dict[str, list[int]] = {}
    for g in groups:
        rows = list(map(idp_row.get, g.member_user_ids))
        if None in rows or g.id in direct or len(set(rows)) != len(rows):
            rows = [r for r in rows if r is not None]
            if g.id in direct:  # the same group id twice: one group
                rows = direct[g.id] + rows
            rows = list(dict.fromkeys(rows))
        direct[g.id] = rows
    nesting = nx.DiGraph()
    nesting.add_edges_from((g.id, sub) for g in groups for sub in g.member_group_ids)
    names = {g.id: g.display_name for g in groups}
    cycles = []
    for component in nx.strongly_connected_components(nesting):
        if len(component) > 1 or any(nesting.has_edge(n, n) for n in component):
            ids = tuple(sorted(component))
            cycles.append(GroupCycle(ids, tuple(names.get(i, i) for i in ids)))
    cycles.sort(key=lambda c: c.group_ids)
    members = direct
    if flatten and nesting.number_of_edges():
        members = dict(direct)
        for gid in nesting.nodes:
            below = [d for d in nx.descendants(nesting, gid) if d != gid and direct.get(d)]
            if not below:
                continue
            own = list(direct.get(gid, ()))
            seen = set(own)
            for d in sorted(below):
                for r in direct[d]:
                    if r not in seen:
                        seen.add(r)
                        own.append(r)
            members[gid] = own
    group_rows = {gid: np.array(rows, dtype=np.intp) for gid, rows in members.items()}
    # row order is not meaningful downstream (every consumer sorts or aggregates)
    all_rows = (np.concatenate(list(group_rows.values())) if group_rows else np.zeros(0, dtype=np.intp))
    frame = pd.DataFrame(
        {
            "group_id": pd.Series([gid for gid, rows in members.items() for _ in rows], dtype=object),
            "idp_id": pd.Series(np.array(idp_ids, dtype=object)[all_rows], dtype=object),
            "idp_row": all_rows,
        },
    )
    return frame, group_rows, tuple(cycles)


# --------------------------------------------------------------------------- Sigma's SCIM state


@dataclass(frozen=True)
class ScimState:
    """The provisioned part of Sigma's SCIM state, by Sigma id.

    ``users``: provisioned users by memberId (their SCIM id, else the only member with their
    userName); ``groups``: provisioned groups by teamId (their SCIM id, else the only team with
    their displayName); ``user_names``: the ``userName`` of every listed user by SCIM id (to read group
    members). ``known``: the export had a ``scim/`` folder.
    """

    users: Mapping[str, ScimUser] = field(default_factory=dict)
    groups: Mapping[str, ScimGroup] = field(default_factory=dict)
    user_names: Mapping[str, str] = field(default_factory=dict)
    known: bool = False
    by_external_id: Mapping[str, ScimUser] = field(default_factory=dict)
    """Provisioned users by ``externalId``."""
    by_user_name: Mapping[str, ScimUser] = field(default_factory=dict)
    """Provisioned users by :func:`~planner.model.email_key` of ``userName``."""
    groups_by_name: Mapping[str, ScimGroup] = field(default_factory=dict)
    """Provisioned groups by ``displayName`` (exact: Sigma links teams by exact name)."""


def scim_state(export: SigmaExport) -> ScimState:
    """The :class:`ScimState` of an export (empty when it has no SCIM files)."""
    if export.scim_users is None or export.scim_groups is None:
        return ScimState()
    members = {m.member_id for m in export.members}
    teams = {t.team_id for t in export.teams}
    # Sigma's SCIM id is the memberId / teamId in the sandbox; sigma-api.md §10.2 leaves it open, so
    # a SCIM id that is not one is joined by the only member with its userName (team with its name)
    by_email: dict[str, list[str]] = {}
    for m in export.members:
        by_email.setdefault(m.email_key, []).append(m.member_id)
    by_name: dict[str, list[str]] = {}
    for t in export.teams:
        by_name.setdefault(t.name, []).append(t.team_id)
    users: dict[str, ScimUser] = {}
    for u in export.scim_users:
        found = [u.id] if u.id in members else by_email.get(u.user_name_key, [])
        if u.provisioned and len(found) == 1:
            users[found[0]] = u
    groups: dict[str, ScimGroup] = {}
    for g in export.scim_groups:
        found = [g.id] if g.id in teams else by_name.get(g.display_name, [])
        if g.provisioned and len(found) == 1:
            groups[found[0]] = g
    return ScimState(
        groups_by_name={g.display_name: g for g in groups.values()},
        users=users,
        by_external_id={str(u.external_id): u for u in users.values()},
        by_user_name={u.user_name_key: u for u in users.values()},
        groups=groups,
        user_names={u.id: u.user_name for u in export.scim_users},
        known=True,
    )
