"""The policy's organization against the export's: a policy written for one Sigma organization
never plans another.

A policy names its organization (``organization.id``, the Sigma ``organizationId``, optional;
docs/policy.md ``organization``). Run on the export of another organization, every guard, override
and decision it holds would name the wrong people, and the plan would be titled with the policy's
organization and the export's id (tester2: "Plan for Globex Inc (255ae7f7-...)"). So when the
policy gives an id, the export's ``organizationId`` (docs/sigma-api.md §2.1; the one most members
carry, :func:`planner.model.export_organization_id`) must equal it exactly, or ``plan`` and
``check`` refuse with one line naming the policy line and both values.

``organization.name`` is not compared: no Sigma export carries the organization's name
(docs/formats.md), only its id.
"""

from __future__ import annotations

from ..model import ItemRef, ReviewItem
from ..policy import Policy
from ..sources.validation import NO_ORGANIZATION_ID
from . import make_review, outside_policy

ORGANIZATION_ID_FIX = ("export the members with organizationId (`sigma-migrate fetch`; without API access, add an "
                       "organizationId column to a flattened members.csv, docs/formats.md §1f), then plan again")
"""The way out of ``organization.id_missing`` (tester6 finding 12c: both ways an export gets the id)."""


def missing_organization_items(export_organization_id: str) -> list[ReviewItem]:
    """One blocking ``organization.id_missing`` item when the export records no ``organizationId``, else ``[]``.

    ``apply`` refuses such a plan (it cannot bind it to the organization its credentials serve,
    docs/sigma-api.md §1.3), so ``approve`` must refuse it first: the message is :data:`NO_ORGANIZATION_ID`.
    """
    if export_organization_id:
        return []
    return [make_review(
        "organization.id_missing", "organizationId", blocking=True, subject=ItemRef(),
        message=NO_ORGANIZATION_ID, rule="organization.id_missing",
        resolution=outside_policy(ORGANIZATION_ID_FIX),
    )]


def check_policy_organization(policy: Policy, export_organization_id: str) -> None:
    """Refuse an export of another organization than the policy's ``organization.id``.

    ``export_organization_id``: the export's ``organizationId`` (``""`` when no member carries
    one: nothing to compare). Returns ``None`` when the policy gives no id or the ids are equal.
    Raises :class:`~planner.policy.PolicyError`, one line:
    ``<policy>:<line>:<col>: organization.id: ...`` naming both ids.
    """
    wanted = policy.organization.id
    if wanted is None or not export_organization_id or wanted.strip() == export_organization_id:
        return
    raise policy.error(
        ("organization", "id"),
        f"the policy is for organization {wanted.strip()!r} ({policy.organization.name or 'no name'}) but the "
        f"Sigma export is of organization {export_organization_id!r}; use this organization's policy",
    )
