"""From snapshot + policy to a :class:`~planner.model.Plan`: rules, dependency DAG, order, summary.

:func:`build_plan` runs the pipeline (design.md):

1. :func:`planner.directory.build_directory`: the snapshot as typed lookups, which every rule
   family reads;
2. :func:`decide`: the rule families, folded in the order below;
3. the DAG of ``depends_on`` (:mod:`planner.dependencies`); a cycle is a :class:`PlanError`; actions
   are emitted in a topological order with a fixed tie-break (phase, id), so the same inputs
   give the same order;
4. fingerprints of every Sigma object an action touches (for apply's stale check), people and
   team rows for the report, the summary, the pre-flight checks, and what the decisions mean
   for people (:mod:`planner.outcomes`: lock-outs, account-type and admin changes on each person
   row, the protected owners, document transfers), decided here once so that report and show
   only lay them out.

**The order of the rule families** (:func:`decide`). Each step reads only what the steps
before it decided; a step that overrules an earlier decision says so here:

0. the policy's names (:mod:`planner.rules.policy_refs`): an entry naming nothing in the exports is a
   ``policy.unknown_reference`` (the rule reading it finds nothing), and one naming several IdP groups by one
   displayName a ``policy.shared_group_name`` whose people are held at 9b, first because every rule reads them;
1. ``linking.overrides`` (:func:`planner.rules.linking.resolve_overrides`): a reviewer's pinned
   links and never-link IdP users, first because they win over every match key;
2. Sigma's SCIM state (:func:`planner.rules.scim_state.scim_links`): members an IdP already
   provisioned are linked as Sigma has them; an override that contradicts one is overruled
   (blocking item), since Sigma's state is what it is; a link by the userName alone to an address
   that may have passed to another person is a ``scim.reused_address`` question
   (``linking.reused_addresses``) holding the IdP user (and, unanswered, the member) from matching and
   linking;
3. shared addresses (:func:`planner.rules.duplicates.shared_addresses`, ``resolve``,
   ``resolve_excluded``): which member keeps an address two members share and which IdP users
   ``linking.excluded_idp_users`` takes out, before matching, which must not see those users;
4. matching (:func:`planner.matching.match_identities`): the identity graph over the directory;
4b. members whose IdP user the IdP's own push provisioned as another member under another userName
   (:func:`planner.matching.provisioned_elsewhere`: a match key joins them to an IdP user Sigma's SCIM state links
   to that member) join the members a userName change left behind in the directory's SCIM state
   (:func:`planner.directory.with_provisioned_elsewhere`), before linking, so that no family takes them for members
   no IdP user matches: ``scim.second_account`` asks (tester22 finding 1);
5. IdP users sharing an address (:func:`fold_idp_collisions` of
   :func:`planner.rules.duplicates.idp_collisions`) and IdP users whose row a spreadsheet rewrote
   (:func:`fold_spreadsheet_holds` of :func:`planner.rules.inputs.spreadsheet_holds`, with the members
   whose address such a row shows): held before linking, so no link or create is planned for them; IdP users
   whose groups cell names a group likely typed with another separator
   (:func:`planner.rules.inputs.group_name_separator_items`) get their blocking item here and are held at 9b,
   as are those a Graph ``/transitiveMembers`` answer cannot tell to be direct members of a group the policy
   reads (:func:`planner.rules.inputs.transitive_members_items` over :func:`groups_policy_reads`);
6. linking (:func:`planner.rules.linking.decide`): every person's :class:`~planner.directory.Person`
   record (status, link, the userName sent);
7. guests (:func:`fold_guests`, :func:`planner.rules.guests.decide_guest`): overrules linking's
   ``guest`` status with ``guest_disabled``, or ``link`` + converted; after linking, since converting
   needs the link. An archived or inactive guest linking reactivates or finds rehired is this step's
   too (``decide_reactivated_guest``, ``decide_rehired_guest``): linking raises no ``linking.rehire`` for a
   guest, a guest's return being a ``guests`` decision, and a held one's item names the account type a
   conversion would give them (:func:`returning_guest_types`, the rule step 9 applies);
7b. who counts as active though the export says otherwise (:func:`planner.rules.scim_state.kept_by_scim_state`):
   a SCIM-managed member the export shows inactive or out of scope whose deactivation
   ``linking.scim_state_conflicts`` settles with ``newer: scim_state`` is ``scim_kept``, one fact that account
   types, teams (their group pushes keep them), unmatched members (no deactivation) and the guards read, so
   before all of them;
8. addresses (:func:`fold_addresses` of :func:`planner.rules.duplicates.decide_address`, one
   decision per shared address): email changes that free a shared address, after guests, because
   a converted guest is linked and sends its address;
9. account types (:func:`fold_account_types`, :func:`planner.rules.account_types.type_outcome`):
   for everyone linked, created or reactivated, so after the statuses are final;
9a. the unmatched members' decisions (:func:`unmatched_decisions_of`, step 12's rule): made here, folded at
    step 12, so that their questions (``unmatched.review``, ``unmatched.never_activated``,
    ``unmatched.suspended``, ``unmatched.new_member``, ``unmatched.reactivated``, ``unmatched.outside_member``,
    ``scope.individual_assignment``, ``scim.second_account``) are raised before the hold; they read only the statuses
    of steps 1-9 (the hold then drops the deactivation of a member it holds: :func:`hold_questioned`);
9b. a blocking question about a person holds that person (:func:`hold_questioned`), the one hold of the
    questions about people, so it runs once every rule that asks one about a person has asked it: the items of
    steps 1-9 and 9a but the :data:`CONFIRMATIONS` and the account-type family's, which ask about a type only,
    and the owner guards' question about who a protected admin is (step 16, known from the statuses:
    :func:`planner.rules.guards.questioned_owners`). Status ``held``, so no link, create, account type, team
    push, removal or deactivation is planned whose outcome the answer decides (a push that would remove a held
    SCIM-managed member keeps them: :func:`planner.rules.teams.held_kept`); after 9 (``scope.nested_only``) and
    9a, before everything that plans for people. The items raised later are each about the one action they
    name and say what they do to it: step 13's on an action Sigma's SCIM state questions (a
    ``scim.state_conflict`` on a deactivation drops it, and the member's team removals are held with
    ``scim.held_member``: :func:`planner.rules.scim_state.held_absent`), ``applied.refused_again`` (14b: drops
    it and what waits on it), ``inputs.truncated``; an item about a team, a group or the plan that lists people
    among its candidates (``scope.assigned_group_outside_scope``, ``teams.nested_only``,
    ``user_name_guard.no_single_mapping``) holds nobody;
10. link actions (:func:`planner.rules.linking.link_actions`): ``scim.link_user`` /
    ``create_user`` carry the account type and wait for the address changes, so after 8 and 9;
11. teams (:func:`fold_teams` of :func:`planner.rules.teams.decide_team`): group members are pushed
    only for people who end provisioned, and held members are never removed, so after the statuses
    are final; a member the plan does not provision (kept active, or deactivated through SCIM), whom a
    push removes, is a removal the push makes (:func:`planner.rules.teams.unprovisioned_leftovers`), so it
    reads step 12's decisions (made at 9a, folded after); a group link or create whose ``externalId`` another
    SCIM group holds (:func:`planner.rules.scim_state.hold_second_teams`: one IdP group, two teams) is held with
    whatever waits on it, one blocking ``scim.shared_group_external_id`` item each;
12. unmatched members (:func:`fold_unmatched`, :func:`planner.rules.unmatched.decide_member`):
    whoever is still an active member with no live IdP user (``unmatched``, ``leaver``,
    ``not_in_scope``) is kept or deactivated;
13. :func:`planner.rules.scim_state.settle`: overrules every family's actions that Sigma's SCIM
    state already satisfies or forbids (REST edits of SCIM-managed members), so it sees them all;
    a deactivation becomes ``scim.deactivate_user``, whose documents go to the provisioning admin;
13b. the removals the group pushes make (:func:`planner.rules.teams.removals_by_final_pushes`): a
    ``teams.remove_member`` naming a push stays only while that push, as settled, leaves the member out;
14. cross-family dependencies (:func:`add_cross_dependencies`), over the settled kinds: a member
    leaves their teams (and a duplicate gets its address freed) before being deactivated; REST
    deactivations and guest disables wait for the document owner's own actions (the transfer target
    is active first);
14b. what Sigma refused for good in an applied run (:func:`planner.rules.refusals.without_refused`, ``plan
    --applied``): an action planned again that a run sent and Sigma refused for good (the journal's
    ``refused``) is not planned, nor what waits on it, and is one blocking ``applied.refused_again`` item
    (tester10 finding 8: "Plan again" led back to the identical refused plan); after the dependencies, so
    what waits on it is known, before the guards, which judge the final set; a run of an applied plan that was
    interrupted or killed and neither finished nor rolled back holds the re-plan with a blocking
    ``applied.unfinished_run`` item (:mod:`planner.rules.unfinished_runs`, tester12 #12);
15. :func:`planner.rules.user_name_mapping.mapping_items` over the settled links and creates: under
    Entra ID one attribute mapping sends every userName, so it judges them all at once;
15b. the keyed policy entries no family consulted to settle anything (each family reports its uses in
    :attr:`planner.rules.Outcome.uses`): one ``policy.unused_entry`` item each
    (:func:`planner.rules.policy_entries.unused_entry_items`), after every family that reads an entry;
15c. two entries of one person-keyed policy collection naming one person through the exports (a memberId and
    that member's email; for account types a member and the IdP user linked to it, so after linking): one
    ``policy.person_named_twice`` item per pair, blocking when they disagree
    (:func:`planner.rules.repeated_people.same_person_items`);
16. :mod:`planner.rules.guards` over the whole set of actions, last: a guard judges the plan.

:func:`build_plan` then adds the items that judge the plan against its inputs: ``inputs.truncated``
(:func:`planner.rules.inputs.truncation_items`), ``guests.no_idp_guests`` (:func:`planner.rules.guests.no_idp_guests_items`:
a guest disabled under ``guests.action: convert`` by an IdP export that holds no guest), ``organization.id_missing``, ``teams.empty_export``
(:func:`planner.rules.teams.empty_export_item`: the Sigma export lists no team, yet teams would be created)
and ``inputs.scim_state_missing`` (:func:`planner.rules.inputs.scim_state_missing_item`: the policy says SCIM
is on, the Sigma export holds no SCIM state) and ``inputs.export_time_unknown``
(:func:`planner.rules.inputs.export_time_unknown_item`: ``--applied`` names runs, the Sigma export's time is
unknown); a Sigma export read before the end of such a run is refused first
(:func:`planner.rules.inputs.export_predates_run`: one error, no plan; tester17 finding 2).

Everything is sorted; no set or dict iteration order reaches the plan, so the
same inputs and policy give a byte-identical plan body (``created_at`` aside,
which is outside the digest, planner.planfile), with one exception: an IdP export whose time is known and
the Sigma export's is not is judged against ``created_at`` (``inputs.idp_export_old``), as apply judges it
against its clock.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from operator import attrgetter
from typing import Collection, Iterable, Mapping, Sequence

import msgspec
from msgspec import UNSET

from . import __version__, held
from .dependencies import DependencyError, check_dependencies, topological_order
from .errors import UserError
from .gc_pause import gc_paused
from .matching import IdentityGraph, match_identities, provisioned_elsewhere
from . import outcomes
from .model import (
    AccountTypeCounts, Action, ActionKind, Finding, Fingerprints, GuardResult, MemberState,
    NormalizedMemberType, Outcomes, PersonRow, Plan, PlanOrganization, PlanPolicy, PlanSummary, PreflightCheck,
    ReviewCounts, ReviewItem, SeatCount, Snapshot, TeamCounts, TeamRow, TeamState, export_organization_id,
    preflight_blockers,
)
from .payloads import (
    MEMBER_TARGET_KINDS, OWNER_KINDS, TEAM_TARGET_KINDS, ScimLinkUser, ScimSetAccountType, actions_by_kind,
    new_owner_id, target_member_id,
)
from .planfile import canonical_json, fingerprint_of
from .policy import PatternTimeout, Policy, group_pattern_matcher
from .rules import (
    Outcome, account_types, app_assignment, duplicates, examples, guards, guests, inputs, linking, organization,
    policy_entries, policy_refs, preflight, reactivated, refusals, repeated_people, scim_state, scim_values, scope,
    since_applied, teams, unfinished_runs, unmatched,
    user_name_mapping,
)
from .directory import Directory, Person, PersonStatus, build_directory, with_provisioned_elsewhere


class PlanError(UserError):
    """The plan cannot be built: a dependency cycle, or loader errors in the inputs."""


PHASE = {
    ActionKind.MEMBERS_REACTIVATE: 0,
    ActionKind.MEMBERS_CONVERT_GUEST: 0,
    ActionKind.MEMBERS_SET_EMAIL: 0,
    ActionKind.SCIM_LINK_USER: 1,
    ActionKind.SCIM_CREATE_USER: 1,
    ActionKind.SCIM_SET_ACCOUNT_TYPE: 2,
    ActionKind.SCIM_LINK_GROUP: 3,
    ActionKind.SCIM_CREATE_GROUP: 3,
    ActionKind.SCIM_SET_GROUP_MEMBERS: 4,
    ActionKind.TEAMS_REMOVE_MEMBER: 5,
    ActionKind.MEMBERS_DISABLE_GUEST: 6,
    ActionKind.MEMBERS_DEACTIVATE: 6,
    ActionKind.SCIM_DEACTIVATE_USER: 6,
}
"""Tie-break for the topological order: an action never depends on a later phase."""

SUMMARY_KINDS = [k.value for k in ActionKind]


def build_plan(snapshot: Snapshot, policy: Policy, *, created_at: str | None = None) -> Plan:
    """Plan the migration of ``snapshot`` under ``policy``.

    Raises :class:`~planner.policy.PolicyError` when the data contradicts the
    policy (an unknown account type, a user in mapped groups with no
    precedence, a ``teams`` entry against Sigma's SCIM links: :func:`~planner.rules.teams.check_scim_links`; a
    policy pattern running longer than :data:`~planner.policy.PATTERN_SECONDS` on one value, naming its key:
    :meth:`~planner.policy.Policy.pattern_error`) and :class:`PlanError` for loader errors,
    (:func:`planner.rules.inputs.export_predates_run`) or a dependency cycle.
    """
    try:
        return _build_plan(snapshot, policy, created_at)
    except PatternTimeout as exc:
        raise policy.pattern_error(exc) from None


def _build_plan(snapshot: Snapshot, policy: Policy, created_at: str | None) -> Plan:
    from .sources.validation import check_policy_inputs

    check_snapshot(snapshot)
    predates = inputs.export_predates_run(snapshot.sigma, snapshot.applied.runs)
    if predates is not None:
        raise PlanError(predates)
    created_at = created_at or datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    organization_id = export_organization_id(snapshot.sigma.members)
    organization.check_policy_organization(policy, organization_id)
    _refuse_errors(check_policy_inputs(snapshot, policy))
    with gc_paused():  # the planner's objects are acyclic: planner.gc_pause
        directory = build_directory(snapshot, policy)
        teams.check_scim_links(policy, directory)
        decided = decide(policy, directory)
        directory = decided.directory
        actions = order_actions(decided.actions)
        team_files = [i.path for i in snapshot.sigma.inputs if i.kind in teams.TEAM_FILE_KINDS]
        empty_teams = teams.empty_export_item(policy.teams, directory, decided.actions, team_files)
        no_scim_state = inputs.scim_state_missing_item(policy, snapshot.sigma, actions)
        sigma_manifest = snapshot.sigma.fetch_manifest
        sigma_at = sigma_manifest.fetched_at if sigma_manifest is not None else None
        old_idp = inputs.idp_export_old_item(policy, sigma_at, snapshot.idp.fetched_at, created_at)
        time_unknown = inputs.export_time_unknown_item(snapshot.sigma, snapshot.applied.runs)
        app_groups, app_items = app_assignment.app_groups(policy, directory, decided.team_rows, decided.people,
                                                          deactivated_by(decided.unmatched), decided.review_items)
        review_items = sort_review_items(decided.review_items + app_items
                                         + inputs.truncation_items(snapshot.findings, decided.actions)
                                         + guests.no_idp_guests_items(decided.actions, policy.guests, directory)
                                         + organization.missing_organization_items(organization_id)
                                         + [i for i in (empty_teams, no_scim_state, old_idp, time_unknown) if i is not None])
        acted = acted_on(actions)
        people = person_rows(policy, directory, decided.people, decided.types, decided.unmatched, actions, review_items,
                             acted)
        checks = preflight.evaluate(policy, directory, list(decided.guards), actions, people)
        summary = build_summary(directory, decided, actions, review_items, people, acted, checks)
        plan_outcomes = build_outcomes(policy, directory, decided.guards, actions, people)
        prints = fingerprints(directory, actions, acted)
    # the working records die with the process, not one by one here (0.22-0.25 s at 100k): planner.held
    held.hold(directory, decided, acted)
    origin = policy.origin
    resolved = canonical_json(policy.resolved())
    return Plan(
        organization=PlanOrganization(directory.organization_id, policy.organization.name, sigma_at or UNSET,
                                      snapshot.idp.fetched_at or UNSET),
        inputs=tuple(snapshot.sigma.inputs) + tuple(snapshot.idp.inputs) + snapshot.applied.inputs,
        policy=PlanPolicy(origin.path if origin else "",
                          origin.sha256 if origin else hashlib.sha256(resolved).hexdigest(), msgspec.Raw(resolved)),
        fingerprints=prints,
        actions=tuple(actions),
        review_items=tuple(review_items),
        summary=summary,
        people=tuple(people),
        teams=tuple(decided.team_rows),
        app_groups=app_groups,
        preflight=checks,
        outcomes=plan_outcomes,
        tool_version=__version__,
        created_at=created_at,
        digest="",
    )


def check_snapshot(snapshot: Snapshot) -> None:
    """Refuse a snapshot the planner cannot plan safely; raises :class:`PlanError` (one line).

    - any finding of severity error (the loaders' verdict; ``sigma-migrate check`` lists them);
    - a member or IdP user whose id is not a non-empty string, or an id that two records share
      (the loaders report and skip those; a snapshot built another way must not slip them in:
      every action, fingerprint and review item is keyed by these ids).
    """
    _refuse_errors(snapshot.findings)
    for what, field, records in (("member", "memberId", snapshot.sigma.members),
                                 ("IdP user", "id", snapshot.idp.users)):
        ids = list(map(attrgetter("member_id" if what == "member" else "id"), records))
        # the usual case, checked in C: every id a str, none empty, none repeated
        if set(map(type, ids)) <= {str} and "" not in (unique := set(ids)) and len(unique) == len(ids):
            continue
        seen: set = set()
        for record, value in zip(records, ids):
            where = f"{record.source}: " if record.source else ""
            if not (isinstance(value, str) and value):
                raise PlanError(f"{where}{what} has {field} {value!r}, not a non-empty string; "
                                "run `sigma-migrate check` to list every finding")
            if value in seen:
                raise PlanError(f"{where}{what} {field} {value!r} appears twice; "
                                "run `sigma-migrate check` to list every finding")
            seen.add(value)


def _refuse_errors(findings: Iterable[Finding]) -> None:
    """:class:`PlanError` naming the first of ``findings`` of severity error, and their count."""
    errors = [f for f in findings if f.severity.value == "error"]
    if errors:
        raise PlanError(f"the inputs have {len(errors)} error(s), first: {errors[0]}; run `sigma-migrate check` "
                        "to list every finding")


@dataclass(frozen=True)
class Decisions:
    """What the rule families decided (:func:`decide`): the ``people`` (every person's final
    :class:`~planner.directory.Person` record, sorted by person key),
    the account ``types`` (:mod:`planner.rules.account_types`), the ``unmatched`` members'
    decisions, the ``team_rows``, the ``guards``' results, the ``actions`` (with cross-family
    dependencies) and the ``review_items``."""

    people: tuple[Person, ...]
    types: list[account_types.TypeDecision]
    unmatched: list[unmatched.UnmatchedDecision]
    team_rows: list[TeamRow]
    guards: list[GuardResult]
    actions: list[Action]
    review_items: list[ReviewItem]
    directory: Directory
    """The directory the families read: the one given, with what matching found of Sigma's SCIM state
    (:func:`planner.directory.with_provisioned_elsewhere`, step 4b), which every later step reads too."""


def decide(policy: Policy, directory: Directory) -> Decisions:
    """Run the rule families in the order the module docstring gives (and says why)."""
    unknown = policy_refs.unresolved(policy, directory)
    outcome = Outcome(review_items=policy_refs.unknown_references(policy, directory, unknown)
                      + policy_refs.shared_group_name_items(policy, directory))  # held at step 9b
    pinned, never, overrides = linking.resolve_overrides(policy, directory)
    outcome.extend(overrides)
    provisioned = scim_state.scim_links(directory, reused_address_answers(policy, directory))
    outcome.review_items.extend(provisioned.review_items)
    outcome.uses.extend(linking.override_uses(policy, directory, provisioned.pairs))
    # plan --applied: what changed in Sigma since, not by a run (read by the steps that weigh it, and at the end)
    changes = since_applied.changes_since(directory) if directory.applied_seen or directory.applied_teams_seen else ()
    outcome.uses.extend(scim_state.reused_address_uses(policy, directory, provisioned,
                                                       since_applied.linked_since(changes)))
    pinned, contradicted = scim_state.merge_pins(pinned, provisioned.pairs)
    outcome.extend(contradicted)
    invited = guests.invited_address_doubts(directory, {p.idp_id for p in pinned} | never)
    outcome.review_items.extend(guests.invited_address_item(d, policy, directory) for d in invited)
    outcome.uses.extend(guests.invited_address_uses(invited, policy, directory))
    shared = duplicates.shared_addresses(directory)
    renames = duplicates.resolve(policy, directory, shared)
    outcome.uses.extend(renames.uses)
    excluded = duplicates.resolve_excluded(policy, directory)
    outcome.review_items.extend(excluded.review_items)
    outcome.uses.extend(excluded.uses)
    graph = match_identities(directory, policy.linking, pinned, never | excluded.idp_ids | provisioned.held_idp_users)
    # members whose IdP user the IdP's push provisioned as another member: left behind, asked about (step 4b)
    directory = with_provisioned_elsewhere(directory, provisioned_elsewhere(graph, directory))
    held = fold_idp_collisions(directory, graph, excluded.idp_ids, outcome) | provisioned.held_idp_users
    damaged_idp, damaged_members = fold_spreadsheet_holds(directory, outcome)
    outcome.review_items.extend(inputs.group_name_separator_items(directory))  # held at step 9b
    if directory.idp_transitive_doubts:  # held at step 9b
        outcome.review_items.extend(inputs.transitive_members_items(directory, groups_policy_reads(
            policy, directory, {d.group_id for d in directory.idp_transitive_doubts})))
    explained = frozenset(g for g in graph.ambiguous if duplicates.explains(directory, g))
    assigned = teams.assign_groups(policy.teams, directory, policy.scope.groups)  # read by steps 6 and 11
    linked = linking.decide(policy, directory, graph, explained=explained, freed=renames.renamed,
                            freed_for_moves=renames.pending_ids,
                            held_idp_users=held | damaged_idp | frozenset(d.idp_id for d in invited),
                            held_members=damaged_members | provisioned.held_members
                            | frozenset(m for d in invited for m in d.member_ids),
                            excluded=excluded.idp_ids, assignments=assigned[0])
    outcome.extend(linked.outcome)
    # a link the IdP's push made since the applied plan saw the member: asked about, the person held at step 9b
    outcome.review_items.extend(since_applied.linked_since_items(changes, directory,
                                                                 reused_address_answers(policy, directory)))
    people = fold_guests(policy, directory, linked.people, outcome, graph.never)
    people = scim_state.kept_by_scim_state(people, directory.scim, policy.linking.scim_state_conflicts,
                                           directory.idp_users, outcome.uses, directory.idp_fetched_at)
    # Sigma refuses a user without both names, or a userName unclean (or a reviewer cannot read it)
    refused = scim_values.hold_refused(people)
    people = refused.people
    outcome.review_items.extend(refused.unnamed + refused.unsendable + refused.cleaned)
    frees = fold_addresses(directory, people, graph, shared, renames, outcome)
    types, type_outcome, nested = fold_account_types(policy, directory, people)
    people, types = hold_unknown_types(directory, people, types, type_outcome, outcome)
    outcome.review_items.extend(nested_only_items(policy, directory, nested))
    unmatched_decisions = unmatched_decisions_of(policy, directory, people)
    protected = directory.protected_members(policy)
    standings = guards.protected_standings(people, protected, directory)  # read before the hold: the guards judge them
    people, types, unmatched_decisions = hold_questioned(people, types, outcome.review_items, type_outcome,
                                                         unmatched_decisions,
                                                         guards.questioned_owners(policy, directory, standings),
                                                         outcome)
    user_types = {d.person: d.after for d in types}
    outcome.extend(linking.link_actions(people, directory, user_types, frees, graph.rivals, graph.never))
    outcome.extend(type_outcome)
    outcome.uses.extend(unmatched.decision_uses(policy, directory, unmatched_decisions, people))
    outcome.uses.extend(linking.guard_override_uses(policy, directory, people))
    team_rows, joining = fold_teams(policy, directory, people, outcome, deactivated_by(unmatched_decisions),
                                   assigned)
    outcome.actions, unnamed_teams = scim_values.drop_unnamed_teams(outcome.actions)  # Sigma refuses a blank name
    outcome.actions, second_teams = scim_state.hold_second_teams(directory.scim, outcome.actions)  # one IdP group
    outcome.review_items.extend(unnamed_teams + second_teams + scim_values.team_name_items(outcome.actions))
    fold_unmatched(unmatched_decisions, outcome)
    actions, scim_items = scim_state.settle(directory.scim, outcome.actions, policy.linking.scim_state_conflicts,
                                            directory.idp_users, unmatched.provisioning_admin(policy, directory),
                                            provisioned.returning, directory.groups, outcome.uses,
                                            directory.idp_fetched_at)
    actions = teams.removals_by_final_pushes(actions, directory.scim)  # a push's removals, as settled
    actions = add_cross_dependencies(actions)
    outcome.review_items.extend(scim_items)
    if directory.idp_answer_doubts:  # a members answer saved twice, or before users.json: what it feeds is held
        answer_items = group_answer_items(policy, directory, actions, people, types)
        outcome.review_items.extend(answer_items)
        outcome.uses.extend(account_types.held_acknowledgment_uses(policy, directory, types, answer_items))
    outcome.uses.extend(inputs.identical_groups_uses(policy, directory))
    actions, refused_items = refusals.without_refused(actions, directory.applied_refusals,
                                                      {**directory.scim.pre_scim, **directory.scim.without_external_id},
                                                      unmatched.provisioning_admin(policy, directory).email)
    outcome.review_items.extend(refused_items)
    pending = guests.invitation_pending_items(people, actions, policy.guests, directory)
    outcome.review_items.extend(pending)
    outcome.uses.extend(guests.invitation_pending_uses(policy.guests, directory, pending))
    if changes:  # plan --applied: what it sets back of a human's
        outcome.review_items.extend(since_applied.reverted_items(changes, actions, directory))
    outcome.review_items.extend(unfinished_runs.unfinished_run_items(directory.applied_unfinished))
    outcome.uses.extend(unfinished_runs.closed_run_uses(directory.applied_unfinished))
    outcome.review_items.extend(user_name_mapping.mapping_items(directory, actions, policy.linking.scim_user_name))
    outcome.uses.extend(scim_state.conflict_entry_absences(policy.linking.scim_state_conflicts, directory))
    outcome.review_items.extend(policy_entries.unused_entry_items(policy, outcome.uses, (r.loc for r in unknown)))
    outcome.review_items.extend(repeated_people.same_person_items(policy, directory, people))
    team_rows = rows_with_final_actions(team_rows, actions, joining)
    guard_results, guard_items = guards.evaluate(policy, directory, actions, linked_idp_ids(people, protected),
                                                 standings, team_rows, people, types)
    return Decisions(people, types, unmatched_decisions, team_rows, guard_results, actions,
                     outcome.review_items + guard_items, directory)


def group_answer_items(policy: Policy, directory: Directory, actions: Sequence[Action],
                       people: Iterable[Person], types: Iterable[account_types.TypeDecision] = ()
                       ) -> list[ReviewItem]:
    """:func:`planner.rules.inputs.group_answer_items` with what the policy reads of the doubted groups
    (:func:`groups_policy_reads`), the team each is linked to (:func:`~planner.rules.teams.assign_groups`), the
    members of ``people`` outside the scope (:attr:`PersonStatus.NOT_IN_SCOPE`) and what a doubted group decides for
    each person, a change or none (:func:`planner.rules.inputs.groups_deciding` over ``types``, the account-type
    decisions, and the groups ``scope.groups`` matches)."""
    people = tuple(people)
    doubted = {g for d in directory.idp_answer_doubts for g in d.group_ids}
    team_of = {a.group_id: a.team_id for a in teams.assign_groups(policy.teams, directory, policy.scope.groups)[0]
               if a.group_id in doubted}
    not_in_scope = {p.member_id for p in people if p.status is PersonStatus.NOT_IN_SCOPE and p.member_id}
    read = groups_policy_reads(policy, directory, doubted)
    matchers = [group_pattern_matcher(p) for p in policy.scope.groups]
    scope_ids = [gid for gid, g in directory.groups.items() if any(match(g.display_name) for match in matchers)]
    decides = inputs.groups_deciding(doubted, read, directory, types, people, scope_ids)
    return inputs.group_answer_items(policy, directory, actions, read, team_of, not_in_scope, decides)


def groups_policy_reads(policy: Policy, directory: Directory, group_ids: Collection[str]
                        ) -> dict[str, tuple[str, ...]]:
    """Of the IdP groups ``group_ids``, those whose members decide something of the plan, by group id, each with
    the policy keys that read it, in this order: ``scope.groups`` (a pattern matches its displayName),
    ``account_types.group_map`` (:func:`~planner.rules.account_types.mapped_groups`), ``teams`` (a team is
    linked to it or created for it: :func:`~planner.rules.teams.assign_groups`). Read by
    :func:`planner.rules.inputs.transitive_members_items`."""
    read: dict[str, list[str]] = {}
    matchers = [group_pattern_matcher(p) for p in policy.scope.groups]
    for gid in group_ids:
        if gid in directory.groups and any(match(directory.groups[gid].display_name) for match in matchers):
            read.setdefault(gid, []).append("scope.groups")
    for gid in account_types.mapped_groups(policy.account_types, directory):
        if gid in group_ids:
            read.setdefault(gid, []).append("account_types.group_map")
    for assignment in teams.assign_groups(policy.teams, directory, policy.scope.groups)[0]:
        if assignment.group_id in group_ids:
            read.setdefault(assignment.group_id, []).append("teams")
    return {gid: tuple(keys) for gid, keys in read.items()}


def reused_address_answers(policy: Policy, directory: Directory) -> dict[str, str]:
    """``linking.reused_addresses`` by IdP id (its keys are IdP ids or userNames; one naming no IdP user
    of the export is a ``policy.unknown_reference`` item, :mod:`planner.rules.policy_refs`)."""
    answers = {}
    for name, answer in policy.linking.reused_addresses.items():
        idp_id = directory.find_idp_id(name)
        if idp_id is not None:
            answers[idp_id] = answer
    return answers


def fold_guests(policy: Policy, directory: Directory, people: tuple[Person, ...], outcome: Outcome,
                never: Collection[str] = frozenset()) -> tuple[Person, ...]:
    """Step 7: each ``guest`` person's :class:`~planner.rules.guests.GuestDecision` wins over
    linking's ``guest`` status; each ``idp_guest`` gets its review item (saying so when an address of it is a
    member's: :func:`~planner.rules.linking.address_words`, ``never`` being the IdP ids ``linking.overrides`` never
    links). Returns the records with the
    guests' statuses (new records, linking's untouched), and adds their actions and items to ``outcome``."""
    owner = unmatched.document_owner(policy, directory, policy.guests.document_owner, ("guests", "document_owner"))
    protected = directory.protected_members(policy)
    archived, settled = reactivated.reactivated_members(directory), reactivated.decided(policy, directory)
    dates, why = unmatched.new_member_dates(directory), guests.why_disabled(policy.guests)
    out = []
    idp_guest, guest, reactivate, rehire = (PersonStatus.IDP_GUEST, PersonStatus.GUEST, PersonStatus.REACTIVATE,
                                            PersonStatus.REHIRE)  # read once
    returning = returning_guest_types(policy, directory, people)
    linked_to = linking.matched_members(people) if any(p.status is idp_guest for p in people) else {}
    for person in people:
        status = person.status
        if status is idp_guest:
            outcome.review_items.append(guests.idp_guest_item(
                person, linking.address_words(person, directory, linked_to, never, {})))
        elif status is guest or ((status is reactivate or status is rehire) and person.member.user_kind == "guest"):
            if status is guest:
                mid = person.member.member_id
                decision = guests.decide_guest(person, policy.guests, directory, owner, protected, archived.get(mid),
                                               settled.get(mid), unmatched.new_guest_item(person, dates, why, owner))
            elif status is reactivate:
                decision = guests.decide_reactivated_guest(person, policy.guests, returning.get(person.person))
            else:
                decision = guests.decide_rehired_guest(person, policy.guests, returning[person.person])
            person = msgspec.structs.replace(person, status=decision.status, converted=decision.converted)
            if decision.action is not None:
                outcome.actions.append(decision.action)
            if decision.review_item is not None:
                outcome.review_items.append(decision.review_item)
        out.append(person)
    return tuple(out)


def returning_guest_types(policy: Policy, directory: Directory, people: tuple[Person, ...]
                          ) -> dict[str, account_types.TypeDecision]:
    """Step 7 too: person key -> the :class:`~planner.rules.account_types.TypeDecision` of each archived or
    inactive guest the IdP has active again whom this step holds (linking's ``rehire``, or ``reactivate``
    while ``guests.action`` is not ``convert``): the account type a conversion would give them, which their
    item names (the people step 9 types are the ones provisioned, so a held guest's is decided here). Empty
    (nothing read) when there is none. Raises :class:`~planner.policy.PolicyError` as step 9 does (an
    unknown account type, mapped groups ``precedence`` does not order)."""
    convert = policy.guests.action == "convert"
    held = [p for p in people  # the status first: it is on the record, the member's kind another object away
            if (p.status is PersonStatus.REHIRE or (p.status is PersonStatus.REACTIVATE and not convert))
            and p.member is not None and p.member.user_kind == "guest"]
    if not held:
        return {}
    config = account_types.settings(policy, directory, held)
    return {p.person: account_types.decide_type(p, config, directory) for p in held}


def fold_idp_collisions(directory: Directory, graph: IdentityGraph, excluded: frozenset[str], outcome: Outcome
                        ) -> frozenset[str]:
    """Step 5: one blocking ``linking.idp_duplicate`` item per group of IdP users sharing an address
    (:func:`planner.rules.duplicates.idp_collisions`), added to ``outcome``; returns the IdP ids
    they hold (linking neither links nor creates them)."""
    collisions = duplicates.idp_collisions(directory, excluded)
    if not collisions:
        return frozenset()
    linked = {pair.idp_id: pair.member_id for pair in graph.links}
    joined = duplicates.ambiguous_matches(graph.ambiguous)
    outcome.review_items.extend(duplicates.idp_collision_item(c, directory, linked, joined) for c in collisions)
    return frozenset(i for c in collisions for i in c.idp_ids)


def fold_spreadsheet_holds(directory: Directory, outcome: Outcome) -> tuple[frozenset[str], frozenset[str]]:
    """Step 5 too: one blocking ``inputs.spreadsheet_damage`` item per IdP user whose row a spreadsheet
    rewrote (:func:`planner.rules.inputs.spreadsheet_holds`), added to ``outcome``; returns the IdP ids and
    the memberIds they hold (the members whose email such a row shows: linking neither links nor leaves
    them unmatched)."""
    holds = inputs.spreadsheet_holds(directory)
    outcome.review_items.extend(inputs.spreadsheet_damage_item(h, directory) for h in holds)
    return frozenset(h.idp_id for h in holds), frozenset(m for h in holds for m in h.member_ids)


def fold_addresses(directory: Directory, people: tuple[Person, ...], graph: IdentityGraph,
                   shared: duplicates.SharedAddresses, renames: duplicates.Renames, outcome: Outcome
                   ) -> dict[str, list[tuple[str, str]]]:
    """Step 8: each shared address's :class:`~planner.rules.duplicates.AddressDecision` over the people
    linking and guests link (status ``link`` or ``reactivate``): the ``members.set_email`` renames and
    ``linking.duplicate_email`` items (with ``linking.duplicates``' own items) go to ``outcome``.
    Returns ``frees``: address -> ``[(memberId, id of the action moving them off it)]``, what every
    link, create or email change sending the address waits for."""
    if not shared and not renames.pending:
        return {}
    moved = duplicates.moved_onto([p for p in people if p.status in _LINKED or p.status is PersonStatus.CREATE],
                                  renames, directory)
    if renames.pending:
        outcome.uses.extend(duplicates.pending_uses(renames, moved, directory))
        renames = duplicates.with_pending(renames, moved, directory)
    contested = {**shared, **moved}
    # only who sends a shared address or leaves their own matters
    sending = [p for p in people
               if (p.user_name_key in contested or p.guard == "update_sigma_email") and p.status in _LINKED]
    linked = duplicates.linked_holders(sending, contested)
    groups = duplicates.ambiguous_by_address(directory, graph.ambiguous)
    uses = [duplicates.address_use(key, contested[key], linked, renames, groups.get(key, ()),
                                   duplicates.incoming(key, moved, directory)) for key in sorted(contested)]
    aliases = duplicates.choose_aliases([mid for use in uses for mid in use.renamed], directory)
    holders = frozenset(mid for use in uses if use.blocked for mid in use.holders)
    teams = examples.team_counts(directory, holders) if holders else {}
    frees = {}
    for use in uses:
        decision = duplicates.decide_address(use, aliases, renames, directory, teams)
        outcome.actions.extend(decision.actions)
        if decision.review_item is not None:
            outcome.review_items.append(decision.review_item)
        frees[use.key] = list(decision.frees)
    return frees


_LINKED = frozenset({PersonStatus.LINK, PersonStatus.REACTIVATE})
"""The statuses of people the plan links (a converted guest is ``link``)."""


def fold_account_types(policy: Policy, directory: Directory, people: tuple[Person, ...]
                       ) -> tuple[list[account_types.TypeDecision], Outcome, Mapping[str, account_types.NestedType]]:
    """Step 9: the :class:`~planner.rules.account_types.TypeDecision` of everyone linked, reactivated,
    converted or created (in ``people``'s order), their ``scim.set_account_type`` actions and review
    items (an admin type gained: ``account_types.admin_upgrade``, tester18 finding 5), and who among them has a
    type only through a nested group (Entra ID, :func:`nested_only_items`).
    Raises :class:`~planner.policy.PolicyError` (an unknown account type, an unordered precedence)."""
    people = [p for p in people if p.status in TYPED_STATUSES]
    config = account_types.settings(policy, directory, people)
    out = Outcome()
    unchecked = account_types.names_unchecked_item(policy.account_types, directory)
    if unchecked is not None:
        out.review_items.append(unchecked)
    decisions = []
    for person in people:
        typed = account_types.type_outcome(person, config, directory)
        decisions.append(typed.decision)
        if (use := account_types.scim_state_use(person, typed.decision)) is not None:
            out.uses.append(use)
        if typed.action is not None:
            out.actions.append(typed.action)
        if typed.review_item is not None:
            out.review_items.append(typed.review_item)
        if typed.admin_upgrade is not None:
            out.review_items.append(typed.admin_upgrade)
    out.review_items.extend(account_types.several_type_groups_items(decisions, config, directory))
    out.review_items.extend(account_types.idp_user_type_items(decisions, directory))
    out.uses.extend(account_types.acknowledgment_uses(decisions, config))
    out.uses.extend(account_types.confirmed_uses(decisions, config, directory))
    out.uses.extend(account_types.override_uses(policy.account_types, decisions, directory))
    return decisions, out, config.nested


def hold_unknown_types(directory: Directory, people: tuple[Person, ...], types: list[account_types.TypeDecision],
                       outcome: Outcome, planned: Outcome | None = None
                       ) -> tuple[tuple[Person, ...], list[account_types.TypeDecision]]:
    """Step 9 too: everyone whose account type the organization does not have
    (:func:`planner.rules.account_types.unknown_types`) is held: status ``held`` (no link, no create), their
    type decision, ``scim.set_account_type`` and type items dropped from ``outcome``, and one blocking
    ``account_types.unknown_type`` item per type added (tester8 finding 19); ``planned``: the outcome of steps
    1-8, as :func:`hold_people` reads it. Returns the people and the decisions left; both unchanged (the same
    objects) when every type is known."""
    unknown = account_types.unknown_types(types, directory)
    if not unknown:
        return people, types
    outcome.review_items.extend(account_types.unknown_type_item(name, found, directory)
                                for name, found in unknown.items())
    return hold_people(people, types, outcome, frozenset(d.person for found in unknown.values() for d in found),
                       planned=planned)


def hold_people(people: tuple[Person, ...], types: list[account_types.TypeDecision], type_outcome: Outcome,
                held: frozenset[str], asking: frozenset[str] = frozenset(), planned: Outcome | None = None
                ) -> tuple[tuple[Person, ...], list[account_types.TypeDecision]]:
    """Hold the people whose person keys are ``held``, the one way a step holds someone it has a question
    about: status ``held`` (no link, no create, no conversion; the teams family neither pushes nor removes
    them, the unmatched family does not deactivate them), their type decision dropped, and their
    ``scim.set_account_type`` and ``account_types.*`` items (by memberId or, a create's, IdP id) dropped from
    ``type_outcome`` (a type for
    someone not provisioned decides nothing), and their lines of ``account_types.several_type_groups``
    (:func:`~planner.rules.account_types.several_type_groups_without`: it would name the type a held person's
    groups give, tester14a finding 3), but the items ``asking`` names (ids: the questions that hold
    them stay), and their ``members.convert_guest`` dropped from ``planned`` (the outcome of steps 1-8: the
    guests' conversions of step 7, made for a link the hold now withholds; was: the conversion stayed beside
    the question, and for an archived guest it waited on a ``members.reactivate`` the hold withheld, an
    internal error ending the plan; issue 10, holds2). Returns the people and the type decisions left; both
    unchanged (the same objects) when ``held`` is empty."""
    if not held:
        return people, types
    members = {p.member_id for p in people if p.person in held and p.member_id}
    idp_ids = {p.idp_id for p in people if p.person in held and p.idp_id}
    type_outcome.actions = [a for a in type_outcome.actions if target_member_id(a) not in members]
    items = []
    for r in type_outcome.review_items:
        if r.id in asking or not (r.code.startswith("account_types.") and (r.subject.member_id in members
                                                                           or r.subject.idp_id in idp_ids)):
            if r.code == account_types.SEVERAL_TYPE_GROUPS:
                r = account_types.several_type_groups_without(r, idp_ids)
            if r is not None:
                items.append(r)
    type_outcome.review_items = items
    if planned is not None:
        convert = ActionKind.MEMBERS_CONVERT_GUEST
        planned.actions = [a for a in planned.actions if not (a.kind is convert and target_member_id(a) in members)]
    people = tuple(msgspec.structs.replace(p, status=PersonStatus.HELD, converted=False) if p.person in held else p
                   for p in people)
    return people, [d for d in types if d.person not in held]


CONFIRMATIONS = frozenset({"scope.nested_only"})
"""Blocking items of steps 1-9 that confirm a person's actions as planned rather than ask what they should
be: the direct members an Entra ID export provisions (``scope.nested_only: keep`` accepts them, the plan's
links stay the same). Their action is what approval would confirm, so it stays listed beside them; every
other blocking item about a person is a question (:func:`hold_questioned`)."""


def hold_questioned(people: tuple[Person, ...], types: list[account_types.TypeDecision], items: Iterable[ReviewItem],
                    type_outcome: Outcome, decisions: list[unmatched.UnmatchedDecision],
                    owners: frozenset[str] = frozenset(), planned: Outcome | None = None
                    ) -> tuple[tuple[Person, ...], list[account_types.TypeDecision], list[unmatched.UnmatchedDecision]]:
    """Step 9b: a blocking question about a person holds that person (:func:`hold_people`), whichever rule
    asked it: no action is planned whose outcome the answer decides (was: ``linking.create_collides`` held the
    plan beside the ``scim.create_user`` it questions, issue 10, tester8 leftover; ``scim.second_account`` and
    ``unmatched.new_member`` beside a ``teams.remove_member`` of the member they ask about, issue 10, holds2).

    ``items``: the items of steps 1-9 but the account-type family's; a blocking one not among
    :data:`CONFIRMATIONS` holds every person its ``subject`` names (``memberId`` or ``idpId``, and each of
    ``memberIds`` / ``idpIds`` of a question about several: ``linking.duplicate_email`` asks which holder keeps
    an address, so the link it names and the other holders' deactivations wait for the answer). ``decisions``: the
    unmatched members' decisions (step 9a, :func:`unmatched_decisions_of`); a blocking item of one
    (``unmatched.review``, ``unmatched.never_activated``, ``unmatched.suspended``, ``unmatched.new_member``, ``unmatched.reactivated``,
    ``unmatched.outside_member``, ``scope.individual_assignment``, ``scim.second_account``)
    holds its member, by memberId only: the family asks about members (the IdP id of a ``scim.second_account``
    is the IdP user of the new member, whom the question does not ask about). ``owners``: the protected people
    whose owner guard (step 16) fails on who they are, known from the statuses already
    (:func:`planner.rules.guards.questioned_owners`: their guard asks it, and says the plan holds until it is
    answered), by memberId. ``planned``: the outcome of steps 1-8 (:func:`hold_people`). Held is a person the plan would
    provision (linked, reactivated, created or converted: :data:`TYPED_STATUSES`) or one the unmatched family
    decides (:data:`planner.rules.unmatched.KINDS`): status ``held``, so the teams family neither pushes nor
    removes them. Returns the people, the type decisions and the unmatched decisions left: a held member's
    ``members.deactivate`` decision is dropped (asked again once the item holding them is settled); a keep or a
    question plans nothing and stays.

    The account-type family's own items (step 9: ``account_types.downgrade`` and the others to acknowledge,
    ``account_types.protected_account``, ``protected_several_type_groups``, ``idp_user_type_conflict``) are
    not read here: they ask about the type a link sends, never whether the person is linked, so they hold no
    link (the type the family plans stays beside them, as before)."""
    asked_members: set[str] = set()
    asked_idp: set[str] = set()
    asking: set[str] = set()
    for item in items:
        if item.blocking and item.code not in CONFIRMATIONS:
            asking.add(item.id)
            subject = item.subject
            if isinstance(subject.member_id, str):
                asked_members.add(subject.member_id)
            if isinstance(subject.idp_id, str):
                asked_idp.add(subject.idp_id)
            if isinstance(subject.member_ids, list):  # a question about several people holds each of them
                asked_members.update(subject.member_ids)
            if isinstance(subject.idp_ids, list):
                asked_idp.update(subject.idp_ids)
    for d in decisions:
        if d.review_item is not None and d.review_item.blocking and d.review_item.code not in CONFIRMATIONS:
            asked_members.add(d.member_id)
    asked_members.update(owners)
    if not asked_members and not asked_idp:
        return people, types, decisions
    held = frozenset(p.person for p in people if p.status in HOLDABLE_STATUSES
                     and (p.member_id in asked_members or p.idp_id in asked_idp))
    if not held:
        return people, types, decisions
    held_members = {p.member_id for p in people if p.person in held}
    decisions = [d for d in decisions if d.action is None or d.member_id not in held_members]
    people, types = hold_people(people, types, type_outcome, held, frozenset(asking), planned)
    return people, types, decisions


def nested_only_items(policy: Policy, directory: Directory, nested: Mapping[str, account_types.NestedType]
                      ) -> list[ReviewItem]:
    """Step 9 too: one ``scope.nested_only`` item (:func:`planner.rules.scope.nested_only_item`) per
    IdP user whose scope (:attr:`~planner.directory.Directory.scope_nested_only`) or account type
    (``nested``) flattening would decide, under an IdP that provisions direct members only."""
    chains = directory.scope_nested_only
    users = directory.idp_users
    return [scope.nested_only_item(users[i], chains.get(i), nested.get(i), policy.scope)
            for i in sorted(set(chains) | set(nested))]


TYPED_STATUSES = frozenset({PersonStatus.LINK, PersonStatus.REACTIVATE, PersonStatus.CREATE})
"""The statuses whose people get an account type (a converted guest is ``link``)."""

HOLDABLE_STATUSES = TYPED_STATUSES | unmatched.KINDS
"""The statuses of the people a blocking question holds (:func:`hold_questioned`): those the plan would
provision, and those the unmatched family keeps or deactivates."""


def fold_teams(policy: Policy, directory: Directory, people: tuple[Person, ...], outcome: Outcome,
               deactivated: frozenset[str] = frozenset(),
               assigned: tuple[list[teams.Assignment], list[ReviewItem]] | None = None
               ) -> tuple[list[TeamRow], dict[str, Mapping[str, str]]]:
    """Step 11: each IdP group's :class:`~planner.rules.teams.Assignment` gets its
    :class:`~planner.rules.teams.TeamDecision` over the people's final statuses (and ``deactivated``, the
    memberIds step 12 deactivates, :func:`deactivated_by`: a member the plan does not provision whom a push
    removes is a removal, the reason saying when the plan deactivates them), or the blocking
    ``teams.likely_rename`` item that replaces it (an informational ``teams.likely_rename`` or
    ``teams.possible_rename`` goes with the decision: :func:`with_rename_hint`; the members a userName change
    left behind, :attr:`~planner.rules.teams.TeamPeople.left_behind`, as ``linking.second_accounts`` decides them);
    the teams no group maps to get theirs
    (:func:`~planner.rules.teams.decide_unmanaged`). Adds actions and items to ``outcome``; returns
    the team rows, sorted as the report lists them, and whom each push adds
    (:attr:`~planner.rules.teams.TeamDecision.joining`, by the push's id) for :func:`rows_with_final_actions`.
    ``assigned``: :func:`~planner.rules.teams.assign_groups` of the policy, made once by :func:`decide` (``None``:
    made here)."""
    team_policy = policy.teams
    left_behind = {mid: s.decision or "" for mid, s in unmatched.second_accounts(policy, directory).items()}
    people = teams.team_people(people, deactivated, left_behind)
    assignments, items = assigned or teams.assign_groups(team_policy, directory, policy.scope.groups)
    outcome.review_items.extend(items)
    outcome.uses.extend(teams.map_uses(team_policy, directory, assignments))
    outcome.uses.extend(teams.deleted_group_uses(team_policy, directory, assignments))
    outcome.review_items.extend(teams.group_cycle_item(c, directory.idp_format, team_policy.flatten_nested)
                                for c in directory.group_cycles)
    renames = teams.likely_renames(assignments, team_policy, directory, people)
    decisions = [teams.TeamDecision(review_items=(renames[a.group_id],))
                 if a.group_id in renames and renames[a.group_id].blocking
                 else with_rename_hint(teams.decide_team(a, team_policy, directory, people), renames.get(a.group_id))
                 for a in assignments]
    decisions.append(teams.decide_unmanaged(assignments, team_policy, directory, people))
    for decision in decisions:
        outcome.actions.extend(decision.actions)
        outcome.review_items.extend(decision.review_items)
    outcome.uses.extend(teams.confirmation_uses(team_policy, directory,
                                                [*items, *(i for decision in decisions for i in decision.review_items)]))
    joining = {push: joins for decision in decisions for push, joins in decision.joining.items()}
    return teams.sorted_rows(row for decision in decisions for row in decision.rows), joining


def with_rename_hint(decision: teams.TeamDecision, item: ReviewItem | None) -> teams.TeamDecision:
    """``decision`` with the informational rename item of its group (:func:`~planner.rules.teams.likely_renames`)
    first among its items; ``decision`` itself when there is none."""
    if item is None:
        return decision
    return replace(decision, review_items=(item, *decision.review_items))


def rows_with_final_actions(rows: list[TeamRow], actions: list[Action],
                            joining: Mapping[str, Mapping[str, str]] | None = None) -> list[TeamRow]:
    """The team rows as the plan's final ``actions`` leave them (ids and member counts,
    :func:`~planner.rules.teams.row_of_final_actions`): :func:`fold_teams` makes the rows before a
    blank team name drops an action (:func:`~planner.rules.scim_values.drop_unnamed_teams`) and before
    :func:`~planner.rules.scim_state.settle` drops what Sigma's SCIM state already holds or holds back,
    and show and the report render the plan's actions, never ones it no longer has; ``joining``: whom each push
    adds (:func:`fold_teams`), counted as far as the final push still sends them."""
    final = {a.id: a for a in actions}
    return [teams.row_of_final_actions(row, final, joining) for row in rows]


def unmatched_decisions_of(policy: Policy, directory: Directory, people: tuple[Person, ...]
                           ) -> list[unmatched.UnmatchedDecision]:
    """Step 12's decisions: an :class:`~planner.rules.unmatched.UnmatchedDecision` for each ``unmatched``,
    ``not_in_scope`` or ``leaver`` member, by memberId. Made at step 9a, before the hold (:func:`hold_questioned`
    reads their questions) and before step 11, which reads who they deactivate (:func:`deactivated_by`); folded
    into the outcome after it (:func:`fold_unmatched`)."""
    config = unmatched.settings(policy, directory)
    people = sorted((p for p in people if p.status in unmatched.KINDS), key=lambda p: p.member_id)
    return [unmatched.decide_member(person, config) for person in people]


def deactivated_by(decisions: Iterable[unmatched.UnmatchedDecision]) -> frozenset[str]:
    """The memberIds ``decisions`` deactivate (a ``members.deactivate``, which
    :func:`~planner.rules.scim_state.settle` may send through SCIM)."""
    return frozenset(d.member_id for d in decisions if d.action is not None)


def fold_unmatched(decisions: list[unmatched.UnmatchedDecision], outcome: Outcome) -> None:
    """Step 12: adds the actions and items of ``decisions`` (:func:`unmatched_decisions_of`) to ``outcome``."""
    outcome.actions.extend(d.action for d in decisions if d.action is not None)
    outcome.review_items.extend(d.review_item for d in decisions if d.review_item is not None)


def linked_idp_ids(people: tuple[Person, ...], member_ids) -> dict[str, str | None]:
    """memberId -> the IdP id linking joined to them (``None``: no IdP identity) for ``member_ids``."""
    wanted = {"m:" + mid for mid in member_ids}  # a member's person key
    return {p.member.member_id: p.idp_id for p in people if p.person in wanted}


def add_cross_dependencies(actions: list[Action]) -> list[Action]:
    """Dependencies between families: removals before a member's deactivation (through REST or SCIM);
    a member's own email change (a duplicate's address freed, :mod:`planner.rules.duplicates`) before
    it; the document owner's reactivation/link/account type before any hand-over of documents to them
    (a REST ``newOwnerId``: a SCIM deactivation hands them to the provisioning admin, whose own actions
    it does not wait for, :func:`planner.rules.unmatched.provisioning_admin`). Runs after
    :func:`planner.rules.scim_state.settle`, so it sees the final kinds."""
    of_kind = actions_by_kind(actions)  # each kind below has a member target (payloads.MEMBER_TARGET_KINDS)
    deactivating = [a for kind in outcomes.LEAVING_KINDS for a in of_kind.get(kind, ())]
    if not deactivating:
        return actions
    leaving = {a.target.member_id for a in deactivating}
    owners = {new_owner_id(a) or "" for a in deactivating}
    owner_kinds = (ActionKind.MEMBERS_REACTIVATE, ActionKind.SCIM_LINK_USER, ActionKind.SCIM_SET_ACCOUNT_TYPE,
                   ActionKind.MEMBERS_SET_EMAIL)
    first_kinds = (ActionKind.TEAMS_REMOVE_MEMBER, ActionKind.MEMBERS_SET_EMAIL)
    by_member: dict[str, list[str]] = {}  # the document owners' own actions
    removals: dict[str, list[str]] = {}  # what a leaving member does first
    for kind in owner_kinds:
        for a in of_kind.get(kind, ()):
            if a.target.member_id in owners:
                by_member.setdefault(a.target.member_id, []).append(a.id)
    for kind in first_kinds:
        for a in of_kind.get(kind, ()):
            if a.target.member_id in leaving:
                removals.setdefault(a.target.member_id, []).append(a.id)
    replaced = {}  # id() of a deactivation -> the same with its extra dependencies
    for a in deactivating:
        extra = removals.get(a.target.member_id, []) + by_member.get(new_owner_id(a) or "", [])
        if extra:
            replaced[id(a)] = msgspec.structs.replace(a, depends_on=tuple(sorted(set(a.depends_on) | set(extra))))
    # each action in place, a replaced one swapped: looked up by id() in C, without a Python step per action
    return list(map(replaced.get, map(id, actions), actions)) if replaced else list(actions)


def order_actions(actions: list[Action]) -> list[Action]:
    """Actions in a topological order of their ``depends_on`` DAG (tie-break: phase, then id).

    The rules only make an action depend on actions of an earlier phase (:data:`PHASE`), so
    sorting by (phase, id) is normally already a topological order. The dependencies are
    checked on that order (:func:`planner.dependencies.check_dependencies`, which builds no
    graph when every dependency comes first): a duplicate id, an unknown dependency or a
    cycle is a :class:`PlanError` (an internal error: the rules built them) naming it.
    Otherwise the order comes from networkx's lexicographical topological sort of the DAG
    with the same tie-break.
    """
    by_phase: dict[int, list[Action]] = {}
    for a in actions:
        by_phase.setdefault(PHASE[a.kind], []).append(a)
    # each phase's actions sorted by id as plain strings, phases in order
    ordered = [a for phase in sorted(by_phase) for a in sorted(by_phase[phase], key=attrgetter("id"))]
    try:
        if check_dependencies(ordered):
            return ordered
    except DependencyError as exc:
        raise PlanError(f"internal error: {exc}") from None
    by_id = {a.id: a for a in ordered}
    return [by_id[i] for i in topological_order(ordered, lambda i: (PHASE[by_id[i].kind], i))]


def sort_review_items(items: Iterable[ReviewItem]) -> list[ReviewItem]:
    """Blocking first, then by code and id; duplicates (same id) kept once."""
    unique: dict[str, ReviewItem] = {}
    for item in items:
        unique.setdefault(item.id, item)
    return sorted(unique.values(), key=lambda r: (not r.blocking, r.code, r.id))


# --------------------------------------------------------------------------- fingerprints


@dataclass(frozen=True, slots=True)
class ActedOn:
    """The plan's actions by what they act on, indexed once (:func:`acted_on`) for the person rows, the
    summary and the fingerprints: ``members``, target memberId -> its actions, phase by phase
    (:func:`~planner.payloads.target_member_id`); ``creates``, IdP id -> its ``scim.create_user`` ids;
    ``owners``, every ``newOwnerId`` (:func:`~planner.payloads.new_owner_id`); ``teams``, every target
    teamId (:func:`~planner.payloads.target_team_id`); ``of_kind``, the actions by kind, in plan order
    (:func:`~planner.payloads.actions_by_kind`)."""

    members: Mapping[str, list[Action]]
    creates: Mapping[str, list[str]]
    owners: frozenset[str]
    teams: frozenset[str]
    of_kind: Mapping[ActionKind, list[Action]]


def acted_on(actions: Iterable[Action]) -> ActedOn:
    """The :class:`ActedOn` index of ``actions``: grouped by kind first, since what an action's target
    names is a fact of its kind (:data:`~planner.payloads.MEMBER_TARGET_KINDS`, ...)."""
    of_kind = actions_by_kind(actions)
    members: dict[str, list[Action]] = {}
    for kind in sorted(MEMBER_TARGET_KINDS.intersection(of_kind), key=PHASE.__getitem__):  # phase order
        for a in of_kind[kind]:
            members.setdefault(a.target.member_id, []).append(a)
    creates: dict[str, list[str]] = {}
    for a in of_kind.get(ActionKind.SCIM_CREATE_USER, ()):
        creates.setdefault(a.target.idp_id, []).append(a.id)
    owners = {a.after.new_owner_id for kind in OWNER_KINDS.intersection(of_kind) for a in of_kind[kind]}
    teams = {a.target.team_id for kind in TEAM_TARGET_KINDS.intersection(of_kind) for a in of_kind[kind]}
    return ActedOn(members, creates, frozenset(owners - {None}), frozenset(teams - {None}), of_kind)


def fingerprints(directory: Directory, actions: list[Action], acted: ActedOn | None = None) -> Fingerprints:
    """The :class:`~planner.model.Fingerprints` of every Sigma object touched (``acted``: the
    :func:`acted_on` index of ``actions``, when the caller has it).

    Members: targets of actions and every ``newOwnerId``; state = ``memberId,
    email, memberType, userKind, isArchived, isInactive`` as exported. Teams:
    linked teams and teams losing members; state = ``teamId, name,
    isArchived, memberIds`` (sorted). ``sha256`` is over the canonical JSON of
    ``state`` (sorted keys, no spaces, UTF-8).
    """
    acted = acted or acted_on(actions)
    out = Fingerprints()
    members = directory.members
    for mid in sorted(acted.owners.union(acted.members).intersection(members)):
        m = members[mid]
        out[f"member:{mid}"] = fingerprint_of(MemberState(m.member_id, m.email, m.member_type, m.user_kind,
                                                          bool(m.is_archived), bool(m.is_inactive)))
    for tid in sorted(acted.teams):
        team = directory.teams.get(tid)
        if team is None:
            continue
        team_members = directory.team_members.get(tid, ())
        out[f"team:{tid}"] = fingerprint_of(TeamState(tid, team.name, bool(team.is_archived),
                                                      tuple(sorted(t.member_id for t in team_members))))
    return out


# --------------------------------------------------------------------------- people


def person_rows(
    policy: Policy, directory: Directory,
    people: tuple[Person, ...],
    types: list[account_types.TypeDecision],
    decisions: list[unmatched.UnmatchedDecision],
    actions: list[Action],
    review_items: list[ReviewItem],
    acted: ActedOn | None = None,
) -> list[PersonRow]:
    """One :class:`~planner.model.PersonRow` per person (:class:`~planner.directory.Person`), sorted by
    email (then ids); ``acted``: the :func:`acted_on` index of ``actions``, when the caller has it.

    ``account_type_after`` is ``None`` for members who end deactivated (an action of
    :data:`planner.outcomes.LEAVING_KINDS` targets them: ``members.deactivate``, ``members.disable_guest``,
    ``scim.deactivate_user``), or stay so;
    ``account_type_source`` is the typed people's :attr:`~planner.rules.account_types.TypeDecision.sent_by`
    (``None`` for the others and for those who end deactivated).
    ``lockout``, ``type_change`` and ``admin_change`` are decided here, by
    :func:`planner.outcomes.lockout` (``held``: a blocking review item names them), :func:`~planner.outcomes.type_change` and
    :func:`~planner.outcomes.admin_change` over the row and the kinds of its actions; ``scim_managed`` by
    :func:`planner.outcomes.scim_managed` over the members :func:`planner.rules.scim_state.kept_absent` names.
    """
    acted = acted or acted_on(actions)
    acts_m, acts_i = acted.members, acted.creates
    admin_types = frozenset(t.casefold() for t in policy.guards.admin_account_types)
    lockout_of, type_change_of, admin_change_of = outcomes.lockout, outcomes.type_change, outcomes.admin_change
    managed_of = outcomes.scim_managed
    kept_absent = scim_state.kept_absent(directory.scim, policy.linking.scim_state_conflicts, directory.idp_users)
    rev_m, rev_i = review_index(review_items)
    blocking = frozenset(r.id for r in review_items if r.blocking)

    after_type = {d.person: d.after for d in types}
    sent_by = {d.person: d.sent_by for d in types}
    account_type, sent, active_idp = directory.member_account_types, directory.scim_user_names, directory.active_idp_ids

    rows = []
    keys = []
    empty: tuple[str, ...] = ()
    no_kinds: frozenset[ActionKind] = frozenset()
    reactivate = PersonStatus.REACTIVATE
    leaving = frozenset(outcomes.LEAVING_KINDS)  # the member ends deactivated: no account type after
    for p in people:
        member, user, user_name = p.member, p.idp_user, p.user_name
        found = None
        if member is not None:
            mid, email = member.member_id, member.email
            member_type, user_kind = member.member_type or "", member.user_kind or "internal"
            archived, inactive = bool(member.is_archived), bool(member.is_inactive)
            name = f"{member.first_name or ''} {member.last_name or ''}".strip()
            sigma_status = "archived" if archived else "inactive" if inactive else "active"
            before = account_type[mid]
            acts = acts_m.get(mid)
            if acts is None:
                kinds, action_ids = no_kinds, empty
            elif len(acts) == 1:  # the usual case: one link
                kinds, action_ids = (acts[0].kind,), (acts[0].id,)
            else:
                kinds, action_ids = {a.kind for a in acts}, tuple(a.id for a in acts)
            if (archived or inactive or not leaving.isdisjoint(kinds)) and p.status is not reactivate:
                after = None
            else:
                after = after_type.get(p.person, before)
            found = rev_m.get(mid)
        else:
            mid = before = member_type = user_kind = sigma_status = None
            if user is not None:
                name = user.display_name or " ".join(x for x in (user.given_name, user.family_name) if x)
                primary = user.primary_email
                email = (primary.value if primary is not None else "") or user_name
            else:
                name, email = "", user_name
            after = after_type.get(p.person)
            action_ids = tuple(acts_i.get(user.id if user is not None else None, empty))
            kinds = _CREATING if action_ids else no_kinds
        if user is not None:
            iid = user.id
            more = rev_i.get(iid)
            if more:
                found = (found | more) if found else more
            scim_user_name = sent[iid]
            idp_state = user.status or ("active" if iid in active_idp else "inactive")
        else:
            iid = scim_user_name = idp_state = None
        link_key = p.link.link_key if p.link is not None else None
        managed = managed_of(kinds, member_id=mid, idp_id=iid, user_kind=user_kind, sigma_status=sigma_status,
                             kept_by_scim_state=mid in kept_absent) if kept_absent else None
        locked = lockout_of(kinds, member_id=mid, idp_id=iid, user_kind=user_kind,
                            sigma_status=sigma_status, in_review=bool(found), managed=managed,
                            held=bool(found) and not blocking.isdisjoint(found),
                            invitation_pending=user is not None and user.invitation_pending)
        rows.append(
            PersonRow(
                mid, email, name, member_type, user_kind, sigma_status, iid, scim_user_name, idp_state,
                link_key, before, after,
                tuple(sorted(action_ids)) if len(action_ids) > 1 else action_ids,
                tuple(sorted(found)) if found else empty,
                locked,
                type_change_of(before, after, _type_change_of(acts_m.get(mid)) if mid and before != after else None,
                               locked),
                admin_change_of(before, after, sigma_status, locked, admin_types),
                sent_by.get(p.person) if after is not None or member is None else None,
                managed,
            )
        )
        # sorted by (email case-folded, memberId, IdP id): one string compares like that tuple
        keys.append(f"{(email or '').casefold()}\0{mid or ''}\0{iid or ''}")
    return [rows[k] for k in sorted(range(len(rows)), key=keys.__getitem__)]


_CREATING = frozenset({ActionKind.SCIM_CREATE_USER})
"""The kinds of a person the plan creates."""


def _type_change_of(actions: list[Action] | None) -> str | None:
    """The ``evidence.change`` of the ``scim.set_account_type`` among a member's ``actions`` (``None``: none)."""
    for a in actions or ():
        if isinstance(a, ScimSetAccountType):
            return a.evidence.change or None
    return None


def review_index(review_items: Iterable[ReviewItem]) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """``(by memberId, by IdP id)``: the ids of the review items that name each person, as subject or
    candidate (an :class:`ItemRef`'s ``member_id`` / ``member_ids``, ``idp_id`` / ``idp_ids``)."""
    by_member: dict[str, set[str]] = {}
    by_idp: dict[str, set[str]] = {}
    for r in review_items:
        rid = r.id
        for ref in (r.subject, *r.candidates):
            if ref.member_id:
                by_member.setdefault(ref.member_id, set()).add(rid)
            if ref.idp_id:
                by_idp.setdefault(ref.idp_id, set()).add(rid)
            for mid in ref.member_ids or ():
                by_member.setdefault(mid, set()).add(rid)
            for iid in ref.idp_ids or ():
                by_idp.setdefault(iid, set()).add(rid)
    return by_member, by_idp


# --------------------------------------------------------------------------- summary


def build_summary(directory: Directory, decided: Decisions, actions: list[Action],
                  review_items: list[ReviewItem], people: Iterable[PersonRow],
                  acted: ActedOn | None = None, checks: Sequence[PreflightCheck] = ()) -> PlanSummary:
    """Counts per action kind, seats per account type before/after, people by roster status, the
    headline figures of the person rows' outcomes (``people``: :func:`person_rows`;
    :func:`planner.outcomes.outcome_counts`), teams, review counts, guard results and the one-line
    text; ``acted``: the :func:`acted_on` index of ``actions``, when the caller has it; ``checks``: the plan's
    pre-flight checks, whose blockers the text counts (:func:`planner.model.preflight_blockers`, walk21)."""
    acted = acted or acted_on(actions)
    of_kind = acted.of_kind
    kinds = {kind.value: len(found) for kind, found in of_kind.items()}
    per_kind = {k: kinds.get(k, 0) for k in SUMMARY_KINDS}
    type_actions = of_kind.get(ActionKind.SCIM_SET_ACCOUNT_TYPE, ())
    changes = Counter(a.evidence.change for a in type_actions)
    gone = {a.target.member_id for kind in outcomes.LEAVING_KINDS for a in of_kind.get(kind, ())}
    seats = seats_of(people, gone, frozenset(r.id for r in review_items if r.blocking))

    status = {s.value: n for s, n in Counter(map(attrgetter("status"), decided.people)).items()}
    kept = sum(d.decision == "keep" for d in decided.unmatched)
    team_rows = decided.team_rows
    additions = sum(r.members_added for r in team_rows)
    account_types = outcomes.account_type_counts(per_kind[ActionKind.SCIM_SET_ACCOUNT_TYPE.value], changes,
                                                  type_actions)
    reviews = ReviewCounts(
        total=len(review_items),
        blocking=sum(r.blocking for r in review_items),
        by_code=dict(sorted(Counter(r.code for r in review_items).items())),
    )
    return PlanSummary(
        actions=per_kind,
        total_actions=len(actions),
        changes=bool(actions),
        guards=list(decided.guards),
        text=summary_text(per_kind, account_types, reviews,
                          scim_reactivations(of_kind.get(ActionKind.SCIM_LINK_USER, ())), additions,
                          len(preflight_blockers(checks, [g for g in decided.guards if not g.ok]))),
        outcomes=outcomes.outcome_counts(people),
        account_types=account_types,
        seats=seats,
        normalized_member_types=_normalized(directory),
        people={k: status.get(k, 0) for k in sorted(status)} | {"unmatched_kept": kept},
        teams=TeamCounts(
            linked=sum(r.mode == "link" for r in team_rows),
            created=sum(r.mode == "create" for r in team_rows),
            unmanaged=sum(r.mode == "unmanaged" and not r.is_archived for r in team_rows),
            member_additions=additions,
            member_removals=per_kind[ActionKind.TEAMS_REMOVE_MEMBER.value],
        ),
        review_items=reviews,
    )


SIGMA_DEFAULT_TYPE = "(Sigma default)"
"""The seat of a person the plan creates or keeps with no account type named: Sigma's default type."""


def planned_seat(row: PersonRow, leaving: bool) -> str | None:
    """The account type ``row``'s person holds once the plan is applied, ``None`` for no seat: a member the plan
    deactivates (``leaving``: an action of :data:`planner.outcomes.LEAVING_KINDS` targets them; a SCIM deactivation
    frees the seat too, tester8 finding 9) or who stays archived or inactive (a reactivated one holds their row's
    ``account_type_after``), an IdP user the plan does not create; else the row's ``account_type_after`` (a created
    user with none: :data:`SIGMA_DEFAULT_TYPE`)."""
    if row.member_id is None:
        return (row.account_type_after or SIGMA_DEFAULT_TYPE) if row.actions else None
    if leaving:
        return None
    if row.sigma_status != "active":
        return row.account_type_after
    return row.account_type_after or row.account_type_before or SIGMA_DEFAULT_TYPE


def seats_of(people: Iterable[PersonRow], gone: Collection[str], blocking: frozenset[str]) -> dict[str, SeatCount]:
    """The summary's ``seats`` (:func:`planner.outcomes.seat_counts`), counted once from the person rows (the one
    place each person's account type after the plan is decided; ``show``, the report and ``diff`` print these figures as they are):
    ``before``, the active members by their account type; ``after``, what the plan makes true
    (:func:`planned_seat`; ``gone``: the memberIds a deactivation of the plan targets), except for a person a blocking review item
    names (a row's ``review_items`` among ``blocking``, the ids of the blocking items) whose seat the plan would
    change: nothing is applied while the item is open, so they stay at their current seat in ``after`` and count in
    ``pending`` under it, or, holding no seat now (a create, a reactivation), under the type the plan would give
    them (tester12 #3: ``after`` counted a downgrade a blocking ``account_types.admin_downgrade`` questions as
    made). Archived and inactive members hold no seat."""
    before: Counter[str] = Counter()
    after: Counter[str] = Counter()
    pending: Counter[str] = Counter()
    for row in people:
        now = (row.account_type_before or SIGMA_DEFAULT_TYPE) if row.member_id and row.sigma_status == "active" \
            else None
        seat = planned_seat(row, row.member_id in gone)
        if now is not None:
            before[now] += 1
        if seat != now and not blocking.isdisjoint(row.review_items):
            pending[now or seat] += 1
            seat = now
        if seat is not None:
            after[seat] += 1
    return outcomes.seat_counts(before, after, pending)


def build_outcomes(policy: Policy, directory: Directory, guard_results, actions: list[Action],
                   people: list[PersonRow]) -> Outcomes:
    """The plan's :class:`~planner.model.Outcomes`: the status of the people the guards protect
    (``organization.scim_setup_admin``, ``organization.api_credential_owner``:
    :func:`planner.outcomes.owner_status` from their person row and their guard's result) and
    the document transfers (:func:`planner.outcomes.document_transfers`)."""
    guard = {g.name: g for g in guard_results}
    roles = ("scim_setup_admin", "api_credential_owner")
    refs = [getattr(policy.organization, role) for role in roles]
    owner_ids = [directory.protected_member_id(ref) for ref in refs]
    row_of = {p.member_id: p for p in people if p.member_id in owner_ids and p.member_id}
    owners = []
    for role, ref, mid in zip(roles, refs, owner_ids):
        result = guard.get(role)
        owners.append(outcomes.owner_status(role, ref, row_of.get(mid) if mid else None,
                                            result is not None and result.ok, result.detail if result else ""))
    leaving = [a for a in actions if a.kind in outcomes.LEAVING_KINDS]
    # the emails of the people a document transfer names (a member's row shows the member's email)
    named = {a.target.member_id for a in leaving} | {new_owner_id(a) for a in leaving}
    members = directory.members
    email_of = {mid: members[mid].email for mid in named if mid in members and members[mid].email}
    return Outcomes(tuple(owners), outcomes.document_transfers(leaving, email_of, owners[0]))


def _normalized(directory: Directory) -> list[NormalizedMemberType]:
    """memberType spellings that differ from the org's accountTypeName (normalized on the before side)."""
    account_type = directory.member_account_types
    counts = Counter((m.member_type or "", account_type[mid]) for mid, m in directory.members.items()
                     if (m.member_type or "") != account_type[mid])
    return [NormalizedMemberType(member_type=a, account_type=b, members=n) for (a, b), n in sorted(counts.items())]


def _n(count: int, singular: str, plural: str) -> str:
    """``"1 reactivation"`` / ``"2 reactivations"``: the count with the noun that agrees with it."""
    return f"{count} {singular if count == 1 else plural}"


def scim_reactivations(actions: list[Action]) -> int:
    """The ``scim.link_user`` actions that reactivate a user Sigma's SCIM state has inactive
    (``before.active: false``, :mod:`planner.rules.scim_state`): reactivations without a ``members.reactivate``."""
    return sum(1 for a in actions if isinstance(a, ScimLinkUser) and a.before.active is False)


def summary_text(k: dict[str, int], at: AccountTypeCounts, r: ReviewCounts, through_scim: int = 0,
                 additions: int = 0, preflight_unmet: int = 0) -> str:
    """``"Plan: 112 link, 9 create, 14 account-type changes (3 downgrades), 6 guests disabled, 11
    deactivations, 4 teams linked, 2 created, 40 member additions, 17 member removals; 5 review items (3 blocking)"``
    (nouns agree with their counts: ``1 reactivation``, ``1 guest converted``; custom-type
    replacements follow the downgrades when there are any: ``(3 downgrades, 2 custom-type replacements)``),
    from the summary's counts: ``k`` per action kind, ``at`` of account types, ``r`` of review items,
    ``through_scim`` the reactivations a link makes (:func:`scim_reactivations`), ``additions`` the team
    memberships the pushes add (``summary.teams.member_additions``: the team rows' ``members_added``; tester20
    finding 2: a team grew 5 -> 153 while the line counted only removals). Deactivations count both
    ways a member is deactivated: ``members.deactivate`` (REST, a pre-SCIM member) and
    ``scim.deactivate_user`` (a member SCIM manages), as ``show`` and the deactivation guard count them.
    ``preflight_unmet``: the pre-flight checks that stop approval besides the items, said after them
    (:func:`planner.outcomes.review_headline`: ``...; 13 review items (0 blocking); 1 blocking pre-flight check
    unmet``; was: "(0 blocking)" alone of a plan approve refuses, walk21)."""
    parts = [f"{k['scim.link_user']} link", f"{k['scim.create_user']} create"]
    if k["members.set_email"]:
        parts.append(_n(k["members.set_email"], "email change", "email changes"))
    reactivations = k["members.reactivate"] + through_scim
    if reactivations:
        parts.append(_n(reactivations, "reactivation", "reactivations"))
    replaced = (f", {_n(at.custom_replacements, 'custom-type replacement', 'custom-type replacements')}"
                if at.custom_replacements else "")
    parts.append(f"{_n(at.changes, 'account-type change', 'account-type changes')} "
                 f"({_n(at.downgrades, 'downgrade', 'downgrades')}{replaced})")
    parts.append(_n(k["members.disable_guest"], "guest disabled", "guests disabled"))
    if k["members.convert_guest"]:
        parts.append(_n(k["members.convert_guest"], "guest converted", "guests converted"))
    deactivations = k["members.deactivate"] + k["scim.deactivate_user"]
    parts.append(_n(deactivations, "deactivation", "deactivations"))
    parts.append(_n(k["scim.link_group"], "team linked", "teams linked"))
    parts.append(f"{k['scim.create_group']} created")
    parts.append(_n(additions, "member addition", "member additions"))
    parts.append(_n(k["teams.remove_member"], "member removal", "member removals"))
    return f"Plan: {', '.join(parts)}; {outcomes.review_headline(r.total, r.blocking, preflight_unmet)}"


def plan_from_paths(
    sigma_dir: str, idp_paths: Iterable[str], policy_path: str | None, idp_format: str | None = None,
    applied: Iterable[str] = (),
) -> tuple[Plan, Snapshot]:
    """Load the exports and the policy (the bundled default when ``policy_path`` is ``None``), plan.
    ``applied``: plans applied before (``plan --applied``), whose journals say which SCIM values their
    runs wrote (:func:`planner.applied.applied_runs`, which raises for a plan without its journal).

    The I/O edge of :func:`build_plan`, for the CLI and the demo (it freezes the objects made
    so far out of the cyclic garbage collector's reach; see the code). A snapshot with an error finding is
    refused (:func:`check_snapshot`: one line naming the first finding and pointing to
    ``sigma-migrate check``), so ``plan`` writes nothing for it. Raises the loaders'
    :class:`~planner.errors.UserError` subclasses, :class:`~planner.policy.PolicyError`
    and :class:`PlanError`.
    """
    from .policy_reader import load_policy
    from .resources import data_dir
    from .sources import load_snapshot

    policy = load_policy(policy_path or (data_dir("policies") / "default.yaml"))
    applied = tuple(applied)
    runs = None
    if applied:
        from .applied import RunClosing, applied_runs

        runs = applied_runs(applied, RunClosing.of(policy))
    # The cyclic GC stays off from loading to the finished plan, and then what they made is
    # frozen: the collections while the plan file and report are written would otherwise walk
    # all of it again (planner.gc_pause).
    with gc_paused(freeze=True):
        snapshot = load_snapshot(sigma_dir, list(idp_paths), idp_format)
        if runs is not None:
            snapshot = dataclasses.replace(snapshot, applied=runs)
        plan = build_plan(snapshot, policy)  # refuses loader errors first, before anything is planned or written
    return plan, snapshot
