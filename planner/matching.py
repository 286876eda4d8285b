"""The identity graph: which IdP user is which Sigma member, with the evidence for each link.

Sigma links a SCIM user to an existing member by email (docs/sigma-api.md §5.3), so
the planner must know, before anything is pushed, who in the IdP is who in
Sigma. Matching runs the policy's ``linking.match_keys`` in order (like Entra's
matching precedence), each key a vectorized pandas join of normalized values:

- ``user_name``: member ``email_key`` = the IdP user's SCIM userName key;
- ``emails``: member ``email_key`` = any email key of the IdP user;
- ``domain_aliases``: the same after rewriting old domains to new ones on both
  sides (an edge only when a rewrite happened);
- ``plus_address_folding``: the same after dropping ``+tag`` from local parts
  (and rewriting domains); an edge only when a fold happened;
- ``{attribute: {idp, sigma}}``: IdP attribute = member field (trimmed, case-folded).

At each key, an edge that touches someone already linked (at an earlier key, or
by an override) is a **rival** of that link: never a link itself, kept as the
link's evidence (issue 14 item 12). Among the other edges, one whose member and
IdP user each have exactly one edge at this key, and neither of whom is held, is
a **link**; every other edge goes into a networkx graph whose connected
components (over all keys) are **ambiguous** groups: everyone in them is held,
nobody in them is linked by a later key, and a later key's edge that reaches a
held person pulls the other person into the group too (a member whose IdP user
sits in an ambiguity is a candidate of it, never left unmatched: issue 14 item
13). The rules turn each group into a blocking review item listing every
candidate and the key that joined them (issue 3, "Linking"). Names are never a
match key.

Overrides (``linking.overrides``) are resolved by :mod:`planner.rules.linking`
and passed in as ``pinned`` links and ``never`` IdP ids; they win over every key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import pandas as pd

from .directory import Directory, Link, LinkedPair
from .model import email_key
from .policy import Linking, MatchKey

LINK_KEY_OF = {
    "override": "override",
    "scim": "scim",
    "user_name": "email",
    "emails": "other_email",
    "domain_aliases": "domain_alias",
    "plus_address_folding": "plus_fold",
    "attribute": "attribute",
}
"""Policy match key name -> :attr:`planner.model.PersonRow.link_key` vocabulary."""

EDGE_COLUMNS = ["member_id", "idp_id", "key", "sigma_value", "idp_field", "idp_value"]
"""Columns of an edge table: the key label, and what matched on each side as spelled."""

ROW_COLUMNS = ["member_row", "idp_row"]
"""Where the two people are in the directory (:attr:`~planner.directory.Directory.member_index`,
:attr:`~planner.directory.Directory.idp_index`: int positions); edge
tables of :func:`key_edges` and the links table carry them after :data:`EDGE_COLUMNS`."""


@dataclass(frozen=True)
class AmbiguousGroup:
    """One connected component with more than one person on a side, at one match key.

    ``edges`` rows have :data:`EDGE_COLUMNS`; ids are sorted.
    """

    key: str
    member_ids: tuple[str, ...]
    idp_ids: tuple[str, ...]
    edges: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class IdentityGraph:
    """Result of :func:`match_identities`.

    - ``links``: one :class:`~planner.directory.LinkedPair` per linked pair, its
      :class:`~planner.directory.Link` ``link_key`` one of ``override``, ``scim``, ``email``,
      ``other_email``, ``domain_alias``, ``plus_fold``, ``attribute``; sorted by memberId.
    - ``ambiguous``: the ambiguous components, sorted by their first ids.
    - ``never``: IdP ids a reviewer said must never be linked.
    - ``rivals``: edges a later key made between a linked person and someone else (as
      :class:`~planner.directory.LinkedPair`, sorted by memberId then IdP id): the candidates each
      link won over (its evidence, issue 14 item 12).
    """

    links: tuple[LinkedPair, ...] = ()
    ambiguous: tuple[AmbiguousGroup, ...] = ()
    never: frozenset[str] = field(default_factory=frozenset)
    rivals: tuple[LinkedPair, ...] = ()


# --------------------------------------------------------------------------- normalizers


def alias_domains(keys: pd.Series, aliases: dict[str, str]) -> pd.Series:
    """Rewrite the domain of each email key with ``aliases`` (old -> new); others unchanged."""
    if not aliases or keys.empty:
        return keys
    out = []
    hit = False
    for k in keys.tolist():  # a Python loop: some three times faster than pandas' .str on object columns
        at = k.rfind("@") if isinstance(k, str) else -1
        new = aliases.get(k[at + 1:]) if at >= 0 else None
        if new is None:
            out.append(k)
        else:
            out.append(k[:at + 1] + new)
            hit = True
    return pd.Series(out, index=keys.index, dtype=object) if hit else keys


PLUS_TAG = re.compile(r"^([^@+]*)\+[^@]*@")
"""The local part up to its ``+tag`` (RFC 5233 subaddress), and the tag: group 1 plus ``@`` is the address
without the tag."""


def fold_plus(keys: pd.Series) -> pd.Series:
    """Drop ``+tag`` from the local part: ``dana+bi@x`` -> ``dana@x`` (RFC 5233 subaddress)."""
    if keys.empty:
        return keys
    sub = PLUS_TAG.sub
    return pd.Series([sub(r"\1@", k, count=1) if isinstance(k, str) and "+" in k else k for k in keys.tolist()], index=keys.index,
                     dtype=object)


def _clean_attribute(values: pd.Series) -> pd.Series:
    return values.fillna("").astype(str).str.strip().str.casefold()


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


# --------------------------------------------------------------------------- key tables


def _sigma_side(directory: Directory, linking: Linking, key: MatchKey,
                skip: set[str] | None = None) -> pd.DataFrame:
    """``member_id, value, sigma_value, member_row, changed`` for one match key (archived members
    included), members in ``skip`` left out."""
    people = [m for m in directory.members.values() if m.member_id not in skip] if skip else \
        list(directory.members.values())
    index = directory.member_index
    keys = [m.email_key or email_key(m.email) for m in people]
    base = pd.DataFrame({"member_id": [m.member_id for m in people], "value": keys,
                         "sigma_value": [m.email for m in people]}, dtype=object)
    base["member_row"] = np.fromiter((index[m.member_id] for m in people), dtype=np.intp, count=len(people))
    if key.name in ("user_name", "emails"):
        base["changed"] = False
    elif key.name == "domain_aliases":
        base["value"] = alias_domains(base["value"], linking.domain_aliases)
        base["changed"] = base["value"] != pd.Series(keys, dtype=object)
    elif key.name == "plus_address_folding":
        aliased = alias_domains(base["value"], linking.domain_aliases)
        base["value"] = fold_plus(aliased)
        base["changed"] = base["value"] != aliased
    else:  # attribute
        field_name = key.attribute.sigma
        values = []
        for member in people:
            raw = member.raw.get(field_name) if member.raw else None
            if raw is None:
                snake = "".join("_" + c.lower() if c.isupper() else c for c in field_name)
                raw = getattr(member, snake, None)
            values.append("" if raw is None or isinstance(raw, (dict, list)) else str(raw))
        base["sigma_value"] = values
        base["value"] = _clean_attribute(pd.Series(values, dtype=object))
        base["changed"] = False
    return base[base["value"] != ""]


def _idp_side(directory: Directory, linking: Linking, key: MatchKey,
              skip: set[str] | None = None) -> pd.DataFrame:
    """``idp_id, value, rank, idp_value, idp_row, changed`` for one match key, IdP users in ``skip``
    left out.

    ``rank`` says which IdP field matched: ``-1`` the SCIM userName, ``n >= 0``
    ``emails[n]`` (or the attribute for an attribute key); the lowest wins as
    a pair's evidence, and :func:`_field_name` spells it.
    """
    ids = [i for i in directory.idp_users if i not in skip] if skip else list(directory.idp_users)
    index = directory.idp_index
    rows = np.fromiter((index[i] for i in ids), dtype=np.intp, count=len(ids))
    sent, sent_keys = directory.scim_user_names, directory.scim_user_name_keys
    user_names = pd.DataFrame({"idp_id": ids, "value": [sent_keys[i] for i in ids],
                               "idp_value": [sent[i] for i in ids]}, dtype=object)
    user_names.insert(2, "rank", -1)
    user_names["idp_row"] = rows
    if key.name == "user_name":
        out = user_names.assign(changed=False)
    elif key.name in ("emails", "domain_aliases", "plus_address_folding"):
        emails = _emails_frame(directory, ids)
        if key.name == "emails":
            out = emails.assign(changed=False)
        else:
            both = pd.concat([user_names, emails], ignore_index=True)
            aliased = alias_domains(both["value"], linking.domain_aliases)
            if key.name == "domain_aliases":
                both["changed"] = aliased != both["value"]
                both["value"] = aliased
            else:
                folded = fold_plus(aliased)
                both["changed"] = folded != aliased
                both["value"] = folded
            out = both
    else:  # attribute
        name = key.attribute.idp
        users = directory.idp_users
        values = [
            "" if (v := users[i].attributes.get(name)) is None or isinstance(v, (dict, list)) else str(v)
            for i in ids
        ]
        out = pd.DataFrame({"idp_id": ids, "value": _clean_attribute(pd.Series(values, dtype=object)),
                            "rank": 0, "idp_value": values}, dtype=object)
        out["rank"] = 0
        out["idp_row"] = rows
        out["changed"] = False
    return out[out["value"] != ""]


def _emails_frame(directory: Directory, ids: list[str]) -> pd.DataFrame:
    """``idp_id, value, rank, idp_value, idp_row`` of every address of the IdP users ``ids``
    (``rank``: the address's position in the user's ``emails``)."""
    index, emails = directory.idp_index, directory.idp_emails
    found = [(i, e.key, e.position, e.value, index[i]) for i in ids for e in emails[i]]
    frame = pd.DataFrame(found, columns=["idp_id", "value", "rank", "idp_value", "idp_row"], dtype=object)
    return frame.astype({"rank": int, "idp_row": np.intp})


def _field_name(linking: Linking, key: MatchKey, rank: int) -> str:
    """The IdP field a rank stands for: ``userName``/``emails[primary]``, ``emails[n]``, or the attribute."""
    if key.attribute is not None:
        return key.attribute.idp
    if rank < 0:
        return "userName" if linking.scim_user_name == "user_name" else "emails[primary]"
    return f"emails[{rank}]"


def key_edges(
    directory: Directory, linking: Linking, key: MatchKey, skip_members: set[str] | None = None,
    skip_idp: set[str] | None = None,
) -> pd.DataFrame:
    """Every (member, IdP user) pair one match key joins: :data:`EDGE_COLUMNS` + :data:`ROW_COLUMNS`.

    For ``domain_aliases`` and ``plus_address_folding`` only pairs where the
    rewrite changed at least one side count (plain equality is another key's job).
    One row per pair: the first matching IdP field (userName, then emails in order).
    ``skip_members`` / ``skip_idp``: people already decided, left out before the join
    (the same edges as dropping them after it, without joining 100k people again).
    """
    s = _sigma_side(directory, linking, key, skip_members)
    i = _idp_side(directory, linking, key, skip_idp)
    edges = s.merge(i, on="value", suffixes=("_s", "_i"))
    if key.name in ("domain_aliases", "plus_address_folding"):
        edges = edges[edges["changed_s"] | edges["changed_i"]]
        # the userName and several emails of one IdP user may join the same member: keep the first field
        edges = edges.sort_values("rank", kind="stable").drop_duplicates(["member_id", "idp_id"])
    # other keys give each pair once: a member has one value, and an IdP user one userName, one
    # attribute value, and each email key once (planner.directory.IdpEmail)
    fields = {r: _field_name(linking, key, r) for r in pd.unique(edges["rank"]).tolist()}
    edges = edges.assign(key=key.label, idp_field=edges["rank"].map(fields).astype(object))
    return edges[EDGE_COLUMNS + ROW_COLUMNS].reset_index(drop=True)


def _counts(values: pd.Series) -> np.ndarray:
    """How often each row's value occurs in ``values`` (``groupby(...).transform("size")``, faster)."""
    codes, _ = pd.factorize(values)
    return np.bincount(codes)[codes] if len(codes) else np.zeros(0, dtype=int)


# --------------------------------------------------------------------------- the graph


def match_identities(
    directory: Directory, linking: Linking, pinned: tuple[LinkedPair, ...] = (),
    never: frozenset[str] = frozenset(),
) -> IdentityGraph:
    """Link IdP users to Sigma members by ``linking.match_keys`` (the policy's ``linking`` section), in order.

    ``pinned``: links decided before matching (``linking.overrides``, Sigma's SCIM state: key
    ``override`` / ``scim``), taken as they are. ``never``: IdP ids excluded from matching. Returns the
    links, the ambiguous components and the rivals (see the module docstring).

    At each key, every edge is one of three kinds (issue 14, items 12 and 13):

    - it touches someone linked at an earlier key (or pinned): a **rival** of that link,
      kept as its evidence, never a link of its own;
    - it touches someone held in an ambiguous component, or a person with another
      such edge at this key: it joins the **ambiguous** component (both people are held,
      so a member whose IdP user sits in an ambiguity is never left unmatched);
    - otherwise it is a **link**.
    """
    links = [_pin_table(directory, pinned)] if pinned else []
    linked_members: set[str] = {p.member_id for p in pinned} if pinned else set()
    linked_idp: set[str] = {p.idp_id for p in pinned} if pinned else set()
    held_members: set[str] = set()
    held_idp: set[str] = set()
    held_edges: list[pd.DataFrame] = []
    rivals: list[pd.DataFrame] = []
    skip_idp = set(never)

    for key in linking.match_keys:
        if key.name == "domain_aliases" and not linking.domain_aliases:
            continue
        if key.name == "plus_address_folding" and not linking.plus_address_folding:
            continue
        edges = key_edges(directory, linking, key, None, skip_idp)
        if edges.empty:
            continue
        taken = member_of(edges["member_id"], linked_members) | member_of(edges["idp_id"], linked_idp)
        if taken.any():
            rivals.append(edges[taken])
            edges = edges[~taken]
        held = member_of(edges["member_id"], held_members) | member_of(edges["idp_id"], held_idp)
        unique = (_counts(edges["member_id"]) == 1) & (_counts(edges["idp_id"]) == 1) & ~held
        links.append(edges[unique])
        rest = edges[~unique]
        if len(rest):
            held_edges.append(rest)
            held_members.update(rest["member_id"])
            held_idp.update(rest["idp_id"])
        linked_members.update(edges.loc[unique, "member_id"])
        linked_idp.update(edges.loc[unique, "idp_id"])

    if links:
        table = pd.concat(links, ignore_index=True)
    else:
        table = pd.DataFrame(columns=EDGE_COLUMNS, dtype=object).assign(
            member_row=np.zeros(0, dtype=np.intp), idp_row=np.zeros(0, dtype=np.intp))
    labels = {k: LINK_KEY_OF.get(k.split(":")[0], "attribute") for k in pd.unique(table["key"]).tolist()}
    table["link_key"] = table["key"].map(labels).astype(object)
    # each member and each IdP user is linked at most once: sorting by member_id is the full order
    table = table.iloc[sorted_positions(table["member_id"])].reset_index(drop=True)
    ambiguous = _components(pd.concat(held_edges, ignore_index=True)) if held_edges else []
    ambiguous.sort(key=lambda a: (a.idp_ids, a.member_ids))
    return IdentityGraph(links=_pairs(table), ambiguous=tuple(ambiguous), never=frozenset(never),
                         rivals=_pairs(_rival_table(rivals, table)))


def _pairs(table: pd.DataFrame) -> tuple[LinkedPair, ...]:
    """The rows of an edge table (:data:`EDGE_COLUMNS`, ``link_key`` when it has one, else the key's
    :data:`LINK_KEY_OF`) as :class:`~planner.directory.LinkedPair` records, in order."""
    keys = table["key"].tolist()
    link_keys = table["link_key"].tolist() if "link_key" in table else [
        LINK_KEY_OF.get(k.split(":")[0], "attribute") for k in keys]
    return tuple(
        LinkedPair(mid, iid, Link(key, link_key, sigma_value, idp_field, idp_value))
        for mid, iid, key, sigma_value, idp_field, idp_value, link_key in zip(
            table["member_id"].tolist(), table["idp_id"].tolist(), keys, table["sigma_value"].tolist(),
            table["idp_field"].tolist(), table["idp_value"].tolist(), link_keys)
    )


def _pin_table(directory: Directory, pinned: tuple[LinkedPair, ...]) -> pd.DataFrame:
    """The pinned links as an edge table (:data:`EDGE_COLUMNS` + :data:`ROW_COLUMNS`)."""
    rows = [(p.member_id, p.idp_id, p.link.key, p.link.sigma_value, p.link.idp_field, p.link.idp_value,
             directory.member_index[p.member_id], directory.idp_index[p.idp_id]) for p in pinned]
    table = pd.DataFrame(rows, columns=EDGE_COLUMNS + ROW_COLUMNS, dtype=object)
    return table.astype({"member_row": np.intp, "idp_row": np.intp})


def _rival_table(rivals: list[pd.DataFrame], links: pd.DataFrame) -> pd.DataFrame:
    """The rival edges (:data:`EDGE_COLUMNS`) of the links: each pair once (its first key), the
    linked pairs themselves left out, sorted by member then IdP id."""
    if not rivals:
        return pd.DataFrame(columns=EDGE_COLUMNS, dtype=object)
    table = pd.concat(rivals, ignore_index=True)[EDGE_COLUMNS].drop_duplicates(["member_id", "idp_id"])
    linked = set(zip(links["member_id"].tolist(), links["idp_id"].tolist()))
    keep = [pair not in linked for pair in zip(table["member_id"].tolist(), table["idp_id"].tolist())]
    table = table[keep]
    order = sorted(range(len(table)), key=lambda n: (table["member_id"].iat[n], table["idp_id"].iat[n]))
    return table.iloc[order].reset_index(drop=True)


def _components(edges: pd.DataFrame) -> list[AmbiguousGroup]:
    """The connected components of the held edges (of every key), each pair once (its first key).

    A component's ``key`` is the key of its first edge in the policy's order (the key
    that made it ambiguous); its ``edges`` keep each edge's own key.
    """
    graph = nx.Graph()
    rows: list[tuple[str, ...]] = []
    seen: set[tuple[str, str]] = set()
    for r in edges[EDGE_COLUMNS].itertuples(index=False, name=None):
        if (r[0], r[1]) not in seen:
            seen.add((r[0], r[1]))
            rows.append(tuple(str(x) for x in r))
    graph.add_edges_from((("m", r[0]), ("i", r[1])) for r in rows)
    groups: list[AmbiguousGroup] = []
    by_node: dict[tuple[str, str], int] = {}
    for n, component in enumerate(nx.connected_components(graph)):
        for node in component:
            by_node[node] = n
    comp_rows: dict[int, list[tuple[str, ...]]] = {}
    for r in rows:  # in the policy's key order: the first row of a component names its key
        comp_rows.setdefault(by_node[("m", r[0])], []).append(r)
    for n, component_rows in comp_rows.items():
        groups.append(
            AmbiguousGroup(
                key=component_rows[0][2],
                member_ids=tuple(sorted({r[0] for r in component_rows})),
                idp_ids=tuple(sorted({r[1] for r in component_rows})),
                edges=tuple(sorted(component_rows)),
            )
        )
    return groups
