"""Small literal snapshots and policies for the planner tests (matching, rules, planning, show).

``member("m1", "alice@example.com")``, ``user("00u1", "alice@example.com")``,
``group("g1", "Finance", users=["00u1"])``, ``team("t1", "Finance")`` build model
objects; :func:`snapshot` gathers them; :func:`policy` parses YAML text with the
real loader, so tests exercise the same code as ``sigma-migrate plan``.
"""

from __future__ import annotations

import textwrap
from typing import Any, Iterable, Mapping

import msgspec

from planner.model import (
    AccountType,
    Fingerprints,
    Outcomes,
    Plan,
    PlanOrganization,
    PlanPolicy,
    PlanSummary,
    Email,
    IdpDirectory,
    IdpGroup,
    IdpUser,
    InputFile,
    SigmaExport,
    SigmaMember,
    SigmaTeam,
    Snapshot,
    TeamMembership,
    email_key,
)
from planner.outcomes import outcome_counts
from planner.planfile import canonical_json
from planner.planning import build_plan
from planner.policy import Policy
from planner.policy_reader import parse_policy

BASE_POLICY = """
organization:
  name: Example
  scim_setup_admin: root@example.com
  api_credential_owner: root@example.com
  document_owner: root@example.com
unmatched:
  action: keep
guards:
  thresholds:
    deactivations: null
    team_member_removals: null
    downgrades: null
  max_shrink_percent: 100
preflight:
  saml_only: true
  previous_scim: none
  guests_informed: true
"""
"""A permissive policy: protected root admin, no thresholds, unmatched kept, SCIM prerequisites
confirmed (tests of the pre-flight checks use :data:`UNCONFIRMED_POLICY`)."""

UNCONFIRMED_POLICY = BASE_POLICY.split("preflight:")[0]
""":data:`BASE_POLICY` without the pre-flight confirmations."""


def member(
    member_id: str,
    email: str,
    first: str = "",
    last: str = "",
    member_type: str = "View",
    user_kind: str = "internal",
    archived: bool = False,
    inactive: bool = False,
    created_at: str | None = None,
    **raw: Any,
) -> SigmaMember:
    return SigmaMember(
        member_id=member_id,
        email=email,
        email_key=email_key(email),
        first_name=first,
        last_name=last,
        member_type=member_type,
        user_kind=user_kind,
        is_archived=archived,
        is_inactive=inactive,
        organization_id="org-1",
        created_at=created_at,
        raw={"memberId": member_id, "email": email, "memberType": member_type, **raw},
    )


def user(
    idp_id: str,
    user_name: str,
    emails: Iterable[str] = (),
    first: str | None = None,
    last: str | None = None,
    active: bool | None = True,
    status: str | None = None,
    user_type: str | None = None,
    **attributes: Any,
) -> IdpUser:
    addresses = list(emails) or [user_name]
    # Sigma needs both names (docs/sigma-api.md §5.2, planner.rules.scim_values): a user gets
    # "Given Family" unless a test names them (or blanks them with first="" / last="")
    given, family = ("Given" if first is None else first), ("Family" if last is None else last)
    display = f"{first or ''} {last or ''}".strip() or None
    return IdpUser(
        id=idp_id,
        user_name=user_name,
        user_name_key=email_key(user_name),
        emails=tuple(Email(a, email_key(a), primary=(i == 0)) for i, a in enumerate(addresses)),
        given_name=given or None,
        family_name=family or None,
        display_name=display,
        active=active,
        status=status or ("ACTIVE" if active else "DEPROVISIONED"),
        user_type=user_type,
        attributes=attributes,
    )


def group(group_id: str, name: str, users: Iterable[str] = (), groups: Iterable[str] = ()) -> IdpGroup:
    return IdpGroup(id=group_id, display_name=name, member_user_ids=tuple(users), member_group_ids=tuple(groups))


def team(team_id: str, name: str, archived: bool = False) -> SigmaTeam:
    return SigmaTeam(team_id=team_id, name=name, is_archived=archived)


ROOT = member("root", "root@example.com", "Root", "Admin", member_type="Admin")
ROOT_USER = user("u-root", "root@example.com", first="Root", last="Admin")
ADMINS = group("g-admins", "Sigma-Admins", users=["u-root"])


def snapshot(
    members: Iterable[SigmaMember] = (),
    users: Iterable[IdpUser] = (),
    groups: Iterable[IdpGroup] = (),
    teams: Iterable[SigmaTeam] = (),
    memberships: Mapping[str, Iterable[str]] | None = None,
    account_types: Iterable[str] | None = None,
    with_root: bool = True,
) -> Snapshot:
    """A snapshot; ``with_root`` adds the protected admin ``root@example.com`` on both sides."""
    members = list(members)
    users = list(users)
    groups = list(groups)
    if with_root:
        members.insert(0, ROOT)
        users.insert(0, ROOT_USER)
        if not any(g.display_name == "Sigma-Admins" for g in groups):
            groups.insert(0, ADMINS)
    team_memberships = tuple(
        TeamMembership(team_id=tid, member_id=mid) for tid, mids in (memberships or {}).items() for mid in mids
    )
    types = None
    if account_types is not None:
        types = tuple(AccountType(account_type_id=f"at-{n}", name=n) for n in account_types)
    return Snapshot(
        sigma=SigmaExport(
            members=tuple(members),
            teams=tuple(teams),
            team_memberships=team_memberships,
            account_types=types,
            inputs=(InputFile("sigma/members.json", "0" * 64, "sigma-members", len(members)),),
        ),
        idp=IdpDirectory(
            users=tuple(users),
            groups=tuple(groups),
            format="test",
            inputs=(InputFile("idp/users.json", "1" * 64, "idp-users", len(users)),),
        ),
    )


def policy(extra: str = "", base: str = BASE_POLICY) -> Policy:
    """Parse ``base`` merged with ``extra`` (both YAML; ``extra``'s top-level sections win key by key)."""
    import yaml

    merged: dict[str, Any] = yaml.safe_load(textwrap.dedent(base)) or {}
    for section, value in (yaml.safe_load(textwrap.dedent(extra)) or {}).items():
        if isinstance(value, dict) and isinstance(merged.get(section), dict):
            merged[section] = {**merged[section], **value}
        else:
            merged[section] = value
    if "preflight" in merged:  # last, so the line numbers of the other sections do not move
        merged["preflight"] = merged.pop("preflight")
    return parse_policy(yaml.safe_dump(merged, sort_keys=False), "policy.yaml")


def plan(snap: Snapshot, extra: str = "", **kw):
    """Build a plan of ``snap`` under :data:`BASE_POLICY` + ``extra``."""
    return build_plan(snap, policy(extra, **kw), created_at="2025-01-01T00:00:00Z")


def kinds(p) -> list[tuple[str, str]]:
    """``[(kind, id), ...]`` of a plan's actions, sorted."""
    return sorted((a.kind.value, a.id) for a in p.actions)


def by_id(p) -> dict:
    return {a.id: a for a in p.actions}


def review_codes(p) -> list[tuple[str, bool]]:
    return sorted((r.code, r.blocking) for r in p.review_items)


EMPTY_SUMMARY = PlanSummary(actions={}, total_actions=0, changes=False, guards=[], text="",
                            outcomes=outcome_counts(()))
"""The summary of a plan with nothing in it (its six required fields)."""


def bare_plan(**fields: Any) -> Plan:
    """A :class:`~planner.model.Plan` with nothing in it (no actions, people, fingerprints, ...), the
    given ``fields`` set; every field of a plan is required, so tests that need only a few start here."""
    values: dict[str, Any] = dict(
        organization=PlanOrganization("", ""), inputs=(),
        policy=PlanPolicy("", "", msgspec.Raw(canonical_json(Policy().resolved()))),
        fingerprints=Fingerprints(), actions=(), review_items=(), summary=EMPTY_SUMMARY, people=(), teams=(),
        app_groups=(), preflight=(), outcomes=Outcomes((), ()), tool_version="", created_at="", digest="",
    )
    values.update(fields)
    return Plan(**values)
