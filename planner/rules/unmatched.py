"""Active Sigma members with no provisioned IdP identity.

After SCIM is on such members can be changed only through
``PATCH /v2/members/{memberId}`` (docs/sigma-api.md §2.5, §5.3). Three kinds
(roster status from :mod:`.linking`):

- ``unmatched``: no IdP user matches them (``unmatched.action``);
- ``not_in_scope``: their IdP user is outside ``scope.groups`` (``unmatched.action``);
- ``leaver``: their IdP user is deactivated (``unmatched.idp_inactive``).

The decision for each, first that applies: ``unmatched.decisions`` (per
member), then ``linking.duplicates: deactivate`` (a duplicate); protected people (``organization.scim_setup_admin``,
``api_credential_owner``) are kept (a decision to deactivate one is a blocking
``unmatched.protected_member`` item instead: the plan never holds that change); ``exclude_patterns`` (service accounts) are
kept; embed users are kept (they are not provisioned through the IdP); then the
kind's policy: ``keep`` (nothing happens), ``deactivate``
(``members.deactivate``: ``isArchived: true`` + ``newOwnerId``) or ``review``
(a blocking review item whose resolution is the ``decisions`` entry).
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from ..model import ActionKind
from ..payloads import UNSET, ArchiveAfter, DeactivateBefore, DeactivateEvidence, MemberRef
from . import Outcome, make_action, make_review, person_ref, yaml_snippet
from ..directory import PROTECTED_BECAUSE
from ..tables import Context, find_member_id, protected_refs

KINDS = ("unmatched", "not_in_scope", "leaver")


def document_owner(ctx: Context, section_owner: str | None, loc: tuple[str, ...]) -> tuple[str | None, str]:
    """(memberId, policy key it came from) of the member receiving documents, or (None, key).

    ``section_owner`` (e.g. ``unmatched.document_owner``) wins over
    ``organization.document_owner``. The guard ``document_owner`` checks that
    the member exists and stays active (:mod:`.guards`).
    """
    if section_owner:
        return find_member_id(ctx, section_owner), ".".join(loc)
    return find_member_id(ctx, ctx.policy.organization.document_owner), "organization.document_owner"


def decide(ctx: Context, roster: pd.DataFrame) -> tuple[pd.DataFrame, Outcome]:
    """Decide each unmatched / not_in_scope / leaver member.

    Returns ``decisions`` (``member_id``, ``decision`` in ``keep``/``deactivate``/
    ``review``, ``reason``, ``rule``) and the outcome (``members.deactivate``
    actions, ``unmatched.review`` items).
    """
    policy = ctx.policy.unmatched
    out = Outcome()
    owner_id, owner_loc = document_owner(ctx, policy.document_owner, ("unmatched", "document_owner"))
    protected = protected_refs(ctx)
    patterns = [re.compile(p, re.IGNORECASE) for p in policy.exclude_patterns]
    decisions_by_member: dict[str, str] = {}
    rules_by_member: dict[str, str] = {}
    for ref, what in ctx.policy.linking.duplicates.items():
        mid = find_member_id(ctx, ref)
        if mid and what == "deactivate":  # a duplicate whose address is freed, then deactivated
            decisions_by_member[mid], rules_by_member[mid] = "deactivate", "linking.duplicates"
    for ref, what in policy.decisions.items():
        mid = find_member_id(ctx, ref)
        if mid:
            decisions_by_member[mid], rules_by_member[mid] = what, "unmatched.decisions"
    rows: list[dict[str, Any]] = []
    todo = roster[roster["status"].isin(KINDS)].sort_values("member_id")
    for row in todo.itertuples(index=False):
        member = ctx.member_by_id[row.member_id]
        user = ctx.idp_by_id[row.idp_id] if row.idp_id else None
        idp_note = ""
        if user is not None:
            idp_note = f"IdP user {row.idp_id} ({user.user_name}) is " + (
                f"deactivated ({user.status or 'active: false'})" if row.status == "leaver" else "outside scope.groups"
            )
        why = {"unmatched": "no IdP user matches this member", "not_in_scope": idp_note, "leaver": idp_note}[
            row.status
        ]
        pattern = next((p.pattern for p in patterns if p.search(member.email)), None)
        if row.member_id in protected and decisions_by_member.get(row.member_id) == "deactivate":
            # the plan never deactivates a protected person: SCIM or apply itself would stop working
            decision, rule = "keep", "guards.protected_members"
            reason = f"{why}; kept: protected as {protected[row.member_id]}"
            out.review_items.append(_protected_item(member, protected[row.member_id], rules_by_member[row.member_id]))
        elif row.member_id in decisions_by_member:
            decision, rule = decisions_by_member[row.member_id], rules_by_member[row.member_id]
            reason = f"{why}; {rule} says {decision}"
        elif row.member_id in protected:
            decision, rule = "keep", "guards.protected_members"
            reason = f"{why}; kept: protected as {protected[row.member_id]}"
        elif pattern is not None:
            decision, rule = "keep", "unmatched.exclude_patterns"
            reason = f"{why}; kept: email matches exclude pattern {pattern!r}"
        elif member.user_kind == "embed":
            decision, rule = "keep", "unmatched.embed"
            reason = f"{why}; kept: embed users are not provisioned through the IdP"
        else:
            setting = "idp_inactive" if row.status == "leaver" else "action"
            decision, rule = getattr(policy, setting), f"unmatched.{setting}"
            reason = f"{why}; unmatched.{setting} is {decision}"
        rows.append({"member_id": row.member_id, "decision": decision, "reason": reason, "rule": rule,
                     "kind": row.status})
        subject = person_ref(member_id=member.member_id, email=member.email, idp_id=row.idp_id)
        if decision == "deactivate":
            text = "deactivate: " + why
            if owner_id:
                text += f"; documents go to {ctx.member_by_id[owner_id].email}"
            out.actions.append(
                make_action(
                    ActionKind.MEMBERS_DEACTIVATE,
                    member.member_id,
                    target=MemberRef(member_id=member.member_id, email=member.email),
                    before=DeactivateBefore(is_archived=False, member_type=member.member_type),
                    after=ArchiveAfter(is_archived=True, new_owner_id=owner_id),
                    rule=rule,
                    reason=text,
                    evidence=DeactivateEvidence(
                        kind=row.status,
                        new_owner_email=ctx.member_by_id[owner_id].email if owner_id else None,
                        document_owner_from=owner_loc,
                        idp_id=row.idp_id if user is not None else UNSET,
                        idp_status=(user.status or None) if user is not None else UNSET,
                    ),
                )
            )
        elif decision == "review":
            out.review_items.append(
                make_review(
                    "unmatched.review",
                    member.member_id,
                    blocking=True,
                    subject=subject,
                    message=f"{member.email}: {why}; decide whether to keep or deactivate this member",
                    rule=rule,
                    evidence={"kind": row.status, "memberType": member.member_type, "userKind": member.user_kind},
                    resolution=yaml_snippet(
                        {"unmatched": {"decisions": {member.email: "deactivate"}}},
                        {"unmatched": {"decisions": {member.email: "keep"}}},
                    ),
                )
            )
    decisions = pd.DataFrame(rows, columns=["member_id", "decision", "reason", "rule", "kind"], dtype=object)
    return decisions, out


def _protected_item(member, role: str, rule: str):
    """The blocking ``unmatched.protected_member`` item: ``rule`` (``unmatched.decisions`` or
    ``linking.duplicates``) says deactivate a person the guards protect; the plan keeps them."""
    ref = member.email
    settle = ({"unmatched": {"decisions": {ref: "keep"}}} if rule == "unmatched.decisions"
              else {"linking": {"duplicates": {member.member_id: "rename"}}})
    return make_review(
        "unmatched.protected_member",
        member.member_id,
        blocking=True,
        subject=person_ref(member_id=member.member_id, email=member.email),
        message=(
            f"{member.email} is {role} ({PROTECTED_BECAUSE[role]}): {rule} says deactivate, which the plan never "
            f"does; name someone else in {role} first, or keep them"
        ),
        rule=rule,
        resolution=yaml_snippet(settle, notes=[f"or, once another person is {role}, keep the decision"]),
    )
