"""Guest members: SCIM does not support them, and turning SCIM on disables them (sigma-api.md §5.3).

Every active guest member (``userKind: guest``) gets exactly one action:

- ``members.convert_guest`` (``PATCH userKind: internal``) followed by the
  usual ``scim.link_user``, when ``guests.action: convert`` and an active,
  in-scope IdP user links to the guest (an Entra B2B ``#EXT#`` user, or the
  same address in Okta): their work stays theirs, now IdP-managed;
- otherwise ``members.disable_guest`` (``PATCH isArchived: true`` with
  ``newOwnerId``, sigma-api.md §2.5): their documents go to
  ``guests.document_owner`` (else ``organization.document_owner``).

A guest an IdP user links to but who is disabled by policy gets an
informational review item: the IdP user is not linked to the disabled account.
"""

from __future__ import annotations

import pandas as pd

from ..model import ActionKind
from ..payloads import (
    UNSET,
    ArchiveAfter,
    ConvertGuestEvidence,
    DisableGuestBefore,
    DisableGuestEvidence,
    MemberRef,
    UserKindState,
)
from . import Outcome, make_action, make_review, person_ref, yaml_snippet
from ..tables import Context
from .unmatched import document_owner


def decide(ctx: Context, roster: pd.DataFrame) -> tuple[pd.DataFrame, Outcome]:
    """Decide every roster row with status ``guest``; returns the updated roster and the outcome.

    Converted guests get ``status = "link"`` and ``converted = True``; disabled
    ones ``status = "guest_disabled"``.
    """
    roster = roster.copy()
    out = Outcome()
    policy = ctx.policy.guests
    owner_id, owner_loc = document_owner(ctx, policy.document_owner, ("guests", "document_owner"))
    active, in_scope, user_names = (ctx.idp_users[c].tolist() for c in ("active", "in_scope", "user_name"))
    guests = roster[roster["status"] == "guest"]
    for idx, row in guests.iterrows():
        member = ctx.member_by_id[row["member_id"]]
        j = row["idp_row"]
        live = row["idp_id"] is not None and j >= 0 and bool(active[j]) and bool(in_scope[j])
        if policy.action == "convert" and live:
            roster.at[idx, "status"] = "link"
            roster.at[idx, "converted"] = True
            out.actions.append(
                make_action(
                    ActionKind.MEMBERS_CONVERT_GUEST,
                    member.member_id,
                    target=MemberRef(member_id=member.member_id, email=member.email),
                    before=UserKindState(user_kind="guest"),
                    after=UserKindState(user_kind="internal"),
                    rule="guests.convert",
                    reason=(
                        f"convert guest to an internal, IdP-managed member: IdP user {row['idp_id']} "
                        f"({user_names[j]}) links to them"
                    ),
                    evidence=ConvertGuestEvidence(idp_id=row["idp_id"], linked_by=row["key"]),
                )
            )
            continue
        roster.at[idx, "status"] = "guest_disabled"
        reason = "disable guest: SCIM does not support guests and disables them when it is switched on"
        if owner_id:
            reason += f"; documents go to {ctx.member_by_id[owner_id].email}"
        out.actions.append(
            make_action(
                ActionKind.MEMBERS_DISABLE_GUEST,
                member.member_id,
                target=MemberRef(member_id=member.member_id, email=member.email),
                before=DisableGuestBefore(is_archived=False, user_kind="guest", member_type=member.member_type),
                after=ArchiveAfter(is_archived=True, new_owner_id=owner_id),
                rule="guests.disable",
                reason=reason,
                evidence=DisableGuestEvidence(
                    new_owner_email=ctx.member_by_id[owner_id].email if owner_id else None,
                    document_owner_from=owner_loc,
                    idp_id=row["idp_id"] or UNSET,
                ),
            )
        )
        if live:
            out.review_items.append(
                make_review(
                    "guests.disabled_with_idp_user",
                    member.member_id,
                    blocking=False,
                    subject=person_ref(member_id=member.member_id, email=member.email, idp_id=row["idp_id"],
                                       user_name=user_names[j]),
                    message=(
                        f"guest {member.email!r} is disabled although IdP user {row['idp_id']} links to them; "
                        "their documents go to the document owner, not to the IdP user"
                    ),
                    rule="guests.action",
                    resolution=yaml_snippet({"guests": {"action": "convert"}},
                                            notes=["keep their work by converting linked guests:"]),
                )
            )
    # IdP guest users that will not be created
    skipped = roster[roster["status"] == "idp_guest"]
    for row in skipped.itertuples(index=False):
        out.review_items.append(
            make_review(
                "guests.idp_guest_not_created",
                row.idp_id,
                blocking=False,
                subject=person_ref(idp_id=row.idp_id, user_name=row.user_name),
                message=(
                    f"IdP guest user {row.user_name!r} matches no Sigma member and is not created "
                    "(Sigma's SCIM does not support guests)"
                ),
                rule="guests.create_from_idp",
                resolution=yaml_snippet({"guests": {"create_from_idp": True}},
                                        notes=["create IdP guests as internal members:"]),
            )
        )
    return roster, out
