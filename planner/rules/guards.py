"""Guards: checks over the whole plan that block apply when they fail. All on by default.

- ``scim_setup_admin`` / ``api_credential_owner``: the people named in
  ``organization`` exist, stay active and keep an admin account type. The
  SCIM token belongs to the setup admin and stops working if they are
  deactivated or change type (docs/sigma-api.md §5.1); deactivating the credential
  owner deactivates the API credentials (§1.2).
- ``scheduler_robot``: no action touches Sigma's system member (§2.2).
- ``last_admin``: at least one active admin remains after the plan.
- ``document_owner``: every ``newOwnerId`` is an active, internal member the
  plan does not deactivate (documents are never handed to a departing account).
- ``threshold.<category>``: deactivations, guest_disables,
  team_member_removals, downgrades within ``guards.thresholds``.
- ``idp_export``: the IdP export holds at least ``min_idp_users`` active
  in-scope users and has not shrunk by more than ``max_shrink_percent``
  against the active Sigma people (an export filtered by mistake).

:func:`evaluate` returns one :class:`GuardResult` per guard (for
``plan.summary["guards"]``) and a blocking review item for each failure.
"""

from __future__ import annotations

import math
from typing import Iterable

import pandas as pd

from ..model import SCHEDULER_ROBOT_EMAIL, SCHEDULER_ROBOT_MEMBER_ID, Action, ActionKind, GuardResult
from ..payloads import target_addresses, target_member_id
from . import make_review, yaml_snippet
from ..tables import Context, find_member_id

DEACTIVATING = (ActionKind.MEMBERS_DEACTIVATE, ActionKind.MEMBERS_DISABLE_GUEST)


def _by_member(actions: Iterable[Action], kinds) -> dict[str, Action]:
    return {a.target.member_id: a for a in actions if a.kind in kinds}


def evaluate(ctx: Context, roster: pd.DataFrame, types: pd.DataFrame, actions: list[Action]):
    """Run every guard; returns ``(results, review_items)``. Pure."""
    policy = ctx.policy
    results: list[GuardResult] = []
    items = []
    by_kind: dict[ActionKind, list[Action]] = {}  # one pass over the actions; the checks read their kinds
    for a in actions:
        by_kind.setdefault(a.kind, []).append(a)

    def of_kind(*kinds: ActionKind) -> list[Action]:
        return [a for k in kinds for a in by_kind.get(k, ())]

    # a SCIM-managed member is deactivated through SCIM (rules/scim_state.py): the same person leaves
    leaving = DEACTIVATING + (ActionKind.SCIM_DEACTIVATE_USER,)
    deactivated = _by_member(of_kind(*leaving), leaving)
    type_changes = _by_member(of_kind(ActionKind.SCIM_SET_ACCOUNT_TYPE), (ActionKind.SCIM_SET_ACCOUNT_TYPE,))
    admin_types = {t.casefold() for t in policy.guards.admin_account_types}

    def fail(name: str, detail: str, resolution: str = "", subject: dict | None = None, candidates=()):
        results.append(GuardResult(name, False, detail))
        items.append(
            make_review(
                f"guards.{name}",
                (subject or {}).get("memberId", "plan"),
                blocking=True,
                subject=subject or {"guard": name},
                message=detail,
                rule=f"guards.{name}",
                candidates=candidates,
                resolution=resolution,
            )
        )

    # --- protected people
    for key, why in (
        ("scim_setup_admin", "the SCIM token belongs to them"),
        ("api_credential_owner", "apply's API credentials belong to them"),
    ):
        ref = getattr(policy.organization, key)
        if not ref:
            fail(key, f"organization.{key} is not set, so the plan cannot protect them ({why})",
                 yaml_snippet({"organization": {key: "someone@example.com"}}))
            continue
        mid = find_member_id(ctx, ref)
        if mid is None:
            fail(key, f"organization.{key} {ref!r} is not a member in the Sigma export",
                 f"# correct organization.{key} at {policy.location('organization', key)}\n")
            continue
        member = ctx.member_by_id[mid]
        subject = {"memberId": mid, "email": member.email}
        problems = []
        if not member.is_active:
            problems.append("is not active in Sigma")
        if mid in deactivated:
            problems.append(f"would be deactivated ({deactivated[mid].id})")
        current = ctx.members["account_type"].iat[ctx.member_row[mid]]
        after = type_changes[mid].after.user_type if mid in type_changes else current
        if (after or "").casefold() not in admin_types:
            src = f" ({type_changes[mid].reason})" if mid in type_changes else ""
            problems.append(f"would have account type {after!r}, not admin{src}")
        if problems:
            fail(key, f"{key} {member.email}: {'; '.join(problems)}; {why}",
                 yaml_snippet({"account_types": {"overrides": {member.email: _admin_name(ctx)}}},
                              notes=["keep them admin whatever their groups say (and never deactivate them):"])
                 if mid not in deactivated else "",
                 subject=subject)
        else:
            results.append(GuardResult(key, True, f"{member.email} stays active with account type {after}"))

    # --- scheduler robot
    def is_robot(address) -> bool:
        return bool(address) and len(address) == len(SCHEDULER_ROBOT_EMAIL) and address.casefold() == SCHEDULER_ROBOT_EMAIL

    robot_email_length = len(SCHEDULER_ROBOT_EMAIL)
    touching = sorted(
        a.id for a in actions
        if target_member_id(a) == SCHEDULER_ROBOT_MEMBER_ID
        or any(len(address) == robot_email_length and is_robot(address) for address in target_addresses(a))
    )
    if touching:
        fail("scheduler_robot", f"actions touch Sigma's scheduler robot: {', '.join(touching)}")
    else:
        results.append(GuardResult("scheduler_robot", True, "no action touches Sigma's scheduler robot"))

    # --- last admin
    final_type = dict(zip(ctx.members["member_id"].tolist(), ctx.members["account_type"].tolist()))
    for mid, a in type_changes.items():
        final_type[mid] = a.after.user_type
    admins_after = sorted(
        mid for mid, active in zip(ctx.members["member_id"].tolist(), ctx.members["active"].tolist())
        if active and mid not in deactivated and (final_type.get(mid) or "").casefold() in admin_types
    )
    created_admins = [
        a for a in of_kind(ActionKind.SCIM_CREATE_USER)
        if (a.after.user_type or "").casefold() in admin_types
    ]
    n_admins = len(admins_after) + len(created_admins)
    if n_admins == 0:
        fail("last_admin", "no active admin would remain after the plan",
             yaml_snippet({"account_types": {"overrides": {"someone@example.com": _admin_name(ctx)}}}))
    else:
        results.append(GuardResult("last_admin", True, f"{n_admins} active admin(s) after the plan"))

    # --- document owners
    owners = sorted({a.after.new_owner_id or "" for a in of_kind(*DEACTIVATING)})
    if owners:
        bad = []
        for owner in owners:
            if not owner:
                bad.append("no document owner is named (organization.document_owner) or it is not in the export")
                continue
            member = ctx.member_by_id.get(owner)
            if member is None or not member.is_active:
                bad.append(f"{owner} is not an active member")
            elif member.is_guest:
                bad.append(f"{member.email} is a guest")
            elif owner in deactivated:
                bad.append(f"{member.email} is deactivated by this plan ({deactivated[owner].id})")
        if bad:
            fail("document_owner", "document owner: " + "; ".join(bad),
                 yaml_snippet({"organization": {"document_owner": "someone@example.com"}}))
        else:
            emails = ", ".join(ctx.member_by_id[o].email for o in owners)
            results.append(GuardResult("document_owner", True, f"documents go to {emails}, who stays active"))
    else:
        results.append(GuardResult("document_owner", True, "no documents change owner"))

    # --- thresholds
    people = int(ctx.members["active"].sum())
    memberships = len(ctx.team_members)
    counts = {
        "deactivations": (len(of_kind(ActionKind.MEMBERS_DEACTIVATE, ActionKind.SCIM_DEACTIVATE_USER)), people,
                          "active Sigma people"),
        "guest_disables": (len(of_kind(ActionKind.MEMBERS_DISABLE_GUEST)), people, "active Sigma people"),
        "team_member_removals": (len(of_kind(ActionKind.TEAMS_REMOVE_MEMBER)), memberships, "team memberships"),
        "downgrades": (sum(a.evidence.change == "downgrade" for a in of_kind(ActionKind.SCIM_SET_ACCOUNT_TYPE)),
                       people, "active Sigma people"),
    }
    for category, (count, base, what) in counts.items():
        limit = getattr(policy.guards.thresholds, category)
        name = f"threshold.{category}"
        share = (100.0 * count / base) if base else 0.0
        text = f"{category}: {count} of {base} {what} ({share:.1f}%)"
        if limit is None:
            results.append(GuardResult(name, True, text + "; no limit"))
            continue
        over = []
        if limit.count is not None and count > limit.count:
            over.append(f"more than {limit.count}")
        if limit.percent is not None and share > limit.percent:
            over.append(f"more than {limit.percent:g}%")
        if over:
            raised = {}
            if limit.count is not None:
                raised["count"] = count
            if limit.percent is not None:
                raised["percent"] = math.ceil(share * 10) / 10 if share > limit.percent else limit.percent
            fail(name, f"{text} is {' and '.join(over)} (guards.thresholds.{category})",
                 yaml_snippet({"guards": {"thresholds": {category: raised}}},
                              notes=["only if this many is really intended:"]))
        else:
            results.append(GuardResult(name, True, text + f" within {_limit_text(limit)}"))

    # --- the IdP export
    in_scope = int(ctx.idp_users["in_scope"].sum())
    floor = policy.guards.min_idp_users
    shrink_floor = people * (1 - policy.guards.max_shrink_percent / 100.0)
    if in_scope < floor:
        fail("idp_export", f"the IdP export has {in_scope} active in-scope user(s), fewer than "
                           f"guards.min_idp_users {floor}: is it the right file?")
    elif in_scope < shrink_floor:
        fail("idp_export", f"the IdP export has {in_scope} active in-scope user(s) for {people} active Sigma "
                           f"people, {100 - 100.0 * in_scope / people:.1f}% fewer (guards.max_shrink_percent "
                           f"{policy.guards.max_shrink_percent:g}): is it filtered?")
    else:
        results.append(GuardResult("idp_export", True, f"{in_scope} active in-scope IdP user(s) for {people} "
                                                       "active Sigma people"))
    order = {name: i for i, name in enumerate(
        ["scim_setup_admin", "api_credential_owner", "scheduler_robot", "last_admin", "document_owner",
         "threshold.deactivations", "threshold.guest_disables", "threshold.team_member_removals",
         "threshold.downgrades", "idp_export"])}
    results.sort(key=lambda r: order.get(r.name, 99))
    return results, items


def _limit_text(limit) -> str:
    parts = []
    if limit.count is not None:
        parts.append(f"{limit.count}")
    if limit.percent is not None:
        parts.append(f"{limit.percent:g}%")
    return " and ".join(parts)


def _admin_name(ctx: Context) -> str:
    names = ctx.policy.guards.admin_account_types
    return (ctx.account_type_spelling(names[0]) or names[0]) if names else "Admin"
