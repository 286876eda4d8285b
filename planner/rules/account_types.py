"""Account types: IdP group -> Sigma account type, precedence, default, upgrades and downgrades.

The IdP sends the account type as SCIM ``userType`` and Sigma applies it to a
linked member, overriding what was set in Sigma; the value must equal the
account type name exactly, case-sensitively (docs/sigma-api.md §5.2, §5.3). So:

- every account type the policy names is checked against the organization's
  ``accountTypeName`` list when the export has it (:func:`validate_names`,
  a :class:`~planner.policy.PolicyError` with a "did you mean");
- a user's type comes from, first that applies: ``account_types.overrides``;
  the mapped groups they are in (nested groups flattened), the highest in
  ``precedence`` when several (a user in two mapped groups whose types
  ``precedence`` does not order stops the plan with a policy error); the
  ``default`` (an account type, or ``keep`` the current one; created users get
  ``new_user_default``);
- each linked member's change is ``unchanged``, ``upgrade``, ``downgrade``
  (by ``precedence``, else by the built-in ranking of Sigma's default types) or
  ``custom_replacement``: a change from or to a type neither ranks (a custom
  account type such as "Finance Power User" replaced by "Analyze"), which no
  ranking can call an upgrade or a downgrade; leaving Admin is always a
  downgrade and reaching it an upgrade (Admin is above every type);
- downgrades follow ``on_downgrade``; downgrades of admins are blocking unless
  listed in ``acknowledged_downgrades``; custom replacements follow
  ``on_custom_replacement`` (``acknowledged_replacements``);
- the protected people (``organization.scim_setup_admin``,
  ``api_credential_owner``) never lose an admin type in the plan: the SCIM
  token and the REST credentials stop working (docs/sigma-api.md §5.1, §1.2). They
  keep their current type, and a blocking ``account_types.protected_account``
  item says the IdP must assign it too (else its next push applies the change
  anyway); an ``overrides`` entry with the admin type (the IdP's individual
  assignment) settles it.
"""

from __future__ import annotations

import difflib
from typing import Collection

import numpy as np

import msgspec
import pandas as pd

from ..model import ActionKind, email_key
from ..policy import KEEP, group_pattern_matcher
from ..payloads import UNSET, AccountTypeEvidence, AccountTypeTarget, MemberTypeState, UserTypeState
from . import Outcome, action_id, make_action, make_review, person_ref, yaml_snippet
from ..directory import PROTECTED_BECAUSE
from ..tables import Context, member_of, protected_refs, take_rows

BUILTIN_TIERS = {
    "admin": 100,
    "build": 80,
    "pro": 80,
    "creator": 80,
    "author": 75,
    "analyze": 60,
    "essential": 60,
    "explorer": 60,
    "act": 40,
    "view": 20,
    "lite": 20,
    "viewer": 20,
}
"""Rank of Sigma's built-in account types across licence models (docs/sigma-api.md §4.2), higher = more."""

CHANGE_LABEL = {"custom_replacement": "custom-type replacement"}
"""How an action's reason names a change category (the others by their own name)."""

TYPES_COLUMNS = ["person", "member_id", "idp_id", "before", "after", "change", "source", "groups", "acknowledged"]


def validate_names(ctx: Context) -> None:
    """Raise :class:`~planner.policy.PolicyError` for an account type the organization does not have.

    Skipped when the Sigma export has no ``account_types.json``.
    """
    if ctx.account_type_names is None:
        return
    known = set(ctx.account_type_names)
    at = ctx.policy.account_types
    named: list[tuple[tuple, str]] = []
    named += [(("account_types", "group_map", group), t) for group, t in at.group_map.items()]
    named += [(("account_types", "precedence", i), t) for i, t in enumerate(at.precedence)]
    if at.default != KEEP:
        named.append((("account_types", "default"), at.default))
    if at.new_user_default is not None:
        named.append((("account_types", "new_user_default"), at.new_user_default))
    named += [(("account_types", "overrides", who), t) for who, t in at.overrides.items()]
    for loc, name in named:
        if name in known:
            continue
        close = ctx.account_type_spelling(name) or next(iter(difflib.get_close_matches(name, sorted(known), n=1)), None)
        hint = f"; did you mean {close!r}?" if close else ""
        raise ctx.policy.error(
            loc,
            f"{name!r} is not an account type of this organization (Sigma matches userType "
            f"case-sensitively){hint} Known: {', '.join(sorted(known))}",
        )


def builtin_tier(name: str, custom: Collection[str] = ()) -> int | None:
    """The :data:`BUILTIN_TIERS` rank of a built-in account type; ``None`` for a custom one (not
    a built-in name, or one the organization marks ``isCustom``, docs/sigma-api.md §4.1)."""
    return None if name in custom else BUILTIN_TIERS.get(name.casefold())


def rank(name: str | None, precedence: list[str], custom: Collection[str] = (),
         admin: Collection[str] = ()) -> tuple[int, int] | None:
    """Sort key of an account type, higher = more privileged: (1, -position) when in
    ``precedence``, (0, tier) for a built-in type or one of ``admin`` (``guards.admin_account_types``
    case-folded: :data:`ADMIN_TIER`), ``None`` when unranked."""
    if name is None:
        return None
    if name in precedence:
        return (1, -precedence.index(name))
    if name.casefold() in admin:
        return (0, ADMIN_TIER)
    tier = builtin_tier(name, custom)
    return (0, tier) if tier is not None else None


ADMIN_TIER = max(BUILTIN_TIERS.values())


def classify(before: str | None, after: str | None, precedence: list[str], custom: Collection[str] = (),
             admin: Collection[str] = ()) -> str:
    """``unchanged`` | ``upgrade`` | ``downgrade`` | ``custom_replacement``.

    First by ``admin`` (``guards.admin_account_types`` case-folded): leaving an admin type for a
    non-admin one is a ``downgrade`` and the reverse an ``upgrade``, whatever ``precedence`` says
    (an admin's privileges are the ones the guards protect). Then by ``precedence`` when it lists
    both types, else by :data:`BUILTIN_TIERS` when both are built-in (two built-in types of one
    tier count as a downgrade, the careful side). A change from or to a type neither orders is a
    ``custom_replacement`` (``"Finance Power User"`` -> ``"Analyze"``), except that leaving
    Admin is a ``downgrade`` and reaching it an ``upgrade``. ``custom``: names the organization
    marks ``isCustom`` (never ranked as built-in).
    """
    if before is None or after is None or before == after:
        return "unchanged"
    was, now = before.casefold() in admin, after.casefold() in admin
    if was != now:
        return "downgrade" if was else "upgrade"
    if before in precedence and after in precedence:
        return "upgrade" if precedence.index(after) < precedence.index(before) else "downgrade"
    b, a = builtin_tier(before, custom), builtin_tier(after, custom)
    if b is not None and a is not None:
        if a == b:
            return "unchanged" if before.casefold() == after.casefold() else "downgrade"
        return "upgrade" if a > b else "downgrade"
    if b == ADMIN_TIER:
        return "downgrade"
    if a == ADMIN_TIER:
        return "upgrade"
    return "custom_replacement"


def person_resolver(ctx: Context):
    """A function: policy reference (email, memberId, IdP id or userName) -> roster person keys."""
    by_key: dict[str, set[str]] = {}
    for mid, key in zip(ctx.members["member_id"].tolist(), ctx.members["email_key"].tolist()):
        by_key.setdefault(key, set()).add("m:" + mid)
    u = ctx.idp_users
    for col in ("user_name_key", "scim_user_name_key"):
        for iid, key in zip(u["idp_id"].tolist(), u[col].tolist()):
            by_key.setdefault(key, set()).add("i:" + iid)

    def resolve(ref: str) -> set[str]:
        keys = set(by_key.get(email_key(ref), ()))
        if ref in ctx.member_by_id:
            keys.add("m:" + ref)
        if ref in ctx.idp_by_id:
            keys.add("i:" + ref)
        return keys

    return resolve


def _mapped_types(ctx: Context) -> pd.DataFrame:
    """``idp_id, account_type, group`` for every membership of a mapped group (first matching entry wins)."""
    groups = ctx.groups
    rows = []
    taken: set[str] = set()
    for entry, (pattern, account_type) in enumerate(ctx.policy.account_types.group_map.items()):
        match = group_pattern_matcher(pattern)
        for gid, name in zip(groups["group_id"].tolist(), groups["display_name"].tolist()):
            if gid not in taken and match(name):
                taken.add(gid)
                rows.append((gid, name, account_type, entry))
    gm = ctx.group_members
    gm = gm[member_of(gm["group_id"], taken)]
    name_of = {gid: name for gid, name, _, _ in rows}
    type_of = {gid: account_type for gid, _, account_type, _ in rows}
    gids = gm["group_id"].tolist()
    return pd.DataFrame(
        {"idp_id": gm["idp_id"].tolist(), "account_type": [type_of[g] for g in gids],
         "group": [name_of[g] for g in gids]},
        dtype=object,
    )


def decide(ctx: Context, roster: pd.DataFrame) -> tuple[pd.DataFrame, Outcome]:
    """The account type of every person who will be provisioned, and the changes.

    Returns a table with :data:`TYPES_COLUMNS` indexed by ``person``
    (``before``: current type in the org's spelling, ``None`` for creates;
    ``after``: the userType to send, ``None`` = send none; ``source``:
    ``overrides`` | ``group_map`` | ``precedence`` | ``default`` | ``keep`` |
    ``new_user_default``; ``groups``: the mapped groups, sorted), plus the
    ``scim.set_account_type`` actions and downgrade review items.

    Raises :class:`~planner.policy.PolicyError` for an unknown account type name,
    or for a user in mapped groups whose types ``precedence`` does not order.
    """
    validate_names(ctx)
    at = ctx.policy.account_types
    precedence = list(at.precedence)
    out = Outcome()
    if ctx.account_type_names is None and (at.group_map or at.default != KEEP or at.overrides):
        out.review_items.append(
            make_review(
                "account_types.names_unchecked",
                "account_types",
                blocking=False,
                subject={"accountTypes": sorted(set(at.group_map.values()) | set(at.overrides.values())
                                                | ({at.default} if at.default != KEEP else set()))},
                message=(
                    "the Sigma export has no account_types.json, so the account type names in the policy are not "
                    "checked; Sigma matches userType case-sensitively and rejects a name it does not know"
                ),
                rule="account_types.group_map",
            )
        )

    people = roster[roster["status"].isin(["link", "reactivate", "create"]) | roster["converted"].astype(bool)]
    people = people[["person", "member_id", "idp_id", "member_row"]].copy()
    if people.empty:
        return pd.DataFrame(columns=TYPES_COLUMNS).set_index("person", drop=False), out

    mapped = _mapped_types(ctx)
    mapped = mapped[member_of(mapped["idp_id"], set(people["idp_id"].dropna().tolist()))]
    types_of: dict[str, list[str]] = {}  # IdP user -> the account types of their mapped groups, first seen first
    for idp_id, account_type in zip(mapped["idp_id"].tolist(), mapped["account_type"].tolist()):
        seen = types_of.get(idp_id)
        if seen is None:
            types_of[idp_id] = [account_type]
        elif account_type not in seen:
            seen.append(account_type)
    several_ids = {i for i, seen in types_of.items() if len(seen) > 1}
    if any(t not in precedence for i in several_ids for t in types_of[i]):
        distinct = mapped.drop_duplicates(["idp_id", "account_type"])
        several = distinct[member_of(distinct["idp_id"], several_ids)]
        _precedence_error(ctx, several, several[~several["account_type"].isin(precedence)])
    rank_of = {t: i for i, t in enumerate(precedence)}
    last = len(precedence)
    # the highest in precedence; among types precedence does not list (a single one), the first
    chosen_type = {i: (seen[0] if len(seen) == 1 else min(seen, key=lambda t: rank_of.get(t, last)))
                   for i, seen in types_of.items()}

    resolve = (person_resolver(ctx) if (at.overrides or at.acknowledged_downgrades or at.acknowledged_replacements)
               else (lambda ref: set()))
    overrides: dict[str, str] = {}
    for ref, t in at.overrides.items():
        for key in resolve(ref):
            overrides[key] = t
    acknowledged: set[str] = set()
    for ref in at.acknowledged_downgrades:
        acknowledged |= resolve(ref)
    acknowledged_replacements: set[str] = set()
    for ref in at.acknowledged_replacements:
        acknowledged_replacements |= resolve(ref)

    # creates have no member: None, never NaN
    before = take_rows(ctx.members["account_type"], people["member_row"].to_numpy(), None)
    people["before"] = pd.Series(before, index=people.index, dtype=object)
    idp_ids = people["idp_id"].tolist()
    idp_key = pd.Series(["i:" + (i or "") for i in idp_ids], index=people.index, dtype=object)
    if overrides:
        override = pd.Series([overrides.get(p, overrides.get(k)) for p, k in zip(people["person"].tolist(),
                                                                                  idp_key.tolist())],
                             index=people.index, dtype=object)
    else:
        override = pd.Series(None, index=people.index, dtype=object)
    grouped = pd.Series([chosen_type.get(i) for i in idp_ids], index=people.index, dtype=object)
    is_member = people["member_id"].notna()
    if at.default != KEEP:
        fallback = pd.Series(at.default, index=people.index, dtype=object)
    else:
        fallback = people["before"].where(is_member, at.new_user_default)
    people["after"] = override.fillna(grouped).fillna(fallback).astype(object)
    people["after"] = people["after"].where(people["after"].notna(), None)
    people["source"] = np.select(
        [
            override.notna(),
            grouped.notna() & member_of(people["idp_id"], several_ids),
            grouped.notna(),
            pd.Series(at.default != KEEP, index=people.index),
            is_member,
        ],
        ["overrides", "precedence", "group_map", "default", "keep"],
        default="new_user_default",
    )
    people["acknowledged"] = member_of(people["person"], acknowledged) | member_of(idp_key, acknowledged)
    people["acknowledged_replacement"] = (member_of(people["person"], acknowledged_replacements)
                                          | member_of(idp_key, acknowledged_replacements))
    admin_types = {t.casefold() for t in ctx.policy.guards.admin_account_types}
    changed = is_member & people["after"].notna() & (people["before"] != people["after"])
    people["change"] = [
        classify(b, a, precedence, ctx.custom_account_types, admin_types) if c else "unchanged"
        for b, a, c in zip(people["before"].tolist(), people["after"].tolist(), changed.tolist())
    ]
    needs_groups = set(people.loc[people["change"] != "unchanged", "idp_id"].tolist())
    names_of: dict[str, set[str]] = {}
    for idp_id, name in zip(mapped["idp_id"].tolist(), mapped["group"].tolist()):
        if idp_id in needs_groups:
            names_of.setdefault(idp_id, set()).add(name)
    groups_of = {idp_id: tuple(sorted(names)) for idp_id, names in names_of.items()}
    people["groups"] = pd.Series([groups_of.get(i, ()) for i in idp_ids], index=people.index, dtype=object)
    protected = protected_refs(ctx)
    kept = _keep_protected_admins(people, protected, admin_types)
    types = people[TYPES_COLUMNS].set_index("person", drop=False)
    replacements_acknowledged = set(people.loc[people["acknowledged_replacement"], "person"].tolist())
    for mid, wanted, wanted_source, groups in kept:
        out.review_items.append(_protected_item(ctx, mid, protected[mid], wanted, wanted_source, groups))

    for row in types[types["change"] != "unchanged"].sort_values("member_id").itertuples(index=False):
        member = ctx.member_by_id[row.member_id]
        groups = list(row.groups)
        source_text = _source_text(row.source, groups)
        evidence = AccountTypeEvidence(
            change=row.change, source=row.source, groups=groups,
            exported_member_type=member.member_type if member.member_type != row.before else UNSET,
            unranked=True if (rank(row.before, precedence, ctx.custom_account_types, admin_types) is None
                              or rank(row.after, precedence, ctx.custom_account_types, admin_types) is None)
            else UNSET,
        )
        out.actions.append(
            make_action(
                ActionKind.SCIM_SET_ACCOUNT_TYPE,
                row.member_id,
                target=AccountTypeTarget(member_id=row.member_id, email=member.email, idp_id=row.idp_id),
                before=MemberTypeState(member_type=row.before),
                after=UserTypeState(user_type=row.after),
                rule=f"account_types.{row.source}",
                reason=f"{CHANGE_LABEL.get(row.change, row.change)}: {row.before} -> {row.after} ({source_text})",
                evidence=evidence,
                depends_on=[action_id(ActionKind.SCIM_LINK_USER, row.member_id)],
            )
        )
        if row.change == "custom_replacement":
            item = _custom_replacement_item(ctx, row, member.email, source_text, evidence,
                                            row.person in replacements_acknowledged)
            if item is not None:
                out.review_items.append(item)
            continue
        if row.change != "downgrade":
            continue
        is_admin = (row.before or "").casefold() in admin_types and (row.after or "").casefold() not in admin_types
        needs_ack = at.on_downgrade == "review" or is_admin
        if at.on_downgrade == "block" or (needs_ack and not row.acknowledged):
            keep_type = {"account_types": {"overrides": {member.email: row.before}}}
            ack = {"account_types": {"acknowledged_downgrades": [member.email]}}
            if at.on_downgrade == "block":
                resolution = yaml_snippet(keep_type, notes=["on_downgrade is block: keep the current type"])
            else:
                resolution = yaml_snippet(ack, keep_type, notes=["accept the downgrade:"])
            out.review_items.append(
                make_review(
                    "account_types.admin_downgrade" if is_admin else "account_types.downgrade",
                    row.member_id,
                    blocking=True,
                    subject=person_ref(member_id=row.member_id, email=member.email, idp_id=row.idp_id),
                    message=(
                        f"{member.email} would go from {row.before} to {row.after} ({source_text})"
                        + ("; admins lose admin only when acknowledged" if is_admin else "")
                    ),
                    rule="account_types.on_downgrade",
                    evidence=msgspec.to_builtins(evidence) | {"onDowngrade": at.on_downgrade},
                    resolution=resolution,
                )
            )
    return types, out


def _source_text(source: str, groups: list[str]) -> str:
    """Where a planned account type comes from, as the action reasons and review items say it."""
    return {
        "overrides": "account_types.overrides",
        "group_map": f"group {', '.join(groups)}",
        "precedence": f"groups {', '.join(groups)}, highest by precedence",
        "default": "no mapped group: account_types.default",
        "keep": "keep",
        "new_user_default": "account_types.new_user_default",
    }[source]


def _keep_protected_admins(people: pd.DataFrame, protected: dict[str, str],
                           admin_types: set[str]) -> list[tuple[str, str, str, tuple[str, ...]]]:
    """Undo, in ``people`` (changed in place), every planned change that takes a protected person
    from an admin type to a non-admin one: they keep their current type (``change`` unchanged).

    Returns ``[(memberId, the type the policy wanted, its source, its groups)]``, by memberId.
    A protected person who is not admin now is the guard's business (planner.rules.guards).
    """
    kept = []
    if not protected:
        return kept
    hit = people[member_of(people["member_id"], protected) & (people["change"] != "unchanged")]
    for index, mid, before, after, source, groups in zip(hit.index.tolist(), *(hit[c].tolist() for c in (
            "member_id", "before", "after", "source", "groups"))):
        if (before or "").casefold() in admin_types and (after or "").casefold() not in admin_types:
            kept.append((mid, after, source, groups))
            people.at[index, "after"] = before
            people.at[index, "change"] = "unchanged"
    return sorted(kept)


def _protected_item(ctx: Context, mid: str, role: str, wanted: str, source: str, groups: tuple[str, ...]):
    """The blocking ``account_types.protected_account`` item for a protected admin the policy would demote."""
    member = ctx.member_by_id[mid]
    current = ctx.members["account_type"].iat[ctx.member_row[mid]]
    why = PROTECTED_BECAUSE[role]
    admin_groups = sorted(g for g, t in ctx.policy.account_types.group_map.items()
                          if t == current and not g.startswith("re:"))
    where = f"add them to group {admin_groups[0]!r} or assign" if admin_groups else "assign"
    return make_review(
        "account_types.protected_account",
        mid,
        blocking=True,
        subject=person_ref(member_id=mid, email=member.email),
        message=(
            f"{member.email} is {role} ({why}): the plan keeps account type {current!r} instead of {wanted!r} "
            f"({_source_text(source, list(groups))}); the IdP would still send {wanted!r} at its next push and "
            f"Sigma would apply it, so the IdP must change too: {where} {current!r} to them in the IdP app"
        ),
        rule="account_types.protected_account",
        evidence={"role": role, "accountType": current, "policyAccountType": wanted, "source": source,
                  "groups": list(groups)},
        resolution=yaml_snippet(
            {"account_types": {"overrides": {member.email: current}}},
            notes=[f"once the IdP app assigns them {current} (a group mapped to it, or an individual assignment):"],
        ),
    )


def _custom_replacement_item(ctx: Context, row, email: str, source_text: str, evidence: AccountTypeEvidence,
                             acknowledged: bool):
    """The blocking ``account_types.custom_replacement`` item under ``on_custom_replacement``, or
    ``None`` when the policy allows the replacement (``allow``, or ``review`` and acknowledged)."""
    setting = ctx.policy.account_types.on_custom_replacement
    if setting == "allow" or (setting == "review" and acknowledged):
        return None
    keep_type = {"account_types": {"overrides": {email: row.before}}}
    if setting == "block":
        resolution = yaml_snippet(keep_type, notes=["on_custom_replacement is block: keep the current type"])
    else:
        resolution = yaml_snippet({"account_types": {"acknowledged_replacements": [email]}}, keep_type,
                                  notes=["accept the replacement:"])
    custom = [t for t in (row.before, row.after) if builtin_tier(t, ctx.custom_account_types) is None]
    return make_review(
        "account_types.custom_replacement",
        row.member_id,
        blocking=True,
        subject=person_ref(member_id=row.member_id, email=email, idp_id=row.idp_id),
        message=(
            f"{email} would go from {row.before} to {row.after} ({source_text}): custom account type "
            f"{' and '.join(repr(t) for t in custom)} is ranked neither by account_types.precedence nor among "
            "Sigma's built-in types, so this is neither an upgrade nor a downgrade; the permissions it grants "
            "may differ in any direction"
        ),
        rule="account_types.on_custom_replacement",
        evidence=msgspec.to_builtins(evidence) | {"onCustomReplacement": setting},
        resolution=resolution,
    )


def _precedence_error(ctx: Context, several: pd.DataFrame, unordered: pd.DataFrame):
    u = ctx.idp_users.set_index("idp_id")
    first = sorted(set(unordered["idp_id"]), key=lambda i: (u.at[i, "user_name_key"], i))[0]
    mine = several[several["idp_id"] == first].sort_values("account_type")
    pairs = ", ".join(f"{g} ({t})" for g, t in zip(mine["group"], mine["account_type"]))
    types = sorted(set(mine["account_type"]))
    n = several["idp_id"].nunique()
    loc = ("account_types", "precedence") if ctx.policy.account_types.precedence else ("account_types",)
    raise ctx.policy.error(
        loc,
        f"IdP user {u.at[first, 'user_name']} is in mapped groups {pairs} and account_types.precedence does "
        f"not order {' and '.join(types)} ({n} user(s) are in several mapped groups); list the types highest "
        f"first, e.g. precedence: [{', '.join(types)}]",
    )
