"""Duplicate email addresses: two or more Sigma members whose emails have the same key.

Sigma links a SCIM user to an existing member **by email**, and its ``userName``
lookup ignores letter case (docs/sigma-api.md §5.3, samples/acme case 4): while a
second member holds the address (even archived), the link of the first one is
ambiguous and Sigma refuses it (409 "userName ... matches 2 members"). Sigma's
export keeps such pairs (``Bob.Ray@`` next to ``bob.ray@``, docs/formats.md §0.5),
so the plan must free the address on every member but the one who keeps it,
*before* that member is linked:

- the policy names who keeps the address (a ``linking.overrides`` entry, or
  any link the match keys make) and what happens to the others,
  ``linking.duplicates: {<memberId>: rename | deactivate}``;
- each renamed member gets ``members.set_email`` to a free, deterministic
  alias (:func:`alias_email`: ``<local>+dup-<memberId prefix>@<domain>``);
  with ``deactivate`` it is then deactivated (:mod:`.unmatched`), otherwise
  it follows the ``unmatched`` policy like any member nobody links;
- every link, create or ``members.set_email`` that sends the address depends
  on those renames (:attr:`AddressResult.frees`);
- a shared address the plan would send (or that makes a match ambiguous) while
  another holder still has it is one blocking ``linking.duplicate_email``
  review item listing every holder (memberId, email as spelled, status,
  account type, team count), with the policy snippet that settles it. It
  replaces the ``linking.ambiguous`` item of a match that the shared address
  alone explains.

The IdP side has its own duplicates (issue 14 item 3): two IdP users the IdP
would provision whose userName (as sent) or primary email have the same key
(letter case aside). The IdP pushes both; Sigma, which identifies a user by that
address, would end with two accounts for one person (or refuse one). Every such
group is one blocking ``linking.idp_duplicate`` item covering every user in it
(:func:`idp_collisions`); nobody in it is linked or created, and no member they
match is deactivated, until ``linking.excluded_idp_users`` names the accounts
that are not the person's (:func:`resolve_excluded`): those are never linked nor
created (an informational ``linking.idp_user_excluded`` item reminds to unassign
them from the Sigma app in the IdP).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import networkx as nx
import pandas as pd

from ..matching import AmbiguousGroup, IdentityGraph
from ..model import ActionKind, email_key
from ..sources.values import clean_address
from ..payloads import EmailState, MemberRef, SetEmailEvidence
from . import Outcome, action_id, make_action, make_review, yaml_snippet
from ..tables import Context, find_idp_id, find_member_id, member_of

ALIAS_TAG = "dup"
"""Subaddress tag of the alias a renamed duplicate gets (RFC 5233: ``local+dup-<id>@domain``)."""

_LOCAL_PART_MAX = 64  # RFC 5321 §4.5.3.1.1


def shared_addresses(ctx: Context) -> dict[str, tuple[str, ...]]:
    """``{email key: sorted memberIds}`` for every key two or more members have (archived ones included)."""
    keys = ctx.members["email_key"]
    shared = (keys.duplicated(keep=False) & (keys != "")).to_numpy()
    if not shared.any():
        return {}
    out: dict[str, list[str]] = {}
    for mid, key in zip(ctx.members["member_id"][shared].tolist(), keys[shared].tolist()):
        out.setdefault(key, []).append(mid)
    return {key: tuple(sorted(mids)) for key, mids in out.items()}


def explains(ctx: Context, group: AmbiguousGroup) -> str | None:
    """The shared address that alone makes ``group`` ambiguous, else ``None``.

    That is one IdP user and two or more members who all have the same email
    key: the IdP user is one of them, and only a decision about the address
    (who keeps it) settles it.
    """
    if len(group.idp_ids) != 1 or len(group.member_ids) < 2:
        return None
    keys = {_key_of(ctx, mid) for mid in group.member_ids}
    key = keys.pop()
    return key if not keys and key else None


def _key_of(ctx: Context, member_id: str) -> str:
    member = ctx.member_by_id[member_id]
    return member.email_key or email_key(member.email)


def alias_email(email: str, member_id: str, taken: set[str]) -> str:
    """A free alias for a duplicate's address: ``<local>+dup-<memberId prefix>@<domain>``.

    The prefix is the first 6 characters of the memberId (letters, digits, ``_``
    and ``-`` only), longer when the alias' key is in ``taken`` (email keys of
    every member, IdP userName and email, and the aliases chosen before), then
    the whole memberId with a counter. The local part is cut to stay within 64
    characters (RFC 5321 §4.5.3.1.1). ``Bob.Ray@acme.example`` of member
    ``ECiBauGWbd...`` gives ``Bob.Ray+dup-ECiBau@acme.example``.
    """
    clean = clean_address(email)  # what is written is normalized (issue 14 item 1)
    local, _, domain = clean.rpartition("@")
    if not local or not domain or any(c.isspace() for c in clean):
        local, domain = "member", "duplicates.invalid"  # reserved TLD (RFC 2606): never delivered
    ident = re.sub(r"[^A-Za-z0-9_-]", "", member_id) or "member"
    tags = [f"+{ALIAS_TAG}-{ident[:n]}" for n in range(min(6, len(ident)), len(ident) + 1)]
    tags += [f"+{ALIAS_TAG}-{ident}-{n}" for n in range(2, 2 + len(taken) + 1)]
    for tag in tags:
        candidate = f"{local[:_LOCAL_PART_MAX - len(tag)]}{tag}@{domain}"
        if email_key(candidate) not in taken:
            return candidate
    raise AssertionError("unreachable: more tags than taken addresses")


@dataclass
class Renames:
    """``linking.duplicates`` resolved: ``decisions`` memberId -> ``rename`` | ``deactivate``
    (only members whose address another member shares), and review items for entries that
    name nobody or a member whose address nobody else has."""

    decisions: dict[str, str] = field(default_factory=dict)
    outcome: Outcome = field(default_factory=Outcome)

    @property
    def renamed(self) -> frozenset[str]:
        return frozenset(self.decisions)


def resolve(ctx: Context, shared: dict[str, tuple[str, ...]]) -> Renames:
    """Resolve ``linking.duplicates`` (keys: memberId, or an email that names one member)."""
    out = Renames()
    holders = {mid for mids in shared.values() for mid in mids}
    for ref, how in ctx.policy.linking.duplicates.items():
        loc = ctx.policy.location("linking", "duplicates", ref)
        mid = find_member_id(ctx, ref)
        if mid is None:
            out.outcome.review_items.append(
                make_review(
                    "linking.override_unknown",
                    f"member={ref}",
                    blocking=True,
                    subject={"member": ref},
                    message=f"linking.duplicates at {loc} names member {ref!r}, which is not in the Sigma export",
                    rule="linking.duplicates",
                    resolution=f"# remove or correct the entry at {loc}\n",
                )
            )
        elif mid not in holders:
            out.outcome.review_items.append(
                make_review(
                    "linking.duplicate_unused",
                    mid,
                    blocking=False,
                    subject={"memberId": mid, "email": ctx.member_by_id[mid].email},
                    message=(
                        f"linking.duplicates at {loc} names member {mid} ({ctx.member_by_id[mid].email}), whose "
                        "address no other member has: nothing to free, the entry has no effect"
                    ),
                    rule="linking.duplicates",
                    resolution=f"# remove the entry at {loc}\n",
                )
            )
        else:
            out.decisions[mid] = how
    return out


@dataclass
class AddressResult:
    """``members.set_email`` renames and ``linking.duplicate_email`` items (``outcome``), and
    ``frees``: email key -> ``[(memberId, id of the action that moves that member off the key)]``,
    the dependencies of every link, create or email change that sends the key."""

    outcome: Outcome
    frees: dict[str, list[tuple[str, str]]]


def decide(
    ctx: Context,
    roster: pd.DataFrame,
    graph: IdentityGraph,
    shared: dict[str, tuple[str, ...]],
    renames: Renames,
) -> AddressResult:
    """Renames, their dependencies, and the blocking items for shared addresses (module docstring).

    ``roster`` is the linking roster after :mod:`.guests` (``user_name_key``
    column: the key of the userName the plan sends). Pure.
    """
    out = Outcome()
    out.extend(renames.outcome)
    frees: dict[str, list[tuple[str, str]]] = {}
    if not shared:
        return AddressResult(out, frees)

    linked = roster["status"].isin(["link", "reactivate"]).to_numpy() | roster["converted"].astype(bool).to_numpy()
    in_use = member_of(roster["user_name_key"], shared)
    moving = linked & (roster["guard"] == "update_sigma_email").to_numpy()
    rows = roster[(linked & in_use) | moving]
    # who is linked with which shared address; who leaves theirs through the userName guard
    users_of: dict[str, list[tuple[str, str]]] = {}
    moved_to: dict[str, str] = {}
    for mid, iid, key, guard, is_linked in zip(rows["member_id"].tolist(), rows["idp_id"].tolist(),
                                               rows["user_name_key"].tolist(), rows["guard"].tolist(),
                                               linked[(linked & in_use) | moving].tolist()):
        if key in shared and is_linked and mid in shared[key]:
            users_of.setdefault(key, []).append((mid, iid))
        if guard == "update_sigma_email":
            moved_to[mid] = key
    ambiguous: dict[str, list[AmbiguousGroup]] = {}
    for group in graph.ambiguous:
        key = explains(ctx, group)
        if key is not None:
            ambiguous.setdefault(key, []).append(group)

    taken: set[str] | None = None
    teams: dict[str, int] | None = None
    for key in sorted(shared):
        holders = shared[key]
        users = sorted(users_of.get(key, []))
        user_ids = {mid for mid, _ in users}
        moved = {h for h in holders if h in moved_to and moved_to[h] != key}
        renamed = [h for h in holders if h in renames.decisions and h not in user_ids and h not in moved]
        for mid in renamed:
            if taken is None:
                taken = _taken_addresses(ctx)
            member = ctx.member_by_id[mid]
            alias = alias_email(member.email, mid, taken)
            taken.add(email_key(alias))
            others = [h for h in holders if h != mid]
            how = renames.decisions[mid]
            out.actions.append(
                make_action(
                    ActionKind.MEMBERS_SET_EMAIL,
                    mid,
                    target=MemberRef(member_id=mid, email=member.email),
                    before=EmailState(email=member.email),
                    after=EmailState(email=alias),
                    rule="linking.duplicates",
                    reason=(
                        f"free the address {member.email!r}, which member(s) {', '.join(others)} also have: Sigma "
                        f"links a SCIM user by email, so only one member may hold it (linking.duplicates: {how})"
                    ),
                    evidence=SetEmailEvidence(address=key, shared_with=others, decision=how),
                )
            )
        frees[key] = sorted([(h, action_id(ActionKind.MEMBERS_SET_EMAIL, h)) for h in renamed + sorted(moved)])

        left = [h for h in holders if h not in user_ids and h not in moved and h not in renames.decisions]
        groups = ambiguous.get(key, [])
        clash = sorted(h for h in user_ids if h in renames.decisions)
        if groups or len(users) > 1 or (users and left) or clash:
            if teams is None:  # team counts of every holder, counted once
                tm = ctx.team_members
                all_holders = {mid for mids in shared.values() for mid in mids}
                teams = tm.loc[member_of(tm["member_id"], all_holders), "member_id"].value_counts().to_dict()
            out.review_items.append(
                _duplicate_item(ctx, key, holders, users, groups, renames, moved, left, clash, teams)
            )
    return AddressResult(out, frees)


def _taken_addresses(ctx: Context) -> set[str]:
    """Every email key an alias must avoid: members' emails, IdP userNames and emails."""
    taken = set(ctx.members["email_key"].tolist())
    taken.update(ctx.idp_users["user_name_key"].tolist())
    taken.update(ctx.idp_users["scim_user_name_key"].tolist())
    taken.update(ctx.idp_emails["key"].tolist())
    return taken


def _status(member) -> str:
    return "archived" if member.is_archived else "inactive" if member.is_inactive else "active"


def _keeper_rank(ctx: Context, mid: str, teams: dict[str, int], user_name: str):
    """Sort key of the member suggested to keep an address (only an example for the reviewer):
    active first, then the one in more teams, then the one spelled as the IdP sends it."""
    member = ctx.member_by_id[mid]
    return (not member.is_active, -teams.get(mid, 0), member.email != user_name, mid)


def _duplicate_item(ctx: Context, key, holders, users, groups, renames: Renames, moved, left, clash, teams):
    idp_ids = sorted({iid for _, iid in users} | {i for g in groups for i in g.idp_ids})
    user_ids = {mid for mid, _ in users}
    candidates = []
    for mid in holders:
        member = ctx.member_by_id[mid]
        if mid in clash:
            decision = "linked with this address, but linking.duplicates renames it"
        elif mid in user_ids:
            decision = "keeps the address (linked)"
        elif mid in renames.decisions:
            decision = f"address freed (linking.duplicates: {renames.decisions[mid]})"
        elif mid in moved:
            decision = "moves to the IdP userName (user_name_guard)"
        else:
            decision = "undecided"
        candidate = {
            "memberId": mid,
            "email": member.email,
            "status": _status(member),
            "memberType": member.member_type,
            "teams": int(teams.get(mid, 0)),
        }
        if member.created_at:
            candidate["createdAt"] = member.created_at
        candidate["decision"] = decision
        candidates.append(candidate)
    for iid in idp_ids:
        user = ctx.idp_by_id[iid]
        candidates.append({"idpId": iid, "userName": user.user_name})

    notes: list[str] = []
    if clash:
        notes.append(f"the member linked with this address cannot be renamed: remove {', '.join(clash)} from "
                     "linking.duplicates")
        resolution = "".join(f"# {n}\n" for n in notes)
    elif len(users) > 1:
        resolution = ("# only one member can be linked with this address: link the others with another userName "
                      "(user_name_guard) or rename them (linking.duplicates)\n")
    else:
        settle: dict = {}
        if users:
            keeper = users[0][0]
        else:
            iid = idp_ids[0]
            user_name = ctx.idp_by_id[iid].user_name
            keeper = min(holders, key=lambda m: _keeper_rank(ctx, m, teams, user_name))
            settle["overrides"] = [{"idp": iid, "member": keeper}]
            notes.append(f"who keeps the address: {keeper} is only an example (the active one in the most teams); "
                         "pick the account that holds the person's work")
        others = [h for h in left if h != keeper]
        if others:
            settle["duplicates"] = {h: "rename" for h in others}
            notes.append("free the address of the others (`deactivate` also deactivates them):")
        alternatives = []
        if others:
            alternatives.append({"linking": {**settle, "duplicates": {h: "deactivate" for h in others}}})
        resolution = yaml_snippet({"linking": settle}, *alternatives, notes=notes)

    if groups:
        why = (f"IdP user {', '.join(idp_ids)} matches all of them: linking one of them would be a guess, and Sigma "
               "links by email, so it could not tell them apart anyway")
    elif clash:
        why = "a member the plan links with this address is also renamed by linking.duplicates"
    elif len(users) > 1:
        why = f"the plan links {len(users)} of them with this address"
    else:
        why = (f"the plan links {users[0][0]} with this address, and Sigma refuses the link (409 \"matches "
               f"{len(holders)} members\") while {', '.join(left)} still hold(s) it")
    return make_review(
        "linking.duplicate_email",
        key,
        blocking=True,
        subject={"email": key, "memberIds": list(holders), "idpIds": idp_ids},
        message=f"{key} is the email of {len(holders)} Sigma members (letter case aside): {why}",
        rule="linking.duplicates",
        candidates=candidates,
        evidence={"address": key},
        resolution=resolution,
    )


# --------------------------------------------------------------------------- IdP-side duplicates


@dataclass(frozen=True)
class IdpCollision:
    """IdP users the IdP would provision that share an address: ``keys`` (email keys, sorted) and
    ``idp_ids`` (sorted), one connected group (a shares with b, b with c: one group)."""

    keys: tuple[str, ...]
    idp_ids: tuple[str, ...]


def resolve_excluded(ctx: Context) -> tuple[frozenset[str], Outcome]:
    """``linking.excluded_idp_users`` -> (IdP ids, review items).

    An entry naming nobody in the IdP export is a blocking ``linking.override_unknown``
    item; an excluded user the IdP would provision (active, in scope) gets the
    informational ``linking.idp_user_excluded`` item: the IdP must stop provisioning it.
    """
    out = Outcome()
    ids: set[str] = set()
    for i, ref in enumerate(ctx.policy.linking.excluded_idp_users):
        iid = find_idp_id(ctx, ref)
        if iid is None:
            loc = ctx.policy.location("linking", "excluded_idp_users", i)
            out.review_items.append(make_review(
                "linking.override_unknown", f"idp={ref}", blocking=True, subject={"idp": ref},
                message=f"linking.excluded_idp_users at {loc} names IdP user {ref!r}, which is not in the IdP export",
                rule="linking.excluded_idp_users", resolution=f"# remove or correct the entry at {loc}\n"))
            continue
        ids.add(iid)
    in_scope = dict(zip(ctx.idp_users["idp_id"].tolist(), ctx.idp_users["in_scope"].tolist()))
    for iid in sorted(ids):
        if in_scope.get(iid):
            user = ctx.idp_by_id[iid]
            out.review_items.append(make_review(
                "linking.idp_user_excluded", iid, blocking=False,
                subject={"idpId": iid, "userName": user.user_name},
                message=(f"IdP user {iid} ({user.user_name}) is excluded by linking.excluded_idp_users: the plan "
                         "neither links nor creates it; unassign it from the Sigma app in the IdP, or the IdP "
                         "provisions it anyway"),
                rule="linking.excluded_idp_users"))
    return frozenset(ids), out


def idp_collisions(ctx: Context, excluded: frozenset[str] = frozenset()) -> list[IdpCollision]:
    """Groups of IdP users the IdP would provision (active, in scope, not excluded) whose sent
    userName or primary email share a key (:func:`planner.model.email_key`), sorted by their ids."""
    u, e = ctx.idp_users, ctx.idp_emails
    live = u["in_scope"].to_numpy(dtype=bool)
    if excluded:
        live = live & ~member_of(u["idp_id"], excluded)
    live_ids = set(u["idp_id"][live].tolist())
    pairs = list(zip(u["idp_id"][live].tolist(), u["scim_user_name_key"][live].tolist()))
    primary = e[(e["position"] == 0).to_numpy()]
    pairs += [(i, k) for i, k in zip(primary["idp_id"].tolist(), primary["key"].tolist()) if i in live_ids]
    holders: dict[str, set[str]] = {}
    for iid, key in pairs:
        if key:
            holders.setdefault(key, set()).add(iid)
    shared = {k: v for k, v in holders.items() if len(v) > 1}
    if not shared:
        return []
    graph = nx.Graph()
    graph.add_edges_from((("k", k), ("i", i)) for k, ids in shared.items() for i in ids)
    out = [IdpCollision(tuple(sorted(n[1] for n in c if n[0] == "k")), tuple(sorted(n[1] for n in c if n[0] == "i")))
           for c in nx.connected_components(graph)]
    return sorted(out, key=lambda c: c.idp_ids)


def idp_collision_items(ctx: Context, collisions: list[IdpCollision], graph: IdentityGraph) -> list:
    """One blocking ``linking.idp_duplicate`` item per :class:`IdpCollision` (module docstring).

    Candidates: every user in the group with its userName as sent, primary email, status, the
    row it came from and the member a match key joins it to. The snippet keeps, as an example,
    the user a match key links to a member (else the first) and excludes the others.
    """
    if not collisions:
        return []
    linked = dict(zip(graph.links["idp_id"].tolist(), graph.links["member_id"].tolist()))
    joined: dict[str, set[str]] = {}  # IdP id -> members an ambiguous match joins it to
    for group in graph.ambiguous:
        for edge in group.edges:
            joined.setdefault(edge[1], set()).add(edge[0])
    u = ctx.idp_users
    row = ctx.idp_row
    sent, status = u["scim_user_name"].tolist(), u["status"].tolist()
    items = []
    for c in collisions:
        candidates = []
        for iid in c.idp_ids:
            user = ctx.idp_by_id[iid]
            primary = user.primary_email
            cand = {"idpId": iid, "userName": sent[row[iid]], "email": primary.value if primary else None,
                    "status": status[row[iid]] or "active"}
            if user.source is not None:
                cand["row"] = str(user.source)
            matches = sorted({linked[iid]} if iid in linked else joined.get(iid, set()))
            if matches:
                cand["matches"] = matches
            candidates.append({k: v for k, v in cand.items() if v is not None})
        keeper = next((i for i in c.idp_ids if i in linked), c.idp_ids[0])
        others = [i for i in c.idp_ids if i != keeper]
        items.append(make_review(
            "linking.idp_duplicate", c.idp_ids[0], blocking=True,
            subject={"idpIds": list(c.idp_ids), "addresses": list(c.keys)},
            message=(
                f"IdP users {', '.join(c.idp_ids)} share {', '.join(c.keys)} (letter case aside) as userName or "
                "email: the IdP would provision each of them, and Sigma, which identifies a user by that address, "
                "would hold two accounts for one person or refuse one; none is linked or created until the policy "
                "says which accounts are not the person's"
            ),
            rule="linking.excluded_idp_users",
            candidates=candidates,
            evidence={"addresses": list(c.keys), "rows": [cand.get("row", "") for cand in candidates]},
            resolution=yaml_snippet(
                {"linking": {"excluded_idp_users": others}},
                notes=[f"{keeper} is the person's account ({'a Sigma member matches it' if keeper in linked else 'only an example'}); "
                       "exclude the others and unassign them from the Sigma app in the IdP",
                       "or give each its own address in the IdP, export again and plan again"],
            ),
        ))
    return items
