"""The :class:`~planner.directory.Directory` as pandas tables, for the rule families not yet
converted to per-person functions (issue 10 item 1 removes this module family by family).

:func:`build_context` lays the directory out in column tables so that the families still written
over a shared roster can join, group and count without per-row Python loops. Rows keep the
directory's order (a member's row is :attr:`~planner.directory.Directory.member_index`, an IdP
user's :attr:`~planner.directory.Directory.idp_index`). Shapes (one row per object, ``str`` columns
unless said otherwise):

- ``members``: Sigma people (Sigma's scheduler robot excluded): ``member_id``,
  ``email``, ``email_key``, ``first_name``, ``last_name``,
  ``member_type`` (as exported), ``account_type`` (the org's spelling of it,
  docs/sigma-api.md §4.1), ``user_kind``, ``is_archived``/``is_inactive``/``active``
  (bool), ``is_guest`` (bool);
- ``idp_users``: ``idp_id``, ``user_name`` (as the IdP stores it),
  ``scim_user_name`` (what the IdP app sends as SCIM userName,
  :attr:`~planner.directory.Directory.scim_user_names`),
  ``scim_user_name_key``, ``email`` (primary),
  ``given_name``, ``family_name``, ``display_name``, ``status``, ``active`` (bool),
  ``is_guest`` (bool), ``in_scope`` (bool: active and inside ``scope.groups``);
- ``idp_emails``: ``idp_id``, ``value``, ``key``, ``position`` (0 = primary/first),
  ``idp_row`` (int: the user's row in ``idp_users``);
- ``groups``: ``group_id``, ``display_name`` (one row per listing in the export);
- ``group_members``: ``group_id``, ``idp_id``, ``idp_row`` (int: its row in
  ``idp_users``): :attr:`~planner.directory.Group.member_ids` of each group, rows grouped by
  group;
- ``teams``: ``team_id``, ``name``, ``is_archived`` (bool);
- ``team_members``: ``team_id``, ``member_id``, ``is_team_admin`` (bool), ``member_row``
  (int: its row in ``members``, ``-1`` for a member the export does not have).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import numpy as np
import pandas as pd

from .directory import Directory, ScimState, build_directory
from .model import Snapshot, email_key
from .policy import Policy


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
    return rows_of(ids.tolist(), row)


def rows_of(ids: list, row: Mapping[str, int]) -> np.ndarray:
    """Row positions of ``ids`` (a list) by ``row``, ``-1`` for ids it does not have."""
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
    """:meth:`planner.directory.Directory.find_member_id` of ``ctx``'s directory."""
    return ctx.directory.find_member_id(ref)


def find_idp_id(ctx: "Context", ref: str | None) -> str | None:
    """:meth:`planner.directory.Directory.find_idp_id` of ``ctx``'s directory."""
    return ctx.directory.find_idp_id(ref)


@dataclass(frozen=True)
class Context:
    """The policy, the :class:`~planner.directory.Directory`, and its tables (see the module docstring)."""

    policy: Policy
    directory: Directory = field(repr=False)
    members: pd.DataFrame
    idp_users: pd.DataFrame
    idp_emails: pd.DataFrame
    groups: pd.DataFrame
    group_members: pd.DataFrame
    teams: pd.DataFrame
    team_members: pd.DataFrame

    @property
    def member_by_id(self):
        """:attr:`planner.directory.Directory.members`."""
        return self.directory.members

    @property
    def idp_by_id(self):
        """:attr:`planner.directory.Directory.idp_users`."""
        return self.directory.idp_users

    @property
    def member_row(self) -> Mapping[str, int]:
        """Row position of each memberId in :attr:`members`."""
        return self.directory.member_index

    @property
    def idp_row(self) -> Mapping[str, int]:
        """Row position of each IdP id in :attr:`idp_users`."""
        return self.directory.idp_index

    @property
    def scim(self) -> ScimState:
        return self.directory.scim

    @property
    def account_type_names(self) -> tuple[str, ...] | None:
        return self.directory.account_type_names

    @property
    def custom_account_types(self) -> frozenset[str]:
        return self.directory.custom_account_types

    @property
    def organization_id(self) -> str:
        return self.directory.organization_id

    @property
    def idp_format(self) -> str:
        return self.directory.idp_format

    def account_type_spelling(self, name: str) -> str | None:
        """:meth:`planner.directory.Directory.account_type_spelling`."""
        return self.directory.account_type_spelling(name)


def build_context(snapshot: Snapshot, policy: Policy, directory: Directory | None = None) -> Context:
    """Tabulate ``directory`` (built from ``snapshot`` and ``policy`` when not given). Pure; raises
    nothing for data problems."""
    if directory is None:
        directory = build_directory(snapshot, policy)
    d = directory
    idp_row = d.idp_index
    group_rows = {gid: rows_of(list(g.member_ids), idp_row) for gid, g in d.groups.items()}
    all_rows = np.concatenate(list(group_rows.values())) if group_rows else np.zeros(0, dtype=np.intp)
    idp_ids = np.array(list(d.idp_users), dtype=object)
    group_members = pd.DataFrame({
        "group_id": pd.Series([gid for gid, g in d.groups.items() for _ in g.member_ids], dtype=object),
        "idp_id": pd.Series(idp_ids[all_rows], dtype=object),
        "idp_row": all_rows,
    })
    memberships = d.team_memberships
    team_member_ids = [t.member_id for t in memberships]
    teams = pd.DataFrame({
        "team_id": [t.team_id for t in snapshot.sigma.teams],
        "name": [t.name for t in snapshot.sigma.teams],
        "is_archived": [bool(t.is_archived) for t in snapshot.sigma.teams],
    }, dtype=object)
    teams["is_archived"] = teams["is_archived"].astype(bool)
    return Context(
        policy=policy,
        directory=d,
        members=_members_table(d),
        idp_users=_idp_table(d),
        idp_emails=_emails_table(d),
        groups=pd.DataFrame({"group_id": [g.id for g in snapshot.idp.groups],
                             "display_name": [g.display_name for g in snapshot.idp.groups]}, dtype=object),
        group_members=group_members,
        teams=teams,
        team_members=pd.DataFrame({
            "team_id": pd.Series([t.team_id for t in memberships], dtype=object),
            "member_id": pd.Series(team_member_ids, dtype=object),
            # -1: a member the members export does not have (Sigma's system member, or one exported
            # without includeArchived/includeInactive)
            "member_row": rows_of(team_member_ids, d.member_index),
            "is_team_admin": np.fromiter((bool(t.is_team_admin) for t in memberships), dtype=bool,
                                         count=len(memberships)),
        }),
    )


def _members_table(d: Directory) -> pd.DataFrame:
    people = list(d.members.values())
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
            "account_type": list(d.member_account_types.values()),
        },
        dtype=object,
    )
    for col in ("is_archived", "is_inactive"):
        df[col] = df[col].astype(bool)
    df["active"] = ~(df["is_archived"] | df["is_inactive"])
    df["is_guest"] = (df["user_kind"] == "guest").astype(bool)
    return df[["member_id", "email", "email_key", "first_name", "last_name", "member_type", "user_kind",
               "is_archived", "is_inactive", "active", "is_guest", "account_type"]]


def _idp_table(d: Directory) -> pd.DataFrame:
    users = list(d.idp_users.values())
    active, in_scope = d.active_idp_ids, d.in_scope_idp_ids
    df = pd.DataFrame(
        {
            "idp_id": [u.id for u in users],
            "user_name": [u.user_name or "" for u in users],
            "user_name_key": [u.user_name_key or email_key(u.user_name) for u in users],
            "scim_user_name": list(d.scim_user_names.values()),
            "scim_user_name_key": list(d.scim_user_name_keys.values()),
            "email": [(p.value if (p := u.primary_email) is not None else "") for u in users],
            "given_name": [u.given_name or "" for u in users],
            "family_name": [u.family_name or "" for u in users],
            "display_name": [u.display_name or "" for u in users],
            "status": [u.status or "" for u in users],
            "active": [u.id in active for u in users],
            "is_guest": [u.is_guest for u in users],
            "in_scope": [u.id in in_scope for u in users],
        },
        dtype=object,
    )
    for col in ("active", "is_guest", "in_scope"):
        df[col] = df[col].astype(bool)
    return df


def _emails_table(d: Directory) -> pd.DataFrame:
    rows = [(iid, e.value, e.key, e.position, n) for n, (iid, emails) in enumerate(d.idp_emails.items())
            for e in emails]
    emails = pd.DataFrame(rows, columns=["idp_id", "value", "key", "position", "idp_row"], dtype=object)
    emails["position"] = emails["position"].astype(int)
    emails["idp_row"] = emails["idp_row"].astype(np.intp)
    return emails
