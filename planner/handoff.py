"""``sigma-migrate handoff``: what the IdP admin must configure so that what apply did holds.

Apply links and creates Sigma's SCIM users and groups itself; once the IdP starts pushing, the
IdP's values win (docs/sigma-api.md §5.3). If the IdP sends another userName, Sigma makes a
second account; if it sends no account type, Sigma falls back to its default; a group pushed as
"Create Group" makes a second team. The hand-off pack tells the IdP admin, from the plan's
decisions (never re-deciding them):

- the **groups** to assign to the Sigma app and to push (scope, account-type and team groups);
- per **team**, "Link Group" (the team exists: apply linked or created it) and the name the
  IdP will push;
- the **attribute mappings**: the userName source, the account type attribute (``userType``,
  with the exact, case-sensitive Sigma spellings), ``active``, names;
- the **account types** and the groups that give them, counting their members only; every person whose
  planned type no type group they are in gives (the plan's ``account_type_source``), to be assigned
  individually, the protected people first (tester9 finding 1);
- the **people in several type groups** with the type the plan chose (the plan's
  ``account_types.several_type_groups`` item): Entra sends one app role each, Okta the type of the
  highest-priority group;
- the **IdP users whose userName must be another** before provisioning (``user_name_guard``): Okta sets
  each one's app username; Entra ID maps userName from one attribute for every user, the one the plan
  decided (:mod:`planner.rules.user_name_mapping`, tester9 finding 4);
- the **order of operations**: apply the plan, enable provisioning, assign, then push/link groups.

:func:`handoff_pack` builds the typed :class:`HandoffPack` (pure); :func:`markdown` and
:func:`csv_files` render it; the CLI writes them all or nothing into ``--out``. A plan that
cannot be approved yet (blocking review items, unmet pre-flight checks, failed guards: the
refusals of ``approve``) gets no pack (:func:`check_pack_allowed`), unless it is asked for as a
**draft**: then every file says DRAFT (README.md's heading, the first column of each CSV). An undo plan, and a
plan an applied undo plan rolled back, get none, draft or not (:func:`check_plan_kind`).
Every value has control, bidi and invisible characters escaped visibly
(:func:`planner.csv_cells.cell_text`), in the CSVs (:func:`planner.csv_cells.csv_text`, which also
neutralizes spreadsheet formulas) and in README.md's tables; README.md shows a name as it is to be
typed (``=1+2``, not the CSV's ``'=1+2``: tester8 finding 11). README.md escapes what Markdown would read as markup (:func:`markdown_text`): a name from an export
never becomes a link, an image or raw HTML. The pack is for the IdP the plan's export came from
(:func:`check_idp_matches`: an Entra or Google export gets no Okta pack) or for ``generic``; Google
Workspace's pack says only what docs/sigma-api.md §6.3 establishes, and what it does not (§10.14).
Sources: docs/sigma-api.md §5.1-§5.4 (Sigma's SCIM guide), §6.1 (Okta), §6.2 (Entra), §6.3 (Google); Microsoft's
"How application provisioning works" (learn.microsoft.com/entra/identity/app-provisioning/how-provisioning-works:
with "Sync only assigned users and groups", every assigned group is provisioned with its members).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

from .csv_cells import cell_text, csv_text
from .errors import UserError
from .execute.approve import check_plan_is_applicable
from .execute.errors import ApplyRefused
from .execute.reversals import check_not_rolled_back, check_not_superseded, check_not_undo_plan, recorded_reversals
from .model import AppGroup, InputFile, ItemRef, Lockout, Plan
from .planfile import plan_policy
from .policy import compile_pattern
from .rules.account_types import SEVERAL_TYPE_GROUPS, rank
from .rules.app_assignment import NOT_PROVISIONED
from .rules.policy_refs import SHARED_NAME
from .terminal import printable

IDPS: tuple[str, ...] = ("okta", "entra", "google", "generic")
"""The ``--idp`` packs: each IdP console the tool knows (docs/sigma-api.md §6.1-§6.3), and ``generic``."""

DRAFT = "DRAFT"
"""The marker of a draft pack: the first column (header and every row) of each CSV, and
README.md's heading."""


class HandoffRefused(UserError):
    """No pack for a plan that cannot be approved yet (unless ``--draft``), or for another IdP than
    the plan's export came from; ``str()`` is one line."""


IDP_OF_INPUT = {"okta": "okta", "entra": "entra", "google": "google"}
"""The prefix of a plan input's ``kind`` (``entra.users``, :class:`planner.model.InputFile`) -> the ``--idp``
whose pack fits that export. SCIM (``scim.resources``) and generic-CSV exports name no IdP console: any
pack fits them."""

IDP_TITLES = {"okta": "Okta", "entra": "Microsoft Entra ID", "google": "Google Workspace",
              "generic": "your SCIM IdP"}


def check_idp_matches(plan: Plan, idp: str, plan_path: str | Path) -> None:
    """Raise :class:`HandoffRefused` when ``plan`` was made from an Okta, Entra ID or Google Workspace
    export (its inputs' kinds, :data:`IDP_OF_INPUT`) and ``idp`` is another of them: the steps, attribute
    sources and group behaviour differ (docs/sigma-api.md §6.1-§6.3), so the pack would instruct the wrong
    console (tester9 finding 7: a Google plan was given Okta's). ``generic`` always fits, and any pack fits a
    plan from a SCIM or generic-CSV export."""
    found: dict[str, InputFile] = {}
    for i in plan.inputs:
        if (prefix := i.kind.split(".")[0]) in IDP_OF_INPUT:
            found.setdefault(IDP_OF_INPUT[prefix], i)
    if idp == "generic" or not found or idp in found:
        return
    other, first = next(iter(found.items()))
    article = "an" if IDP_TITLES[other][0] in "AEIOU" else "a"
    raise HandoffRefused(
        f"--idp {idp}: {plan_path} was made from {article} {IDP_TITLES[other]} export ({first.kind}: {first.path}); "
        f"use --idp {other}, or --idp generic")


UNDO_PLAN = ("it gets no IdP hand-off: a hand-off tells the IdP admin how to keep what a migration plan did, and an "
             "undo plan rolls that back; hand off the migration plan of a new `sigma-migrate plan` instead; no hand-off "
             "written")
"""Why ``handoff`` refuses an undo plan (tester12 finding 14: it wrote Link Group steps for the teams a rollback
reset, and no groups)."""

ROLLED_BACK = ("a hand-off of it would have the IdP push again what the rollback reversed: fetch Sigma's export, "
               "plan and approve again, and hand off the new plan; no hand-off written")
"""Why ``handoff`` refuses a plan an applied undo plan rolled back (tester12 finding 14's class)."""

SUPERSEDED_PLAN = ("the IdP is to keep what {successor} decided anew, not what this plan did: hand off {successor}; no "
                   "hand-off written")
"""Why ``handoff`` refuses a plan a re-plan made ``--applied`` with it took over from (tester16b finding 3)."""


def check_plan_kind(plan: Plan, plan_path: str | Path) -> None:
    """Raise :class:`HandoffRefused` (one line) for a plan a hand-off cannot be made from: an undo plan
    (:data:`UNDO_PLAN`, :func:`planner.execute.reversals.check_not_undo_plan`), a migration plan an applied undo
    plan rolled back (its journal beside ``plan_path`` records it: :data:`ROLLED_BACK`,
    :func:`planner.execute.reversals.check_not_rolled_back`), or one a re-plan took over from
    (:data:`SUPERSEDED_PLAN`, :func:`planner.execute.reversals.check_not_superseded`). Reads that journal, writes
    nothing."""
    check_not_undo_plan(plan, plan_path, HandoffRefused, UNDO_PLAN)
    check_not_rolled_back(plan_path, plan, HandoffRefused, ROLLED_BACK)
    check_not_superseded(plan_path, recorded_reversals(plan_path, plan), HandoffRefused, SUPERSEDED_PLAN,
                         plan.digest)


def check_pack_allowed(plan: Plan, plan_path: str | Path) -> None:
    """Raise :class:`HandoffRefused` when ``plan`` cannot be approved (approve's own check,
    :func:`~planner.execute.approve.check_plan_is_applicable`: the count and the first blocking
    review item, unmet pre-flight check or failed guard), naming ``--draft`` as the way out."""
    try:
        check_plan_is_applicable(plan, plan_path)
    except ApplyRefused as exc:
        raise HandoffRefused(f"{exc}; no hand-off written (--draft writes one marked DRAFT)") from None


@dataclass(frozen=True)
class GroupRow:
    """An IdP group the Sigma app needs: ``assign`` to the app, ``push`` as a team, and why.

    ``match`` is ``name`` (``group`` is a displayName) or ``pattern`` (``group`` is a regular
    expression every matching group's displayName fully matches: policy ``re:``)."""

    group: str
    match: str
    assign: bool
    push: bool
    purpose: str


@dataclass(frozen=True)
class TeamRow:
    """One team the plan maps: the IdP group, what the IdP admin does, the name the IdP will push."""

    team: str
    team_id: str
    group: str
    plan: str            # "linked" (existing team) or "created" (a new team) by apply
    idp_step: str        # e.g. "Link Group" (Okta), "match by displayName" (Entra)
    pushed_name: str     # the displayName the IdP will send
    renamed_by_idp: bool  # the pushed name differs from the team's name: the team is renamed
    members_after: int


@dataclass(frozen=True)
class AttributeRow:
    """One SCIM attribute the IdP app must send: ``attribute`` <- ``source``, with a note."""

    attribute: str
    source: str
    note: str


@dataclass(frozen=True)
class AccountTypeRow:
    """A Sigma account type as the IdP must spell it, the groups that give it, people planned with it.

    ``priority``: 1 for the highest type (``account_types.precedence``, else Sigma's built-in ranking,
    :func:`planner.rules.account_types.rank`; unranked types last, by name): a person in several type
    groups must be sent the type of the lowest number, as the plan decided (tester8 finding 8)."""

    priority: int
    account_type: str
    groups: str
    people: int
    """The people the plan gives this type through a type group they are in (``groups``): counted once,
    under the type they get (:attr:`planner.model.AccountTypeSource.groups`)."""
    individual: int
    """The people of :attr:`HandoffPack.individual` planned with this type (no type group of theirs gives it)."""


@dataclass(frozen=True)
class UserNameRow:
    """An IdP user whose IdP must send another ``userName`` than the one the policy assumed
    (``idp_user_name``), before provisioning, else Sigma makes a second account (docs/sigma-api.md §5.3):
    ``user_name``, the one the plan links (Okta: the app username to set; Entra ID: what the one userName
    mapping sends, :class:`UserNameMapping`)."""

    idp_id: str
    idp_user_name: str
    user_name: str
    member_email: str
    reason: str


@dataclass(frozen=True)
class IndividualRow:
    """A person whose planned account type no type group they are in gives (their
    :attr:`planner.model.AccountTypeSource.groups` is empty): the IdP must assign it to them individually,
    else it sends another type or none, and Sigma applies what it sends (docs/sigma-api.md §5.2, §5.3).

    ``person``: the Sigma email (or the IdP userName of a person to create); ``idp_id`` /
    ``idp_user_name``: the IdP user to assign; ``protected``: ``organization.scim_setup_admin`` and/or
    ``organization.api_credential_owner`` when they are one (listed first: a wrong type stops the SCIM token
    or apply's credentials, §5.1, §1.2), else ``""``; ``source``: the
    :attr:`~planner.model.AccountTypeSource.rule`; ``reason``: why, in words."""

    person: str
    idp_id: str
    idp_user_name: str
    account_type: str
    protected: str
    source: str
    reason: str


@dataclass(frozen=True)
class SeveralTypesRow:
    """A person in groups of different account types (the plan's ``account_types.several_type_groups``
    item): their IdP user, their type groups and the type the plan chose, which the IdP must send them."""

    person: str
    idp_user_name: str
    groups: str
    account_type: str


@dataclass(frozen=True)
class NotProvisionedRow:
    """A person the groups assigned to the Sigma app would provision whom the plan does not (a candidate of the
    plan's ``scope.assigned_not_provisioned`` item, :func:`planner.rules.app_assignment.not_provisioned_item`):
    ``person`` (the Sigma email, else the IdP userName), the IdP user (``idp_id``, ``idp_user_name``), ``groups``
    (the assigned groups that hold them, comma-separated), ``plan`` (what the plan does: a guest disabled, an IdP
    guest not created, ``held: waiting on <item ids>``) and ``idp_step`` (what the IdP admin does)."""

    person: str
    idp_id: str
    idp_user_name: str
    groups: str
    plan: str
    idp_step: str


@dataclass(frozen=True)
class HandoffPack:
    """Everything the IdP admin needs, typed; rendered by :func:`markdown` and :func:`csv_files`."""

    idp: str
    organization: str
    digest: str
    approvable: bool
    groups: tuple[GroupRow, ...]
    teams: tuple[TeamRow, ...]
    attributes: tuple[AttributeRow, ...]
    account_types: tuple[AccountTypeRow, ...]
    user_names: tuple[UserNameRow, ...]
    individual: tuple[IndividualRow, ...]
    steps: tuple[str, ...]
    several_types: tuple[SeveralTypesRow, ...] = ()
    """The people in several type groups, as the plan names them (:func:`several_types_rows`)."""
    not_provisioned: tuple[NotProvisionedRow, ...] = ()
    """The people the IdP must not provision, as the plan names them (:func:`not_provisioned_rows`)."""
    draft: bool = False
    """Written from a plan that cannot be approved yet (``--draft``): every file says :data:`DRAFT`."""
    all_users: GoogleScope | None = None
    """Google only, for a plan without ``scope.groups`` (it plans every active user of the export): the provisioning
    scope is all users (:func:`google_scope`), which the steps and the groups section say instead of "the groups in
    groups.csv" (tester11 finding 4); ``None`` otherwise."""
    step_numbers: Mapping[str, int] = field(default_factory=dict)
    """The number in :attr:`steps` of each named step (``enable``: provisioning turned on; ``assign``;
    ``type_groups``: a person in several type groups resolved, :class:`SeveralTypeGroups`; ...), as
    :func:`_steps` ordered them for the IdP."""


@dataclass(frozen=True)
class GoogleScope:
    """What Google's provisioning scope "all users" takes in for a plan without ``scope.groups``: ``provisioned``,
    the people the plan links or creates (``scim.link_user`` / ``scim.create_user`` on their row); ``archived``, the
    emails (else IdP usernames) of the people whose IdP status is Archived and whom the plan deactivates
    (``lockout`` ``deactivated``): Google never acts on an archived user (docs/sigma-api.md §6.3), so the plan's
    own deactivation is what keeps them out."""

    provisioned: int
    archived: tuple[str, ...]

    def words(self) -> str:
        """What the step turning auto-provisioning on says of the scope "all users": what it takes in, and the archived
        users the plan deactivates."""
        archived = (f": the plan deactivates the {len(self.archived)} archived user(s) itself "
                    f"({', '.join(self.archived)}), and they stay deactivated" if self.archived else "")
        return ("Provisioning scope all users: the organization's top organizational unit, since the plan has no "
                f"scope.groups and provisions every active user of the export ({self.provisioned} linked or created); "
                "it takes in the suspended and deleted users too, which Google deprovisions as the deprovisioning "
                "settings say, and the archived ones, on which Google never acts (docs/sigma-api.md §6.3)"
                f"{archived}.")


def google_scope(plan: Plan, scope_groups: Iterable[str]) -> GoogleScope | None:
    """The :class:`GoogleScope` of ``plan`` when its policy names no ``scope.groups`` (``scope_groups`` empty: the plan
    provisions every active user, and Google's scope is groups or organizational units, never one person: §6.3);
    ``None`` when it names some (the scope is those groups, groups.csv)."""
    if any(True for _ in scope_groups):
        return None
    provisioned = sum(1 for p in plan.people
                      if any(a.startswith(("scim.link_user:", "scim.create_user:")) for a in p.actions))
    archived = tuple(p.email or p.user_name or p.idp_id or "" for p in plan.people
                     if (p.idp_status or "").casefold() == "archived" and p.lockout == "deactivated")
    return GoogleScope(provisioned, archived)


def _team_step(idp: str, team: str, group: str) -> tuple[str, str]:
    """(what the IdP admin does for the team, the displayName the IdP will push) for ``idp``.

    Okta links the group to the team (Link Group) and then pushes the group's name (§6.1); Entra
    has no link step: it looks the team up by ``displayName`` and creates a second team when none
    has the group's name (§6.2), so the group must carry the team's name; a generic IdP is told to
    look the team up and keep its id, then pushes its group's name."""
    if idp == "okta":
        return f"Push Groups > Link Group to the team named '{team}'", group
    if idp == "google":
        return (f"keep the team '{team}' as apply left it: whether Google pushes groups as teams is not established "
                "(docs/sigma-api.md §6.3)"), group
    if idp == "entra":
        if group == team:
            return f"assign the group; Entra finds the team by its displayName '{team}'", team
        return (f"rename the Entra group '{group}' to '{team}' before assigning it: Entra finds the team by "
                "displayName, and under another name creates a second team"), team
    return f"find the group with GET /Groups?filter=displayName eq \"{team}\" and keep its id", group


_USER_NAME_STEP = {
    "okta": "Set the app usernames listed in user_names.csv, before provisioning is enabled.",
    "google": "Google sends every user the value of one Directory attribute as userName (the plan assumed "
              "primaryEmail, docs/sigma-api.md §6.3): before provisioning is enabled, each user in user_names.csv "
              "must be sent the Sigma email listed; whether Google's mapping can send it is not established "
              "(§10.14), so when it cannot, settle those users in the policy (user_name_guard: update_sigma_email) "
              "and make the hand-off again.",
    "generic": "For each user in user_names.csv, make the userName your IdP sends equal the Sigma email listed, "
               "before provisioning is enabled.",
}
_USER_NAME_HEADING = {"okta": "app username to set", "entra": "userName the mapping must send",
                      "google": "userName to send", "generic": "userName to send"}
_USER_NAME_ASSUMED = {"entra": "the assumed attribute holds"}
_USER_NAME_SECTION = {
    "okta": "## IdP users whose username must change before provisioning (user_names.csv)",
    "entra": "## Users the userName mapping must send another userName than the assumed attribute (user_names.csv)",
    "google": "## IdP users who must be sent another userName before provisioning (user_names.csv)",
    "generic": "## IdP users who must be sent another userName before provisioning (user_names.csv)",
}
"""README.md's heading of user_names.csv, by IdP (another IdP: Okta's)."""


@dataclass(frozen=True)
class UserNameMapping:
    """The one attribute Entra ID's app must map ``userName`` from, as the plan decided it
    (:mod:`planner.rules.user_name_mapping`): ``source`` (``userPrincipalName`` / ``mail``, or ``""`` when none
    serves), ``item`` (the id of the review item that says so, ``""`` when the policy's own attribute serves)."""

    source: str
    item: str


def user_name_mapping(plan: Plan, setting: str) -> UserNameMapping:
    """The :class:`UserNameMapping` of ``plan`` (an Entra ID one): its ``user_name_guard.idp_mapping`` item's
    attribute, none under ``user_name_guard.no_single_mapping``, else what ``linking.scim_user_name``
    (``setting``) assumed."""
    for r in plan.review_items:
        if r.code == "user_name_guard.idp_mapping":
            return UserNameMapping(r.evidence.attribute or "", r.id)
        if r.code == "user_name_guard.no_single_mapping":
            return UserNameMapping("", r.id)
    return UserNameMapping("mail" if setting == "primary_email" else "userPrincipalName", "")


def user_name_rows(plan: Plan, mapping: UserNameMapping | None, kept_out: Collection[str] = ()
                   ) -> tuple[UserNameRow, ...]:
    """The :class:`UserNameRow` of each IdP user the plan links with another userName than the assumed one:
    the ``user_name_guard.configure_idp`` items; under Entra ID (``mapping``) the candidates of the item that
    decided the mapping (who the assumed attribute would send another userName), when there is one. The IdP users
    of ``kept_out`` (:func:`not_provisioned_rows`: held, so not linked yet) are listed there instead."""
    item = next((r for r in plan.review_items if mapping is not None and r.id == mapping.item), None)
    if item is None:
        return tuple(
            UserNameRow(idp_id=r.subject.idp_id or "", idp_user_name=r.evidence.idp_user_name or "",
                        user_name=r.evidence.sigma_email or "", member_email=r.subject.email or "", reason=r.message)
            for r in plan.review_items if r.code == "user_name_guard.configure_idp"
            if r.subject.idp_id not in kept_out)
    assumed = item.evidence.attribute if not mapping.source else next(
        s for s in ("userPrincipalName", "mail") if s != mapping.source)
    how = (f"the userName mapping from {mapping.source} sends it" if mapping.source
           else f"no single attribute sends it ({item.id})")
    return tuple(
        UserNameRow(idp_id=c.idp_id or "", idp_user_name=c.idp_user_name or "", user_name=c.user_name or "",
                    member_email=c.email or "",
                    reason=f"{assumed} holds {c.idp_user_name or '(nothing)'!r}, not the planned userName "
                           f"{c.user_name!r}: {how}")
        for c in item.candidates if c.idp_id not in kept_out)


def _entra_user_name_step(mapping: UserNameMapping) -> str:
    """The order of operations' userName step for Entra ID (tester9 finding 4)."""
    keep = ("Change no user's userPrincipalName for Sigma: a B2B guest's (x_domain#EXT#@tenant) cannot be an "
            "address of another domain, and a member's is their sign-in everywhere.")
    if not mapping.source:
        return (f"No single attribute sends every user the userName the plan links ({mapping.item}): settle it in "
                "the policy and make the hand-off again; until then do not enable provisioning. " + keep)
    return (f"Before provisioning is enabled, map userName from {mapping.source} (attribute_mappings.csv; Entra ID "
            "has one userName mapping for every user): it sends each user in user_names.csv the Sigma email "
            "listed and every other user the userName the plan linked. " + keep)


def _user_name_source(idp: str, setting: str, mapping: UserNameMapping | None = None) -> AttributeRow:
    primary = setting == "primary_email"
    if idp == "entra" and mapping is not None:
        source = mapping.source or f"(no single attribute: {mapping.item})"
    else:
        source = {
            "okta": "email (Okta profile)" if primary else "Okta username (login)",
            "entra": "mail" if primary else "userPrincipalName",
            "google": "primaryEmail",
            "generic": "the user's primary email" if primary else "the user's login",
        }[idp]
    return AttributeRow("userName", source,
                        "must equal the Sigma email the plan linked; changing it later creates a second account "
                        "(docs/sigma-api.md §5.3)")


def _attributes(idp: str, setting: str, types: list[str], mapping: UserNameMapping | None = None
                ) -> tuple[AttributeRow, ...]:
    spelled = ", ".join(types) or "(none planned)"
    type_source = {
        "okta": "User Type (app attribute userType), set by group assignment",
        "entra": "app role assignment: SingleAppRoleAssignment([appRoleAssignments]); one app role per type",
        "google": "a Directory attribute of each user holding their type (e.g. a custom attribute); whether "
                  "Google's mapping can send userType is not established (docs/sigma-api.md §10.14)",
        "generic": "the account type attribute of the IdP user or group",
    }[idp]
    return (
        _user_name_source(idp, setting, mapping),
        AttributeRow("userType", type_source,
                     f"exactly one of: {spelled} (case-sensitive Sigma spellings; no value means Sigma's default "
                     "type, docs/sigma-api.md §5.2)"),
        AttributeRow("active", {"okta": "user status (deactivation pushes active=false)",
                                "entra": "Switch([IsSoftDeleted], , \"False\", \"True\", \"True\", \"False\")",
                                "google": "the user's status: a suspended or deleted user is deprovisioned as the "
                                          "app's deprovisioning settings say; an archived one is never acted on "
                                          "(docs/sigma-api.md §6.3)",
                                "generic": "the user's enabled state"}[idp],
                     "a deactivated IdP user becomes an inactive Sigma member"),
        AttributeRow("name.givenName", {"okta": "firstName", "entra": "givenName", "google": "First name",
                                        "generic": "given name"}[idp],
                     "required with familyName (Sigma's Okta guide)"),
        AttributeRow("name.familyName", {"okta": "lastName", "entra": "surname", "google": "Last name",
                                         "generic": "family name"}[idp],
                     "required with givenName"),
        AttributeRow("emails[type eq \"work\"].value", {"okta": "email", "entra": "mail", "google": "primaryEmail",
                                                        "generic": "email"}[idp],
                     "the work email"),
    )


def highest_first(types: Iterable[str], precedence: list[str], admin: Collection[str]) -> list[str]:
    """``types`` ordered as the plan ranks them when a person is in several type groups, highest first:
    by ``precedence``, else Sigma's built-in ranking (:func:`planner.rules.account_types.rank`, ``admin``:
    ``guards.admin_account_types`` case-folded); unranked types last; ties by name."""
    def key(t: str) -> tuple:
        r = rank(t, precedence, (), admin)
        return (r is None, tuple(-x for x in r) if r else (), t.casefold())
    return sorted(types, key=key)


@dataclass(frozen=True)
class SeveralTypeGroups:
    """How an IdP sends the userType of a person in several account-type groups (tester8 finding 8): ``sends``, the
    IdP's own rule (README.md's account-types section says it); ``do``, what the IdP admin does so each person gets
    the plan's type; ``first``: whether that is done before any assignment and before provisioning is enabled (Entra
    provisions an assigned person at once with any one of their app roles, Google sends the Directory attribute from
    its first sync: tester13 finding 14), else after the groups are assigned (Okta's priority orders assigned groups:
    help.okta.com "Assign attribute group priority")."""

    sends: str
    do: str
    first: bool

    @property
    def step(self) -> str:
        """The order of operations' step: ``<sends>: <do>``."""
        return f"{self.sends}: {self.do}"


_TYPE_GROUPS = {
    "okta": SeveralTypeGroups(
        "Okta sends a person in several type groups the userType of their highest-priority group (the Sigma app > "
        "Assignments > Groups, Prioritize; help.okta.com \"Assign attribute group priority\")",
        "order the type groups as account_types.csv's priority column, 1 first, so they get the type the plan gave "
        "them.", first=False),
    "entra": SeveralTypeGroups(
        "Entra sends one app role per person (SingleAppRoleAssignment) and does not let you choose which of several",
        "before any group is assigned and before provisioning is on (Entra then provisions each assigned person at "
        "once, with any one of their roles), leave each person in one type group (a person assigned individually: "
        "one app role), the plan's type (account_types.csv's priority column ranks them, 1 highest).", first=True),
    "google": SeveralTypeGroups(
        "Google sends each user the value of the Directory attribute its userType mapping reads, not a group's (no "
        "group assignment that sets one is documented, docs/sigma-api.md §6.3)",
        "before auto-provisioning is turned on, give every person that attribute with the type the plan gave them, "
        "exactly as spelled: the type of their account-type group (a person in several: the lowest number of "
        "account_types.csv's priority column) or of individual_assignments.csv.", first=True),
    "generic": SeveralTypeGroups(
        "Which type a SCIM IdP sends a person in several type groups is its own rule",
        "before provisioning is enabled, make it send each of them the highest type of account_types.csv's priority "
        "column (1 first), as the plan decided.", first=True),
}
"""How a person in several account-type groups must be resolved by each IdP (:class:`SeveralTypeGroups`)."""


def _steps(idp: str, pack_teams: int, user_name_step: str, all_users: GoogleScope | None = None,
           kept_out: bool = False) -> tuple[tuple[str, ...], dict[str, int]]:
    """The order of operations for ``idp`` and the number of each named step (``enable``, ``assign``,
    ``type_groups``, ...); ``all_users``: Google's scope is all users (:func:`google_scope`); ``kept_out``: the plan
    names people the IdP must not provision (:func:`not_provisioned_rows`), whom the userName step is preceded by
    taking out. The type-groups step comes before the assignment and provisioning when the IdP's
    :attr:`SeveralTypeGroups.first` says so (Entra, Google, generic), else after the assignment (Okta)."""
    scope = "all users" if all_users is not None else "the groups in groups.csv"
    several = _TYPE_GROUPS[idp]
    order = ("check", "apply", *(("keep_out",) if kept_out else ()), "user_name",
             *(("type_groups",) if several.first else ()), "enable", "assign",
             *(() if several.first else ("type_groups",)), "push", "again")
    number = {key: n for n, key in enumerate(order, 1)}
    enable = {
        "okta": "In Okta > the Sigma app > Provisioning: paste the same bearer token (and the Directory Base URL "
                "for apps created before February 2021), Test API Credentials, then enable Create Users, Update "
                "User Attributes and Deactivate Users.",
        "entra": "In Entra > Enterprise applications > Sigma Computing > Provisioning: Tenant URL = the Directory "
                 "Base URL, Secret Token = the same bearer token, Test Connection, set the attribute mappings "
                 "below, then Provisioning Status: On.",
        "google": "In the Google Admin console > Apps > Web and mobile apps > the Sigma app > Auto-provisioning "
                  "(Google offers it for the apps of its catalogue; that it offers Sigma is not established, "
                  "docs/sigma-api.md §6.3): authorize it with the Directory Base URL and the same bearer token, set "
                  f"the attribute mappings below, the provisioning scope to {scope} and the "
                  "deprovisioning settings, then turn auto-provisioning on (users sync every few hours)."
                  + (f" {all_users.words()}" if all_users is not None else ""),
        "generic": "In the IdP's SCIM client: base URL = the Directory Base URL, Authorization: Bearer <the same "
                   "token>; set the attribute mappings below, then enable provisioning.",
    }[idp]
    push = {
        "okta": f"Push Groups: for each of the {pack_teams} team(s) in teams.csv use Link Group (never Create "
                "Group: the team already exists and a second one would be made).",
        "entra": f"Assign the {pack_teams} team group(s) in teams.csv to the app; Entra finds each team by "
                 "displayName.",
        "google": f"The {pack_teams} team(s) in teams.csv exist as apply left them; whether Google pushes groups "
                  "as teams is not established (docs/sigma-api.md §6.3): after the first sync, the next step shows "
                  "any second team of a name or any member a push changed.",
        "generic": f"Push the {pack_teams} team group(s) in teams.csv, linking each to the existing team.",
    }[idp]
    text = {
        "check": "Before anything: every pre-flight check of the plan is ok or confirmed (`sigma-migrate show PLAN`).",
        "apply": "Apply the approved plan (`sigma-migrate apply PLAN`) with the SCIM token of the SCIM-setup admin; "
                 "wait until it converged (the result file says so).",
        "keep_out": KEEP_OUT_STEP,
        "user_name": user_name_step,
        "type_groups": several.step,
        "enable": enable,
        "assign": _ASSIGN_STEP["google" if idp == "google" else "other"][all_users is not None].format(
            enable=number["enable"], type_groups=number["type_groups"]),
        "push": push,
        "again": "Run `sigma-migrate fetch` and `sigma-migrate plan` again: a plan with no action means the IdP holds "
                 "what apply did.",
    }
    return tuple(text[key] for key in order), number


KEEP_OUT_STEP = ("Before provisioning is enabled, do for each person in not_provisioned.csv what its idp_step says: "
                 "the plan does not provision them (a guest it disables, an IdP guest it does not create, a person "
                 "held for a blocking review item), and an assigned group provisions every member.")
"""The step of a pack whose plan names people the IdP must not provision (:func:`not_provisioned_rows`)."""

_ASSIGN_STEP = {
    "other": {False: "Assign the groups in groups.csv (assign = yes) to the Sigma app, and the people in "
                     "individual_assignments.csv individually with their account type."},
    "google": {False: "The groups in groups.csv (assign = yes) are the provisioning scope of step {enable}: Google "
                      "assigns no person individually (its scope is groups or organizational units, docs/sigma-api.md "
                      "§6.3), so the people in individual_assignments.csv get their account type from their Directory "
                      "attribute (step {type_groups}).",
               True: "Assign nothing else: the provisioning scope all users (step {enable}) provisions everyone, and "
                     "Google assigns no person individually (docs/sigma-api.md §6.3): the people in "
                     "individual_assignments.csv get their account type from their Directory attribute (step "
                     "{type_groups})."},
}
"""The assignment step, by IdP (Google, else every other) and whether Google's scope is all users; ``{enable}`` and
``{type_groups}`` are the numbers of those steps (:func:`_steps`)."""

NO_USER_TYPE = "(none: Sigma's default type)"
"""How a row names a person the plan sends no ``userType`` (``account_types.new_user_default`` unset)."""

_SOURCE_REASON = {
    "overrides": "account_types.overrides gives {type}, which no account-type group of theirs gives",
    "idp_user_type": "in no account-type group: the IdP export shows the IdP sends them userType {type} "
                     "(keep it so)",
    "default": "in no account-type group: account_types.default gives {type}",
    "keep": "in no account-type group: account_types.default: keep keeps their current type {type}",
    "new_user_default": "created, in no account-type group: account_types.new_user_default gives {type}",
    "protected": "a protected admin the plan keeps at {type} (account_types.protected_account): their "
                 "account-type groups give another type",
    "scim_state": "Sigma's SCIM state has {type}, which linking.scim_state_conflicts keeps (newer: scim_state): "
                  "the export gives another type",
}
"""Why a person is assigned individually, by :attr:`planner.model.AccountTypeSource.rule`."""


def individual_rows(plan: Plan) -> tuple[IndividualRow, ...]:
    """One :class:`IndividualRow` per person of ``plan.people`` whose
    :attr:`~planner.model.PersonRow.account_type_source` names no group: the protected people
    (``plan.outcomes.owners``) first, then by email. Reads the plan's decisions only."""
    roles: dict[str, list[str]] = {}
    for owner in plan.outcomes.owners:
        if owner.member_id:
            roles.setdefault(owner.member_id, []).append(f"organization.{owner.role}")
    rows = []
    for p in plan.people:
        source = p.account_type_source
        if source is None or source.groups:
            continue
        account_type = p.account_type_after or NO_USER_TYPE
        rows.append(IndividualRow(
            person=p.email or p.user_name or "", idp_id=p.idp_id or "", idp_user_name=p.user_name or "",
            account_type=account_type, protected=", ".join(roles.get(p.member_id or "", ())),
            source=source.rule, reason=_SOURCE_REASON.get(source.rule, source.rule).format(type=account_type)))
    return tuple(sorted(rows, key=lambda r: (not r.protected, r.person.casefold(), r.idp_id)))


def account_type_rows(plan: Plan, individual: tuple[IndividualRow, ...], group_map: dict[str, str],
                      precedence: list[str], admin: Collection[str],
                      shared: Mapping[str, tuple[str, ...]] | None = None) -> tuple[AccountTypeRow, ...]:
    """One :class:`AccountTypeRow` per account type the IdP must send: every ``group_map`` type and every
    type a person is planned with (:attr:`~planner.model.PersonRow.account_type_source`), ranked by
    :func:`highest_first`; ``people`` counts those a type group of theirs gives it, ``individual`` those of
    ``individual``. A group name several IdP groups carry (``shared``, :func:`shared_group_names`) says so."""
    shared = shared or {}
    by_group: Counter = Counter(p.account_type_after for p in plan.people
                                if p.account_type_source is not None and p.account_type_source.groups)
    alone: Counter = Counter(r.account_type for r in individual if r.account_type != NO_USER_TYPE)
    types = set(group_map.values()) | set(by_group) | set(alone)
    return tuple(
        AccountTypeRow(n, t, ", ".join(sorted(g + (f" ({note})" if (note := _shared_note(g, shared)) else "")
                                              for g, v in group_map.items() if v == t))
                       or "(no group: individual assignment)", by_group[t], alone[t])
        for n, t in enumerate(highest_first(types, precedence, admin), 1)
    )


def handoff_pack(plan: Plan, idp: str, *, draft: bool = False, where: str = "plan") -> HandoffPack:
    """The :class:`HandoffPack` of ``plan`` for ``idp`` (``okta``, ``entra`` or ``generic``). Pure.

    ``draft`` marks the pack :attr:`HandoffPack.draft`. Reads the plan's actions (links, creates, account types, team links/creates), its team rows,
    its people's ``account_type_source`` and protected owners, its review items
    (``user_name_guard.configure_idp``) and its resolved policy (scope groups, ``account_types.group_map``,
    ``linking.scim_user_name``:
    :func:`planner.planfile.plan_policy`). Raises ``ValueError`` for an unknown ``idp``,
    :class:`planner.planfile.PlanFileError` for a resolved policy of the wrong shape (``where``: the
    plan file it names).
    """
    if idp not in IDPS:
        raise ValueError(f"unknown IdP {idp!r}; expected one of {', '.join(IDPS)}")
    policy = plan_policy(plan, where)
    types_policy = policy.account_types
    group_map = types_policy.group_map

    individual = individual_rows(plan)
    account_types = account_type_rows(plan, individual, group_map, types_policy.precedence,
                                       [t.casefold() for t in policy.guards.admin_account_types],
                                       shared_group_names(plan))

    # teams: every team the plan links or creates now exists in Sigma
    teams = []
    for t in plan.teams:
        if t.mode not in ("link", "create") or not t.group_name:
            continue
        step, pushed = _team_step(idp, t.name, t.group_name)
        teams.append(TeamRow(
            team=t.name, team_id=t.team_id or "(created by apply)", group=t.group_name,
            plan="linked" if t.mode == "link" else "created",
            idp_step=step, pushed_name=pushed,
            renamed_by_idp=pushed != t.name, members_after=t.members_after,
        ))

    all_users = google_scope(plan, policy.scope.groups) if idp == "google" else None
    not_provisioned = not_provisioned_rows(plan)
    kept_out = frozenset(r.idp_id for r in not_provisioned)
    shared = shared_group_names(plan)
    groups = _group_rows(idp, plan.app_groups, teams, all_users is not None,
                         Counter(g for c in not_provisioned_candidates(plan) for g in c.groups or ()), shared)

    setting = policy.linking.scim_user_name
    mapping = user_name_mapping(plan, setting) if idp == "entra" else None
    user_names = user_name_rows(plan, mapping, kept_out)
    approvable = not (plan.blocking_items or plan.unmet_preflight
                      or plan.summary.failed_guards)
    steps, step_numbers = _steps(idp, len(teams), _entra_user_name_step(mapping) if mapping else _USER_NAME_STEP[idp],
                                 all_users, bool(not_provisioned))
    return HandoffPack(
        idp=idp, organization=plan.organization.name, digest=plan.digest,
        approvable=approvable, groups=groups, teams=tuple(teams),
        attributes=_attributes(idp, setting, [r.account_type for r in account_types], mapping),
        account_types=account_types, user_names=user_names, individual=individual,
        steps=steps, step_numbers=step_numbers,
        draft=draft, several_types=several_types_rows(plan, kept_out), all_users=all_users,
        not_provisioned=not_provisioned,
    )


def shared_group_names(plan: Plan) -> dict[str, tuple[str, ...]]:
    """displayName -> the ids of the IdP groups carrying it, for each name a policy entry gives several groups (the
    subjects of the plan's blocking ``policy.shared_group_name`` items, :data:`SHARED_NAME`); ``{}`` without any.
    The IdP admin assigns a group, never a name: such a row says which groups carry it (tester14a finding 3: the
    hand-off told them to assign 'Sigma-Admins' while two groups had that name)."""
    return {r.subject.name: tuple(r.subject.group_ids) for r in plan.review_items if r.code == SHARED_NAME}


def _shared_note(name: str, shared: Mapping[str, tuple[str, ...]]) -> str:
    """What a hand-off row naming group ``name`` says when several IdP groups carry it (:func:`shared_group_names`),
    else ``""``."""
    ids = shared.get(name)
    return (f"BLOCKED: {len(ids)} IdP groups carry this displayName ({', '.join(ids)}; the plan's {SHARED_NAME} "
            "item): rename all but one in the IdP, export and plan again before assigning it") if ids else ""


def not_provisioned_candidates(plan: Plan) -> list[ItemRef]:
    """The candidates of the plan's ``scope.assigned_not_provisioned`` item (:data:`NOT_PROVISIONED`), in its order;
    ``[]`` without it."""
    return [c for r in plan.review_items if r.code == NOT_PROVISIONED for c in r.candidates]


def not_provisioned_rows(plan: Plan) -> tuple[NotProvisionedRow, ...]:
    """The people the IdP must not provision: one :class:`NotProvisionedRow` per candidate of the plan's
    ``scope.assigned_not_provisioned`` item, in its order (by userName), to be taken out of the assigned groups that
    hold them (an assigned group provisions every member: docs/sigma-api.md §6.1, §6.2) or kept out of a scope of
    every user; then the people the plan holds (:func:`held_rows`). Reads the plan's decisions only (tester12
    finding 11: a guest the plan disables was assigned through their group)."""
    rows = []
    for c in not_provisioned_candidates(plan):
        groups = ", ".join(c.groups or ())
        if groups:
            step = (f"take them out of {groups} before provisioning is enabled (an assigned group provisions "
                    "every member), and assign them to the Sigma app in no other way")
        else:
            step = ("keep them out of the provisioning scope (the plan has no scope.groups: it takes in every "
                    "active user), and assign them to the Sigma app in no other way")
        rows.append(NotProvisionedRow(person=c.email or c.user_name or "", idp_id=c.idp_id or "",
                                      idp_user_name=c.user_name or "", groups=groups, plan=c.status or "",
                                      idp_step=step))
    return tuple(rows) + held_rows(plan)


_KEPT_LOCKOUTS = (None, Lockout.GUEST_HELD)
"""The lock-outs of a person row a hold leaves as it was: none (the link or creation withheld), or a held guest's
(``guest_held``: neither disabled nor converted while the hold lasts); an unmatched member's question (``unmatched_review``) is about a member
the IdP does not provision."""


def held_rows(plan: Plan) -> tuple[NotProvisionedRow, ...]:
    """One :class:`NotProvisionedRow` per person the plan holds for a blocking question, by person: a row of
    ``plan.people`` with an IdP user, no action, one or more blocking review items (the hold:
    :func:`planner.planning.hold_questioned` withholds every action of a person a blocking item names) and the
    lock-out of a person the IdP would provision (:data:`_KEPT_LOCKOUTS`). They wait on those items: not assigned
    until they are settled and the hand-off is made again (a pack with any is a draft)."""
    blocking = {r.id for r in plan.blocking_items}
    if not blocking:
        return ()
    rows = []
    for p in plan.people:
        if p.idp_id is None or p.actions or p.lockout not in _KEPT_LOCKOUTS:
            continue
        waits = [i for i in p.review_items if i in blocking]
        if waits:
            items = ", ".join(waits)
            rows.append(NotProvisionedRow(
                person=p.email or p.user_name or "", idp_id=p.idp_id, idp_user_name=p.user_name or "", groups="",
                plan=f"held: waiting on {items}",
                idp_step=(f"do not assign them yet: the plan holds them until {items} is settled; settle it, plan "
                          "again and make the hand-off again (until then keep them out of the groups assigned to "
                          "the Sigma app)")))
    return tuple(sorted(rows, key=lambda r: (r.person.casefold(), r.idp_id)))


def several_types_rows(plan: Plan, kept_out: Collection[str] = ()) -> tuple[SeveralTypesRow, ...]:
    """One :class:`SeveralTypesRow` per candidate of the plan's ``account_types.several_type_groups`` item
    (:func:`planner.rules.account_types.several_type_groups_items`), in its order, but the IdP users of
    ``kept_out`` (:func:`not_provisioned_rows`: listed there, not as people to provision); none without it."""
    return tuple(
        SeveralTypesRow(person=c.email or c.idp_user_name or "", idp_user_name=c.idp_user_name or "",
                        groups=", ".join(c.groups or ()), account_type=", ".join(c.account_types or ()))
        for r in plan.review_items if r.code == SEVERAL_TYPE_GROUPS for c in r.candidates
        if c.idp_id not in kept_out)


def _group_rows(idp: str, app_groups: Iterable[AppGroup], teams: list[TeamRow], all_users: bool = False,
                kept_out: Mapping[str, int] | None = None, shared: Mapping[str, tuple[str, ...]] | None = None
                ) -> tuple[GroupRow, ...]:
    """The plan's :attr:`~planner.model.Plan.app_groups` as ``idp``'s console shows them, team groups first:
    ``assign`` as the plan decided it (:mod:`planner.rules.app_assignment`), ``push`` for a team's group, the
    purpose in words. A ``re:`` scope entry names the team groups of the plan it matches; under Entra every
    assigned group is pushed, so a group that is no team says it becomes one; under Google the provisioning
    scope is the assigned groups (all users when ``all_users``: no ``scope.groups``, :func:`google_scope`), and
    whether a group is pushed as a team is not established (§6.3). An assigned group holding people the plan
    does not provision (``kept_out``: displayName -> how many, :func:`not_provisioned_candidates`) says how many to
    take out first; a displayName several IdP groups carry (``shared``: displayName -> their ids,
    :func:`shared_group_names`) says which, and that the plan is blocked on it."""
    kept_out, shared = kept_out or {}, shared or {}
    rows = []
    for g in app_groups:
        purposes = []
        if g.match == "name" and g.group in shared:
            purposes.append(_shared_note(g.group, shared))
        if g.scope and g.match == "pattern":
            matched = sorted(t.group for t in teams if compile_pattern(g.group).fullmatch(t.group))
            purposes.append(f"scope: assign every group whose displayName fully matches this pattern; of the plan's "
                            f"team groups: {', '.join(matched) or 'none'}")
        elif g.scope:
            purposes.append("scope: its members are assigned to the Sigma app")
        if g.account_type is not None:
            purposes.append(f"account type {g.account_type}")
        if g.team is not None:
            purposes.append(f"team {g.team}")
        if not g.assign:
            purposes.append("pushed, not assigned (outside scope.groups): Okta pushes only the members assigned to "
                            "the app" + (f", so its {len(g.outside_scope)} member(s) outside scope.groups are not "
                                         "pushed" if g.outside_scope else ""))
        elif g.outside_scope:
            purposes.append(f"BLOCKED: assigning it provisions {len(g.outside_scope)} member(s) scope.groups leaves "
                            "out (the plan's scope.assigned_group_outside_scope item)")
        if g.assign and g.match == "name" and kept_out.get(g.group):
            purposes.append(f"first take out its {kept_out[g.group]} member(s) in not_provisioned.csv: the plan does "
                            "not provision them")
        purpose, push = "; ".join(purposes), g.team is not None
        if idp == "google":
            purpose += ("; the provisioning scope is all users, so the group is not set as scope" if all_users else
                        "; the provisioning scope" if not push else "; the provisioning scope (whether Google pushes "
                        "it as the team is not established, docs/sigma-api.md §6.3)")
            push = False
        elif idp == "entra" and g.assign and not push:
            purpose += ("; Entra provisions every assigned group: this one also becomes a team named after it "
                        "(assign its members individually with their app role instead, if that team is unwanted)")
            push = True
        rows.append(GroupRow(g.group, g.match, g.assign, push, purpose))
    return tuple(sorted(rows, key=lambda r: (not r.push, r.match == "pattern", r.group.casefold())))


CSV_FILES = {
    "groups.csv": "groups",
    "teams.csv": "teams",
    "attribute_mappings.csv": "attributes",
    "account_types.csv": "account_types",
    "user_names.csv": "user_names",
    "individual_assignments.csv": "individual",
    "several_type_groups.csv": "several_types",
    "not_provisioned.csv": "not_provisioned",
}
"""File name -> :class:`HandoffPack` field, one CSV per list."""

_ROW_TYPES = {"groups": GroupRow, "teams": TeamRow, "attributes": AttributeRow, "account_types": AccountTypeRow,
              "user_names": UserNameRow, "individual": IndividualRow, "several_types": SeveralTypesRow,
              "not_provisioned": NotProvisionedRow}


_cell = cell_text
"""The one writer of a pack value in README.md's tables (the CSVs: :func:`planner.csv_cells.csv_text`)."""


def csv_files(pack: HandoffPack) -> dict[str, str]:
    """``{file name: CSV text}`` for :data:`CSV_FILES`: a header of field names, one row per entry;
    a draft pack's CSVs start each line (header and rows) with a :data:`DRAFT` column."""
    out = {}
    mark = [DRAFT] if pack.draft else []
    for name, attr in CSV_FILES.items():
        columns = [f.name for f in fields(_ROW_TYPES[attr])]
        out[name] = csv_text(mark + columns, (mark + [getattr(row, c) for c in columns] for row in getattr(pack, attr)),
                             line_end="\n")
    return out


_MARKUP = re.compile(r"([\\`*_\[\]<>|&~!#])")


def markdown_text(text: str) -> str:
    """``text`` as Markdown shows it literally, on one line: every character CommonMark/GFM could
    read as markup (emphasis, code, links and images, raw HTML, entities, table pipes, strikethrough,
    headings) backslash-escaped (CommonMark §2.4: any ASCII punctuation may be), line breaks made
    spaces. An export's ``<script>`` or ``[x](javascript:...)`` stays text."""
    return _MARKUP.sub(r"\\\1", str(text)).replace("\n", " ")


def _table(headers: list[str], rows: list[list]) -> list[str]:
    if not rows:
        return ["None.", ""]
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(markdown_text(_cell(v)) for v in row) + " |" for row in rows]
    return lines + [""]


_INDIVIDUAL_HOW = {
    "okta": "In Okta: the Sigma app > Assignments > Assign to People, each with the User Type listed; an "
            "individual assignment keeps its type over a group assignment's (Sigma's Okta guide, docs/sigma-api.md "
            "§6.1).",
    "entra": "In Entra: Enterprise applications > Sigma Computing > Users and groups > Add user/group, each user "
             "with the app role of the type listed. Entra sends one app role per person and does not let you "
             "choose which (SingleAppRoleAssignment): a person listed here who is also in an account-type group "
             "must leave it.",
    "google": "In Google Workspace: give each person the Directory attribute the userType mapping reads, with "
              "the type listed.",
    "generic": "Send each person the userType listed.",
}
"""How each IdP assigns an account type to one person (tester9 finding 1)."""


def _individual_intro(pack: HandoffPack) -> list[str]:
    """README.md's words before the individual assignments: why they matter, how ``pack.idp`` assigns them,
    and the one default ``userType`` that serves the people in no account-type group, or that none does."""
    if not pack.individual:
        return []
    lines = [f"No account-type group these {len(pack.individual)} people are in gives the account type the "
             "plan gave them: assign it to each of them individually, else the IdP sends another type or none "
             "and Sigma applies it, overriding the type set in Sigma (docs/sigma-api.md §5.3; without a "
             "userType Sigma gives its default type, Lite in Sigma's Okta guide and not established under the "
             "newer licence model, §5.2). The protected people come first: a wrong type stops the SCIM token "
             "(organization.scim_setup_admin, §5.1) or apply's API credentials (organization.api_credential_owner, "
             "§1.2). " + _INDIVIDUAL_HOW[pack.idp], ""]
    by_default = Counter(r.account_type for r in pack.individual if r.source == "default")
    if by_default:
        (only, n), = by_default.items()  # account_types.default names one type
        lines += [f"Where the IdP can only send one default userType to the people in no account-type group, it "
                  f"must be exactly \"{markdown_text(_cell(only))}\" (account_types.default: the plan's type for "
                  f"the {n} of them below); the other people listed still need their own assignment.", ""]
    kept = Counter(r.account_type for r in pack.individual if r.source == "keep")
    if kept:
        spelled = ", ".join(f"{markdown_text(_cell(t))} {n}" for t, n in sorted(kept.items()))
        lines += [f"No default userType serves the {sum(kept.values())} people in no account-type group who keep "
                  f"their current type (account_types.default: keep; {spelled}): assign each individually.", ""]
    return lines


def markdown(pack: HandoffPack) -> str:
    """The hand-off page (``README.md`` of the pack), in the order the IdP admin works."""
    title = IDP_TITLES[pack.idp]
    lines = [f"# {DRAFT + ': ' if pack.draft else ''}IdP hand-off for "
             f"{markdown_text(printable(pack.organization)) or 'the Sigma organization'} ({title})", ""]
    if pack.draft:
        lines += [f"**{DRAFT}: made from a plan that cannot be approved yet (`--draft`). Do not configure the "
                  "IdP from it: settle the plan and make the hand-off again.**", ""]
    lines += [f"From plan `{pack.digest or '(unsaved)'}`. Every list below is also a CSV in this folder.", ""]
    if not pack.approvable and not pack.draft:
        lines += ["**The plan is not approvable yet** (blocking review items, unmet pre-flight checks or failed "
                  "guards): settle them and make the hand-off again from the new plan.", ""]
    lines += ["## Order of operations", ""]
    lines += [f"{n}. {step}" for n, step in enumerate(pack.steps, 1)] + [""]
    lines += ["## Attribute mappings (attribute_mappings.csv)", ""]
    lines += _table(["SCIM attribute", "source", "note"], [[a.attribute, a.source, a.note] for a in pack.attributes])
    lines += ["## Account types (account_types.csv)", "",
              "Send these values exactly as spelled (Sigma compares them case-sensitively). The priority column ranks "
              "the types as the plan does (its `account_types.precedence`, else Sigma's ranking), 1 highest. "
              f"{_TYPE_GROUPS[pack.idp].sends}: see step {pack.step_numbers['type_groups']} of the order of "
              "operations.", ""]
    lines += _table(["priority", "account type", "IdP groups", "people by group", "people individually"],
                    [[r.priority, r.account_type, r.groups, r.people, r.individual] for r in pack.account_types])
    lines += ["## People in several account-type groups (several_type_groups.csv)", "",
              _TYPE_GROUPS[pack.idp].step, ""]
    lines += _table(["person", "IdP username", "type groups", "account type the plan chose"],
                    [[s.person, s.idp_user_name, s.groups, s.account_type] for s in pack.several_types])
    lines += ["## Groups to assign to the Sigma app (groups.csv)", ""]
    if pack.all_users is not None:
        lines += [f"The provisioning scope is all users (step {pack.step_numbers['enable']}): the plan has no scope.groups, and Google assigns no "
                  "person individually.", ""]
    lines += _table(["group", "match", "assign", "push", "purpose"],
                    [[g.group, g.match, g.assign, g.push, g.purpose] for g in pack.groups])
    lines += ["## People the IdP must not provision (not_provisioned.csv)", ""]
    if pack.not_provisioned:
        lines += ["The groups above would provision these people, whom the plan does not provision: take each out of "
                  "the groups listed before provisioning is enabled, or, for one the plan holds, wait for its review "
                  "item to be settled and make the hand-off again from the new plan.", ""]
    lines += _table(["person", "IdP user", "IdP username", "assigned groups", "the plan", "in the IdP"],
                    [[r.person, r.idp_id, r.idp_user_name, r.groups, r.plan, r.idp_step]
                     for r in pack.not_provisioned])
    lines += ["## Teams (teams.csv)", ""]
    lines += _table(["team", "IdP group", "apply", "in the IdP", "pushed name", "renamed by the IdP", "members"],
                    [[t.team, t.group, t.plan, t.idp_step, t.pushed_name, t.renamed_by_idp, t.members_after]
                     for t in pack.teams])
    lines += [_USER_NAME_SECTION.get(pack.idp, _USER_NAME_SECTION["okta"]), ""]
    lines += _table(["IdP user", _USER_NAME_ASSUMED.get(pack.idp, "IdP username"), _USER_NAME_HEADING[pack.idp],
                     "Sigma member"],
                    [[u.idp_id, u.idp_user_name, u.user_name, u.member_email] for u in pack.user_names])
    lines += ["## People assigned individually (individual_assignments.csv)", ""]
    lines += _individual_intro(pack)
    lines += _table(["person", "IdP user", "IdP username", "account type", "protected", "why"],
                    [[i.person, i.idp_id, i.idp_user_name, i.account_type, i.protected, i.reason]
                     for i in pack.individual])
    lines += ["Sources: Sigma's SCIM guides as summarized in the project's docs/sigma-api.md (§5 SCIM, §6.1 Okta, "
              "§6.2 Entra, §6.3 Google Workspace, §10 what is not established).", ""]
    return "\n".join(lines)
