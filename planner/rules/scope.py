"""Scope under an IdP that provisions only the direct members of an assigned group (Entra ID).

Entra ID never expands nested groups when it provisions (docs/formats.md §3e; Microsoft Learn,
"Scoping users or groups to be provisioned"), so a person a ``scope.groups`` group or an
``account_types.group_map`` group holds only through a nested group is, in Entra's eyes, not in
scope / not in that group. The directory reads scope that way
(:meth:`planner.directory.Directory.pushed_member_ids`, :attr:`~planner.directory.Directory.scope_nested_only`)
and so does :mod:`.account_types` (:func:`~planner.rules.account_types.nested_types`). Where
flattening (``teams.flatten_nested``) would have decided otherwise, :func:`nested_only_item` raises
one ``scope.nested_only`` item per person with the group chain: blocking under
``scope.nested_only: review``, informational under ``keep`` (the direct members only accepted),
as ``teams.nested_only`` settles team members.
"""

from __future__ import annotations

from msgspec.structs import replace

from ..model import NO_EVIDENCE, IdpUser, ReviewItem
from ..policy import Scope
from . import make_review, person_ref, yaml_snippet
from .account_types import NestedType


def nested_only_item(user: IdpUser, scope_chain: tuple[str, ...] | None, nested_type: NestedType | None,
                     policy: Scope) -> ReviewItem:
    """The ``scope.nested_only`` item of IdP user ``user``: ``scope_chain`` (scope group, nesting
    down to the group holding them) when flattening would put them in scope, ``nested_type`` when
    it would give them another account type; at least one is set."""
    parts, evidence = [], NO_EVIDENCE
    if scope_chain is not None:
        parts.append(f"in scope.groups only through nested groups ({' > '.join(scope_chain)}): not provisioned")
        evidence = replace(evidence, scope_chain=list(scope_chain))
    if nested_type is not None:
        parts.append(f"account type {nested_type.account_type!r} only through nested groups "
                     f"({' > '.join(nested_type.chain)}): "
                     + (f"gets {nested_type.direct_type!r}" if nested_type.direct_type else "no mapped group"))
        evidence = replace(evidence, account_type_chain=list(nested_type.chain), account_type=nested_type.account_type,
                           direct_account_type=nested_type.direct_type)
    chain = scope_chain or nested_type.chain
    return make_review(
        "scope.nested_only",
        user.id,
        blocking=policy.nested_only == "review",
        subject=person_ref(idp_id=user.id, user_name=user.user_name),
        message=(f"{user.user_name}: Entra ID provisions only the direct members of an assigned group; "
                 + "; ".join(parts) + f"; add them to {chain[0]!r} directly to change that"),
        rule="scope.nested_only",
        evidence=evidence,
        resolution=yaml_snippet({"scope": {"nested_only": "keep"}},
                                notes=["accept that only direct members are provisioned:"]),
    )
