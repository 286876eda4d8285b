"""The identity graph: which IdP user is which Sigma member, with the evidence for each link.

Sigma links a SCIM user to an existing member by email (docs/sigma-api.md §5.3), so
the planner must know, before anything is pushed, who in the IdP is who in
Sigma. Matching runs the policy's ``linking.match_keys`` in order (like Entra's
matching precedence), each key a hash join of normalized values (the directory's
member index by email key, probed with each IdP user's values in turn; dicts, no
table library):

- ``user_name``: member ``email_key`` = the IdP user's SCIM userName key;
- ``emails``: member ``email_key`` = any email key of the IdP user;
- ``domain_aliases``: the same after rewriting old domains to new ones on both
  sides (an edge only when a rewrite happened);
- ``plus_address_folding``: the same after dropping ``+tag`` from local parts
  (and rewriting domains); an edge only when a fold happened;
- ``{attribute: {idp, sigma}}``: IdP attribute = member field (trimmed, case-folded).

At each key, an edge that touches someone already linked (at an earlier key, or
by an override) is a **rival** of that link: never a link itself, kept as the
link's evidence (issue 14 item 12), unless the link was made by a key and its IdP user's rival
is a member linked to no one: one IdP user matching two members is a guess, so the link is undone
and both edges held as ambiguous (:func:`split_idp_rivals`, tester2 finding 9). Among the other edges, one whose member and
IdP user each have exactly one edge at this key, and neither of whom is held, is
a **link**; every other edge goes into a networkx graph whose connected
components (over all keys) are **ambiguous** groups: everyone in them is held,
nobody in them is linked by a later key, and a later key's edge that reaches a
held person pulls the other person into the group too (a member whose IdP user
sits in an ambiguity is a candidate of it, never left unmatched: issue 14 item
13). The rules turn each group into a blocking review item listing every
candidate and the key that joined them (issue 3, "Linking"). Names are never a
match key.

A link made by a key to an IdP user that is not active, whose member an active IdP user linked to no one
matches by a later key, is read back by :func:`new_accounts` (a new IdP account of the person: tester19
finding 2); :mod:`planner.rules.linking` holds both and asks.

Overrides (``linking.overrides``) are resolved by :mod:`planner.rules.linking`
and passed in as ``pinned`` links and ``never`` IdP ids; they win over every key.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from operator import attrgetter
from typing import Mapping

import networkx as nx

from .directory import Directory, Link, LinkedPair, ProvisionedElsewhere
from .model import SigmaMember
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

REWRITE_KEYS = frozenset({"domain_aliases", "plus_address_folding"})
"""Match keys that join rewritten addresses: an edge only where the rewrite changed a side."""


@dataclass(frozen=True)
class AmbiguousGroup:
    """One connected component with more than one person on a side, at one match key.

    ``edges``: ``(memberId, IdP id, key label, sigma_value, idp_field, idp_value)`` of each edge
    (the :class:`~planner.directory.Link` fields), sorted; ids are sorted.
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


def alias_domain(key: str, aliases: Mapping[str, str]) -> str:
    """``key`` with its domain rewritten by ``aliases`` (old -> new, ``linking.domain_aliases``);
    unchanged when its domain is not an old one (or it has no ``@``)."""
    at = key.rfind("@")
    new = aliases.get(key[at + 1:]) if at >= 0 else None
    return key if new is None else key[:at + 1] + new


PLUS_TAG = re.compile(r"^([^@+]*)\+[^@]*@")
"""The local part up to its ``+tag`` (RFC 5233 subaddress), and the tag: group 1 plus ``@`` is the address
without the tag."""


def fold_plus(key: str) -> str:
    """Drop ``+tag`` from the local part: ``dana+bi@x`` -> ``dana@x`` (RFC 5233 subaddress)."""
    return PLUS_TAG.sub(r"\1@", key, count=1) if "+" in key else key


def _rewrite(key: MatchKey, linking: Linking, value: str) -> tuple[str, bool]:
    """A rewrite key's value of an email key, and whether the key's own rewrite changed it:
    ``domain_aliases`` the alias domain; ``plus_address_folding`` the fold (after the alias
    domain, which alone counts as no change)."""
    aliased = alias_domain(value, linking.domain_aliases) if linking.domain_aliases else value
    if key.name == "domain_aliases":
        return aliased, aliased != value
    folded = fold_plus(aliased)
    return folded, folded != aliased


def clean_attribute(value: str) -> str:
    """An attribute key's comparison value: trimmed, case-folded."""
    return value.strip().casefold()


def member_attribute(member: SigmaMember, name: str) -> str:
    """A member field by its Sigma API name (``employeeId``, ``memberId``): the export's raw value,
    else the record's field (``memberId`` -> ``member_id``); ``""`` when missing or not a scalar."""
    raw = member.raw.get(name) if member.raw else None
    if raw is None:
        raw = getattr(member, record_field(name), None)
    return "" if raw is None or isinstance(raw, (dict, list)) else str(raw)


@lru_cache(maxsize=256)
def record_field(name: str) -> str:
    """A Sigma API field name as the record's attribute: ``memberId`` -> ``member_id`` (cached: a rule reads
    a few names for every member; speed19: the spelling was 1 of the 3 s the same-person hints took at 100k)."""
    return "".join("_" + c.lower() if c.isupper() else c for c in name)


def idp_attribute(attributes: Mapping[str, object], name: str) -> str:
    """An IdP user's attribute by its export name (``attributes[name]``); ``""`` when missing or not a scalar."""
    value = attributes.get(name)
    return "" if value is None or isinstance(value, (dict, list)) else str(value)


def _field_name(linking: Linking, key: MatchKey, rank: int) -> str:
    """The IdP field a rank stands for: ``userName``/``emails[primary]``, ``emails[n]``, or the attribute."""
    if key.attribute is not None:
        return key.attribute.idp
    if rank < 0:
        return "userName" if linking.scim_user_name == "user_name" else "emails[primary]"
    return f"emails[{rank}]"


# --------------------------------------------------------------------------- one key's joins

Joined = tuple[str, str, int, str]
"""One pair a match key joins: ``(memberId, IdP id, rank, idp_value)``. ``rank`` says which IdP field
matched: ``-1`` the SCIM userName the app sends (:attr:`~planner.directory.Directory.scim_user_names`),
``n >= 0`` ``emails[n]`` (``0`` for an attribute); :func:`_field_name` spells it. ``idp_value``: that
field as spelled."""


def user_name_joins(directory: Directory, skip: frozenset[str]) -> list[Joined]:
    """``user_name``: member email key = the key of the SCIM userName the IdP user's app sends
    (the directory's two indexes, intersected)."""
    members, sent = directory.member_ids_by_email_key, directory.scim_user_names
    return [(member_id, idp_id, -1, sent[idp_id])
            for value, idp_ids in directory.idp_ids_by_scim_user_name_key.items() if value in members
            for idp_id in idp_ids if idp_id not in skip for member_id in members[value]]


def email_joins(directory: Directory, skip: frozenset[str]) -> list[Joined]:
    """``emails``: member email key = the key of any of the IdP user's addresses."""
    members = directory.member_ids_by_email_key
    return [(member_id, idp_id, e.position, e.value)
            for idp_id, emails in directory.idp_emails.items() if idp_id not in skip
            for e in emails for member_id in members.get(e.key, ())]


@dataclass(frozen=True, slots=True)
class RewrittenMembers:
    """The Sigma side of a rewrite key (:data:`REWRITE_KEYS`), kept apart from the members'
    email keys (:attr:`~planner.directory.Directory.member_ids_by_email_key`) where they differ.

    ``moved``: members whose value is not their email key, by value; ``moved_from``: those email
    keys; ``rewritten``: members whose rewrite counted as a change (:func:`_rewrite`), by value.
    ``alias_suffixes`` (``@`` + each alias domain) and ``folds`` make :meth:`may_change`. Filled by
    :meth:`of`, never changed after.
    """

    key: MatchKey
    linking: Linking
    by_email_key: Mapping[str, tuple[str, ...]]
    alias_suffixes: tuple[str, ...]
    folds: bool
    moved: dict[str, tuple[str, ...]] = field(default_factory=dict)
    moved_from: set[str] = field(default_factory=set)
    rewritten: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def of(cls, directory: Directory, linking: Linking, key: MatchKey) -> RewrittenMembers:
        """The members of ``directory`` under the rewrite ``key``."""
        members = directory.member_ids_by_email_key
        side = cls(key, linking, members, tuple("@" + d for d in linking.domain_aliases),
                   key.name == "plus_address_folding")
        for email_key in filter(side.may_change, members):
            value, changed = _rewrite(key, linking, email_key)
            if value != email_key:
                side.moved[value] = side.moved.get(value, ()) + members[email_key]
                side.moved_from.add(email_key)
            if changed:
                side.rewritten[value] = side.rewritten.get(value, ()) + members[email_key]
        return side

    def may_change(self, email_key: str) -> bool:
        """Whether :func:`_rewrite` may change ``email_key`` (``False``: surely not): its domain is
        an alias domain, or it has a ``+`` and the key folds. A quick test that spares rewriting
        every address for the few it changes."""
        return email_key.endswith(self.alias_suffixes) or (self.folds and "+" in email_key)

    def joining(self, email_key: str) -> tuple[str, ...]:
        """The members an IdP address (its email key) joins at this key: those with its rewritten
        value when the rewrite changed it, else only those whose own rewrite changed theirs."""
        if not self.may_change(email_key):
            return self.rewritten.get(email_key, ())
        value, changed = _rewrite(self.key, self.linking, email_key)
        if not changed:
            return self.rewritten.get(value, ())
        unmoved = () if value in self.moved_from else self.by_email_key.get(value, ())
        return unmoved + self.moved.get(value, ())


def rewrite_joins(directory: Directory, linking: Linking, key: MatchKey, skip: frozenset[str]) -> list[Joined]:
    """``domain_aliases`` / ``plus_address_folding``: the email keys of both sides rewritten
    (:func:`_rewrite`), a pair only where the rewrite changed at least one side; each pair once,
    by its first IdP field (userName, then the emails in order)."""
    members = RewrittenMembers.of(directory, linking, key)
    sent, sent_keys = directory.scim_user_names, directory.scim_user_name_keys
    joined: list[Joined] = []
    for idp_id, emails in directory.idp_emails.items():
        if idp_id in skip:
            continue
        found: set[str] = set()
        if sent_keys[idp_id]:
            for member_id in members.joining(sent_keys[idp_id]):
                found.add(member_id)
                joined.append((member_id, idp_id, -1, sent[idp_id]))
        for e in emails:
            for member_id in members.joining(e.key):
                if member_id not in found:
                    found.add(member_id)
                    joined.append((member_id, idp_id, e.position, e.value))
    return joined


def attribute_joins(directory: Directory, key: MatchKey, skip: frozenset[str]) -> list[Joined]:
    """``{attribute: {idp, sigma}}``: the IdP attribute = the member field, both trimmed and
    case-folded (:func:`clean_attribute`), blank values left out."""
    by_value: dict[str, list[str]] = {}
    for member_id, m in directory.members.items():
        if value := clean_attribute(member_attribute(m, key.attribute.sigma)):
            by_value.setdefault(value, []).append(member_id)
    joined: list[Joined] = []
    for idp_id, user in directory.idp_users.items():
        spelled = idp_attribute(user.attributes, key.attribute.idp)
        if idp_id not in skip and (value := clean_attribute(spelled)):
            joined += [(member_id, idp_id, 0, spelled) for member_id in by_value.get(value, ())]
    return joined


def key_edges(directory: Directory, linking: Linking, key: MatchKey, skip_idp: frozenset[str] = frozenset(),
              linked: Mapping[str, str] | None = None) -> list[LinkedPair]:
    """Every (member, IdP user) pair one match key joins, each once, as a
    :class:`~planner.directory.LinkedPair` whose :class:`~planner.directory.Link` is the edge's
    evidence (``key``: the key's label; ``sigma_value``: the member's email, or the member field of
    an attribute key; ``idp_field`` / ``idp_value``: the first IdP field that joined them).

    Each key gives a pair once: a member has one value, and an IdP user one userName, one attribute
    value, and each email key once (:class:`planner.directory.IdpEmail`); the rewrite keys keep a
    pair's first field. ``skip_idp``: IdP users left out (``never``); ``linked``: memberId -> IdP id
    of pairs already linked, whose own edge is left out (it is neither a link nor a rival of one).
    """
    if key.attribute is not None:
        joined = attribute_joins(directory, key, skip_idp)
    elif key.name == "user_name":
        joined = user_name_joins(directory, skip_idp)
    elif key.name == "emails":
        joined = email_joins(directory, skip_idp)
    else:
        joined = rewrite_joins(directory, linking, key, skip_idp)
    label, link_key, members, linked = key.label, LINK_KEY_OF[key.name], directory.members, linked or {}
    fields = {rank: _field_name(linking, key, rank) for rank in {j[2] for j in joined}}
    edges = []
    for member_id, idp_id, rank, idp_value in joined:
        if linked.get(member_id) != idp_id:
            member = members[member_id]
            sigma_value = member.email if key.attribute is None else member_attribute(member, key.attribute.sigma)
            edges.append(LinkedPair(member_id, idp_id, Link(label, link_key, sigma_value, fields[rank], idp_value)))
    return edges


def _enabled(linking: Linking, key: MatchKey) -> bool:
    """A rewrite key listed in ``match_keys`` joins nothing until its rewrite is configured."""
    if key.name == "domain_aliases":
        return bool(linking.domain_aliases)
    if key.name == "plus_address_folding":
        return linking.plus_address_folding
    return True


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
    links = list(pinned)
    linked = {p.member_id: p.idp_id for p in pinned}  # memberId -> IdP id
    linked_idp = {p.idp_id for p in pinned}
    held_members: set[str] = set()
    held_idp: set[str] = set()
    held: list[LinkedPair] = []
    rivals: dict[tuple[str, str], LinkedPair] = {}  # the first key's edge of each pair
    for key in linking.match_keys:
        if not _enabled(linking, key):
            continue
        edges = []
        for e in key_edges(directory, linking, key, never, linked):
            if e.member_id in linked or e.idp_id in linked_idp:
                rivals.setdefault((e.member_id, e.idp_id), e)
            else:
                edges.append(e)
        per_member = Counter(e.member_id for e in edges)
        per_idp = Counter(e.idp_id for e in edges)
        ambiguous = []
        for e in edges:
            if (per_member[e.member_id] == 1 and per_idp[e.idp_id] == 1
                    and e.member_id not in held_members and e.idp_id not in held_idp):
                links.append(e)
                linked[e.member_id] = e.idp_id
                linked_idp.add(e.idp_id)
            else:
                ambiguous.append(e)
        held += ambiguous
        held_members.update(e.member_id for e in ambiguous)
        held_idp.update(e.idp_id for e in ambiguous)
    links, rivals, split = split_idp_rivals(links, rivals, frozenset(p.idp_id for p in pinned))
    held += split
    # each member and each IdP user is linked at most once: the memberId is the full order; a linked
    # pair's own edge never became a rival (key_edges left it out)
    links.sort(key=attrgetter("member_id"))
    groups = _components(held)
    groups.sort(key=lambda a: (a.idp_ids, a.member_ids))
    return IdentityGraph(links=tuple(links), ambiguous=tuple(groups), never=frozenset(never),
                         rivals=tuple(sorted(rivals.values(), key=lambda p: (p.member_id, p.idp_id))))


def split_idp_rivals(links: list[LinkedPair], rivals: dict[tuple[str, str], LinkedPair], pinned_idp: frozenset[str]
                     ) -> tuple[list[LinkedPair], dict[tuple[str, str], LinkedPair], list[LinkedPair]]:
    """Undo each match-key link whose IdP user also matches, by a later key, a member linked to no one:
    one IdP user matching two members is a guess, not a link with a lost candidate (tester2 finding 9: an
    IdP user with another person's address as a second email linked by userName, and the other person's
    member deactivated as "no IdP user matches"). Returns the links kept, the rivals left, and the edges
    to hold (the link's edge, then its rivals': one ambiguous component, ``linking.ambiguous``).

    A rival of a pinned link (``pinned_idp``: an override or Sigma's SCIM state) stays evidence: the
    reviewer (or Sigma) decided; a rival member linked to another IdP user shares that user's address
    (``linking.idp_duplicate``, :func:`planner.rules.duplicates.idp_collisions`)."""
    linked_members = {p.member_id for p in links}
    split = {e.idp_id for e in rivals.values()
             if e.idp_id not in pinned_idp and e.member_id not in linked_members}
    if not split:
        return links, rivals, []
    undone = [p for p in links if p.idp_id in split]
    kept = [p for p in links if p.idp_id not in split]
    moved = {k: e for k, e in rivals.items() if e.idp_id in split and e.member_id not in linked_members}
    left = {k: e for k, e in rivals.items() if k not in moved}
    return kept, left, undone + list(moved.values())


@dataclass(frozen=True)
class NewAccount:
    """A member a match key links to an IdP user that is not active while an active IdP user linked to no member
    matches the member by a later key (:func:`new_accounts`): the same person under a new IdP account?

    ``link``: the member and the inactive IdP user, as :attr:`IdentityGraph.links` has them; ``active``: the
    rival edges of the member to the active IdP users (:attr:`IdentityGraph.rivals`), sorted by IdP id.
    """

    link: LinkedPair
    active: tuple[LinkedPair, ...]


def new_accounts(graph: IdentityGraph, active_idp_ids: frozenset[str]) -> list[NewAccount]:
    """The links of ``graph`` made by a match key (not ``override``, not ``scim``: a reviewer or Sigma's SCIM state
    decided those) whose IdP user is not in ``active_idp_ids`` (:attr:`planner.directory.Directory.active_idp_ids`:
    Okta ``DEPROVISIONED`` / ``SUSPENDED``, Entra ``accountEnabled: false``, SCIM ``active: false``, ...) while a
    later key joins the member to an active IdP user linked to no member: its rival edges. By memberId.

    Okta keeps a deactivated user's login, so a rehire or a contractor made an employee gets a new user with a new
    login, while mail moves the old address to it (``profile.email``, Entra ``mail`` / ``proxyAddresses``): the
    member's ``user_name`` match is the old account and the new one only a rival (tester19 finding 2: the member
    was deactivated, its documents moved, beside a create of the same person). Never a link on that alone:
    :func:`planner.rules.linking.new_account_item` asks. A link Sigma's SCIM state made (key ``scim``: SCIM
    provisioned the member for the old IdP user, its ``externalId``) asks the same (doubts20: a member a wave linked,
    whose IdP user was deactivated since beside the same person's new account, was deactivated through SCIM beside a
    create, 0 blocking); only ``linking.overrides`` (key ``override``: a reviewer's link) is decided."""
    linked_idp = {p.idp_id for p in graph.links}
    rivals: dict[str, list[LinkedPair]] = {}
    for r in graph.rivals:
        if r.idp_id in active_idp_ids and r.idp_id not in linked_idp:
            rivals.setdefault(r.member_id, []).append(r)
    if not rivals:
        return []
    return [NewAccount(p, tuple(sorted(rivals[p.member_id], key=attrgetter("idp_id")))) for p in graph.links
            if p.member_id in rivals and p.idp_id not in active_idp_ids and p.link.key != "override"]


def provisioned_elsewhere(graph: IdentityGraph, directory: Directory) -> dict[str, ProvisionedElsewhere]:
    """memberId -> :class:`~planner.directory.ProvisionedElsewhere` (its rival edge, :attr:`IdentityGraph.rivals`,
    and the other member) of each member a match key joins to an IdP user that
    Sigma's SCIM state provisioned as another member (its link key ``scim``), by memberId: the IdP's own push (Okta or
    Entra ID provisioning on between waves) sent that user under another userName (a ``+tag`` app username, an Entra
    guest's ``#EXT#`` userPrincipalName), so Sigma made a second account for them while this member, the address the
    IdP export gives the user, stays active with its documents. Not "no IdP user matches": the member is left to the
    blocking ``scim.second_account`` question (:mod:`planner.rules.unmatched`; tester22 finding 1, where it was
    deactivated, documents to the document owner). One mechanism for every key and spelling the match keys fold (the
    export's userName, its emails, ``domain_aliases``, ``plus_address_folding``, an attribute).

    Only an active member linked to no one and in no ambiguity, not provisioned itself (:attr:`planner.directory.
    ScimState.users`), not a member a userName change left behind already (:attr:`~planner.directory.ScimState.
    second_accounts`), whose address is not the SCIM-made member's but for letter case (two members sharing one
    address: ``linking.duplicates``' question), and joined so to one such IdP user (two: no guess)."""
    scim_member = {p.idp_id: p.member_id for p in graph.links if p.link.key == "scim"}
    if not scim_member:
        return {}
    linked = {p.member_id for p in graph.links} | {m for g in graph.ambiguous for m in g.member_ids}
    members, state = directory.members, directory.scim
    found: dict[str, list[LinkedPair]] = {}
    for r in graph.rivals:
        other = scim_member.get(r.idp_id)
        if other is None or other == r.member_id or r.member_id in linked:
            continue
        member = members[r.member_id]
        if (not member.is_active or r.member_id in state.users or r.member_id in state.second_accounts
                or member.email_key == members[other].email_key):
            continue
        found.setdefault(r.member_id, []).append(r)
    return {mid: ProvisionedElsewhere(edges[0], scim_member[edges[0].idp_id]) for mid, edges in sorted(found.items())
            if len({e.idp_id for e in edges}) == 1}


PINNED_KEYS = frozenset({"override", "scim"})
"""The :class:`~planner.directory.Link` keys of links decided before matching (``linking.overrides``, Sigma's SCIM
state): no match key guessed them."""


def _edge_row(edge: LinkedPair) -> tuple[str, ...]:
    """An edge as :attr:`AmbiguousGroup.edges` lists it."""
    link = edge.link
    return edge.member_id, edge.idp_id, link.key, link.sigma_value, link.idp_field, link.idp_value


def _components(held: list[LinkedPair]) -> list[AmbiguousGroup]:
    """The connected components of the held edges (of every key, in the policy's key order), each
    pair once (its first key).

    A component's ``key`` is the key of its first edge in the policy's order (the key
    that made it ambiguous); its ``edges`` keep each edge's own key.
    """
    rows: list[tuple[str, ...]] = []
    seen: set[tuple[str, str]] = set()
    for e in held:
        if (e.member_id, e.idp_id) not in seen:
            seen.add((e.member_id, e.idp_id))
            rows.append(_edge_row(e))
    graph = nx.Graph()
    graph.add_edges_from((("m", r[0]), ("i", r[1])) for r in rows)
    by_node: dict[tuple[str, str], int] = {}
    for n, component in enumerate(nx.connected_components(graph)):
        for node in component:
            by_node[node] = n
    comp_rows: dict[int, list[tuple[str, ...]]] = {}
    for r in rows:  # in the policy's key order: the first row of a component names its key
        comp_rows.setdefault(by_node[("m", r[0])], []).append(r)
    return [
        AmbiguousGroup(
            key=component_rows[0][2],
            member_ids=tuple(sorted({r[0] for r in component_rows})),
            idp_ids=tuple(sorted({r[1] for r in component_rows})),
            edges=tuple(sorted(component_rows)),
        )
        for component_rows in comp_rows.values()
    ]
