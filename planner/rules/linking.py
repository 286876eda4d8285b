"""Linking rules: overrides, who is linked / created / left unmatched, the userName guard, hints.

Sigma links a SCIM user to an existing member **by email**, and a later change
of ``userName`` creates a second account (docs/sigma-api.md §5.3). So:

- :func:`resolve_overrides` turns ``linking.overrides`` into pinned links and
  "never link" IdP ids (unknown ids are blocking review items);
- :func:`decide` classifies every person into a **roster** (one row per person,
  see :data:`ROSTER_COLUMNS`), applies the **userName guard** (a link whose IdP
  userName differs from the Sigma email would create a second account), and
  raises review items for ambiguous matches, same-person **hints** (same name
  or same local part under another address: never a link), plus-address
  variants, rehires and creates that collide with an existing email;
- :func:`link_actions` emits ``scim.link_user``, ``scim.create_user``,
  ``members.set_email`` and ``members.reactivate`` once account types are known.

Roster ``status`` values:

========== ================================================================
link       active member + active in-scope IdP user: ``scim.link_user``
create     in-scope active IdP user with no member: ``scim.create_user``
guest      active guest member (linked or not): :mod:`.guests` decides
leaver     active member whose IdP user is deactivated: :mod:`.unmatched`
not_in_scope active member whose IdP user is outside ``scope.groups``: :mod:`.unmatched`
unmatched  active member with no IdP identity: :mod:`.unmatched`
held       part of a blocking linking review item: no action until settled
rehire     archived/inactive member matched by an active IdP user (blocking)
reactivate the same, settled by policy: ``members.reactivate`` then link
deactivated archived/inactive member with nothing to do
idp_guest  IdP guest user with no member, not created (``guests.create_from_idp``)
guest_disabled  set by :mod:`.guests` for a guest it disables
========== ================================================================

A linked member's IdP user that is inactive or out of scope is not linked:
the member is a ``leaver`` / ``not_in_scope`` and :mod:`.unmatched` decides.
IdP users with no userName to send, and Sigma's scheduler robot, are never created.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import networkx as nx
import numpy as np
import pandas as pd

from ..matching import EDGE_COLUMNS, PLUS_TAG, ROW_COLUMNS, IdentityGraph, fold_plus
from ..model import DERIVED_EMAIL_TYPES, SCHEDULER_ROBOT_EMAIL, ActionKind, IdpUser, SigmaMember, email_key
from ..policy import NEVER, Guests, Linking, Policy, UserNameGuard
from ..sources.entra import deleted_user_upn, is_ext_upn
from ..sources.values import clean_address, clean_text, is_valid_email, unclean_parts
from ..payloads import (
    UNSET,
    ArchivedState,
    CreateUserEvidence,
    CreateUserTarget,
    EmailState,
    LinkUserBefore,
    LinkUserEvidence,
    LinkUserTarget,
    LostCandidate,
    MemberRef,
    ReactivateEvidence,
    ScimCreateUser,
    ScimLinkUser,
    ScimUserAfter,
    SetEmailEvidence,
)
from . import Outcome, action_id, duplicates, make_action, make_review, person_ref, yaml_snippet
from ..directory import Directory, Link, LinkedPair, PersonStatus, name_key
from ..tables import Context, find_idp_id, find_member_id, member_of, positions, sorted_positions, take_rows

ROSTER_COLUMNS = [
    "person",  # "m:<memberId>" or "i:<idpId>": stable person key
    "member_id",
    "idp_id",
    "status",
    "link_key",  # PersonRow vocabulary, or None
    "key",  # the policy match key label that linked them, or None
    "sigma_value",
    "idp_field",
    "idp_value",
    "user_name",  # the SCIM userName the plan sends (link / create), or None
    "user_name_key",  # email_key(user_name), or None
    "guard",  # userName guard: None | "review" | "use_sigma_email" | "update_sigma_email"
    "member_row",  # int: the member's row in ctx.members, -1 for none
    "idp_row",  # int: the IdP user's row in ctx.idp_users, -1 for none
    "converted",  # True for a guest :mod:`.guests` converts (then linked like status "link")
]


@dataclass
class LinkingResult:
    """The roster (:data:`ROSTER_COLUMNS` + joined member/IdP columns) and the review items."""

    roster: pd.DataFrame
    outcome: Outcome


# --------------------------------------------------------------------------- overrides


def resolve_overrides(policy: Policy, directory: Directory) -> tuple[tuple[LinkedPair, ...], frozenset[str], Outcome]:
    """``linking.overrides`` of ``policy`` -> (the pinned links, key ``override``, in the policy's order;
    the never-link IdP ids; the review items).

    An override naming an IdP user or member that is not in the exports is skipped: it is a blocking
    ``policy.unknown_reference`` item (:mod:`.policy_refs`, the reviewer's intent cannot be carried out).
    """
    pinned: list[LinkedPair] = []
    never: set[str] = set()
    outcome = Outcome()
    for i, o in enumerate(policy.linking.overrides):
        idp_id = directory.find_idp_id(o.idp)
        if idp_id is None:  # planner.rules.policy_refs reports it
            continue
        if o.member == NEVER:
            never.add(idp_id)
            continue
        member_id = directory.find_member_id(o.member)
        if member_id is None:  # planner.rules.policy_refs reports it
            continue
        link = Link("override", "override", directory.members[member_id].email, f"linking.overrides[{i}]",
                    directory.idp_users[idp_id].user_name)
        pinned.append(LinkedPair(member_id, idp_id, link))
    return tuple(pinned), frozenset(never), outcome


# --------------------------------------------------------------------------- statuses


def linked_status(member: SigmaMember, idp_id: str, key: str, directory: Directory, policy: Linking,
                  held_idp_users: frozenset[str] = frozenset()) -> PersonStatus:
    """The status of ``member`` linked to IdP user ``idp_id`` by match key ``key`` (module docstring).

    ``held_idp_users``: IdP users another family holds (:func:`.duplicates.idp_collisions`). An
    archived or inactive member matched by a live (active, in-scope) IdP user is reactivated when a
    reviewer or Sigma's SCIM state linked them (``key`` ``override``/``scim``) or
    ``linking.archived_members: reactivate`` says so, else a blocking rehire.
    """
    if idp_id in held_idp_users:
        return PersonStatus.HELD
    live = idp_id in directory.in_scope_idp_ids  # in scope means active too
    if not member.is_active:
        if not live:
            return PersonStatus.DEACTIVATED
        if key in ("override", "scim") or policy.archived_members == "reactivate":
            return PersonStatus.REACTIVATE
        return PersonStatus.REHIRE
    if member.user_kind == "guest":
        return PersonStatus.GUEST
    if idp_id not in directory.active_idp_ids:
        return PersonStatus.LEAVER
    return PersonStatus.LINK if live else PersonStatus.NOT_IN_SCOPE


def unlinked_member_status(member: SigmaMember, held_members: set[str] | frozenset[str]) -> PersonStatus:
    """The status of a member no IdP user links to: held (in an ambiguous group), deactivated
    (archived or inactive), guest, else unmatched (:mod:`.unmatched` decides)."""
    if member.member_id in held_members:
        return PersonStatus.HELD
    if not member.is_active:
        return PersonStatus.DEACTIVATED
    return PersonStatus.GUEST if member.user_kind == "guest" else PersonStatus.UNMATCHED


def unlinked_idp_status(user: IdpUser, held_idp: set[str] | frozenset[str], guests: Guests) -> PersonStatus:
    """The status of an in-scope IdP user linked to no member: held (in a blocking item), an IdP guest
    not created (``guests.create_from_idp`` off), else created."""
    if user.id in held_idp:
        return PersonStatus.HELD
    if user.is_guest and not guests.create_from_idp:
        return PersonStatus.IDP_GUEST
    return PersonStatus.CREATE


# --------------------------------------------------------------------------- the userName guard


@dataclass(frozen=True, slots=True)
class UserNameChoice:
    """What a link sends as SCIM userName, and why (:func:`user_name_choice`).

    ``user_name`` / ``user_name_key``: the userName the link sends (and the member's email after
    it); ``guard``: the userName guard's verdict on a mismatch (``None`` when there is none);
    ``invalid``: what the IdP would send is no address Sigma can take (:func:`unsendable_user_name`:
    the person is held); ``unclean``: the member's Sigma email is not, beyond letter case, what the
    IdP sends (``linking.unclean_sigma_email``; the plan sets the email first).
    """

    user_name: str
    user_name_key: str
    guard: str | None = None
    invalid: bool = False
    unclean: bool = False


def guard_overrides(directory: Directory, policy: UserNameGuard) -> dict[str, str]:
    """``user_name_guard.overrides`` by IdP id (an entry naming no IdP user kept as written), leaving out
    ``use_primary_email``, which :attr:`planner.directory.Directory.scim_user_names` applies."""
    return {(directory.find_idp_id(ref) or ref): how for ref, how in policy.overrides.items()
            if how != "use_primary_email"}


def differs_beyond_case(a: str | None, b: str | None) -> bool:
    """Two addresses differ by more than letter case (Sigma's userName lookup ignores case only)."""
    return a != b and (a or "").lower() != (b or "").lower()


def user_name_choice(email: str, key: str, sent: str, sent_key: str, idp_id: str, provisioned: bool,
                     on_mismatch: str, overrides: Mapping[str, str]) -> UserNameChoice:
    """The userName a link of member ``email`` (key ``key``) to IdP user ``idp_id`` (sending ``sent``,
    key ``sent_key``) sends, and the userName guard's verdict (docs/sigma-api.md §5.3: Sigma links by
    email; a userName that is not the member's email creates a second account).

    Not provisioned (a leaver, a guest left disabled, ...): the Sigma email, no verdict. A mismatch
    of keys: ``overrides[idp_id]`` else ``on_mismatch`` decides (``update_sigma_email``: send the
    IdP's userName, the member's email follows; ``use_sigma_email``: send the Sigma email, cleaned;
    ``review``: blocking). No mismatch: the IdP's own spelling when the Sigma email differs from it
    by more than letter case (issue 14 item 1), else the Sigma spelling.
    """
    if not provisioned:
        return UserNameChoice(email, key)
    guard = None
    user_name, user_name_key = email, key
    if sent_key != key:
        guard = overrides.get(idp_id, on_mismatch)
        if guard == "update_sigma_email":
            user_name, user_name_key = sent, sent_key
        elif guard == "use_sigma_email":
            user_name = clean_address(email)
    elif differs_beyond_case(email, sent):
        user_name = sent
    invalid = unsendable_user_name(user_name if guard == "use_sigma_email" else sent, idp_id) is not None
    unclean = not invalid and guard != "update_sigma_email" and differs_beyond_case(email, user_name)
    return UserNameChoice(user_name, user_name_key, guard, invalid, unclean)


# --------------------------------------------------------------------------- roster


def decide(
    ctx: Context,
    graph: IdentityGraph,
    freed: frozenset[str] = frozenset(),
    held_idp_users: frozenset[str] = frozenset(),
    excluded: frozenset[str] = frozenset(),
) -> LinkingResult:
    """Classify every person (see the module docstring) and raise the linking review items.

    ``freed``: members whose address ``linking.duplicates`` frees (:mod:`.duplicates`); a
    create or an email change onto their address does not collide with them.
    ``held_idp_users``: IdP users in a blocking item of another family (IdP users sharing an
    address, :func:`.duplicates.idp_collisions`): they, and the members they link to, are held.
    ``excluded``: IdP users ``linking.excluded_idp_users`` takes out: never created.
    """
    policy = ctx.policy
    m = ctx.members
    u = ctx.idp_users
    outcome = Outcome()

    # --- ambiguous components: blocking, everyone in them held; a component that a shared
    # address alone explains is :mod:`.duplicates`' item (linking.duplicate_email) instead
    held_members: set[str] = set()
    held_idp: set[str] = set(held_idp_users)
    for group in graph.ambiguous:
        # one member and IdP users that share an address: the IdP-side duplicate item covers it
        idp_duplicate = len(group.member_ids) == 1 and held_idp_users.issuperset(group.idp_ids)
        if duplicates.explains(ctx.directory, group) is None and not idp_duplicate:
            outcome.review_items.append(_ambiguous_item(ctx, group))
        held_members.update(group.member_ids)
        held_idp.update(group.idp_ids)

    # --- linked pairs, with their member and IdP columns (by row position: no NaN can appear)
    links = graph.links.copy()
    mpos, upos = links["member_row"].to_numpy(dtype=np.intp), links["idp_row"].to_numpy(dtype=np.intp)
    for col, source, pos, missing in (
        ("email", m["email"], mpos, ""), ("email_key", m["email_key"], mpos, ""),
        ("active", m["active"], mpos, False), ("is_guest", m["is_guest"], mpos, False),
        ("idp_active", u["active"], upos, False), ("in_scope", u["in_scope"], upos, False),
        ("scim_user_name", u["scim_user_name"], upos, ""), ("scim_user_name_key", u["scim_user_name_key"], upos, ""),
    ):
        values = take_rows(source, pos, missing)
        if values.dtype == object:  # kept as Python objects: pandas would infer (Arrow) str and turn None to NaN
            values[pd.isna(values)] = missing
            values = pd.Series(values, index=links.index, dtype=object)
        links[col] = values
    directory = ctx.directory
    live = links["idp_active"] & links["in_scope"]
    links["status"] = pd.Series(
        [linked_status(directory.members[mid], iid, key, directory, policy.linking, held_idp_users).value
         for mid, iid, key in zip(links["member_id"].tolist(), links["idp_id"].tolist(), links["key"].tolist())],
        index=links.index, dtype=object)

    # --- members nobody links
    linked_m = np.zeros(len(m), dtype=bool)
    linked_m[mpos[mpos >= 0]] = True
    linked_i = np.zeros(len(u), dtype=bool)
    linked_i[upos[upos >= 0]] = True
    free_m = m[~linked_m]
    free_m_status = [unlinked_member_status(directory.members[mid], held_members).value
                     for mid in free_m["member_id"].tolist()]
    free_members = pd.DataFrame({"member_id": free_m["member_id"], "status": free_m_status})

    # --- IdP users nobody links (only active, in-scope ones matter)
    free_u = u[~linked_i]
    free_u = free_u[free_u["in_scope"] | member_of(free_u["idp_id"], held_idp)]
    if excluded:
        free_u = free_u[~member_of(free_u["idp_id"], excluded)]
    free_u = free_u[free_u["scim_user_name_key"] != SCHEDULER_ROBOT_EMAIL]
    free_u_status = [unlinked_idp_status(directory.idp_users[iid], held_idp, policy.guests).value
                     for iid in free_u["idp_id"].tolist()]
    free_idp = pd.DataFrame(
        {"idp_id": free_u["idp_id"], "status": free_u_status, "user_name": free_u["scim_user_name"],
         "user_name_key": free_u["scim_user_name_key"]}
    )

    # --- same-person hints between unmatched members and would-be creates
    if policy.linking.name_hints:
        # people a reviewer already decided about are no longer hinted
        decided = {find_member_id(ctx, ref) for ref in policy.unmatched.decisions}
        candidates_m = free_members[~member_of(free_members["member_id"], decided)]
        candidates_i = free_idp[~member_of(free_idp["idp_id"], graph.never)]
        hint_items, hinted_m, hinted_i = _hints(ctx, candidates_m, candidates_i)
        outcome.review_items.extend(hint_items)
        free_members.loc[member_of(free_members["member_id"], hinted_m), "status"] = "held"
        free_idp.loc[member_of(free_idp["idp_id"], hinted_i), "status"] = "held"

    # --- the userName guard on links (and on guests, who may be converted)
    may_convert = (links["status"] == "guest") & live & (policy.guests.action == "convert")
    provisioned = (links["status"].isin(["link", "reactivate", "rehire"]) | may_convert).tolist()
    overrides = guard_overrides(directory, policy.user_name_guard)
    on_mismatch = policy.user_name_guard.on_mismatch
    choices = [
        user_name_choice(email, key, sent, sent_key, iid, is_provisioned, on_mismatch, overrides)
        for email, key, sent, sent_key, iid, is_provisioned in zip(
            links["email"].tolist(), links["email_key"].tolist(), links["scim_user_name"].tolist(),
            links["scim_user_name_key"].tolist(), links["idp_id"].tolist(), provisioned)
    ]
    links["user_name"] = pd.Series([c.user_name for c in choices], index=links.index, dtype=object)
    links["user_name_key"] = pd.Series([c.user_name_key for c in choices], index=links.index, dtype=object)
    links["guard"] = pd.Series([c.guard for c in choices], index=links.index, dtype=object)
    invalid = np.fromiter((c.invalid for c in choices), dtype=bool, count=len(choices))
    mismatch = np.fromiter((c.guard is not None for c in choices), dtype=bool, count=len(choices))
    unclean = np.fromiter((c.unclean for c in choices), dtype=bool, count=len(choices))
    # --- userNames that are not email addresses: Sigma would refuse them (blocking, one item each)
    outcome.review_items.extend(_invalid_link_items(ctx, links[invalid]))
    outcome.review_items.extend(_guard_items(ctx, links[mismatch & ~invalid], freed))
    outcome.review_items.extend(_unclean_email_items(ctx, links[unclean]))
    if invalid.any():  # never planned with a userName Sigma cannot take: held until settled
        links.loc[invalid, "status"] = "held"

    # --- rehires waiting for a decision
    for row in links[links["status"] == "rehire"].itertuples(index=False):
        outcome.review_items.append(_rehire_item(ctx, row))

    # --- the roster: every column built explicitly (None where a side is missing, never NaN)
    n_m, n_i = len(free_members), len(free_idp)
    nothing_m, nothing_i = [None] * n_m, [None] * n_i
    columns = {
        "person": ["m:" + x for x in links["member_id"].tolist()]
        + ["m:" + x for x in free_members["member_id"].tolist()] + ["i:" + x for x in free_idp["idp_id"].tolist()],
        "member_id": links["member_id"].tolist() + free_members["member_id"].tolist() + nothing_i,
        "idp_id": links["idp_id"].tolist() + nothing_m + free_idp["idp_id"].tolist(),
        "status": links["status"].tolist() + free_members["status"].tolist() + free_idp["status"].tolist(),
    }
    for col in ("link_key", "key", "sigma_value", "idp_field", "idp_value", "user_name", "user_name_key", "guard"):
        tail = (free_idp[col].tolist() if col in free_idp else nothing_i)
        columns[col] = links[col].tolist() + nothing_m + tail
    roster = pd.DataFrame(columns, dtype=object)[ROSTER_COLUMNS[:-3]]
    roster["member_row"] = np.concatenate([mpos, free_members.index.to_numpy(dtype=np.intp), np.full(n_i, -1, np.intp)])
    roster["idp_row"] = np.concatenate([upos, np.full(n_m, -1, np.intp), free_idp.index.to_numpy(dtype=np.intp)])
    roster["converted"] = False

    # --- creates that collide with an existing member's email: Sigma would link, not create
    creates = roster[roster["status"] == "create"]
    if len(creates):
        keys = creates["user_name_key"]
        bad = np.fromiter((unsendable_user_name(x, i) is not None for x, i in zip(creates["user_name"].tolist(),
                                                                                  creates["idp_id"].tolist())),
                          dtype=bool, count=len(creates))
        held = m["email_key"] if not freed else m.loc[~member_of(m["member_id"], freed), "email_key"]
        collide = member_of(keys, set(held.tolist()) - {""}) & ~bad
        for row, key in zip(creates[collide].itertuples(index=False), keys[collide]):
            outcome.review_items.append(_collision_item(ctx, row, key, freed))
        for row in creates[bad].sort_values("idp_id").itertuples(index=False):
            outcome.review_items.append(_invalid_create_item(ctx, row))
        if bad.any():  # never created with a userName Sigma cannot take: held until settled
            roster.loc[creates.index[bad], "status"] = "held"

    outcome.review_items.extend(_plus_variant_items(ctx, roster))
    roster = roster.iloc[sorted_positions(roster["person"])].reset_index(drop=True)
    return LinkingResult(roster=roster, outcome=outcome)


# --------------------------------------------------------------------------- review items


def _member_ref(ctx: Context, member_id: str, **extra) -> dict:
    mem = ctx.member_by_id[member_id]
    return person_ref(member_id=member_id, email=mem.email, name=f"{mem.first_name} {mem.last_name}".strip() or None,
                      **extra)


def _idp_ref(ctx: Context, idp_id: str, **extra) -> dict:
    user = ctx.idp_by_id[idp_id]
    name = user.display_name or " ".join(p for p in (user.given_name, user.family_name) if p)
    return person_ref(idp_id=idp_id, user_name=user.user_name, name=name or None, **extra)


def suggested_pairs(group, key_order: list[str]) -> dict[str, str]:
    """An example settlement of an ambiguous group: IdP id -> memberId, for :func:`_ambiguous_item`.

    A maximum matching of the group's edges (networkx): as many people paired as the
    edges allow, earlier match keys preferred, then the first ids. So no member's only
    candidate is given to another member when a pairing exists that keeps it (issue 14
    item 13). ``key_order``: the match key labels in the policy's order. IdP users left
    out are suggested ``never``.
    """
    keys = [k for k in key_order if any(e[2] == k for e in group.edges)]
    graph = nx.Graph()
    n = len(group.edges)
    for rank, (member_id, idp_id, key, *_rest) in enumerate(sorted(group.edges, key=lambda e: (e[1], e[0]))):
        weight = (len(keys) - keys.index(key)) * (n + 1) + (n - rank)  # key first, then the first ids
        graph.add_edge(("i", idp_id), ("m", member_id), weight=weight)
    pairs = nx.max_weight_matching(graph, maxcardinality=True)
    out = {}
    for a, b in pairs:
        idp, mem = (a, b) if a[0] == "i" else (b, a)
        out[idp[1]] = mem[1]
    return out


def _ambiguous_item(ctx: Context, group) -> object:
    joined: dict[str, list[str]] = {}
    for member_id, idp_id, key, sigma_value, idp_field, idp_value in group.edges:
        joined.setdefault(member_id, []).append(f"{idp_id} by {key} ({idp_field} {idp_value})")
        joined.setdefault(idp_id, []).append(f"{member_id} by {key} (email {sigma_value})")
    candidates = [_member_ref(ctx, mid, joined=sorted(joined.get(mid, []))) for mid in group.member_ids]
    candidates += [_idp_ref(ctx, iid, joined=sorted(joined.get(iid, []))) for iid in group.idp_ids]
    first_idp = group.idp_ids[0]
    key_order = [k.label for k in ctx.policy.linking.match_keys]
    keys = [k for k in key_order if any(e[2] == k for e in group.edges)]
    message = (
        f"{len(group.idp_ids)} IdP user(s) and {len(group.member_ids)} Sigma member(s) are joined by "
        f"{' and '.join(keys)}: linking any of them would be a guess"
    )
    pairs = suggested_pairs(group, key_order)
    left = [mid for mid in group.member_ids if mid not in pairs.values()]
    example = ", ".join(f"{mid} -> {iid}" for iid, mid in sorted(pairs.items()))
    notes = [f"pick the member each IdP user is; the pairing {example} is only an example"]
    if left:
        notes.append(f"{', '.join(left)} would be left without an IdP user: unmatched, the `unmatched` policy "
                     "decides (deactivate, keep)")
    resolution = yaml_snippet(
        {"linking": {"overrides": [{"idp": iid, "member": pairs.get(iid, NEVER)} for iid in group.idp_ids]}},
        notes=notes,
    )
    return make_review(
        "linking.ambiguous",
        f"{first_idp}",
        blocking=True,
        subject={"idpIds": list(group.idp_ids), "memberIds": list(group.member_ids)},
        message=message,
        rule=f"linking.match_keys.{group.key}",
        candidates=candidates,
        evidence={"key": group.key, "edges": [list(e) for e in group.edges]},
        resolution=resolution,
    )


def _hints(ctx: Context, free_members: pd.DataFrame, free_idp: pd.DataFrame):
    """Hint edges between unmatched members and would-be creates: same name, or same local part."""
    m, u = ctx.members, ctx.idp_users
    mem = free_members[free_members["status"] == "unmatched"]["member_id"]
    idp = free_idp[free_idp["status"] == "create"]["idp_id"]
    if mem.empty or idp.empty:
        return [], set(), set()
    mpos, upos = positions(mem, ctx.member_row), positions(idp, ctx.idp_row)
    left = pd.DataFrame(
        {
            "member_id": mem.values,
            "name": [name_key(f, l) for f, l in zip(take_rows(m["first_name"], mpos, ""),
                                                     take_rows(m["last_name"], mpos, ""))],
            "email_key": take_rows(m["email_key"], mpos, ""),
        }, dtype=object,
    )
    right = pd.DataFrame(
        {
            "idp_id": idp.values,
            "name": [name_key(g, f) for g, f in zip(take_rows(u["given_name"], upos, ""),
                                                     take_rows(u["family_name"], upos, ""))],
            "email_key": take_rows(u["scim_user_name_key"], upos, ""),
        }, dtype=object,
    )
    by_name = left[left["name"] != ""].merge(right[right["name"] != ""], on="name")[["member_id", "idp_id"]]
    by_name["why"] = "same name"
    left["local"] = [k.rpartition("@")[0] for k in fold_plus(left["email_key"]).tolist()]
    right["local"] = [k.rpartition("@")[0] for k in fold_plus(right["email_key"]).tolist()]
    by_local = left[left["local"] != ""].merge(right[right["local"] != ""], on="local")[["member_id", "idp_id"]]
    by_local["why"] = "same local part"
    why_of: dict[tuple[str, str], set[str]] = {}
    for frame in (by_name, by_local):
        for a, b, w in zip(frame["member_id"].tolist(), frame["idp_id"].tolist(), frame["why"].tolist()):
            why_of.setdefault((a, b), set()).add(w)
    if not why_of:
        return [], set(), set()
    graph = nx.Graph()
    graph.add_edges_from((("m", a), ("i", b)) for a, b in why_of)
    items = []
    aliases = ctx.policy.linking.domain_aliases
    m_keys, u_keys = m["email_key"].tolist(), u["scim_user_name_key"].tolist()
    for component in nx.connected_components(graph):
        mids = sorted(n[1] for n in component if n[0] == "m")
        iids = sorted(n[1] for n in component if n[0] == "i")
        why = {(a, b): " and ".join(sorted(why_of[(a, b)])) for a in mids for b in iids if (a, b) in why_of}
        candidates = [_member_ref(ctx, mid, status="no IdP identity") for mid in mids]
        candidates += [_idp_ref(ctx, iid, status="would be created") for iid in iids]
        notes = []
        alternatives = []
        link = {"linking": {"overrides": [{"idp": iids[0], "member": mids[0]}]}}
        never = {"linking": {"overrides": [{"idp": iid, "member": NEVER} for iid in iids]}}
        old_local, _, old_domain = m_keys[ctx.member_row[mids[0]]].rpartition("@")
        new_local, _, new_domain = u_keys[ctx.idp_row[iids[0]]].rpartition("@")
        if len(mids) == 1 and len(iids) == 1 and old_domain != new_domain and old_domain not in aliases and (
            old_local == new_local
        ):
            notes.append("same person, the old domain is an alias of the new one:")
            first = {"linking": {"domain_aliases": {old_domain: new_domain}}}
            alternatives = [link, never]
        else:
            notes.append("same person: link them")
            first = link
            alternatives = [never]
        resolution = yaml_snippet(first, *alternatives, notes=notes)
        reasons = sorted({part for w in why.values() for part in w.split(" and ")})
        items.append(
            make_review(
                "linking.same_person_hint",
                iids[0],
                blocking=True,
                subject={"idpIds": iids, "memberIds": mids},
                message=(
                    f"{', '.join(ctx.member_by_id[x].email for x in mids)} (no IdP identity) and "
                    f"{', '.join(ctx.idp_by_id[x].user_name for x in iids)} (would be created) have the "
                    f"{' and the '.join(reasons)}: never linked on that alone; "
                    "neither is created nor deactivated until the policy decides"
                ),
                rule="linking.name_hints",
                candidates=candidates,
                evidence={"hints": [{"memberId": a, "idpId": b, "why": w} for (a, b), w in sorted(why.items())]},
                resolution=resolution,
            )
        )
    items.sort(key=lambda r: r.id)
    return items, {n[1] for n in graph.nodes if n[0] == "m"}, {n[1] for n in graph.nodes if n[0] == "i"}


def _guard_items(ctx: Context, rows: pd.DataFrame, freed: frozenset[str] = frozenset()) -> list:
    items = []
    m = ctx.members
    other_emails = set((m["email_key"] if not freed else m.loc[~member_of(m["member_id"], freed), "email_key"]).tolist())
    for row in rows.sort_values("member_id").itertuples(index=False):
        member = ctx.member_by_id[row.member_id]
        subject = person_ref(member_id=row.member_id, email=member.email, idp_id=row.idp_id,
                             user_name=row.scim_user_name)
        idp_ref = row.idp_id
        if row.guard == "review":
            items.append(
                make_review(
                    "user_name_guard.mismatch",
                    row.member_id,
                    blocking=True,
                    subject=subject,
                    message=(
                        f"IdP user {row.idp_id} sends userName {row.scim_user_name!r} but the Sigma member's "
                        f"email is {member.email!r}: Sigma would create a second account instead of linking"
                    ),
                    rule="user_name_guard.on_mismatch",
                    evidence={"linkedBy": row.key, "sigmaEmail": member.email, "idpUserName": row.scim_user_name},
                    resolution=yaml_snippet(
                        {"user_name_guard": {"overrides": {idp_ref: "update_sigma_email"}}},
                        {"user_name_guard": {"overrides": {idp_ref: "use_sigma_email"}}},
                        notes=[f"change the member's email to {row.scim_user_name} in Sigma before linking:"],
                    ),
                )
            )
        elif row.guard == "use_sigma_email":
            items.append(
                make_review(
                    "user_name_guard.configure_idp",
                    row.member_id,
                    blocking=False,
                    subject=subject,
                    message=(
                        f"link with userName {row.user_name!r}: set the Sigma app username of IdP user "
                        f"{row.idp_id} to {row.user_name!r} before provisioning, or Sigma creates a second account"
                    ),
                    rule="user_name_guard.on_mismatch",
                    evidence={"sigmaEmail": member.email, "idpUserName": row.scim_user_name},
                )
            )
        elif row.guard == "update_sigma_email" and email_key(row.scim_user_name) in other_emails:
            items.append(
                make_review(
                    "user_name_guard.email_taken",
                    row.member_id,
                    blocking=True,
                    subject=subject,
                    message=(
                        f"cannot change {member.email!r} to {row.scim_user_name!r}: another Sigma member already "
                        "has that email"
                    ),
                    rule="user_name_guard.on_mismatch",
                    resolution=yaml_snippet({"user_name_guard": {"overrides": {idp_ref: "use_sigma_email"}}}),
                )
            )
    return items


def _unclean_email_items(ctx: Context, rows: pd.DataFrame) -> list:
    """``linking.unclean_sigma_email`` (informational): the member's Sigma email is not what the IdP sends;
    the item names the member and the exact difference, and says the plan sets the email first."""
    items = []
    for row in rows.sort_values("member_id").itertuples(index=False):
        member = ctx.member_by_id[row.member_id]
        parts = unclean_parts(member.email) or [
            "it differs by more than letter case (Unicode compatibility forms)"]
        items.append(make_review(
            "linking.unclean_sigma_email",
            row.member_id,
            blocking=False,
            subject=person_ref(member_id=row.member_id, email=member.email, idp_id=row.idp_id,
                               user_name=row.user_name),
            message=(
                f"member {row.member_id}'s Sigma email {member.email!r} is not the userName the IdP will send "
                f"({row.user_name!r}): {'; '.join(parts)}. The plan sets the email to {row.user_name!r} "
                "(members.set_email) before the link, so the IdP's userName finds this member"
            ),
            rule="linking.clean_sigma_email",
            evidence={"sigmaEmail": member.email, "userName": row.user_name, "differences": parts},
        ))
    return items


def unsendable_user_name(value: object, idp_id: str = "") -> str | None:
    """Why ``value`` can never be the SCIM userName (= email) of a Sigma user, or ``None`` when it can be.

    ``"empty"`` (the mapped IdP attribute is empty: the IdP sends no userName and skips the user),
    ``"guest_upn"`` (an Entra B2B ``#EXT#`` UPN, docs/formats.md §3f: syntactically an address, but not
    the person's), ``"deleted_upn"`` (an Entra tombstone UPN of IdP user ``idp_id``,
    :func:`planner.sources.entra.deleted_user_upn`), ``"invalid"`` (not an email address,
    :func:`planner.sources.values.is_valid_email`). Issue 14 item 2: no plan, and no suggested fix,
    ever sends or proposes such a value.
    """
    if not isinstance(value, str) or not value.strip():
        return "empty"
    if is_ext_upn(value):
        return "guest_upn"
    if idp_id and deleted_user_upn(value.strip(), idp_id) is not None:
        return "deleted_upn"
    if not is_valid_email(value):
        return "invalid"
    return None


def _invalid_link_items(ctx: Context, rows: pd.DataFrame) -> list:
    """``user_name_guard.invalid_user_name`` for links: the IdP would send a userName Sigma cannot take."""
    items = []
    for row in rows.sort_values("member_id").itertuples(index=False):
        member = ctx.member_by_id[row.member_id]
        sent = row.user_name if row.guard == "use_sigma_email" else row.scim_user_name
        clean = clean_address(member.email)
        if row.guard != "use_sigma_email" and unsendable_user_name(clean) is None:
            resolution = yaml_snippet(
                {"user_name_guard": {"overrides": {row.idp_id: "use_sigma_email"}}},
                notes=[f"set the Sigma app's username of this IdP user to {clean} (the IdP sends it then):"],
            )
        else:
            resolution = (f"# give IdP user {row.idp_id} an email address as the Sigma app's username, and member "
                          f"{row.member_id} a valid email in Sigma, then plan again\n")
        items.append(_invalid_item(ctx, row.member_id, row.idp_id, sent, resolution,
                                   subject=person_ref(member_id=row.member_id, email=member.email, idp_id=row.idp_id,
                                                      user_name=row.scim_user_name),
                                   what=f"linking member {member.email!r}"))
    return items


def _invalid_create_item(ctx: Context, row) -> object:
    """``user_name_guard.invalid_user_name`` for a create."""
    primary = ctx.idp_by_id[row.idp_id].primary_email
    if (primary is not None and primary.type not in DERIVED_EMAIL_TYPES and primary.value != row.user_name
            and unsendable_user_name(primary.value, row.idp_id) is None):
        resolution = yaml_snippet(
            {"user_name_guard": {"overrides": {row.idp_id: "use_primary_email"}}},
            notes=[f"set the Sigma app's username of this IdP user to their email {primary.value} "
                   "(the IdP sends it then):"],
        )
    else:
        resolution = f"# give IdP user {row.idp_id} an email address as the Sigma app's username, then plan again\n"
    return _invalid_item(ctx, None, row.idp_id, row.user_name, resolution,
                         subject=_idp_ref(ctx, row.idp_id), what="creating this user")


def _invalid_item(ctx: Context, member_id, idp_id, sent, resolution, *, subject, what) -> object:
    problem = unsendable_user_name(sent, idp_id) or "invalid"
    if problem == "empty":
        mapped = ("its email is empty and the IdP app maps userName from the email (linking.scim_user_name: "
                  "primary_email, or user_name_guard.overrides: use_primary_email)"
                  if ctx.idp_by_id[idp_id].user_name.strip() else "its userName is empty")
        message = (f"IdP user {idp_id} sends no userName at all: {mapped}, so the IdP skips this user (Entra does "
                   f"not send it) and {what} cannot happen")
    elif problem == "guest_upn":
        message = (f"IdP user {idp_id} would send userName {sent!r}, an Entra B2B guest UPN (#EXT#), not the "
                   f"person's address: Sigma identifies SCIM users by their email, so {what} with it would give "
                   "them an address they never sign in with")
    elif problem == "deleted_upn":
        message = (f"IdP user {idp_id} would send userName {sent!r}, a deleted Entra user's UPN (the object id "
                   f"prefixed to the old UPN): no one signs in with it, so {what} with it cannot be right")
    else:
        message = (f"IdP user {idp_id} would send userName {sent!r}, which is not an email address: Sigma identifies "
                   f"SCIM users by an email userName and would refuse {what}")
    return make_review(
        "user_name_guard.invalid_user_name",
        member_id or idp_id,
        blocking=True,
        subject=subject,
        message=message,
        rule="user_name_guard",
        evidence={"userName": sent, "finding": "invalid-user-name", "problem": problem},
        resolution=resolution,
    )


def _rehire_item(ctx: Context, row) -> object:
    member = ctx.member_by_id[row.member_id]
    state = "archived" if member.is_archived else "inactive"
    return make_review(
        "linking.rehire",
        row.member_id,
        blocking=True,
        subject=person_ref(member_id=row.member_id, email=member.email, idp_id=row.idp_id, user_name=row.scim_user_name),
        message=(
            f"active IdP user {row.idp_id} matches {state} member {member.email!r}: reactivate the member "
            "(their documents come back) or decide otherwise"
        ),
        rule="linking.archived_members",
        evidence={"linkedBy": row.key, "isArchived": member.is_archived, "isInactive": member.is_inactive},
        resolution=yaml_snippet(
            {"linking": {"overrides": [{"idp": row.idp_id, "member": row.member_id}]}},
            {"linking": {"archived_members": "reactivate"}},
            notes=["reactivate this member and link it:"],
        ),
    )


def _collision_item(ctx: Context, row, key: str, freed: frozenset[str] = frozenset()) -> object:
    holders = [mid for mid in ctx.members.loc[ctx.members["email_key"] == key, "member_id"].tolist() if mid not in freed]
    return make_review(
        "linking.create_collides",
        row.idp_id,
        blocking=True,
        subject=_idp_ref(ctx, row.idp_id),
        message=(
            f"creating {row.user_name!r} collides with existing member(s) {', '.join(sorted(holders))} of the same "
            "email: Sigma links by email, so this would not be a new account"
        ),
        rule="linking",
        candidates=[_member_ref(ctx, mid) for mid in sorted(holders)],
        resolution=yaml_snippet({"linking": {"overrides": [{"idp": row.idp_id, "member": sorted(holders)[0]}]}}),
    )


def _plus_variant_items(ctx: Context, roster: pd.DataFrame) -> list:
    """Unmatched members whose +tag-free address belongs to someone else: reported, never merged."""
    keys = ctx.members["email_key"].tolist()
    row = ctx.member_row
    mids, iids, status = (roster[c].tolist() for c in ("member_id", "idp_id", "status"))
    variant_of: dict[str, str] = {}  # unmatched member -> its address without +tag
    for mid, st in zip(mids, status):
        if (st == "unmatched" or st == "held") and isinstance(mid, str) and mid in row:
            key = keys[row[mid]]
            if "+" in key:
                folded = PLUS_TAG.sub(r"\1@", key, count=1)
                if folded != key:
                    variant_of[mid] = folded
    if not variant_of:
        return []
    wanted = set(variant_of.values())
    owners: dict[str, list[str]] = {}  # folded address -> linked members who have it
    for mid, iid in zip(mids, iids):
        if isinstance(mid, str) and isinstance(iid, str) and mid in row and keys[row[mid]] in wanted:
            owners.setdefault(keys[row[mid]], []).append(mid)
    hits = sorted((mid, folded, sorted(owners[folded])) for mid, folded in variant_of.items() if folded in owners)
    items = []
    for member_id, key, base in hits:
        member = ctx.member_by_id[member_id]
        items.append(
            make_review(
                "linking.plus_variant",
                member_id,
                blocking=False,
                subject=person_ref(member_id=member_id, email=member.email),
                message=(
                    f"{member.email!r} is a +tag variant of {key!r} (member {', '.join(base)}, linked); Sigma "
                    "treats them as different members, so it is not merged and follows the `unmatched` policy"
                ),
                rule="linking.plus_address_folding",
                candidates=[_member_ref(ctx, mid) for mid in base],
            )
        )
    return items


# --------------------------------------------------------------------------- actions


def link_actions(
    ctx: Context,
    roster: pd.DataFrame,
    account_types: pd.DataFrame,
    frees: dict[str, list[tuple[str, str]]] | None = None,
    rivals: pd.DataFrame | None = None,
) -> Outcome:
    """``members.reactivate``, ``members.set_email``, ``scim.link_user``, ``scim.create_user``.

    ``account_types`` is indexed by ``person`` with column ``after`` (the
    userType to send, or ``None`` to send none). ``frees``: email key ->
    ``[(memberId, action id)]`` of the actions that move *other* members off
    that address (:mod:`.duplicates`); a link, create or email change sending
    the address depends on them. ``rivals``: :attr:`IdentityGraph.rivals`, the candidates each
    link won over (a link's ``evidence.lostCandidates``, issue 14 item 12). Target/after shapes
    are in docs/policy.md ("Actions").
    """
    frees = frees or {}
    lost = _lost_candidates(ctx, rivals)
    out = Outcome()
    after_type = (dict(zip(account_types["person"].tolist(), account_types["after"].tolist()))
                  if len(account_types) else {})
    m, u = ctx.members, ctx.idp_users
    m_email, m_first, m_last, m_type, m_kind, m_archived = (
        m[c].tolist() for c in ("email", "first_name", "last_name", "member_type", "user_kind", "is_archived"))
    u_user, u_scim, u_given, u_family, u_email, u_status = (
        u[c].tolist() for c in ("user_name", "scim_user_name", "given_name", "family_name", "email", "status"))

    member_rows, idp_rows = roster["member_row"].to_numpy(), roster["idp_row"].to_numpy()
    linked = roster[(roster["status"].isin(["link", "reactivate"]) | roster["converted"].astype(bool)).to_numpy()
                    & (member_rows >= 0) & (idp_rows >= 0)]
    linked = linked.iloc[sorted_positions(linked["member_id"])]
    columns = ("person", "member_id", "idp_id", "status", "key", "idp_field", "idp_value", "user_name",
               "user_name_key", "guard", "converted", "member_row", "idp_row")
    for person, mid, iid, status, key, idp_field, idp_value, user_name, user_name_key, guard, converted, i, j in zip(
        *(linked[c].tolist() for c in columns)
    ):
        email, idp_user_name, scim_user_name = m_email[i], u_user[j], u_scim[j]
        requires = []
        if status == "reactivate":
            out.actions.append(
                make_action(
                    ActionKind.MEMBERS_REACTIVATE,
                    mid,
                    target=MemberRef(member_id=mid, email=email),
                    before=ArchivedState(is_archived=True) if m_archived[i] else ArchivedState(is_inactive=True),
                    after=ArchivedState(is_archived=False) if m_archived[i] else ArchivedState(is_inactive=False),
                    rule="linking.archived_members",
                    reason=f"reactivate: IdP user {iid} ({idp_user_name}) is active again",
                    evidence=ReactivateEvidence(key=key),
                )
            )
            requires.append(action_id(ActionKind.MEMBERS_REACTIVATE, mid))
        if converted:
            requires.append(action_id(ActionKind.MEMBERS_CONVERT_GUEST, mid))
        freeing = [aid for other, aid in frees.get(user_name_key, ()) if other != mid] if frees else []
        requires += freeing
        # the member's email must be the userName the link sends (letter case aside): the userName guard's
        # update, or cleaning a Sigma email the IdP will never send as typed (issue 14 item 1)
        set_email = guard == "update_sigma_email" or (email != user_name and email.lower() != user_name.lower())
        if set_email:
            out.actions.append(
                make_action(
                    ActionKind.MEMBERS_SET_EMAIL,
                    mid,
                    target=MemberRef(member_id=mid, email=email),
                    before=EmailState(email=email),
                    after=EmailState(email=user_name),
                    rule="user_name_guard.update_sigma_email" if guard == "update_sigma_email"
                    else "linking.clean_sigma_email",
                    reason=(
                        f"change email to the IdP userName {user_name!r} so that the IdP's userName links "
                        "instead of creating a second account" if guard == "update_sigma_email" else
                        f"set email to {user_name!r}, the userName the IdP will send: the Sigma email {email!r} "
                        "is not it, and the IdP's userName must find this member"
                    ),
                    evidence=SetEmailEvidence(idp_id=iid),
                    depends_on=freeing,
                )
            )
            requires.append(action_id(ActionKind.MEMBERS_SET_EMAIL, mid))
        user_type = after_type.get(person)
        after = ScimUserAfter(
            user_name=user_name,
            given_name=clean_text(u_given[j] or m_first[i]),
            family_name=clean_text(u_family[j] or m_last[i]),
            active=True,
            email=user_name if set_email else UNSET,
            user_type=UNSET if user_type is None else user_type,
        )
        target = LinkUserTarget(member_id=mid, email=email, user_name=user_name, idp_id=iid,
                                idp_user_name=scim_user_name if scim_user_name != user_name else UNSET)
        rivals_of = lost.get(("m", mid), []) + lost.get(("i", iid), []) if lost else []
        evidence = LinkUserEvidence(
            key=key, idp_field=idp_field,
            idp_value=idp_value if idp_value != scim_user_name else UNSET,
            user_name_guard=guard or UNSET,
            lost_candidates=rivals_of or UNSET,
        )
        out.actions.append(
            ScimLinkUser(
                id=action_id(ActionKind.SCIM_LINK_USER, mid),
                target=target,
                before=LinkUserBefore(member_type=m_type[i], user_kind=m_kind[i]),
                after=after,
                rule="linking.overrides" if key == "override" else f"linking.{key.split(':')[0]}",
                reason=_link_reason(key, iid, idp_user_name, idp_field, idp_value) + _lost_reason(rivals_of),
                evidence=evidence,
                depends_on=tuple(sorted(set(requires))) if requires else (),
            )
        )

    created = roster[(roster["status"] == "create").to_numpy() & (idp_rows >= 0)]
    created = created.iloc[sorted_positions(created["idp_id"])]
    for person, iid, user_name, user_name_key, j in zip(
        *(created[c].tolist() for c in ("person", "idp_id", "user_name", "user_name_key", "idp_row"))
    ):
        email = clean_address(u_email[j]) or user_name
        user_type = after_type.get(person)
        after = ScimUserAfter(user_name=user_name, given_name=clean_text(u_given[j]),
                              family_name=clean_text(u_family[j]), active=True,
                              email=email if email != user_name else UNSET,
                              user_type=UNSET if user_type is None else user_type)
        freeing = frees.get(user_name_key) if frees else None
        out.actions.append(
            ScimCreateUser(
                id=action_id(ActionKind.SCIM_CREATE_USER, iid),
                target=CreateUserTarget(idp_id=iid, user_name=user_name, email=email),
                before=None,
                after=after,
                rule="linking.create",
                reason=f"create: IdP user {iid} ({user_name}) is in scope and matches no Sigma member",
                evidence=CreateUserEvidence(idp_status=u_status[j] or None),
                depends_on=tuple(sorted({aid for _, aid in freeing})) if freeing else (),
            )
        )
    return out


def _lost_candidates(ctx: Context, rivals: pd.DataFrame | None) -> dict[tuple[str, str], list[LostCandidate]]:
    """``{("m", memberId) | ("i", idpId): [candidate]}``: the other people a linked member or IdP user
    matched by a key that came after a link of one of them, each ``{"idpId"|"memberId", "key", "field",
    "value"}`` (``field``/``value``: what matched on the candidate's side)."""
    out: dict[tuple[str, str], list[LostCandidate]] = {}
    if rivals is None or rivals.empty:
        return out
    for mid, iid, key, sigma_value, idp_field, idp_value in rivals[EDGE_COLUMNS].itertuples(index=False, name=None):
        out.setdefault(("m", mid), []).append(LostCandidate(idp_id=iid, key=key, field=idp_field, value=idp_value))
        out.setdefault(("i", iid), []).append(LostCandidate(member_id=mid, key=key, field="email", value=sigma_value))
    return out


def _lost_reason(lost: list[LostCandidate]) -> str:
    """The reason's tail naming the candidates a link won over (``""`` for none)."""
    if not lost:
        return ""
    named = ", ".join(f"{'member ' + c.member_id if c.idp_id is UNSET else 'IdP user ' + c.idp_id} "
                      f"({c.field} {c.value}, by {c.key})" for c in lost)
    return f"; also matched, not linked: {named}"


def _link_reason(key: str, idp_id: str, idp_user_name: str, idp_field: str, idp_value: str) -> str:
    if key == "user_name":
        what = "the Sigma email equals the IdP userName"
    elif key == "override":
        what = f"linking.overrides says IdP user {idp_id} is this member"
    elif key == "scim":
        what = f"Sigma's SCIM state already links them (SCIM {idp_field} {idp_value!r})"
    elif key == "emails":
        what = f"the Sigma email equals the IdP user's {idp_field}"
    elif key == "domain_aliases":
        what = f"the Sigma email equals the IdP {idp_field} {idp_value!r} with the domain alias"
    elif key == "plus_address_folding":
        what = f"the Sigma email equals the IdP {idp_field} {idp_value!r} without +tag"
    else:
        what = f"IdP {idp_field} equals the member's {key.split('=')[-1]} ({idp_value})"
    return f"link to IdP user {idp_id} ({idp_user_name}): {what}"
