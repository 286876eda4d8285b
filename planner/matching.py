"""The identity graph: which IdP user is which Sigma member, with the evidence for each link.

Sigma links a SCIM user to an existing member by email (sigma-api.md §5.3), so
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

from .policy import MatchKey
from .rules.context import Context, member_of, sorted_positions

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
"""Where the two people are in ``ctx.members`` / ``ctx.idp_users`` (int row positions); edge
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

    - ``links``: one row per linked pair: :data:`EDGE_COLUMNS` + :data:`ROW_COLUMNS` + ``link_key``
      (``override``, ``email``, ``other_email``, ``domain_alias``, ``plus_fold``,
      ``attribute``), sorted by ``member_id``.
    - ``ambiguous``: the ambiguous components, sorted by their first ids.
    - ``never``: IdP ids a reviewer said must never be linked.
    - ``rivals``: edges (:data:`EDGE_COLUMNS`) a later key made between a linked person and
      someone else: the candidates each link won over (its evidence, issue 14 item 12).
    """

    links: pd.DataFrame
    ambiguous: tuple[AmbiguousGroup, ...] = ()
    never: frozenset[str] = field(default_factory=frozenset)
    rivals: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=EDGE_COLUMNS, dtype=object))


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


# --------------------------------------------------------------------------- key tables


def _sigma_side(ctx: Context, key: MatchKey, skip: set[str] | None = None) -> pd.DataFrame:
    """``member_id, value, sigma_value, changed`` for one match key (archived members included),
    members in ``skip`` left out."""
    m = ctx.members
    if skip:
        m = m[~member_of(m["member_id"], skip)]
    base = pd.DataFrame({"member_id": m["member_id"], "value": m["email_key"], "sigma_value": m["email"],
                         "member_row": m.index.to_numpy(dtype=np.intp)})
    aliases = ctx.policy.linking.domain_aliases
    if key.name in ("user_name", "emails"):
        base["changed"] = False
    elif key.name == "domain_aliases":
        base["value"] = alias_domains(base["value"], aliases)
        base["changed"] = base["value"] != m["email_key"]
    elif key.name == "plus_address_folding":
        aliased = alias_domains(m["email_key"], aliases)
        base["value"] = fold_plus(aliased)
        base["changed"] = base["value"] != aliased
    else:  # attribute
        field_name = key.attribute.sigma
        values = []
        for mid in m["member_id"]:
            member = ctx.member_by_id[mid]
            raw = member.raw.get(field_name) if member.raw else None
            if raw is None:
                snake = "".join("_" + c.lower() if c.isupper() else c for c in field_name)
                raw = getattr(member, snake, None)
            values.append("" if raw is None or isinstance(raw, (dict, list)) else str(raw))
        base["sigma_value"] = values
        base["value"] = _clean_attribute(pd.Series(values, index=m.index, dtype=object))
        base["changed"] = False
    return base[base["value"] != ""]


def _idp_side(ctx: Context, key: MatchKey, skip: set[str] | None = None) -> pd.DataFrame:
    """``idp_id, value, rank, idp_value, changed`` for one match key, IdP users in ``skip`` left out.

    ``rank`` says which IdP field matched: ``-1`` the SCIM userName, ``n >= 0``
    ``emails[n]`` (or the attribute for an attribute key); the lowest wins as
    a pair's evidence, and :func:`_field_name` spells it.
    """
    u, e = ctx.idp_users, ctx.idp_emails
    if skip:
        u = u[~member_of(u["idp_id"], skip)]
        if key.name != "user_name":
            e = e[~member_of(e["idp_id"], skip)]
    user_names = pd.DataFrame(
        {"idp_id": u["idp_id"], "value": u["scim_user_name_key"], "rank": -1, "idp_value": u["scim_user_name"],
         "idp_row": u.index.to_numpy(dtype=np.intp)}
    )
    if key.name == "user_name":
        out = user_names.assign(changed=False)
    elif key.name == "emails":
        out = pd.DataFrame(
            {"idp_id": e["idp_id"], "value": e["key"], "rank": e["position"], "idp_value": e["value"],
             "idp_row": e["idp_row"], "changed": False}
        )
    elif key.name in ("domain_aliases", "plus_address_folding"):
        both = pd.concat(
            [
                user_names,
                pd.DataFrame({"idp_id": e["idp_id"], "value": e["key"], "rank": e["position"], "idp_value": e["value"],
                              "idp_row": e["idp_row"]}),
            ],
            ignore_index=True,
        )
        aliased = alias_domains(both["value"], ctx.policy.linking.domain_aliases)
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
        values = [
            "" if (v := ctx.idp_by_id[i].attributes.get(name)) is None or isinstance(v, (dict, list)) else str(v)
            for i in u["idp_id"].tolist()
        ]
        out = pd.DataFrame(
            {
                "idp_id": u["idp_id"],
                "value": _clean_attribute(pd.Series(values, index=u.index, dtype=object)),
                "rank": 0,
                "idp_value": values,
                "idp_row": u.index.to_numpy(dtype=np.intp),
                "changed": False,
            }
        )
    return out[out["value"] != ""]


def _field_name(ctx: Context, key: MatchKey, rank: int) -> str:
    """The IdP field a rank stands for: ``userName``/``emails[primary]``, ``emails[n]``, or the attribute."""
    if key.attribute is not None:
        return key.attribute.idp
    if rank < 0:
        return "userName" if ctx.policy.linking.scim_user_name == "user_name" else "emails[primary]"
    return f"emails[{rank}]"


def key_edges(
    ctx: Context, key: MatchKey, skip_members: set[str] | None = None, skip_idp: set[str] | None = None
) -> pd.DataFrame:
    """Every (member, IdP user) pair one match key joins: :data:`EDGE_COLUMNS` + :data:`ROW_COLUMNS`.

    For ``domain_aliases`` and ``plus_address_folding`` only pairs where the
    rewrite changed at least one side count (plain equality is another key's job).
    One row per pair: the first matching IdP field (userName, then emails in order).
    ``skip_members`` / ``skip_idp``: people already decided, left out before the join
    (the same edges as dropping them after it, without joining 100k people again).
    """
    s = _sigma_side(ctx, key, skip_members)
    i = _idp_side(ctx, key, skip_idp)
    edges = s.merge(i, on="value", suffixes=("_s", "_i"))
    if key.name in ("domain_aliases", "plus_address_folding"):
        edges = edges[edges["changed_s"] | edges["changed_i"]]
        # the userName and several emails of one IdP user may join the same member: keep the first field
        edges = edges.sort_values("rank", kind="stable").drop_duplicates(["member_id", "idp_id"])
    # other keys give each pair once: a member has one value, and an IdP user one userName, one
    # attribute value, and each email key once (planner.rules.context)
    fields = {r: _field_name(ctx, key, r) for r in pd.unique(edges["rank"]).tolist()}
    edges = edges.assign(key=key.label, idp_field=edges["rank"].map(fields).astype(object))
    return edges[EDGE_COLUMNS + ROW_COLUMNS].reset_index(drop=True)


def _counts(values: pd.Series) -> np.ndarray:
    """How often each row's value occurs in ``values`` (``groupby(...).transform("size")``, faster)."""
    codes, _ = pd.factorize(values)
    return np.bincount(codes)[codes] if len(codes) else np.zeros(0, dtype=int)


# --------------------------------------------------------------------------- the graph


def match_identities(
    ctx: Context, pinned: pd.DataFrame | None = None, never: frozenset[str] = frozenset()
) -> IdentityGraph:
    """Link IdP users to Sigma members by the policy's match keys, in order.

    ``pinned``: reviewer-decided links (:data:`EDGE_COLUMNS` + :data:`ROW_COLUMNS`, key ``override``),
    taken as they are. ``never``: IdP ids excluded from matching. Returns the
    links, the ambiguous components and the rivals (see the module docstring).

    At each key, every edge is one of three kinds (issue 14, items 12 and 13):

    - it touches someone linked at an earlier key (or pinned): a **rival** of that link,
      kept as its evidence, never a link of its own;
    - it touches someone held in an ambiguous component, or a person with another
      such edge at this key: it joins the **ambiguous** component (both people are held,
      so a member whose IdP user sits in an ambiguity is never left unmatched);
    - otherwise it is a **link**.
    """
    links = [pinned[EDGE_COLUMNS + ROW_COLUMNS]] if pinned is not None and len(pinned) else []
    linked_members: set[str] = set(pinned["member_id"]) if links else set()
    linked_idp: set[str] = set(pinned["idp_id"]) if links else set()
    held_members: set[str] = set()
    held_idp: set[str] = set()
    held_edges: list[pd.DataFrame] = []
    rivals: list[pd.DataFrame] = []
    skip_idp = set(never)

    for key in ctx.policy.linking.match_keys:
        if key.name == "domain_aliases" and not ctx.policy.linking.domain_aliases:
            continue
        if key.name == "plus_address_folding" and not ctx.policy.linking.plus_address_folding:
            continue
        edges = key_edges(ctx, key, None, skip_idp)
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
    return IdentityGraph(links=table, ambiguous=tuple(ambiguous), never=frozenset(never),
                         rivals=_rival_table(rivals, table))


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
