"""Sigma's SCIM state: what an IdP already provisioned, so a re-plan proposes only the remainder.

``sigma-migrate fetch`` with a SCIM token writes ``scim/Users.json`` and ``scim/Groups.json``
(:mod:`planner.sources.sigma` reads them into :class:`~planner.model.ScimUser` /
:class:`~planner.model.ScimGroup`). Sigma's SCIM lists pre-SCIM members and teams too; only a
resource with an ``externalId`` was provisioned by an IdP (RFC 7643 §3.1: the provisioning client
sets it; docs/sandbox.md). Two steps use that state:

- :func:`scim_links`: a provisioned user whose SCIM id is a memberId (Sigma's SCIM id is the
  memberId) is linked to the IdP user its ``externalId`` names (else the one whose SCIM userName
  is its ``userName``): key ``scim``, taken like an override, before every match key. A
  ``linking.overrides`` entry that says otherwise is a blocking ``linking.override_contradicts_scim``
  item (Sigma's state is what it is; the policy must follow it).
- :func:`settle`: after every family decided, the actions the SCIM state already satisfies are
  dropped (a user provisioned with the planned userName, activity and account type; a team whose
  group is linked with the planned name and members), and no SCIM-managed member is offered an
  action Sigma forbids: REST edits of a SCIM-managed member are refused with 403 (docs/sigma-api.md
  §5.3 "not editable in Sigma", §10.6; the sandbox's rule). A deactivation becomes
  ``scim.deactivate_user`` (``PATCH /Users/{id} active=false``); a reactivation of a member the IdP
  made inactive is left to the link, which sends ``active: true``; every other REST edit (email,
  guest, archived reactivation, removal from a SCIM-managed team) is a blocking
  ``scim.managed_member`` item: it must be made in the IdP. A provisioned user whose userName the
  IdP would change is a blocking ``scim.user_name_changed`` item (a new userName creates a second
  account, §5.3).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from msgspec.structs import replace

from ..matching import EDGE_COLUMNS, ROW_COLUMNS
from ..model import Action, ActionKind, ReviewItem, ScimGroup, ScimUser, email_key
from ..payloads import (
    UNSET,
    ActiveState,
    MembersDeactivate,
    MembersReactivate,
    ScimCreateGroup,
    ScimCreateUser,
    ScimDeactivateEvidence,
    ScimLinkGroup,
    ScimLinkUser,
    ScimSetAccountType,
    ScimSetGroupMembers,
    ScimUserAfter,
    ScimUserRef,
    TeamsRemoveMember,
    target_member_id,
)
from . import Outcome, make_action, make_review, person_ref
from ..directory import ScimState

SCIM_KEY = "scim"
"""The link key (and :attr:`planner.model.PersonRow.link_key`) of a member an IdP already provisioned."""

REST_MEMBER_KINDS = (
    ActionKind.MEMBERS_DEACTIVATE, ActionKind.MEMBERS_DISABLE_GUEST, ActionKind.MEMBERS_CONVERT_GUEST,
    ActionKind.MEMBERS_SET_EMAIL, ActionKind.MEMBERS_REACTIVATE,
)


# --------------------------------------------------------------------------- links


def scim_links(ctx) -> pd.DataFrame:
    """Pinned links (:data:`EDGE_COLUMNS` + :data:`ROW_COLUMNS`, key ``scim``) of provisioned members.

    The IdP user is the one the SCIM user's ``externalId`` names, else the only one whose SCIM
    userName (``ctx.idp_users.scim_user_name_key``) is the SCIM ``userName``; a provisioned user
    neither finds is not linked (the member is then unmatched, and :func:`settle` deactivates it
    through SCIM if the policy deactivates it).
    """
    by_user_name: dict[str, list[str]] = {}
    for iid, key in zip(ctx.idp_users["idp_id"].tolist(), ctx.idp_users["scim_user_name_key"].tolist()):
        by_user_name.setdefault(key, []).append(iid)
    rows = []
    for member_id in sorted(ctx.scim.users):
        user = ctx.scim.users[member_id]
        if member_id not in ctx.member_row:
            continue
        if user.external_id in ctx.idp_row:
            idp_id, field_ = user.external_id, "externalId"
        else:
            found = by_user_name.get(user.user_name_key, [])
            if len(found) != 1:
                continue
            idp_id, field_ = found[0], "userName"
        rows.append((member_id, idp_id, SCIM_KEY, ctx.member_by_id[member_id].email, field_,
                     user.external_id if field_ == "externalId" else user.user_name,
                     ctx.member_row[member_id], ctx.idp_row[idp_id]))
    pinned = pd.DataFrame(rows, columns=EDGE_COLUMNS + ROW_COLUMNS, dtype=object)
    return pinned.astype({"member_row": np.intp, "idp_row": np.intp})


def merge_pins(overrides: pd.DataFrame, provisioned: pd.DataFrame) -> tuple[pd.DataFrame, Outcome]:
    """The SCIM links plus the overrides that agree with them or touch other people.

    An override pinning a provisioned member to another IdP user (or a provisioned IdP user to
    another member) is dropped with a blocking ``linking.override_contradicts_scim`` item; an
    override that repeats a SCIM link is satisfied and dropped silently.
    """
    outcome = Outcome()
    if not len(provisioned):
        return overrides, outcome
    by_member = dict(zip(provisioned["member_id"].tolist(), provisioned["idp_id"].tolist()))
    by_idp = {v: k for k, v in by_member.items()}
    keep = []
    for n, (mid, iid, rule) in enumerate(zip(overrides["member_id"].tolist(), overrides["idp_id"].tolist(),
                                             overrides["sigma_value"].tolist())):
        if by_member.get(mid) == iid:
            continue
        if mid in by_member or iid in by_idp:
            linked_member = by_idp.get(iid, mid)
            outcome.review_items.append(make_review(
                "linking.override_contradicts_scim", f"{mid}:{iid}", blocking=True,
                subject=person_ref(member_id=mid, idp_id=iid),
                message=(f"an override links IdP user {iid} to member {mid}, but Sigma's SCIM state already links "
                         f"member {linked_member} to IdP user {by_member.get(linked_member, iid)}: "
                         "remove the override or unlink the user in the IdP first"),
                rule="linking.overrides", resolution="# remove the override naming " + iid + "\n",
            ))
            continue
        keep.append(n)
    merged = pd.concat([provisioned, overrides.iloc[keep]], ignore_index=True)
    return merged.astype({"member_row": np.intp, "idp_row": np.intp}), outcome


# --------------------------------------------------------------------------- settling the actions


def _provisioned_user(state: ScimState, action: ScimLinkUser | ScimCreateUser) -> ScimUser | None:
    if isinstance(action, ScimLinkUser):
        return state.users.get(action.target.member_id)
    key = email_key(action.after.user_name)
    return state.by_external_id.get(action.target.idp_id) or (state.by_user_name.get(key) if key else None)


def _user_satisfied(user: ScimUser, after: ScimUserAfter, type_elsewhere: bool) -> bool:
    return ((user.active is None or user.active == after.active)
            and (not after.user_type or type_elsewhere or user.user_type == after.user_type))


def _group_members_satisfied(state: ScimState, group: ScimGroup, action: Action) -> bool:
    if not isinstance(action, ScimSetGroupMembers):
        return True
    current = {email_key(state.user_names.get(i, "")) for i in group.member_ids}
    return current == {email_key(m) for m in action.after.members}


def _provisioned_group(state: ScimState, action: ScimLinkGroup | ScimCreateGroup | ScimSetGroupMembers) -> ScimGroup | None:
    if action.target.team_id:
        return state.groups.get(action.target.team_id)
    return state.groups_by_name.get(action.target.name)


def _managed_item(action: Action, user: ScimUser, what: str) -> ReviewItem:
    target = action.target
    return make_review(
        "scim.managed_member", action.id, blocking=True,
        subject=person_ref(member_id=target.member_id, email=target.email, user_name=user.user_name),
        message=(f"{target.email or user.user_name} is provisioned by SCIM (externalId {user.external_id}): "
                 f"Sigma refuses REST edits of SCIM-managed members (403), so {what} must be made in the IdP"),
        rule="scim_state.managed_member", evidence={"action": action.id, "externalId": user.external_id},
        resolution="# make this change in the identity provider, then fetch and plan again\n",
    )


def _deactivate_through_scim(action: MembersDeactivate, user: ScimUser) -> Action:
    target, evidence = action.target, action.evidence
    return make_action(
        ActionKind.SCIM_DEACTIVATE_USER, target.member_id,
        target=ScimUserRef(member_id=target.member_id, email=target.email, user_name=user.user_name),
        before=ActiveState(active=bool(user.active) if user.active is not None else True),
        after=ActiveState(active=False),
        rule=action.rule,
        reason=action.reason + " (SCIM-managed: deactivated through SCIM, documents go to the provisioning admin)",
        evidence=ScimDeactivateEvidence(
            rest_action=action.id, kind=evidence.kind, new_owner_email=evidence.new_owner_email,
            document_owner_from=evidence.document_owner_from, idp_id=evidence.idp_id, idp_status=evidence.idp_status,
        ),
        depends_on=action.depends_on,
    )


def settle(state: ScimState, actions: list[Action]) -> tuple[list[Action], list[ReviewItem]]:
    """Drop what Sigma's SCIM state already satisfies and replace what Sigma forbids (module
    docstring); dependencies on a dropped action are removed, on a replaced one re-pointed.
    Returns the actions (same order) and the review items raised. No SCIM state: unchanged."""
    if not state.known:
        return actions, []
    typed = {a.target.member_id for a in actions if isinstance(a, ScimSetAccountType)}
    linked_by_scim = {a.target.member_id for a in actions
                      if isinstance(a, ScimLinkUser) and a.target.member_id in state.users}
    teams_managed = set(state.groups)
    out: list[Action] = []
    items: list[ReviewItem] = []
    renamed: dict[str, str] = {}
    for a in actions:
        if isinstance(a, (ScimLinkUser, ScimCreateUser)):
            user = _provisioned_user(state, a)
            if user is not None:
                if user.user_name_key != email_key(a.after.user_name):
                    items.append(make_review(
                        "scim.user_name_changed", a.id, blocking=True,
                        subject=person_ref(member_id=target_member_id(a), idp_id=a.target.idp_id,
                                           user_name=user.user_name),
                        message=(f"{user.user_name} is provisioned by SCIM, but the IdP would now send userName "
                                 f"{a.after.user_name!r}: Sigma creates a second account when userName changes"),
                        rule="scim_state.user_name", evidence={"externalId": user.external_id},
                        resolution="# keep the IdP app's userName for this user, then fetch and plan again\n",
                    ))
                    renamed[a.id] = ""
                    continue
                if _user_satisfied(user, a.after, target_member_id(a) in typed):
                    renamed[a.id] = ""
                    continue
        elif isinstance(a, ScimSetAccountType):
            user = state.users.get(a.target.member_id)
            if user is not None and user.user_type == a.after.user_type:
                renamed[a.id] = ""
                continue
        elif isinstance(a, (ScimLinkGroup, ScimCreateGroup, ScimSetGroupMembers)):
            group = _provisioned_group(state, a)
            name = None if isinstance(a, ScimSetGroupMembers) else a.after.display_name
            if group is not None and (name is None or group.display_name == name) \
                    and _group_members_satisfied(state, group, a):
                renamed[a.id] = ""
                continue
        elif a.kind in REST_MEMBER_KINDS and a.target.member_id in state.users:
            user = state.users[a.target.member_id]
            if isinstance(a, MembersDeactivate):
                replacement = _deactivate_through_scim(a, user)
                renamed[a.id] = replacement.id
                out.append(replacement)
                continue
            if (isinstance(a, MembersReactivate) and a.after.is_inactive is not UNSET
                    and a.target.member_id in linked_by_scim):
                renamed[a.id] = ""  # the link sends active: true through SCIM
                continue
            items.append(_managed_item(a, user, a.kind.value.split(".")[1].replace("_", " ")))
            renamed[a.id] = ""
            continue
        elif (isinstance(a, TeamsRemoveMember) and a.target.team_id in teams_managed
              and a.target.member_id in state.users):
            items.append(_managed_item(a, state.users[a.target.member_id], "removing them from a SCIM-managed team"))
            renamed[a.id] = ""
            continue
        out.append(a)
    if not renamed:
        return out, items
    fixed = []
    for a in out:
        if any(d in renamed for d in a.depends_on):
            deps = {renamed.get(d, d) for d in a.depends_on} - {""}
            a = replace(a, depends_on=tuple(sorted(deps)))
        fixed.append(a)
    return fixed, items


__all__ = ["SCIM_KEY", "merge_pins", "scim_links", "settle"]
