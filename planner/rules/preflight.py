"""Pre-flight: the prerequisites Sigma's SCIM guide sets before provisioning is switched on.

Sources (docs/sigma-api.md): §5.1 (SAML-only sign-in; the SCIM token belongs to the admin who
sets it up; a second SCIM setup needs Sigma support to remove the old token), §1.2 (the API
credentials belong to their owner), §5.3 (guests lose access; pre-SCIM members stay, unmanaged
until an IdP links them).

Each prerequisite is checked from the exports where they show it (the protected people through
the guards, guests and unmanaged members by count, an earlier SCIM setup from members SCIM made
inactive or resources an IdP provisioned) and is otherwise an explicit confirmation in the
policy's ``preflight`` section. :func:`evaluate` returns the typed checks in a fixed order; the
plan carries them and approve/apply refuse a plan with a blocking check that is ``unconfirmed``
or ``failed`` (:attr:`planner.model.Plan.unmet_preflight`).
"""

from __future__ import annotations

from typing import Iterable, Sequence

from ..model import Action, ActionKind, GuardResult, Lockout, PersonRow, PreflightCheck, PreflightStatus
from ..outcomes import LOCKOUT_LABELS
from ..directory import Directory
from ..sources.status_listing import InactiveListingDoubt
from ..policy import Policy
from . import yaml_snippet

OK, CONFIRMED, UNCONFIRMED, FAILED, INFO = (
    PreflightStatus.OK, PreflightStatus.CONFIRMED, PreflightStatus.UNCONFIRMED, PreflightStatus.FAILED,
    PreflightStatus.INFO)


def _confirm(key: str, value) -> str:
    return yaml_snippet({"preflight": {key: value}})


def saml_only(confirmed: bool) -> PreflightCheck:
    """Sigma accepts SCIM only for organizations that sign in with SAML only (§5.1); no export says it."""
    return PreflightCheck(
        "saml_only", "Sigma authentication is SAML only (not password, not \"SAML or password\")",
        CONFIRMED if confirmed else UNCONFIRMED, True,
        "confirmed in the policy (preflight.saml_only)" if confirmed
        else "no export shows the authentication method: check Administration > Authentication, then confirm",
        "" if confirmed else _confirm("saml_only", True), "docs/sigma-api.md §5.1", None)


def protected_person(key: str, title: str, guard: GuardResult | None, named: str | None) -> PreflightCheck:
    """The SCIM-setup admin / API credential owner: named in the policy, stays active and admin.

    Decided by the guard of the same name (:mod:`planner.rules.guards`); ``guard`` is its summary
    entry (``{"name", "ok", "detail"}``), ``None`` when it did not run.
    """
    if guard is None:
        return PreflightCheck(key, title, UNCONFIRMED, True, f"organization.{key} was not checked",
                              _confirm_org(key), "docs/sigma-api.md §5.1, §1.2", None)
    if guard.ok:
        return PreflightCheck(key, title, OK, True, guard.detail, "", "docs/sigma-api.md §5.1, §1.2", None)
    status = UNCONFIRMED if not named else FAILED
    return PreflightCheck(key, title, status, True, guard.detail, _confirm_org(key) if not named else "",
                          "docs/sigma-api.md §5.1, §1.2", None)


def _confirm_org(key: str) -> str:
    return yaml_snippet({"organization": {key: "someone@example.com"}})


def previous_scim(answer: str, provisioned: int, scim_inactive: int) -> PreflightCheck:
    """An earlier SCIM setup leaves a token only Sigma support can remove (§5.1).

    ``provisioned``: users/teams an IdP provisioned (SCIM ``externalId``); ``scim_inactive``:
    members SCIM made inactive (:func:`made_inactive_by_scim`). Either is a trace of SCIM having been set
    up, which contradicts ``previous_scim: none``. A re-plan after apply (``same_setup``) on an export
    without Sigma's SCIM state is held by the blocking ``inputs.scim_state_missing`` item
    (:func:`planner.rules.inputs.scim_state_missing_item`), not here.
    """
    title = "no earlier SCIM setup, or Sigma support removed it"
    source = "docs/sigma-api.md §5.1"
    traces = []
    if provisioned:
        traces.append(f"{provisioned} user(s)/team(s) provisioned by an IdP")
    if scim_inactive:
        traces.append(f"{scim_inactive} member(s) made inactive by SCIM")
    seen = "; ".join(traces)
    resolution = _confirm("previous_scim", "removed_by_support") if traces else _confirm("previous_scim", "none")
    if answer == "unknown":
        detail = (f"the exports show an earlier SCIM setup ({seen}): ask Sigma support to remove that SCIM setup, then "
                  "confirm (or previous_scim: same_setup for a re-plan after apply)"
                  if traces else "not confirmed: was SCIM ever set up for this organization?")
        return PreflightCheck("previous_scim", title, UNCONFIRMED, True, detail, resolution, source, None)
    if answer == "none" and traces:
        return PreflightCheck("previous_scim", title, FAILED, True,
                              f"preflight.previous_scim is none but the exports show SCIM was set up ({seen})",
                              _confirm("previous_scim", "removed_by_support"), source, None)
    said = {"none": "SCIM was never set up", "removed_by_support": "Sigma support removed the earlier SCIM setup",
            "same_setup": "the provisioned resources come from the connection in use"}[answer]
    return PreflightCheck("previous_scim", title, CONFIRMED, True,
                          f"confirmed in the policy: {said}" + (f" ({seen})" if seen else ""), "", source, None)


def guests(losing: Sequence[str], informed: bool) -> PreflightCheck:
    """Guests cannot use SCIM: enabling it disables them (§5.3); they must be told first. ``losing``: the emails of
    the guests the plan disables (:func:`_guests_losing_access`); a confirmed check names them, so the reviewer
    sees whom ``preflight.guests_informed`` covers (tester20 finding 9: "3 guests lose access; the policy confirms
    they were told" while the policy meant to convert one of the three)."""
    title = "guest members who lose access have been told"
    source = "docs/sigma-api.md §5.3"
    count = len(losing)
    if not count:
        return PreflightCheck("guests", title, OK, True, "no active guest member loses access", "", source, 0)
    if informed:
        return PreflightCheck("guests", title, CONFIRMED, True,
                              f"{count} guest member(s) lose access ({', '.join(losing)}); the policy confirms "
                              "they were told", "", source, count)
    return PreflightCheck("guests", title, UNCONFIRMED, True,
                          f"{count} guest member(s) lose access when SCIM is enabled ({', '.join(losing)}): tell "
                          "them, then confirm", _confirm("guests_informed", True), source, count)


def unmanaged(counts: Sequence[int], acknowledged: bool) -> PreflightCheck:
    """Pre-SCIM members no IdP user links stay, unmanaged (§5.3, §5.4): informational, not blocking.
    ``counts``: :func:`unmanaged_members` ``(kept, pending, embed)``; the detail gives each beside the
    total, in the words show and the report list them under (:data:`planner.outcomes.LOCKOUT_LABELS`):
    ``"3 active member(s) stay unmanaged: the IdP will not update or deactivate them (2 'No IdP identity,
    kept', 1 embed member(s), who sign in through embedding, not the IdP)"``."""
    title = "pre-SCIM members who stay unmanaged are known"
    source = "docs/sigma-api.md §5.3"
    count = sum(counts)
    if not count:
        return PreflightCheck("unmanaged_members", title, OK, False,
                              "every active member is linked to the IdP or deactivated", "", source, 0)
    kept, pending, embed = counts
    parts = [f"{n} {what}" for n, what in (
        (kept, repr(LOCKOUT_LABELS[Lockout.UNMATCHED_KEPT].partition(":")[0])),
        (pending, repr(LOCKOUT_LABELS[Lockout.UNMATCHED_REVIEW])),
        (embed, "embed member(s), who sign in through embedding, not the IdP")) if n]
    which = f" ({', '.join(parts)})"
    if acknowledged:
        return PreflightCheck("unmanaged_members", title, CONFIRMED, False,
                              f"{count} active member(s) stay unmanaged{which} (acknowledged in the policy)", "",
                              source, count)
    return PreflightCheck("unmanaged_members", title, INFO, False,
                          f"{count} active member(s) stay unmanaged: the IdP will not update or deactivate them"
                          f"{which}", _confirm("unmanaged_members_acknowledged", True), source, count)


def members_listing(members_file: str | None, creates: int, confirmed: bool) -> PreflightCheck | None:
    """The Sigma members export lists the archived and inactive members (docs/sigma-api.md §2.3).

    ``GET /v2/members`` without ``includeArchived=true&includeInactive=true`` lists neither (docs/formats.md
    §1b), and no field of such a file shows it: a returning archived member then matches no member and the plan
    creates a second account (``scim.create_user``) beside the archived one, whose documents stay with it
    (tester14a finding 2). ``members_file``: :attr:`~planner.directory.Directory.sigma_members_in_doubt` (``None``:
    a fetch manifest shows ``sigma-migrate fetch`` listed both, or the file holds an archived member: no check,
    ``None`` returned, the plan carries none; an inactive member alone shows only ``includeInactive=true``:
    tester21 finding 2); ``creates``: the plan's ``scim.create_user`` actions, the ones the doubt can turn wrong (blocking
    while there is one and it is unconfirmed; informational otherwise); ``confirmed``:
    ``preflight.members_include_archived_and_inactive``."""
    key = "members_include_archived_and_inactive"
    title = "the Sigma members export lists archived and inactive members"
    source = "docs/sigma-api.md §2.3"
    if members_file is None:
        return None
    if confirmed:
        return PreflightCheck(key, title, CONFIRMED, bool(creates),
                              f"{members_file} holds no archived member; the policy confirms it was "
                              "exported with includeArchived=true&includeInactive=true", "", source, creates)
    return PreflightCheck(
        key, title, UNCONFIRMED, bool(creates),
        f"{members_file} holds no archived member and no fetch manifest says how it was listed: GET /v2/members "
        "without includeArchived=true leaves them out (and without includeInactive=true the inactive ones), and then "
        f"each of the plan's {creates} scim.create_user may be a second account for an archived member; export the "
        "members with both flags (or `sigma-migrate fetch`) and plan again, or confirm",
        _confirm(key, True), source, creates)


def idp_users_listing(doubt: InactiveListingDoubt | None, absent: int, keeps_leavers: bool, confirmed: bool
                      ) -> PreflightCheck | None:
    """The IdP users export lists the deactivated and suspended users (Okta's: the ``DEPROVISIONED`` ones,
    docs/formats.md §2a).

    A hand-saved listing may leave them out, and no field of such a file shows it
    (:mod:`planner.sources.status_listing`): a leaver or a suspended person then reads as a member with no IdP user,
    decided by ``unmatched.action`` instead of ``unmatched.idp_inactive`` / ``unmatched.idp_suspended`` (tester14a
    finding 9: under ``idp_inactive: keep`` two leavers were deactivated, their documents moved; tester21 finding 3:
    a Google CSV of the Active users deactivated a suspended user). ``doubt``:
    :attr:`~planner.directory.Directory.idp_users_in_doubt` (``None``: a fetch-idp manifest, or an inactive user in
    the file: no check); ``absent``: the plan's ``members.deactivate`` of members no IdP user matches, the ones the
    doubt can turn wrong; ``keeps_leavers``: the policy does not deactivate every such person
    (:func:`_keeps_leavers`), so one read as absent is deactivated where the policy keeps or asks. Blocking while unconfirmed, both hold; informational otherwise. ``confirmed``:
    ``preflight.idp_users_include_deactivated``."""
    key = "idp_users_include_deactivated"
    if doubt is None:
        return None
    users_file = doubt.path
    if doubt.okta:
        title, source, held = ("the Okta users export lists deactivated (DEPROVISIONED) users", "docs/formats.md §2a",
                               "no DEPROVISIONED user")
        why = ("GET /api/v1/users without search=status eq \"DEPROVISIONED\" leaves them out, and then each of the "
               f"plan's {absent} deactivation(s) of a member no IdP user matches may be a leaver "
               "unmatched.idp_inactive decides; list the users with that search (or `sigma-migrate fetch-idp okta`)")
    else:
        title, source, held = ("the IdP users export lists deactivated and suspended users", "docs/formats.md §0.15",
                               "no deactivated or suspended user")
        why = ("a download of a filtered list (a Status filter, \"Account enabled == Yes\", a report of active users) "
               f"leaves them out, and then each of the plan's {absent} deactivation(s) of a member no IdP user "
               "matches may be a leaver or a suspended person unmatched.idp_inactive or unmatched.idp_suspended "
               "decides; export every user, whatever their status (or `sigma-migrate fetch-idp`)")
    if confirmed:
        return PreflightCheck(key, title, CONFIRMED, False,
                              f"{users_file} holds {held}; the policy confirms it was listed with them", "", source,
                              absent)
    return PreflightCheck(
        key, title, UNCONFIRMED, bool(absent) and keeps_leavers,
        f"{users_file} holds {held} and no fetch-idp manifest says how it was listed: {why} and plan again, or "
        "confirm", _confirm(key, True), source, absent)


def _keeps_leavers(policy: Policy, doubt: InactiveListingDoubt | None) -> bool:
    """Whether the policy decides a person the listing may have left out otherwise than by deactivating them:
    ``unmatched.idp_inactive``, and for a format whose suspended users the listing may have left out
    (:attr:`InactiveListingDoubt.suspends`: Google, a generic CSV; Okta's plain listing holds its suspended
    users) ``unmatched.idp_suspended``, is not ``deactivate`` (:func:`idp_users_listing`)."""
    unmatched = policy.unmatched
    return unmatched.idp_inactive != "deactivate" or (
        doubt is not None and doubt.suspends and unmatched.idp_suspended != "deactivate")


def _deactivated_absent(actions: Iterable[Action]) -> int:
    """The ``members.deactivate`` actions of members no IdP user matches (evidence ``kind`` ``unmatched``)."""
    return sum(1 for a in actions if a.kind is ActionKind.MEMBERS_DEACTIVATE and a.evidence.kind == "unmatched")


def _guests_losing_access(people: Sequence[PersonRow]) -> list[str]:
    """The emails of the plan's person rows whose ``lockout`` is ``guest_disabled`` (:func:`planner.outcomes.lockout`: the guests
    the plan disables, one count with show's "guests disabled"); a guest a blocking item holds (``guest_held``)
    loses nothing until it is settled (left19: was every active guest no action converts, so a held guest was
    counted as losing access)."""
    return [p.email or p.member_id or "" for p in people if p.lockout is Lockout.GUEST_DISABLED]


def made_inactive_by_scim(is_inactive: bool, is_archived: bool) -> bool:
    """A member SCIM made inactive, a trace of a SCIM setup: ``isInactive`` and not ``isArchived``
    (§2.2 "deactivated by SCIM", §5.3). Read by this check and by ``fetch`` (:class:`planner.fetch.ScimStateRule`)."""
    return is_inactive and not is_archived


def _scim_inactive(directory: Directory) -> int:
    """Members SCIM made inactive (:func:`made_inactive_by_scim`)."""
    return sum(1 for m in directory.members.values() if made_inactive_by_scim(m.is_inactive, m.is_archived))


def unmanaged_members(people: Sequence[PersonRow]) -> tuple[int, int, int]:
    """``(kept, pending, embed)``: the active members the plan keeps with no IdP identity, read from the
    plan's person rows: internal members whose ``lockout`` is ``unmatched_kept`` / ``unmatched_review``
    (the people show and the report list as 'No IdP identity, kept' / '... decision pending', one count
    with theirs), and embed members neither linked nor deactivated (no ``lockout``: they sign in through
    embedding, not the IdP, but the IdP will not manage them either). Was: one count of its own over
    ``account_type_after``, which show's lists could not be read against (tester10 finding 15)."""
    kept = pending = embed = 0
    for p in people:
        if p.lockout is Lockout.UNMATCHED_KEPT:
            kept += 1
        elif p.lockout is Lockout.UNMATCHED_REVIEW:
            pending += 1
        elif (p.lockout is None and p.user_kind == "embed" and p.member_id and not p.idp_id
              and p.sigma_status == "active"):
            embed += 1
    return kept, pending, embed


def evaluate(policy: Policy, directory: Directory, guards: Sequence[GuardResult], actions: Sequence[Action],
             people: Sequence[PersonRow]) -> tuple[PreflightCheck, ...]:
    """Every prerequisite in a fixed order (blocking ones first; ``members_include_archived_and_inactive`` only
    when the members export is in doubt, :func:`members_listing`, ``idp_users_include_deactivated`` only when the
    Okta users export is, :func:`idp_users_listing`). Pure.

    ``guards``: the plan summary's guard entries; ``actions`` and ``people``: the plan's.
    """
    answers = policy.preflight
    organization = policy.organization
    by_name = {g.name: g for g in guards}
    scim_inactive = _scim_inactive(directory)
    scim = directory.scim
    provisioned = len(scim.users) + len(scim.groups) if scim is not None else 0
    listing = members_listing(directory.sigma_members_in_doubt,
                              sum(1 for a in actions if a.kind is ActionKind.SCIM_CREATE_USER),
                              answers.members_include_archived_and_inactive)
    return tuple(c for c in (
        saml_only(answers.saml_only),
        protected_person("scim_setup_admin", "the SCIM-setup admin stays active with an admin account type",
                         by_name.get("scim_setup_admin"), organization.scim_setup_admin),
        protected_person("api_credential_owner", "the API credential owner stays active with an admin account type",
                         by_name.get("api_credential_owner"), organization.api_credential_owner),
        previous_scim(answers.previous_scim, provisioned, scim_inactive),
        guests(_guests_losing_access(people), answers.guests_informed),
        listing,
        idp_users_listing(directory.idp_users_in_doubt, _deactivated_absent(actions),
                          _keeps_leavers(policy, directory.idp_users_in_doubt), answers.idp_users_include_deactivated),
        unmanaged(unmanaged_members(people), answers.unmanaged_members_acknowledged),
    ) if c is not None)
