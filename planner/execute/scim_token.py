"""The SCIM token and the admin it belongs to: which writes of a plan may revoke it, and the one line that
names the cause when SCIM then refuses it (issue 10, tester12 finding 6).

Sigma ties the SCIM bearer token to the admin who set provisioning up: once that admin is deactivated,
unassigned or of another account type, SCIM refuses the token and provisioning must be set up again by
another admin, with a new token (docs/sigma-api.md §5.1). The policy names that admin in
``organization.scim_setup_admin`` and the plan's guard keeps them (planner/rules/guards.py); when the policy
names the wrong person, the plan may deactivate or downgrade the admin who really holds the token. Apply,
``verify`` and ``undo`` then meet a SCIM 401 whose cause is one of the plan's own writes:

- :func:`token_risks`: the plan's actions that deactivate an admin member or change their account type
  (:class:`TokenRisk`), read from the plan alone (its fingerprints: the account type it was made against);
- :func:`done_risks`: those a journal records as written, the suspects once SCIM refuses the token;
- :func:`revoked_token_line`: the one line naming them, the fact and the ways out, when SCIM refuses the token
  during the run that wrote them;
- :func:`later_refusal_line` (:func:`revocation`): when a later command (apply's preflight, ``verify``, ``undo``)
  meets the refusal, the usual cause first (the token regenerated or revoked in Sigma, or the wrong variable), the
  downgrade only as a possibility, and said unlikely when REST shows ``organization.scim_setup_admin`` still an
  active admin (:func:`setup_admin_kept`; tester14b #5).

The runner sends these writes after every other action of a run (:func:`planner.execute.runner.run_actions`,
``last``), so a wrong ``organization.scim_setup_admin`` cannot break the SCIM writes of the rest of the run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping, Protocol, Sequence

from ..model import Action, ActionKind, Plan
from ..payloads import target_member_id
from ..planfile import plan_policy
from ..rules.guards import LEAVING, admin_types, is_admin
from .errors import ApiError
from .journal import JournalRow
from .rest_client import MemberRecord
from .targets import ENV_SCIM_TOKEN

_TYPE_SETTING = (ActionKind.SCIM_SET_ACCOUNT_TYPE, ActionKind.SCIM_LINK_USER)
"""Kinds that send a member's account type (``userType``, docs/sigma-api.md §5.2)."""

_REST_REVERSIBLE = frozenset({ActionKind.MEMBERS_DEACTIVATE, ActionKind.MEMBERS_DISABLE_GUEST})
"""Kinds whose change ``undo`` reverses through the REST API (``PATCH /v2/members/{memberId}``
``isArchived: false``, docs/sigma-api.md §2.5), without SCIM."""


@dataclass(frozen=True)
class TokenRisk:
    """One action that deactivates an admin member or changes their account type: if that member set SCIM
    up, the SCIM token dies with it (docs/sigma-api.md §5.1). ``change``: what it does, as the line says it
    (``deactivated``, ``changed the account type of``); ``account_type_after``: the type it gives (``None``
    for a deactivation); ``rest_reversible``: whether ``undo`` reverses it through REST, without SCIM."""

    action_id: str
    member_id: str
    email: str
    account_type_before: str
    account_type_after: str | None
    rest_reversible: bool

    @property
    def phrase(self) -> str:
        """``deactivated victor.hale@acme.example (uPJo...)``, or ``changed the account type of
        helen.ortiz@acme.example (QK9f...) from Admin to Analyze`` (the member's email and memberId)."""
        who = f"{self.email or self.member_id} ({self.member_id})"
        if self.account_type_after is None:
            return f"deactivated {who}"
        return f"changed the account type of {who} from {self.account_type_before} to {self.account_type_after}"


def token_risks(plan: Plan, actions: Sequence[Action] | None = None) -> dict[str, TokenRisk]:
    """The :class:`TokenRisk` of ``actions`` (default: the plan's) by action id, in their order: a
    :data:`~planner.rules.guards.LEAVING` action, or a ``scim.set_account_type`` / ``scim.link_user`` whose
    ``userType`` differs from the member's type, of a member whose account type the plan was made against
    (its fingerprints, else the action's ``before``) is one of ``guards.admin_account_types``. One dict look-up
    per action; no request."""
    admins = admin_types(plan_policy(plan))
    states = plan.fingerprints.members()
    found: dict[str, TokenRisk] = {}
    for a in plan.actions if actions is None else actions:
        leaving = a.kind in LEAVING
        if not leaving and a.kind not in _TYPE_SETTING:
            continue
        member_id = target_member_id(a)
        if not member_id:
            continue
        state = states.get(member_id)
        before = state.member_type if state is not None else getattr(a.before, "member_type", None)
        if not isinstance(before, str) or not is_admin(before, admins):
            continue
        after = None if leaving else a.after.user_type
        if not leaving and (not isinstance(after, str) or not after or after.casefold() == before.casefold()):
            continue
        email = (state.email if state is not None else "") or getattr(a.target, "email", "") or ""
        found[a.id] = TokenRisk(a.id, member_id, str(email), before, after, a.kind in _REST_REVERSIBLE)
    return found


def done_risks(risks: Mapping[str, TokenRisk], rows: Mapping[str, JournalRow]) -> list[TokenRisk]:
    """The ``risks`` a journal's ``rows`` record as written (``done``, outcome ``written``), in plan order, the
    first of each member only (a link and a ``scim.set_account_type`` giving one admin the same type are one
    change)."""
    found: dict[str, TokenRisk] = {}
    for aid, risk in risks.items():
        row = rows.get(aid)
        if row is not None and row.state == "done" and row.outcome == "written":
            found.setdefault(risk.member_id, risk)
    return list(found.values())


NAMED = 3
"""How many written risks :func:`revoked_token_line` names (an error line is at most 1000 characters)."""


def _theory(risks: Sequence[TokenRisk], plan: Plan, journal: str, when: str) -> str:
    """The downgrade theory of :func:`revoked_token_line`, from ``after <when> ...`` to its ways out."""
    named = _setup_admin_named(plan)
    not_named = f", not organization.scim_setup_admin {named}'s" if named else ""
    shown = list(risks[:NAMED])
    more = f"; and {len(risks) - NAMED} more admin(s) (the journal lists them)" if len(risks) > NAMED else ""
    rest = [r.email or r.member_id for r in risks if r.rest_reversible]
    scim = [r.email or r.member_id for r in risks if not r.rest_reversible]
    ways = []
    if rest:
        ways.append(f"reactivate {' and '.join(rest[:NAMED])} through REST (`sigma-migrate undo {journal} --out "
                    "undo-plan.json` does it first)")
    if scim:
        ways.append(f"only SCIM can give {' and '.join(scim[:NAMED])} their account type back")
    they = "they" if len(risks) == 1 else "one of them"
    return (f"after {when} {'; '.join(r.phrase for r in shown)}{more}: "
            f"if {they} set SCIM up, the token was theirs (Sigma revokes it with them: docs/sigma-api.md §5.1)"
            f"{not_named}; {'; '.join(ways)}; or set SCIM up again as another "
            f"admin (a new {ENV_SCIM_TOKEN}) and name them in organization.scim_setup_admin")


def _setup_admin_named(plan: Plan) -> str:
    """How the plan names ``organization.scim_setup_admin`` (their email, else the policy's value; ``""``)."""
    owner = next((o for o in plan.outcomes.owners if o.role == "scim_setup_admin"), None)
    return (owner.email or owner.reference) if owner is not None else ""


def revoked_token_line(refusal: str, risks: Sequence[TokenRisk], plan: Plan, journal: str, when: str) -> str:
    """The line of a SCIM token refused during the run that wrote ``risks`` (:func:`done_risks`, non-empty; the
    first :data:`NAMED` named), ``refusal`` the refused request (``SCIM GET /Users?count=1: 401: ...``), ``when``
    who wrote them (``this run``), ``journal`` the journal's path for ``undo``: the token worked at the run's
    preflight, so its own writes are the first suspects:

    ``the SCIM token stopped working (<refusal>) after this run deactivated victor.hale@acme.example (uPJo...):
    if they set SCIM up, the token was theirs (Sigma revokes it with them: docs/sigma-api.md §5.1), not
    organization.scim_setup_admin priya.raman@acme.example's; reactivate victor.hale@acme.example through REST
    (`sigma-migrate undo <journal> --out undo-plan.json` does it first); or set SCIM up again as another admin
    (a new SIGMA_SCIM_TOKEN) and name them in organization.scim_setup_admin``. An account type change says
    ``only SCIM can give helen.ortiz@acme.example their account type back`` instead of the reactivation (SCIM
    manages the member: Sigma refuses its REST edits). At most 1000 characters for up to :data:`NAMED` risks
    and paths of a usual length (the CLI's error limit). A later command's refusal is :func:`later_refusal_line`."""
    return f"the SCIM token stopped working ({refusal}) {_theory(risks, plan, journal, when)}"


TOKEN_REFUSED = (f"the token was regenerated or revoked in Sigma (Administration > Authentication), or {ENV_SCIM_TOKEN} "
                 f"holds another one: check {ENV_SCIM_TOKEN}")
"""The usual cause of a SCIM token refused by a later command, named first (tester14b #5)."""


def later_refusal_line(refusal: str, risks: Sequence[TokenRisk], plan: Plan, journal: str, when: str,
                       kept: bool) -> str:
    """The line of a SCIM token refused by a command after the runs that wrote ``risks`` (apply's preflight,
    ``verify``, ``undo``: :func:`revocation`), the usual cause first (:data:`TOKEN_REFUSED`: a token rotated or
    revoked since, or the wrong variable), then the downgrade theory of :func:`revoked_token_line` as a
    possibility: ``SIGMA_SCIM_TOKEN refused by SCIM (<refusal>): the token was regenerated or revoked in Sigma
    (Administration > Authentication), or SIGMA_SCIM_TOKEN holds another one: check SIGMA_SCIM_TOKEN; or it died
    with an admin after this plan's apply changed the account type of ... from Admin to Act: if they set SCIM up,
    ...``. ``kept``: REST says ``organization.scim_setup_admin`` is an active admin now (:func:`setup_admin_kept`),
    so the theory holds only if the policy names the wrong admin; the line says so in one clause, without the ways
    out (was: the downgrade alone was named, and an admin told to restore an Admin the policy removed, or to set
    SCIM up again, for a token regenerated in Sigma; tester14b #5)."""
    head = f"{ENV_SCIM_TOKEN} refused by SCIM ({refusal}): {TOKEN_REFUSED}"
    if not kept:
        return f"{head}; or it died with an admin {_theory(risks, plan, journal, when)}"
    they = "they" if len(risks) == 1 else "one of them"
    shown = "; ".join(r.phrase for r in risks[:NAMED]) + (f"; and {len(risks) - NAMED} more admin(s)"
                                                        if len(risks) > NAMED else "")
    return (f"{head} (organization.scim_setup_admin {_setup_admin_named(plan)} is still an active admin, so {when}, "
            f"which {shown}, revoked it only if the policy names the wrong admin and {they} set SCIM up)")


class MemberReader(Protocol):
    """What :func:`setup_admin_kept` reads: ``GET /v2/members/{memberId}`` (the REST client's ``get_member``)."""

    def get_member(self, member_id: str) -> MemberRecord: ...


def setup_admin_kept(plan: Plan, rest: MemberReader | None) -> bool:
    """Whether REST says the member ``organization.scim_setup_admin`` names (the plan's ``scim_setup_admin`` owner
    row) is active (neither archived nor inactive) and of one of ``guards.admin_account_types`` now: one
    ``GET /v2/members/{memberId}``. ``False`` when it cannot tell (no REST client, no member named, the read
    failed: :class:`~planner.execute.errors.ApiError`)."""
    owner = next((o for o in plan.outcomes.owners if o.role == "scim_setup_admin"), None)
    if rest is None or owner is None or not owner.member_id:
        return False
    try:
        member = rest.get_member(owner.member_id)
    except ApiError:
        return False
    return (not member.is_archived and not member.is_inactive and isinstance(member.member_type, str)
            and is_admin(member.member_type, admin_types(plan_policy(plan))))


Revocation = Callable[[str, "MemberReader | None"], "str | None"]
"""What names a SCIM token refused by a later command: ``(refusal, REST client or None) -> line`` (``None``: no
write of the plan's runs can explain it; the refusal is then the token's own, ``check SIGMA_SCIM_TOKEN``)."""


def revocation(plan: Plan, rows: Mapping[str, JournalRow], journal: str,
               when: str = "this plan's apply") -> Revocation:
    """For a command that meets a SCIM 401 later (apply's preflight, ``verify``, ``undo``): ``(refusal, rest)`` ->
    :func:`later_refusal_line` of the plan's risks its journal ``rows`` record as written (:func:`done_risks`),
    whether ``organization.scim_setup_admin`` is still an active admin read over ``rest`` (:func:`setup_admin_kept`,
    one read, only then); ``None`` when there are none (the refusal is then the token's own: check
    ``SIGMA_SCIM_TOKEN``)."""
    suspects = done_risks(token_risks(plan), rows)

    def line(refusal: str, rest: MemberReader | None) -> str | None:
        if not suspects:
            return None
        return later_refusal_line(refusal, suspects, plan, journal, when, setup_admin_kept(plan, rest))

    return line


__all__ = ["NAMED", "TOKEN_REFUSED", "MemberReader", "Revocation", "TokenRisk", "done_risks", "later_refusal_line",
           "revocation", "revoked_token_line", "setup_admin_kept", "token_risks"]
