"""Sigma's SCIM state: what an IdP already provisioned, so a re-plan proposes only the remainder.

``sigma-migrate fetch`` with a SCIM token writes ``scim/Users.json`` and ``scim/Groups.json``
(:mod:`planner.sources.sigma` reads them into :class:`~planner.model.ScimUser` /
:class:`~planner.model.ScimGroup`). Sigma's SCIM lists pre-SCIM members and teams too; only a
resource with an ``externalId`` was provisioned by an IdP (RFC 7643 §3.1: the provisioning client
sets it; docs/sandbox.md). Three steps use that state:

- :func:`scim_links`: a provisioned user whose SCIM id is a memberId (Sigma's SCIM id is the
  memberId; after a userName change, the new member with its userName, which took over the SCIM
  id: :func:`planner.directory.scim_user_members`, the member left behind being
  :mod:`planner.rules.unmatched`'s blocking ``scim.second_account``) is linked to the IdP user
  its ``externalId`` names (else the one whose SCIM userName
  is its ``userName``): key ``scim``, taken like an override, before every match key. A
  ``linking.overrides`` entry that says otherwise is a blocking ``linking.override_contradicts_scim``
  item (Sigma's state is what it is; the policy must follow it).
- :func:`hold_second_teams`: a team's group link or create whose ``externalId`` (the IdP group's id) a SCIM group
  other than that team holds, or two SCIM groups hold, is held with whatever waits on it: one IdP group would have
  two teams (Sigma keys a ``POST /Groups`` on its displayName alone; tester16b finding 2), the blocking
  ``scim.shared_group_external_id``.
- :func:`settle`: after every family decided, the actions the SCIM state already satisfies are
  dropped (a user provisioned with the planned userName, activity and account type; a team whose
  group is linked with the planned name and members), and no SCIM-managed member is offered an
  action Sigma forbids: REST edits of a SCIM-managed member are refused with 403 (docs/sigma-api.md
  §5.3 "not editable in Sigma", §10.6; the sandbox's rule). A deactivation becomes
  ``scim.deactivate_user`` (``PATCH /Users/{id} active=false``; its documents go to the provisioning
  admin, not to the REST action's ``newOwnerId``: :func:`scim_documents_note`); a reactivation of a member the IdP
  made inactive is left to the link, which sends ``active: true``; every other REST edit (email,
  guest, archived reactivation) is a blocking ``scim.managed_member`` item: it must be made in the IdP.
  A member SCIM lists without ``externalId`` that its dates and ``preflight.previous_scim`` do not show to be a
  pre-SCIM member (:attr:`planner.directory.ScimState.without_external_id`,
  :func:`planner.directory.listed_pre_scim`: an IdP that sends none, or made by hand) is never
  deactivated through REST on the export's absence: the same ``scim.state_conflict`` (unless an
  ``unmatched.decisions`` entry says deactivate: made by hand). A ``linking.scim_state_conflicts`` entry naming
  such a member by userName takes them as provisioned whatever ``preflight.previous_scim`` says
  (:func:`planner.directory.taken_as_provisioned`, tester12 #10).
  A removal from a SCIM-managed team stays as the teams family decided it (by the group's push, or
  through REST for a membership the push does not see, §5.4), but a removal of a member SCIM added
  after an older IdP export, or of one whose deactivation a blocking ``scim.state_conflict`` holds, is held:
  informational ``scim.held_member`` (:func:`held_in_teams`). A provisioned user whose userName the
  IdP would change is a blocking ``scim.user_name_changed`` item (a new userName creates a second
  account, §5.3).
"""

from __future__ import annotations

import re
from datetime import timedelta
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from dataclasses import replace as replace_record

from msgspec.structs import replace

from ..model import (
    SCIM_LINK_KEY, Action, ActionKind, AppliedPush, IdpUser, ItemEvidence, ItemRef, ReviewItem, ScimGroup, ScimUser,
    email_key,
)
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
    StateConflictSettled,
    TeamsRemoveMember,
    target_member_id,
)
from ..policy import Policy
from . import Outcome, make_action, make_review, outside_policy, person_ref, yaml_snippet
from .guests import DocumentOwner
from .policy_entries import ConflictEntry, EntryUse
from .unmatched import PROVISIONING_ADMIN, documents_note
from ..directory import (
    Directory, Group, Link, LinkedPair, Person, PersonStatus, ScimState, made_since, previous_scim_for,
    taken_as_provisioned, time_between,
)
from ..sources.export_dates import newest_record
from ..dependencies import with_dependents
from ..sources.values import change_time, date_doubt, is_team_group

SCIM_KEY = SCIM_LINK_KEY
"""The link key (and :attr:`planner.model.PersonRow.link_key`) of a member an IdP already provisioned."""

REST_MEMBER_KINDS = (
    ActionKind.MEMBERS_DEACTIVATE, ActionKind.MEMBERS_DISABLE_GUEST, ActionKind.MEMBERS_CONVERT_GUEST,
    ActionKind.MEMBERS_SET_EMAIL, ActionKind.MEMBERS_REACTIVATE,
)


# --------------------------------------------------------------------------- whether the state is needed


def scim_on(policy_path: str, previous_scim: str, scim_base_url: str | None) -> str | None:
    """Why the policy says SCIM is on in the organization, so an export needs Sigma's SCIM state,
    or ``None``: ``preflight.previous_scim`` is ``same_setup`` (a re-plan after apply), else
    ``targets.scim_base_url`` is set (apply provisions through it, so the SCIM token exists).

    Only the policy can say it: nothing in a REST export marks an active member as SCIM-managed, nor a
    team as made by SCIM (docs/sigma-api.md §2.2, §3.2; ``isInactive`` shows only that SCIM was set up
    once, a setup Sigma support removed included: the ``previous_scim`` pre-flight check reads it). Read
    by ``fetch`` (:class:`planner.fetch.ScimStateRule`: refused without ``SIGMA_SCIM_TOKEN``) and
    ``plan`` (:func:`planner.rules.inputs.scim_state_missing_item`: the plan is held). ``policy_path``
    names the policy in the reason."""
    if previous_scim == "same_setup":
        return f"{policy_path}: preflight.previous_scim is same_setup (a re-plan after apply)"
    if scim_base_url:
        return f"{policy_path}: targets.scim_base_url is set (SCIM is on: apply provisions through it)"
    return None


# --------------------------------------------------------------------------- links


@dataclass(frozen=True)
class ScimLinks:
    """What Sigma's SCIM state links (:func:`scim_links`): ``pairs``, the links (key ``scim``);
    ``held_idp_users`` / ``held_members``: the IdP users and members a ``scim.reused_address`` question
    holds (linked to nothing, created nowhere, no decision on the member) until the policy answers it,
    and the IdP users ``new_person`` holds for good; ``review_items``: those questions and answers;
    ``returning``: the members ``same_person`` links."""

    pairs: tuple[LinkedPair, ...] = ()
    held_idp_users: frozenset[str] = frozenset()
    held_members: frozenset[str] = frozenset()
    review_items: tuple[ReviewItem, ...] = ()
    returning: frozenset[str] = frozenset()
    """Members whose question ``same_person`` answered (:func:`settle` reads their return)."""
    questioned: frozenset[str] = frozenset()
    """The IdP users a ``scim.reused_address`` question was asked of, answered or not
    (:func:`reused_address_uses` reads them)."""


def scim_links(directory: Directory, reused_addresses: Mapping[str, str] | None = None) -> ScimLinks:
    """The links (key ``scim``, by memberId) of the members an IdP already provisioned
    (:attr:`planner.directory.Directory.scim`).

    The IdP user is the one the SCIM user's ``externalId`` names, else the only one whose SCIM
    userName (:attr:`~planner.directory.Directory.scim_user_names`) is the SCIM ``userName``; a
    provisioned user neither finds is not linked (the member is then unmatched, and :func:`settle`
    deactivates it through SCIM if the policy deactivates it). A link by the userName alone whose
    address may have passed to another person (:func:`reused_address`: tester8 finding 17) is the
    :func:`reused_address_item` question, answered by ``reused_addresses`` (``linking.reused_addresses``:
    IdP id -> ``same_person`` | ``new_person``, keys resolved to IdP ids by the caller): ``same_person``
    keeps the link, ``new_person`` holds the IdP user, no answer holds both sides.
    One IdP identity with two or more members (:func:`shared_identities`) links none of them: the blocking
    :func:`shared_identity_item` holds the IdP user and every such member.
    """
    answers = reused_addresses or {}
    pairs: list[LinkedPair] = []
    held_idp: set[str] = set()
    held_members: set[str] = set()
    returning: set[str] = set()
    questioned: set[str] = set()
    items: list[ReviewItem] = []
    found = {m: scim_link(m, directory.scim.users[m], directory) for m in sorted(directory.scim.users)
             if m in directory.members}
    for identity, member_ids in shared_identities(found, directory.scim).items():
        items.append(shared_identity_item(identity, member_ids, directory))
        held_members.update(member_ids)
        held_idp.update(p.idp_id for m in member_ids if (p := found.get(m)) is not None)
        found.update(dict.fromkeys(member_ids))  # linked to nothing: held
    for member_id, pair in found.items():
        if pair is None:
            continue
        user = directory.scim.users[member_id]
        doubt = reused_address(user, directory.idp_users[pair.idp_id]) if pair.link.idp_field == "userName" else None
        if doubt is None:
            pairs.append(pair)
            continue
        answer = answers.get(pair.idp_id)
        questioned.add(pair.idp_id)
        items.append(reused_address_item(member_id, user, directory.idp_users[pair.idp_id], doubt, directory, answer))
        if answer == "same_person":
            pairs.append(pair)
            returning.add(member_id)
            continue
        held_idp.add(pair.idp_id)
        if answer is None:
            held_members.add(member_id)
    return ScimLinks(tuple(pairs), frozenset(held_idp), frozenset(held_members), tuple(items),
                     frozenset(returning), frozenset(questioned))


def shared_identities(links: Mapping[str, LinkedPair | None], state: ScimState) -> dict[str, tuple[str, ...]]:
    """IdP identity -> the members (two or more, in memberId order) that are its Sigma accounts, in identity order:
    the members Sigma's SCIM state links to one IdP user (``links``: memberId -> its :func:`scim_link`, by
    ``externalId`` or ``userName``), and the members whose provisioned users hold one ``externalId``
    (:attr:`~planner.directory.ScimState.shared_external_ids`; an IdP user the export lacks included). ``{}``
    when each identity has one account (tester14b finding 7: a create keyed on a userName made a second account
    for an IdP user the IdP had provisioned under another userName)."""
    found: dict[str, set[str]] = {}
    for member_id, pair in links.items():
        if pair is not None:
            found.setdefault(pair.idp_id, set()).add(member_id)
    for external_id, member_ids in state.shared_external_ids.items():
        found.setdefault(external_id, set()).update(member_ids)
    return {k: tuple(sorted(v)) for k, v in sorted(found.items()) if len(v) > 1}


def shared_identity_item(identity: str, member_ids: tuple[str, ...], directory: Directory) -> ReviewItem:
    """Blocking ``scim.shared_external_id``: Sigma's SCIM state gives one IdP identity (``identity``: an IdP id or
    an ``externalId``) the members ``member_ids``, naming each member with its SCIM user (id, ``userName``,
    ``externalId``, activity) and the IdP user. One person holding two accounts (two seats, documents split
    between them); a link, create or deactivation of either would act on one account as if it were the person's
    only one, so the person and every member are held (:func:`scim_links`) until one account is left."""
    idp = directory.idp_users.get(identity)
    users = {m: directory.scim.users[m] for m in member_ids}
    idp_key = directory.scim_user_name_keys[identity] if idp is not None else None
    accounts = "; ".join(
        f"member {m} ({directory.members[m].email}): SCIM user {u.id}, userName {u.user_name}"
        + (" (the IdP's)" if u.user_name_key == idp_key else "")
        + f", externalId {u.external_id}, {'inactive' if u.active is False else 'active'}" for m, u in users.items())
    who = (f"IdP user {identity} ({directory.scim_user_names[identity]})" if idp is not None
           else f"IdP identity {identity} (externalId; no IdP user of the export has that id)")
    return make_review(
        "scim.shared_external_id", identity, blocking=True,
        subject=person_ref(idp_id=identity if idp is not None else None,
                           user_name=directory.scim_user_names[identity] if idp is not None else None,
                           member_ids=list(member_ids)),
        candidates=[person_ref(member_id=m, email=directory.members[m].email, user_name=u.user_name, scim_id=u.id)
                    for m, u in users.items()],
        message=(f"{who} has {len(member_ids)} Sigma accounts: {accounts}. One person, {len(member_ids)} seats: "
                 "the plan links, creates and deactivates none of them until one account is left"),
        rule="scim_state.shared_external_id",
        evidence=ItemEvidence(external_id=", ".join(sorted({str(u.external_id) for u in users.values()})),
                              idp_id=identity if idp is not None else UNSET),
        resolution=outside_policy(
            "keep the account the IdP manages (its userName is the IdP's) and deactivate the other in Sigma "
            "(SCIM PATCH /Users/{id} active=false, or Administration > People), moving its documents; then fetch "
            "and plan again"),
    )


def second_teams(state: ScimState, actions: Iterable[Action]
                 ) -> list[tuple[ScimLinkGroup | ScimCreateGroup, tuple[ScimGroup, ...]]]:
    """The ``scim.create_group`` / ``scim.link_group`` of ``actions`` whose ``externalId`` (the IdP group's id,
    ``target.groupId``) a provisioned SCIM group other than the action's team holds
    (:attr:`~planner.directory.ScimState.groups_by_external_id`, teams of the export or not;
    :func:`~planner.sources.values.is_team_group`), each with every group holding it, in action order. Sigma keys
    a ``POST /Groups`` on its ``displayName`` alone, so the action would give that IdP group a second team; and
    two groups holding it already (a link applied after the IdP pushed the group under another displayName) leave
    which team is the group's a guess (tester16b finding 2). The same rule as apply's
    (:func:`planner.execute.external_ids.other_accounts`)."""
    found = []
    for a in actions:
        if isinstance(a, (ScimLinkGroup, ScimCreateGroup)):
            held = state.groups_by_external_id.get(a.target.group_id, ())
            t = a.target
            if any(not is_team_group(g.id, g.display_name, (t.team_id, t.scim_id or None), t.name) for g in held):
                found.append((a, held))
    return found


def second_team_item(action: ScimLinkGroup | ScimCreateGroup, held: tuple[ScimGroup, ...]) -> ReviewItem:
    """Blocking ``scim.shared_group_external_id``: Sigma's SCIM state gives IdP group ``action.target.groupId`` the
    groups ``held`` (:func:`second_teams`), one of them not the team ``action`` links or creates. Names each group
    (SCIM id, ``displayName``), the action and how many teams the IdP group would have; the group's actions are
    held (:func:`hold_second_teams`) until one team is left."""
    t = action.target
    own = (t.team_id, t.scim_id or None)
    teams = len(held) + (0 if any(is_team_group(g.id, g.display_name, own, t.name) for g in held) else 1)
    groups = "; ".join(f"SCIM group {g.id} (displayName {g.display_name!r})" for g in held)
    return make_review(
        "scim.shared_group_external_id", t.group_id, blocking=True,
        subject=ItemRef(team_id=t.team_id, name=t.name, group_id=t.group_id, group_display_name=t.group_display_name),
        candidates=[ItemRef(team_id=g.id, name=g.display_name, scim_id=g.id) for g in held],
        message=(f"IdP group {t.group_id} ({t.group_display_name!r}) is held in Sigma's SCIM state by {groups}, "
                 f"and the plan's {action.kind.value} of team {t.name!r} sends that externalId too: Sigma keys a "
                 f"POST /Groups on its displayName alone. One IdP group, {teams} teams: the plan links, creates and "
                 "pushes none of them for it, and removes no member through it, until one team is left"),
        rule="scim_state.shared_group_external_id",
        evidence=ItemEvidence(external_id=t.group_id, action=action.id),
        resolution=outside_policy(
            "keep the team the IdP group is to manage; take the other out of the group's push (in the IdP app: "
            "unassign the group or push it under the kept team's name) and delete or archive that team in Sigma "
            "(SCIM DELETE /Groups/{id}, or Administration > Teams); then fetch and plan again"),
    )


def hold_second_teams(state: ScimState, actions: list[Action]) -> tuple[list[Action], list[ReviewItem]]:
    """``actions`` without each group link or create :func:`second_teams` finds and every action waiting on it
    (the group's ``scim.set_group_members``, the removals its push makes or follows), and one
    :func:`second_team_item` each, sorted by id. Unchanged (and no item) when there is none."""
    found = second_teams(state, actions)
    if not found:
        return actions, []
    dropped = with_dependents(actions, (a.id for a, _ in found))
    return ([a for a in actions if a.id not in dropped],
            sorted((second_team_item(a, held) for a, held in found), key=lambda r: r.id))


def reused_address_uses(policy: Policy, directory: Directory, links: ScimLinks,
                        linked_since: Collection[str] = frozenset()) -> list[EntryUse]:
    """What each ``linking.reused_addresses`` entry naming an IdP user of the export settled
    (:mod:`.policy_entries`): the ``scim.reused_address`` question of that user (:attr:`ScimLinks.questioned`,
    :func:`scim_links`), else nothing: Sigma's SCIM state links the user by ``externalId`` (the link a
    ``same_person`` answer sent: a wave applied before settled it), or no member SCIM provisioned holds their
    address in doubt. An entry naming nobody is :mod:`.policy_refs`'. ``same_person`` for an IdP user the IdP's own push
    linked since the applied plan saw the member (``linked_since``: :func:`planner.rules.since_applied.linked_since`)
    accepts that link (``scim.linked_since``)."""
    if not policy.linking.reused_addresses:
        return []
    by_external_id = {p.idp_id: p.member_id for p in links.pairs if p.link.idp_field == "externalId"}
    uses = []
    for ref, answer in policy.linking.reused_addresses.items():
        idp_id = directory.find_idp_id(ref)
        if idp_id is None:
            continue
        if idp_id in links.questioned:
            uses.append(EntryUse("linking.reused_addresses", ref, f"{answer} for IdP user {idp_id}"))
        elif idp_id in linked_since and answer == "same_person":
            uses.append(EntryUse("linking.reused_addresses", ref, f"same_person for IdP user {idp_id}: the link "
                                 "the IdP's push made since (scim.linked_since)"))
        elif idp_id in by_external_id:
            uses.append(EntryUse("linking.reused_addresses", ref, "", f"Sigma's SCIM state links member "
                                 f"{by_external_id[idp_id]} to IdP user {idp_id} by its externalId: a wave applied "
                                 "before settled it"))
        else:
            uses.append(EntryUse("linking.reused_addresses", ref, "", f"no member SCIM provisioned for another "
                                 f"identity holds the address of IdP user {idp_id}"))
    return uses


_IDP_ID_FORMS = (
    re.compile(r"00u[0-9A-Za-z]{17}"),  # an Okta user id (Okta Users API: "00u" and 17 more)
    re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"),  # Entra object id
    re.compile(r"[0-9]{15,21}"),  # a Google Workspace user id (decimal digits)
)
"""The forms of the user ids of the IdPs the planner reads (docs/formats.md §2-§5): an ``externalId`` of
one of these forms names an identity of that IdP. Any other ``externalId`` (Entra's default mapping sends
``mailNickname``, a CSV's HR number) says nothing of the identity."""


def names_another_identity(external_id: str | None, idp_id: str) -> bool:
    """Whether ``external_id`` (a SCIM user's) is an id of the same form as IdP user id ``idp_id``
    (:data:`_IDP_ID_FORMS`) and not it: the provisioning client sent another identity of that IdP."""
    return bool(external_id) and external_id != idp_id and any(
        form.fullmatch(external_id) and form.fullmatch(idp_id) for form in _IDP_ID_FORMS)


def reused_address(user: ScimUser, idp: IdpUser) -> str | None:
    """Why the address of SCIM ``user`` may have passed to another person, ``idp`` (the IdP user whose
    SCIM userName is ``user``'s ``userName`` and whose id is not its ``externalId``), or ``None`` when
    nothing says so (tester8 finding 17: a leaver's member taken over by a new hire with the address).

    In doubt, each said (``; ``-joined): SCIM has the user inactive (``active: false``, an IdP deactivated
    it: a leaver's, whose return or replacement the address alone cannot tell); its ``externalId`` is
    another id of the IdP (:func:`names_another_identity`); SCIM made it (``meta.created``) before the
    IdP made ``idp`` (:attr:`~planner.model.IdpUser.created`): another identity provisioned it; or one of
    those two dates is there but unreadable (``created_unreadable``: a year-last date a spreadsheet wrote,
    ``6/12/2026 23:00``) while the other is known: which came first, which would decide, cannot be told, so
    the address alone links nobody (tester10 #12)."""
    doubts = []
    if user.active is False:
        doubts.append("SCIM has the member inactive (the IdP deactivated it)")
    if names_another_identity(user.external_id, idp.id):
        doubts.append(f"its externalId {user.external_id} is another IdP identity than {idp.id}")
    if user.created and idp.created and idp.created > user.created:
        doubts.append(f"SCIM provisioned it {user.created}, before the IdP made {idp.id} ({idp.created})")
    if user.created and idp.created_unreadable:
        doubts.append(f"when the IdP made {idp.id} {date_doubt(idp.created_unreadable)} ({idp.created_unreadable!r}), "
                      f"so whether SCIM provisioned it ({user.created}) before cannot be told")
    if idp.created and user.created_unreadable:
        doubts.append(f"when SCIM provisioned it {date_doubt(user.created_unreadable)} (meta.created "
                      f"{user.created_unreadable!r}), so whether before the IdP made {idp.id} ({idp.created}) cannot "
                      "be told")
    return "; ".join(doubts) or None


def reused_address_item(member_id: str, user: ScimUser, idp: IdpUser, doubt: str, directory: Directory,
                        answer: str | None) -> ReviewItem:
    """The ``scim.reused_address`` item of member ``member_id`` (SCIM ``user``) whose address IdP user
    ``idp`` now has, :func:`reused_address` saying ``doubt``: blocking while ``answer``
    (``linking.reused_addresses``) is ``None``, the question with both identities and their dates;
    informational once answered, saying what the answer does. ``new_person`` gets no account: Sigma keeps
    one member per address (docs/sigma-api.md §2.4) and SCIM links a ``userName`` to the member holding it
    (§5.3; the sandbox answers ``409 uniqueness`` for a provisioned one), so no create can give the new
    person their own member at that address while this one holds it."""
    member = directory.members[member_id]
    state = "inactive" if user.active is False else "active"
    made = idp.created or (f"at {idp.created_unreadable!r}, which {date_doubt(idp.created_unreadable)}"
                           if idp.created_unreadable else "the export does not say when")
    head = (f"{user.user_name}: member {member_id} holds it, provisioned by SCIM for IdP identity {user.external_id} "
            f"(externalId; SCIM made it {user.created or 'when not said'}, last changed "
            f"{user.last_modified or 'when not said'}) and {state}; IdP user {idp.id} (made {made}) now has the "
            f"address ({doubt})")
    if answer == "same_person":
        message = (f"{head}. linking.reused_addresses says the same person returns: the link gives them member "
                   f"{member_id}" + (", reactivated (scim.link_user sends active: true), with its documents, "
                                     "teams and history" if user.active is False else ", with its documents, teams "
                                     "and history"))
    elif answer == "new_person":
        message = (f"{head}. linking.reused_addresses says a new person reuses the address: they are linked to "
                   f"nothing and created nowhere, since Sigma keeps one member per address and SCIM gives "
                   f"{user.user_name} to member {member_id} (docs/sigma-api.md §2.4, §5.3); they get no Sigma "
                   f"account from this plan. To give them one, have the IdP send another userName for them "
                   f"(an address no member holds), export again and plan again")
    else:
        message = (f"{head}: the same person returning, or a new person reusing the address? The plan links "
                   f"neither on the address alone (a link would give {idp.id} the member's documents, teams and "
                   "history; a create would be linked to the member or refused, Sigma keeping one member per "
                   "address)")
    return make_review(
        "scim.reused_address", idp.id, blocking=answer is None,
        subject=person_ref(member_id=member_id, email=member.email, idp_id=idp.id, user_name=idp.user_name),
        message=message,
        rule="linking.reused_addresses",
        evidence=ItemEvidence(external_id=user.external_id, idp_id=idp.id, user_name=user.user_name,
                              scim_active=user.active, scim_created=user.created,
                              scim_last_modified=user.last_modified, idp_created=idp.created, problem=doubt,
                              **({"finding": answer} if answer else {})),
        resolution=yaml_snippet(
            {"linking": {"reused_addresses": {idp.id: "new_person"}}},
            {"linking": {"reused_addresses": {idp.id: "same_person"}}},
            notes=[f"a new person: hold {idp.id} (no Sigma account at this address); or the same person "
                   f"returning: link member {member_id}:"],
        ) if answer is None else "",
    )


def scim_link(member_id: str, user: ScimUser, directory: Directory) -> LinkedPair | None:
    """The link of member ``member_id`` provisioned as SCIM ``user`` (:func:`scim_links`), ``None``
    when no IdP user (or more than one, by userName) is it."""
    if user.external_id in directory.idp_users:
        idp_id, field_, value = user.external_id, "externalId", user.external_id
    else:
        found = directory.idp_ids_by_scim_user_name_key.get(user.user_name_key, ())
        if len(found) != 1:
            return None
        idp_id, field_, value = found[0], "userName", user.user_name
    return LinkedPair(member_id, idp_id, Link(SCIM_KEY, SCIM_KEY, directory.members[member_id].email, field_, value))


def merge_pins(overrides: tuple[LinkedPair, ...], provisioned: tuple[LinkedPair, ...]
               ) -> tuple[tuple[LinkedPair, ...], Outcome]:
    """The SCIM links, then the overrides that agree with them or touch other people (in order).

    An override pinning a provisioned member to another IdP user (or a provisioned IdP user to
    another member) is dropped with a blocking ``linking.override_contradicts_scim`` item; an
    override that repeats a SCIM link is satisfied and dropped silently.
    """
    outcome = Outcome()
    if not provisioned:
        return overrides, outcome
    by_member = {p.member_id: p.idp_id for p in provisioned}
    by_idp = {p.idp_id: p.member_id for p in provisioned}
    kept = []
    for pin in overrides:
        mid, iid = pin.member_id, pin.idp_id
        if by_member.get(mid) == iid:
            continue
        if mid in by_member or iid in by_idp:
            outcome.review_items.append(_contradicted_item(mid, iid, by_idp.get(iid, mid), by_member))
            continue
        kept.append(pin)
    return provisioned + tuple(kept), outcome


def _contradicted_item(mid: str, iid: str, linked_member: str, by_member: dict[str, str]) -> ReviewItem:
    """Blocking ``linking.override_contradicts_scim``: an override links IdP user ``iid`` to member
    ``mid`` against Sigma's SCIM state (``by_member``: memberId -> the IdP id SCIM links it to)."""
    return make_review(
        "linking.override_contradicts_scim", f"{mid}:{iid}", blocking=True,
        subject=person_ref(member_id=mid, idp_id=iid),
        message=(f"an override links IdP user {iid} to member {mid}, but Sigma's SCIM state already links "
                 f"member {linked_member} to IdP user {by_member.get(linked_member, iid)}: "
                 "remove the override or unlink the user in the IdP first"),
        rule="linking.overrides", resolution="# remove the override naming " + iid + "\n",
    )


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
        rule="scim_state.managed_member", evidence=ItemEvidence(action=action.id, external_id=user.external_id),
        resolution=outside_policy("make this change in the identity provider, then fetch and plan again"),
    )


def _deactivate_through_scim(action: MembersDeactivate, user: ScimUser, verdict: "Verdict",
                             admin: DocumentOwner) -> Action:
    """``scim.deactivate_user`` in place of REST ``action``: Sigma hands the member's documents to the
    provisioning admin ``admin`` (:func:`planner.rules.unmatched.provisioning_admin`, docs/sigma-api.md
    §5.3), not to the REST action's ``newOwnerId``; the reason and ``evidence.newOwnerEmail`` /
    ``documentOwnerFrom`` say so (:func:`scim_documents_note`)."""
    target, evidence = action.target, action.evidence
    why = action.reason.removesuffix(documents_note(evidence.new_owner_email))
    return make_action(
        ActionKind.SCIM_DEACTIVATE_USER, target.member_id,
        target=ScimUserRef(member_id=target.member_id, email=target.email, user_name=user.user_name,
                           scim_id=user.id),
        before=ActiveState(active=bool(user.active) if user.active is not None else True),
        after=ActiveState(active=False),
        rule=action.rule,
        reason=why + scim_documents_note(admin, evidence.new_owner_email, evidence.document_owner_from,
                                         keyed=bool(user.external_id))
        + verdict.reason_note(),
        evidence=ScimDeactivateEvidence(
            rest_action=action.id, kind=evidence.kind, new_owner_email=admin.email,
            document_owner_from=admin.source, idp_id=evidence.idp_id, idp_status=evidence.idp_status,
            state_conflict=verdict.evidence(),
        ),
        depends_on=action.depends_on,
    )


def scim_documents_note(admin: DocumentOwner, rest_owner: str | None, rest_owner_from: str, keyed: bool = True
                        ) -> str:
    """The part of a ``scim.deactivate_user`` reason saying where the documents go: to the provisioning
    admin ``admin`` (Sigma's rule for a SCIM deactivation, docs/sigma-api.md §5.3), and, when the policy
    named another owner for the REST deactivation (``rest_owner``, from key ``rest_owner_from``), that it
    does not receive them. ``keyed``: SCIM lists the user with an ``externalId`` (SCIM-managed); a user listed
    without one is taken as provisioned by the IdP (on a ``linking.scim_state_conflicts`` entry or the dates, which
    :meth:`Verdict.reason_note` names), which the note says instead of calling them SCIM-managed (the listing
    cannot tell: tester11 finding 13)."""
    who = admin.email or f"named by {admin.source}, who is not in the export"
    why = "SCIM-managed" if keyed else "listed by SCIM without an externalId, taken as provisioned by the IdP"
    note = f" ({why}: deactivated through SCIM; Sigma gives the documents to the provisioning admin, {who}"
    if rest_owner and rest_owner != admin.email:
        note += f", not to {rest_owner}: a SCIM deactivation names no new owner, so {rest_owner_from} does not apply"
    return note + ")"


@dataclass(frozen=True, slots=True)
class Settlement:
    """What Sigma's SCIM state makes of one planned action: ``action``, the action kept or its
    replacement (``None``: dropped, satisfied or forbidden), the ``review_item`` raised, and for a blocking
    ``scim.state_conflict`` the ``verdict`` it asks about (what the dates show: :func:`dates_reading`)."""

    action: Action | None
    review_item: ReviewItem | None = None
    verdict: "Verdict | None" = None


# --------------------------------------------------------------------------- which side is newer

IDP_EXPORT, SCIM_STATE = "idp_export", "scim_state"
ABSENT_FROM_NEWER_EXPORT, ABSENT_FROM_OLDER_EXPORT = "export_newer", "export_older"
"""What the dates show of a person the export lacks (:attr:`ChangeDates.absence`)."""
ABSENT_FROM_LATER_READ = "read_after_made"
"""A person the export lacks whom SCIM lists without an ``externalId`` (nothing shows the IdP made them), made before
``fetch-idp`` read the IdP (:attr:`ChangeDates.absence`): the IdP did not hold them then, so made by hand? (tester19
finding 6: was "SCIM created them ... export the IdP again", which no new export settles)."""
SETTLED_BY_DATES, SETTLED_BY_POLICY = "dates", "linking.scim_state_conflicts"
SETTLED_BY_RUN = "applied"
"""A membership settled for the export because Sigma's SCIM group is as an apply of this tool left it
(:func:`written_group`)."""


def export_date(own: str | None, read_at: str | None) -> tuple[str | None, bool]:
    """The date of the IdP export's word on one record it holds (a user's attributes, a group's members), ISO 8601
    UTC to the second: the later of the record's own date ``own`` (Okta ``lastUpdated`` of a user,
    ``lastMembershipUpdated`` of a group, a SCIM export's ``meta.lastModified``) and ``read_at``, when ``fetch-idp``
    read the IdP (its manifest's ``fetchedAt``); either ``None``: the other. Returns ``(date, read)``, ``read`` True
    when the read time is the later. An export read at R holds the IdP's state as of R, while a record's own date
    moves only for the IdP's own changes: a SCIM write from elsewhere (a deactivation, a group push) never moves
    Okta's dates, so a record dated by its own date alone was called older than SCIM's change however long after it
    the export was read (tester11 finding 6b, groups; tester12 finding 8, users). The one rule for
    :meth:`PlannedState.dates` and :func:`group_dates`. Errors: none."""
    if read_at is not None and (own is None or read_at > own):
        return read_at, True
    return own, False


@dataclass(frozen=True, slots=True)
class ChangeDates:
    """When each side last changed one SCIM-managed person, ISO 8601 UTC to the second
    (:func:`planner.sources.values.change_time`), ``None`` when its input does not say: ``scim``, the SCIM
    user's ``meta.lastModified`` (RFC 7643 §3.1); ``export``, the IdP user's own last update
    (:attr:`planner.model.IdpUser.last_updated`: Okta ``lastUpdated``, a SCIM export's ``meta.lastModified``;
    Entra, Google and CSV exports say none, docs/formats.md); ``export_newest``, the newest date any user of the
    export carries, last update or creation (:func:`planner.sources.export_dates.newest_record`: the export was taken no
    earlier), which dates the export for a person it lacks;
    ``membership``, the disagreement comes from group membership (an account type by group, a person in no
    scope group), which a user's own date does not cover: an IdP group change leaves Okta's ``lastUpdated``
    as it was (docs/formats.md §2a-§2b), so an older date does not show the export is stale; ``absent``, the
    export lacks the person (no IdP user of the export is theirs), and ``scim_created``, the SCIM user's
    ``meta.created`` (RFC 7643 §3.1), which date that absence (:attr:`absence`). With a read time
    (:func:`export_date`), ``export`` is the later of the user's own date and when ``fetch-idp`` read the IdP:
    ``read`` True when the read time is the later, ``own`` the user's own date then (for the words and the
    evidence); a read time dates group changes too, so ``membership`` no longer hides an older date."""

    scim: str | None
    export: str | None
    export_newest: str | None = None
    membership: bool = False
    absent: bool = False
    scim_created: str | None = None
    read: bool = False
    own: str | None = None
    """The export's own date of the user, where the read time is the later (``read``)."""
    read_at: str | None = None
    """When ``fetch-idp`` read the IdP (its manifest's ``fetchedAt``), for a person the export lacks (``absent``)."""
    keyed: bool = True
    """Whether the SCIM user has an ``externalId`` (the IdP's id: something shows the IdP made them)."""

    @property
    def newer(self) -> str | None:
        """``idp_export`` when the IdP last updated the person after SCIM last changed them (the export's
        value is the IdP's latest word), ``scim_state`` when SCIM changed them after (the export is stale),
        ``None`` when a date is missing or both fall in the same second: the dates come from two systems and
        two changes in one second have no known order, so the question stays (docs/policy.md); ``None`` too
        for an older date of a ``membership`` disagreement (a group change does not move it), unless that date is
        the export's read time (``read``: the export holds every change of the IdP before it)."""
        if not self.scim or not self.export or self.scim == self.export:
            return None
        if self.export > self.scim:
            return IDP_EXPORT
        return None if self.membership and not self.read else SCIM_STATE

    @property
    def export_last_updated(self) -> str | None:
        """An item's or action's ``evidence.exportLastUpdated``: the user's own date only (a read time is the
        plan's ``organization.idpFetchedAt``), as :attr:`GroupDates.export_last_updated`."""
        return self.own if self.read else self.export

    def export_words(self) -> str:
        """The export's date for a message: ``the export last updated them 2019-06-21T12:17:26Z``, or with a read
        time ``the IdP export was read 2026-12-07T00:22:17Z (fetch-idp's fetchedAt; the export last updated them
        2019-06-21T12:17:26Z)``."""
        if not self.read:
            return f"the export last updated them {self.export}"
        own = (f"the export last updated them {self.own}" if self.own
               else "the export does not say when it last updated them")
        return f"the IdP export was read {self.export} (fetch-idp's fetchedAt; {own})"

    @property
    def absence(self) -> str | None:
        """What the dates show of a person the export lacks, the one reading every item naming the absence
        words (``scim.state_conflict``, ``scim.held_member``): ``export_newer`` when the export's newest record
        is later than SCIM's last change of them (``meta.lastModified``): deleted in the IdP, or left out of
        the export; ``export_older`` when SCIM created them (``meta.created``) after the export's newest
        record: the export was taken before they were made, so export the IdP again, unless ``fetch-idp`` read the
        IdP after SCIM created a user it lists without an ``externalId``: :data:`ABSENT_FROM_LATER_READ` (made by
        hand?, tester19 finding 6), read first; ``None`` when a date is
        missing, for a person the export lists, or when neither holds (SCIM made them before the export's
        newest record and changed them after it). An absence has no date of its own, so it settles nothing
        (:attr:`newer` is ``None``); the messages say it (tester8 leftover, issue 10)."""
        if not self.absent:
            return None
        if not self.keyed and self.read_at and self.scim_created and self.read_at > self.scim_created:
            return ABSENT_FROM_LATER_READ
        if not self.export_newest:
            return None
        if self.scim and self.export_newest > self.scim:
            return ABSENT_FROM_NEWER_EXPORT
        if self.scim_created and self.scim_created > self.export_newest:
            return ABSENT_FROM_OLDER_EXPORT
        return None

    def read_after_made_words(self) -> str:
        """Why an :data:`ABSENT_FROM_LATER_READ` absence is one: ``the IdP export, read 2026-12-07T18:49:59Z
        (fetch-idp's fetchedAt), does not hold them, though Sigma's SCIM lists them (made 2026-12-07T18:49:21Z, no
        externalId): made by hand?``."""
        return (f"the IdP export, read {self.read_at} (fetch-idp's fetchedAt), does not hold them, though Sigma's "
                f"SCIM lists them (made {self.scim_created}, no externalId): made by hand?")

    def made_after_export_words(self) -> str:
        """Why an ``export_older`` absence is one (:attr:`absence`): ``SCIM created them
        2026-12-06T17:33:32Z, after the IdP export's newest record (2025-05-29T06:23:25Z): the export is older
        than them``."""
        return (f"SCIM created them {self.scim_created}, after the IdP export's newest record "
                f"({self.export_newest}): the export is older than them")

    def words(self) -> str:
        """Both dates for a message: ``SCIM last changed the user 2026-12-06T06:19:49Z, the export last
        updated them 2026-12-13T09:00:00Z`` (with what they show when they decide, or a missing one said)."""
        scim = f"SCIM last changed the user {self.scim}" if self.scim else \
            "the SCIM state does not say when it changed the user"
        if self.read:
            newer = self.newer
            if newer == IDP_EXPORT:
                return f"{scim}, before {self.export_words()}"
            if newer == SCIM_STATE:
                return f"{scim}, after {self.export_words()}"
            if self.scim and self.scim == self.export:
                return f"{scim}, the second {self.export_words()}"
            return f"{scim}, {self.export_words()}"
        if self.export:
            export = f"the export last updated them {self.export}"
        elif self.absent and self.export_newest:
            export = f"the export does not list them (its newest record is of {self.export_newest})"
        else:
            export = "the export does not say when"
        newer = self.newer
        if newer == IDP_EXPORT:
            return f"{scim}, the export last updated them later, {self.export}"
        if newer == SCIM_STATE:
            return f"{scim}, after the export last updated them {self.export}"
        if self.scim and self.export and self.scim == self.export:
            return f"{scim}, the export last updated them in the same second"
        if self.membership and self.scim and self.export:
            return f"{scim}, the export last updated them {self.export}, which a group change does not move"
        return f"{scim}, {export}"


def dates_reading(dates: ChangeDates) -> str | None:
    """What the dates of a disagreement show, the one reading of every item that words it (``scim.state_conflict``:
    :func:`conflict_item`; ``scim.held_member``: :func:`_held_member_item`): :data:`SCIM_STATE` (SCIM changed them
    after the export's word: the export is older), :data:`IDP_EXPORT` (the export is newer), for a person the
    export lacks :data:`ABSENT_FROM_NEWER_EXPORT` or :data:`ABSENT_FROM_OLDER_EXPORT` (:attr:`ChangeDates.absence`),
    else ``None``: the dates do not say which is newer."""
    return dates.newer or dates.absence


@dataclass(frozen=True, slots=True)
class Verdict:
    """How one disagreement is settled: ``newer`` (``idp_export`` | ``scim_state``; ``None``: a blocking
    ``scim.state_conflict``), ``settled_by`` (``dates`` | ``linking.scim_state_conflicts``), the
    ``dates``, and the ``stale_entry`` a blocking item names (an entry the dates contradict, or a long-form
    entry written for another disagreement)."""

    newer: str | None
    dates: ChangeDates
    settled_by: str = ""
    stale_entry: ConflictEntry | None = None

    def evidence(self) -> StateConflictSettled:
        """The action's ``evidence.stateConflict``."""
        return StateConflictSettled(newer=self.newer or "", settled_by=self.settled_by,
                                    scim_last_modified=self.dates.scim,
                                    export_last_updated=self.dates.export_last_updated)

    def reason_note(self) -> str:
        """What the action's reason adds: why the export's value is sent over SCIM's."""
        if self.settled_by == SETTLED_BY_DATES and self.dates.read:
            return (f" (the IdP export is newer than Sigma's SCIM state: SCIM last changed the user "
                    f"{self.dates.scim}, before {self.dates.export_words()})")
        if self.settled_by == SETTLED_BY_DATES:
            return (f" (the IdP export is newer than Sigma's SCIM state: it last updated the user "
                    f"{self.dates.export}, SCIM last changed it {self.dates.scim})")
        return " (linking.scim_state_conflicts says the IdP export is newer than Sigma's SCIM state)"


@dataclass(frozen=True, slots=True)
class PlannedState:
    """Sigma's SCIM ``state`` and what the plan as a whole does with it (read by several settlements):
    ``typed``, memberIds with a ``scim.set_account_type``; ``linked``, provisioned members with a
    ``scim.link_user``."""

    state: ScimState
    typed: frozenset[str]
    linked: frozenset[str]
    conflicts: Mapping[str, ConflictEntry] = field(default_factory=dict)
    """``linking.scim_state_conflicts``: IdP id (``*``: everyone) -> its :class:`ConflictEntry`."""
    idp_users: Mapping[str, IdpUser] = field(default_factory=dict)
    """The IdP export's users by id (their ``last_updated``, when the export says, dates a conflict)."""
    export_newest: str | None = None
    """The newest ``last_updated`` or ``created`` of the export's users (:attr:`ChangeDates.export_newest`)."""
    provisioning_admin: DocumentOwner = DocumentOwner(None, None, PROVISIONING_ADMIN)
    """Who receives the documents of a SCIM deactivation (:func:`planner.rules.unmatched.provisioning_admin`)."""
    returning: frozenset[str] = frozenset()
    """Members ``linking.reused_addresses`` links as the same person returning (:attr:`ScimLinks.returning`):
    the IdP's ``active: true`` is their return, never a disagreement to date."""
    idp_groups: Mapping[str, Group] = field(default_factory=dict)
    """The IdP export's groups by id (their ``membership_updated``, when the export says, dates a membership
    a push and Sigma's SCIM group disagree on: :func:`dated_group_members`)."""
    uses: list[EntryUse] = field(default_factory=list)
    """Where :meth:`verdict` reports each ``linking.scim_state_conflicts`` entry it consulted (one
    :class:`~planner.rules.policy_entries.EntryUse` per disagreement): the caller's list, appended to."""
    questioned: Mapping[str, "Verdict"] = field(default_factory=dict)
    """memberId -> the verdict (no side: its dates, any ``stale_entry``) of each SCIM-managed member whose deactivation a
    blocking ``scim.state_conflict`` holds (:func:`settle`, before the pushes and the team removals): a push of a team whose SCIM group lists them keeps
    them (:func:`_keep_held_members`), and their team removals are held (:func:`held_in_teams`), as nothing
    removes a member while the question about them is open."""
    export_read_at: str | None = None
    """When ``fetch-idp`` read the IdP (:attr:`planner.directory.Directory.idp_fetched_at`): the IdP's word as of
    then, which dates a team's group the export dates no membership change of (:func:`group_dates`)."""
    own_verdicts: dict[str, "Verdict"] = field(default_factory=dict)
    """SCIM user id -> the verdict of the user's own disagreement (``active``, ``userType``, an absence) in this
    plan, filled by :meth:`verdict` as the settling meets them (the pushes are settled last, :func:`settle`): a
    verdict naming a ``stale_entry`` is kept over one that does not. Read by :func:`membership_verdict`: one
    person, one answer."""

    @classmethod
    def of(cls, state: ScimState, actions: list[Action], conflicts: Mapping[str, object] | None = None,
           idp_users: Mapping[str, IdpUser] | None = None,
           provisioning_admin: DocumentOwner | None = None,
           returning: frozenset[str] = frozenset(),
           idp_groups: Mapping[str, Group] | None = None, uses: list[EntryUse] | None = None,
           export_read_at: str | None = None) -> "PlannedState":
        typed = frozenset(a.target.member_id for a in actions if isinstance(a, ScimSetAccountType))
        linked = frozenset(a.target.member_id for a in actions
                           if isinstance(a, ScimLinkUser) and a.target.member_id in state.users)
        entries = {key: ConflictEntry.of(key, value) for key, value in (conflicts or {}).items()}
        users = idp_users or {}
        newest = newest_record(users.values())
        admin = provisioning_admin or DocumentOwner(None, None, PROVISIONING_ADMIN)
        return cls(state, typed, linked, entries, users, newest, admin, returning, idp_groups or {},
                   [] if uses is None else uses, export_read_at=export_read_at)

    def entry(self, user: ScimUser, idp_id: str | None) -> ConflictEntry | None:
        """The ``linking.scim_state_conflicts`` entry for ``user`` (linked to IdP user ``idp_id``): by its
        ``externalId``, else ``idp_id``, else (a user without ``externalId``) its ``userName``, else ``*``;
        ``None`` when none."""
        c = self.conflicts
        if not c:
            return None
        return (c.get(user.external_id or "") or (c.get(idp_id) if idp_id else None)
                or (c.get(user.user_name) if not user.external_id else None) or c.get("*"))

    def dates(self, user: ScimUser, idp_id: str | None, membership: bool = False) -> ChangeDates:
        """The :class:`ChangeDates` of ``user`` and the export's IdP user ``idp_id`` (absent: no own date),
        for a disagreement from group ``membership`` or not."""
        idp = self.idp_users.get(idp_id) if idp_id else None
        own = idp.last_updated if idp is not None else None
        export, read = export_date(own, self.export_read_at) if idp is not None else (None, False)
        return ChangeDates(change_time(user.last_modified), export, self.export_newest, membership, idp is None,
                           change_time(user.created), read, own if read else None,
                           self.export_read_at if idp is None else None, bool(user.external_id))

    def verdict(self, user: ScimUser, idp_id: str | None, found: tuple["Disagreement", ...],
                dates: ChangeDates | None = None) -> Verdict:
        """Which side's value holds where SCIM-managed ``user`` and the export disagree (``found``): the
        export's when the dates say it is newer (docs/policy.md "Re-planning after an apply"), else the
        policy's entry when it fits ``found`` (:func:`entry_fits`), else nobody (a blocking item, also
        when the dates say SCIM is newer: the export is stale, export again). An entry the dates contradict,
        or written for another disagreement, no longer applies: it is named (``stale_entry``) and the item is
        blocking, even where the dates alone would decide. ``dates``: the dates of another record than the
        user's (a group's membership: :func:`dated_group_members`), else the user's own (:meth:`dates`). A
        consulted entry is reported in :attr:`uses` (:mod:`.policy_entries`): the disagreement it answers is
        there, whichever side wins."""
        own = dates is None
        dates = dates or self.dates(user, idp_id, any(d.membership for d in found))
        entry = self.entry(user, idp_id)
        if entry is not None:
            self.report_use(entry, user, found)
        by_dates = dates.newer
        if entry is not None and ((by_dates is not None and entry.newer != by_dates) or not entry_fits(entry, found)):
            verdict = Verdict(None, dates, stale_entry=entry)
        elif by_dates == IDP_EXPORT:
            verdict = Verdict(IDP_EXPORT, dates, SETTLED_BY_DATES)
        elif entry is not None:
            verdict = Verdict(entry.newer, dates, SETTLED_BY_POLICY)
        else:
            verdict = Verdict(None, dates)
        if own and (verdict.stale_entry is not None or user.id not in self.own_verdicts):
            self.own_verdicts[user.id] = verdict
        return verdict

    def report_use(self, entry: ConflictEntry, user: ScimUser, found: tuple["Disagreement", ...]) -> None:
        """Report ``entry`` consulted for ``user``'s disagreement ``found`` in :attr:`uses`."""
        self.uses.append(EntryUse("linking.scim_state_conflicts", entry.key,
                                  f"the disagreement of SCIM user {user.user_name} on "
                                  f"{', '.join(d.attribute for d in found)}"))


@dataclass(frozen=True, slots=True)
class Disagreement:
    """One attribute on which Sigma's SCIM state and the IdP export differ: ``attribute`` (SCIM name,
    ``active`` or ``userType``), ``scim`` and ``export`` the values each side gives it (the export's
    ``active`` is ``False`` for a user it deactivates, puts out of scope or lacks), and ``export_word``
    what the export says when it is more than the value (``DEPROVISIONED (00u1)``, ``absent ...``)."""

    attribute: str
    scim: bool | str
    export: bool | str
    export_word: str = ""
    membership: bool = False
    """The export's value comes from group membership (:attr:`ChangeDates.membership`)."""

    @property
    def scim_value(self) -> str:
        """SCIM's value as a word (``true``, ``View``)."""
        return _word(self.scim)

    @property
    def export_value(self) -> str:
        """The export's value as a word, or what it says (``DEPROVISIONED (00u1)``)."""
        return self.export_word or _word(self.export)


def entry_fits(entry: ConflictEntry, found: tuple[Disagreement, ...]) -> bool:
    """Whether ``entry`` was written for ``found``: the short form fits any disagreement; the long form only when it
    records, for each attribute of ``found``, the value of its ``newer`` side."""
    if not entry.recorded:
        return True
    for d in found:
        value = d.export if entry.newer == IDP_EXPORT else d.scim
        if value != (entry.active if d.attribute == "active" else entry.user_type):
            return False
    return True


def _word(value: bool | str | None) -> str:
    return "not said" if value is None else ("true" if value else "false") if isinstance(value, bool) else value


def link_disagreements(user: ScimUser, after: ScimUserAfter, type_elsewhere: bool) -> tuple[Disagreement, ...]:
    """Where a ``scim.link_user`` of provisioned ``user`` would reverse Sigma's SCIM state: ``active``
    (SCIM has the user inactive, the export active) and ``userType`` (both said, different; not when a
    ``scim.set_account_type`` sends the type, ``type_elsewhere``)."""
    out = []
    if user.active is False and after.active:
        out.append(Disagreement("active", False, True))
    if after.user_type and not type_elsewhere and user.user_type and user.user_type != after.user_type:
        out.append(Disagreement("userType", user.user_type, after.user_type, membership=True))
    return tuple(out)


def _long_form(key: str, newer: str, found: tuple[Disagreement, ...]) -> dict:
    """The long-form entry (:class:`planner.policy.ScimStateConflict`) settling ``found`` with ``newer``."""
    values: dict = {"newer": newer}
    for d in found:
        values[d.attribute] = d.export if newer == IDP_EXPORT else d.scim
    return {"linking": {"scim_state_conflicts": {key: values}}}


def conflict_item(action: Action, user: ScimUser, idp_id: str | None, found: tuple[Disagreement, ...],
                  planned: PlannedState, verdict: Verdict | None = None) -> ReviewItem:
    """Blocking ``scim.state_conflict``: Sigma's SCIM state and the IdP export disagree on SCIM-managed
    ``user`` (``found``) and neither the dates nor the policy settle it (:meth:`PlannedState.verdict`), so
    ``action`` would reverse what SCIM did (or deactivate it) on the export's word alone. The message names
    both values and both dates when known (the SCIM user's ``meta.lastModified``, RFC 7643 §3.1; the IdP
    user's last update, e.g. Okta's ``lastUpdated``) and what they show: SCIM newer (the export is stale:
    export again), the same second, or a date missing (which is newer?); an entry that no longer applies is
    named first; a value SCIM holds as a run of this tool wrote it (``plan --applied``) names that run
    (:func:`written_by`). The snippet is the long-form ``linking.scim_state_conflicts`` entry, which settles
    only this disagreement (docs/policy.md "Re-planning after an apply"). A user listed without ``externalId``
    (:attr:`planner.directory.ScimState.without_external_id`) is named by its ``meta.created`` and when SCIM was
    set up; its deactivation also offers ``unmatched.decisions`` (made by hand: the REST deactivation). For a
    user the export lacks, the evidence holds the export's newest record (``exportNewest``) and SCIM's
    ``meta.created`` (``scimCreated``), and the message says what they show (:attr:`ChangeDates.absence`, the
    reading ``scim.held_member`` words too): an export newer than SCIM's record of them (deleted in the IdP, or
    left out), or older than the user (SCIM created them after its newest record: export the IdP again; was
    "which is newer?")."""
    target = action.target
    verdict = verdict or planned.verdict(user, idp_id, found)
    dates = verdict.dates
    key = user.external_id or idp_id or user.user_name
    what = "; ".join(f"{d.attribute}: SCIM {d.scim_value}, export {d.export_value}" for d in found)
    unkeyed = not user.external_id
    written = written_by(planned.state, getattr(target, "member_id", None), found, dates.scim)
    set_up_by = planned.state.set_up_by if unkeyed else None
    head = f"{_provisioned_words(user, set_up_by, planned.state)}, and Sigma's SCIM state " \
           f"and the IdP export disagree ({what}; {dates.words()})" + (f"; {written}" if written else "")
    reading = dates_reading(dates)
    if reading == SCIM_STATE:
        tail = (f": the export is older than Sigma's SCIM state, so the plan does not send {action.kind.value} "
                "on its word; export the IdP again and plan again")
        choices = [_long_form(key, SCIM_STATE, found)]
        notes = ["scim_state: keep Sigma's SCIM state (plan nothing for it); or export the IdP again"]
    elif reading == IDP_EXPORT:  # only an entry the dates contradict asks (verdict.stale_entry)
        tail = (f": the export is newer than Sigma's SCIM state, so the plan would send {action.kind.value}, but the "
                "policy says otherwise")
        choices = [_long_form(key, IDP_EXPORT, found), _long_form(key, SCIM_STATE, found)]
        notes = ["idp_export: the export is newer, send it; scim_state: keep Sigma's SCIM state over it "
                 "(the entry settles this disagreement only)"]
    elif reading == ABSENT_FROM_NEWER_EXPORT:
        tail = (": absent from an export newer than SCIM's record of them, so deleted in the IdP, or left out of "
                f"the export (an Okta listing without a filter lacks DEPROVISIONED users); the plan does not send "
                f"{action.kind.value} on an absence alone")
        choices = [_long_form(key, IDP_EXPORT, found), _long_form(key, SCIM_STATE, found)]
        notes = ["idp_export: they left the IdP, deactivate them through SCIM; scim_state: keep them "
                 "(the entry settles this disagreement only)"]
    elif reading == ABSENT_FROM_LATER_READ:
        tail = f": {dates.read_after_made_words()} The plan does not send {action.kind.value} on its silence"
        choices = [_long_form(key, IDP_EXPORT, found), _long_form(key, SCIM_STATE, found)]
        notes = ["idp_export: the IdP made them and they left it, deactivate them through SCIM; scim_state: keep "
                 "them (the entry settles this disagreement only)"]
    elif reading == ABSENT_FROM_OLDER_EXPORT:
        tail = (f": {dates.made_after_export_words()}, so the plan does not send {action.kind.value} on its "
                "silence; export the IdP again and plan again")
        choices = [_long_form(key, SCIM_STATE, found), _long_form(key, IDP_EXPORT, found)]
        notes = ["export the IdP again and plan again; or scim_state: keep them; idp_export: they left the IdP, "
                 "deactivate them through SCIM (the entry settles this disagreement only)"]
    else:
        tail = f": which is newer? The plan does not send {action.kind.value} on the export's word alone"
        choices = [_long_form(key, SCIM_STATE, found), _long_form(key, IDP_EXPORT, found)]
        notes = ["scim_state: Sigma's SCIM state is newer, keep it; idp_export: the export is newer, send it "
                 "(the entry settles this disagreement only)"]
    email = getattr(target, "email", None) or user.user_name
    if unkeyed and isinstance(action, MembersDeactivate):
        tail += (f"; unmatched.decisions settles them ({email}: keep, or deactivate through the REST API); if the IdP "
                 "made them (it sends no externalId) and they left it, the idp_export entry deactivates them through "
                 "SCIM" if reading == ABSENT_FROM_LATER_READ else
                 f"; if someone made them by hand, unmatched.decisions settles them instead ({email}: keep, or "
                 "deactivate through the REST API)")
        by_hand = {"unmatched": {"decisions": {email: "deactivate"}}}
        owner, admin = action.evidence.new_owner_email, planned.provisioning_admin.email
        by_hand_note = ("unmatched.decisions: made by hand, not by the IdP: deactivate them through the REST API"
                        + (f" (documents to {owner})" if owner else "")
                        + "; idp_export deactivates them through SCIM"
                        + (f" (documents to the provisioning admin, {admin})" if admin else ""))
        if made_long_before(user.created, set_up_by) or reading == ABSENT_FROM_LATER_READ:
            choices.insert(0, by_hand)
            notes.insert(0, by_hand_note)
        else:
            choices.append(by_hand)
            notes.append(by_hand_note)
    stale = verdict.stale_entry
    if stale is not None:
        head = (f"the linking.scim_state_conflicts entry {stale.text()} no longer applies: " + head)
        tail += "; remove the entry (or write it for this disagreement)"
    absent = not (idp_id and idp_id in planned.idp_users)
    return make_review(
        "scim.state_conflict", action.id, blocking=True,
        subject=person_ref(member_id=getattr(target, "member_id", None) or None, email=getattr(target, "email", None) or None,
                           idp_id=idp_id, user_name=user.user_name),
        message=head + tail,
        rule="scim_state.conflict",
        evidence=ItemEvidence(action=action.id, external_id=user.external_id,
                              attribute=", ".join(d.attribute for d in found),
                              scim_value=", ".join(d.scim_value for d in found),
                              export_value=", ".join(d.export_value for d in found),
                              scim_last_modified=dates.scim, export_last_updated=dates.export_last_updated,
                              export_newest=dates.export_newest if absent and dates.export_newest else UNSET,
                              stale_entry=stale.text() if stale is not None else UNSET,
                              scim_created=user.created if (unkeyed or absent) and user.created else UNSET,
                              scim_set_up_by=set_up_by if unkeyed else UNSET,
                              written_by=written or UNSET),
        resolution=yaml_snippet(*choices, notes=notes),
    )


LONG_BEFORE_SET_UP = timedelta(days=30)
"""How much earlier than the first user SCIM lists as provisioned a member SCIM lists without an ``externalId``
must have been made for the ``scim.state_conflict`` over their deactivation to offer ``unmatched.decisions`` (made
by hand) first (:func:`made_long_before`): an IdP's push makes its users within hours of each other, so a member
made a month before the first one was not in it, and is far likelier one made by hand (tester11 finding 13)."""


def made_long_before(created: str | None, set_up_by: str | None) -> bool:
    """Whether ``created`` (a SCIM ``meta.created``, ISO 8601 UTC) is at least :data:`LONG_BEFORE_SET_UP` earlier
    than ``set_up_by`` (the first provisioned user's); False when either is unknown or unreadable."""
    gap = time_between(created, set_up_by)
    return gap is not None and gap >= LONG_BEFORE_SET_UP


def _provisioned_words(user: ScimUser, set_up_by: str | None, state: ScimState) -> str:
    """How a ``scim.state_conflict`` message names ``user``, whom SCIM lists: provisioned with its ``externalId``,
    or, without one (:attr:`planner.directory.ScimState.without_external_id`), listed and made after SCIM was set
    up (by ``set_up_by``), which an IdP sending no ``externalId`` or a person by hand did, or made before the
    first provisioned user (or with none listed) while the ``preflight.previous_scim`` answer that holds for them
    (:func:`planner.directory.previous_scim_for`: the earliest plan given to ``plan --applied``, for a member made
    before this migration's first link, else the policy's) says SCIM may have been in use before it
    (:func:`planner.directory.listed_pre_scim`); without ``--applied``, that the first wave's plan given to it
    answers this. Never "SCIM-managed" for a user without ``externalId``: the listing cannot tell."""
    if user.external_id:
        return f"{user.user_name} is provisioned by SCIM (externalId {user.external_id})"
    if not (made_since(user.created, set_up_by) or (set_up_by and user.created_unreadable)):
        made = (f"was made {user.created}" if user.created else
                f"its meta.created {user.created_unreadable!r} cannot be read" if user.created_unreadable else
                "SCIM does not say when it was made")
        first = (f", before the first user SCIM lists as provisioned ({set_up_by})" if set_up_by and user.created
                 else "" if set_up_by else ", and SCIM lists no provisioned user")
        previous_scim, applied = previous_scim_for(user, state.previous_scim, state.applied_set_up)
        if applied is not None:
            said = (f"the earliest plan given to --applied ({applied.plan}), made before this migration's first link "
                    f"({applied.first_link}), says preflight.previous_scim is {previous_scim} (SCIM may have been in "
                    "use before that link)")
        elif state.applied_set_up is None:
            said = (f"preflight.previous_scim is {previous_scim} (SCIM may have been in use before this migration's "
                    "first link; in a re-plan after an apply, give the first wave's plan with plan --applied: its "
                    "own preflight.previous_scim answers this for members made before its first link)")
        else:
            said = (f"preflight.previous_scim is {previous_scim} (SCIM may have been in use before this migration's "
                    "first link)")
        return (f"{user.user_name} is listed by SCIM without an externalId and {made}{first}, while {said}: an IdP "
                "that sends no externalId may have provisioned them, or it is a member made by hand before SCIM, "
                "which Sigma's SCIM lists too; the listing cannot tell which")
    if user.created is None and user.created_unreadable:
        return (f"{user.user_name} is listed by SCIM without an externalId and its meta.created "
                f"{user.created_unreadable!r} {date_doubt(user.created_unreadable)}, so whether it was made after SCIM "
                f"was set up (by "
                f"{set_up_by}) cannot be told: an IdP that sends no externalId may have provisioned them, or someone "
                "made them by hand")
    if user.created == set_up_by:
        return (f"{user.user_name} is listed by SCIM without an externalId and was made {user.created}, in the second "
                "SCIM was set up (its first provisioned user), so which came first cannot be told: an IdP that sends "
                "no externalId provisioned them, or someone made them by hand")
    return (f"{user.user_name} is listed by SCIM without an externalId and was made {user.created}, after SCIM was "
            f"set up (by {set_up_by}): an IdP that sends no externalId provisioned them, or someone made them by hand")


def written_by(state: ScimState, member_id: str | None, found: tuple[Disagreement, ...],
               last_modified: str | None = None) -> str:
    """Which run of this tool wrote the values SCIM holds in ``found`` for member ``member_id``:
    ``"SCIM's userType View was written by run 1 of undo plan undo3.json, 2026-12-06T17:35:09.120Z"``
    (the writes of the plans given to ``plan --applied``, :attr:`planner.directory.ScimState.written`),
    one clause per value SCIM still holds as the run wrote it, saying ``(SCIM changed the user again
    after it, <last_modified>)`` when the SCIM user's ``meta.lastModified`` is a later second than the
    write; ``""`` when none (no ``--applied``, or the value is another since: the IdP or an admin wrote
    it; tester9 F7)."""
    if not member_id or not state.written:
        return ""
    clauses = []
    for d in found:
        w = state.written.get((member_id, d.attribute))
        if w is not None and w.value == d.scim:
            again = (f" (SCIM changed the user again after it, {last_modified})"
                     if last_modified and last_modified[:19] > w.at[:19] else "")
            clauses.append(f"SCIM's {d.attribute} {d.scim_value} was written by {w.words()}{again}")
    return "; ".join(clauses)


def _settle_link_conflict(action: ScimLinkUser, user: ScimUser, found: tuple[Disagreement, ...],
                          planned: PlannedState) -> ScimLinkUser | ReviewItem:
    """The link as the dates or the policy settle ``found`` (:meth:`PlannedState.verdict`): SCIM's values
    (``scim_state``), the export's with ``before.active: false`` for a reactivation and the settlement in its
    evidence (``idp_export``), else the blocking item."""
    verdict = planned.verdict(user, action.target.idp_id, found)
    if verdict.newer is None:
        return conflict_item(action, user, action.target.idp_id, found, planned, verdict)
    attributes = {d.attribute for d in found}
    if verdict.newer == SCIM_STATE:
        after = action.after
        if "active" in attributes:
            after = replace(after, active=False)
        if "userType" in attributes:
            after = replace(after, user_type=user.user_type)
        return replace(action, after=after)
    before = replace(action.before, active=False) if "active" in attributes else action.before
    return replace(action, before=before, reason=action.reason + verdict.reason_note(),
                   evidence=replace(action.evidence, state_conflict=verdict.evidence()))


def _returning(action: ScimLinkUser, found: tuple[Disagreement, ...]) -> tuple[ScimLinkUser, tuple[Disagreement, ...]]:
    """The link of a person ``linking.reused_addresses`` says returns (``same_person``), and the disagreements
    left: an ``active`` one is their return (the link reactivates the member: ``before.active: false``), not
    a question of which record is newer; any other stays."""
    if not any(d.attribute == "active" for d in found):
        return action, found
    return (replace(action, before=replace(action.before, active=False),
                    reason=action.reason + " (linking.reused_addresses: the same person returns; the link "
                                           "reactivates the member)"),
            tuple(d for d in found if d.attribute != "active"))


def settle_user(action: ScimLinkUser | ScimCreateUser, planned: PlannedState) -> Settlement:
    """A link or create of a user SCIM already provisioned: dropped when it holds the planned activity
    and account type; a blocking ``scim.user_name_changed`` (dropped) when the IdP would send another
    userName (a new userName creates a second account, docs/sigma-api.md §5.3)."""
    user = _provisioned_user(planned.state, action)
    if user is None:
        return Settlement(action)
    if user.user_name_key != email_key(action.after.user_name):
        return Settlement(None, make_review(
            "scim.user_name_changed", action.id, blocking=True,
            subject=person_ref(member_id=target_member_id(action), idp_id=action.target.idp_id,
                               user_name=user.user_name),
            message=(f"{user.user_name} is provisioned by SCIM, but the IdP would now send userName "
                     f"{action.after.user_name!r}: Sigma creates a second account when userName changes"),
            rule="scim_state.user_name", evidence=ItemEvidence(external_id=user.external_id),
            resolution=outside_policy("keep the IdP app's userName for this user, then fetch and plan again"),
        ))
    typed = target_member_id(action) in planned.typed
    if isinstance(action, ScimLinkUser):
        found = link_disagreements(user, action.after, typed)
        if action.target.member_id in planned.returning:
            action, found = _returning(action, found)
        if found:
            settled = _settle_link_conflict(action, user, found, planned)
            if isinstance(settled, ReviewItem):
                return Settlement(None, settled)
            action = settled
    if not _user_satisfied(user, action.after, typed):
        return Settlement(action)
    return Settlement(None, profile_push_item(action, user, planned.idp_users.get(action.target.idp_id))
                      if isinstance(action, ScimLinkUser) else None)


def profile_push_item(action: ScimLinkUser, user: ScimUser, idp: IdpUser | None = None) -> ReviewItem | None:
    """``scim.profile_push`` (informational): SCIM-managed ``user``'s link is satisfied (dropped), but the IdP
    holds another name than the member (``action.before.firstName``/``lastName``, :meth:`~planner.payloads.LinkUserBefore.name_changes`):
    nothing is planned, the IdP's next push changes it (Sigma applies the pushed ``name.givenName`` /
    ``name.familyName``, docs/sigma-api.md §5.3); or the IdP user ``idp``'s primary email is another address
    than the member's (the push sends it as ``emails``; whether Sigma applies it is not documented, §5.3).
    ``None`` when both agree."""
    target = action.target
    changes = action.before.name_changes(action.after)
    primary = idp.primary_email if idp is not None else None
    said = []
    if changes:
        said.append(f"its next push changes {changes} (Sigma applies the pushed name.givenName and name.familyName)")
    if primary is not None and primary.key != email_key(target.email):
        said.append(f"its next push sends email {primary.value!r} (the member's is {target.email!r}): whether Sigma "
                    "applies a pushed email is not documented, so check the member after the push")
    if not said:
        return None
    return make_review(
        "scim.profile_push", action.id, blocking=False,
        subject=person_ref(member_id=target.member_id, email=target.email, idp_id=target.idp_id,
                           user_name=user.user_name),
        message=(f"{user.user_name} is provisioned by SCIM (externalId {user.external_id}) and the IdP holds "
                 f"another {'name' if changes else 'email'}: {'; '.join(said)}; nothing is planned for it"),
        rule="scim_state.profile_push",
        evidence=ItemEvidence(action=action.id, external_id=user.external_id),
        resolution="",
    )


def settle_account_type(action: ScimSetAccountType, planned: PlannedState) -> Settlement:
    """A ``scim.set_account_type`` to the userType the provisioned user already has is dropped; to
    another one than SCIM's (both said) is a conflict the dates or the policy settle
    (:meth:`PlannedState.verdict`): kept with the settlement in its evidence (``idp_export``), dropped
    (``scim_state``), else dropped with the blocking item (:func:`conflict_item`)."""
    user = planned.state.users.get(action.target.member_id)
    if user is None:
        return Settlement(action)
    if not user.user_type:
        return Settlement(with_scim_id(action, user.id))
    if user.user_type == action.after.user_type:
        return Settlement(None)
    idp_id = action.target.idp_id or None
    found = (Disagreement("userType", user.user_type, action.after.user_type, membership=True),)
    verdict = planned.verdict(user, idp_id, found)
    if verdict.newer == IDP_EXPORT:
        kept = replace(action, reason=action.reason + verdict.reason_note(),
                       evidence=replace(action.evidence, state_conflict=verdict.evidence()))
        return Settlement(with_scim_id(kept, user.id))
    if verdict.newer == SCIM_STATE:
        return Settlement(None)
    return Settlement(None, conflict_item(action, user, idp_id, found, planned, verdict))


def _absent_disagreement(user: ScimUser) -> tuple[Disagreement, ...]:
    """The disagreement of a provisioned user the export lacks: SCIM has them active, the export would
    deactivate them."""
    absent = "absent (no IdP user has its externalId)" if user.external_id else "absent (no IdP user matches it)"
    return (Disagreement("active", user.active if user.active is not None else True, False, absent),)


def held_group_members(group: ScimGroup, planned: PlannedState) -> list[str]:
    """The userNames of ``group``'s SCIM members the export cannot remove on its word alone: a user
    SCIM provisioned and has active whose ``externalId`` names no IdP user of the export (an absence
    has no date of its own: :func:`_settle_deactivation` holds their deactivation with a
    ``scim.state_conflict``), unless the policy settles that deactivation with ``idp_export``."""
    held = []
    for scim_id in group.member_ids:
        user = planned.state.by_user_name.get(email_key(planned.state.user_names.get(scim_id, "")) or "")
        if user is not None and held_absent(user, planned):
            held.append(user.user_name)
    return held


def held_absent(user: ScimUser, planned: PlannedState) -> bool:
    """Whether the export cannot act on the absence of SCIM-managed ``user`` on its word alone: SCIM provisioned
    them (``externalId``) and has them active, no IdP user of the export has that ``externalId`` (an absence has
    no date of its own: :func:`_settle_deactivation` holds their deactivation with a ``scim.state_conflict``),
    and the policy does not settle that deactivation with ``idp_export``. The one reading for their place in a
    group's member list (:func:`held_group_members`) and in a team (:func:`settle_team_removal`)."""
    return bool(user.external_id and user.active is not False and user.external_id not in planned.idp_users
                and planned.verdict(user, None, _absent_disagreement(user)).newer != IDP_EXPORT)


def _keep_held_members(action: ScimSetGroupMembers, group: ScimGroup, planned: PlannedState) -> ScimSetGroupMembers:
    """The membership change with :func:`held_group_members` kept in its full list, and the members the group
    lists whose deactivation is in question (:attr:`PlannedState.questioned`): the list replaces the group's
    members (RFC 7644 §3.5.2), so a member left out would be removed (tester10 finding 7: the push removed a
    person whose deactivation the plan asked about)."""
    planned_keys = {email_key(m) for m in action.after.members}
    kept = [name for name in held_group_members(group, planned) if email_key(name) not in planned_keys]
    users, listed = planned.state.users, set(group.member_ids)
    planned_keys.update(map(email_key, kept))
    asked = sorted(users[m].user_name for m in planned.questioned
                   if m in users and users[m].id in listed and email_key(users[m].user_name) not in planned_keys)
    if not kept and not asked:
        return action
    notes = [f"keeps {', '.join(sorted(kept))}: provisioned by SCIM, absent from the IdP export, see "
             "scim.state_conflict"] * bool(kept)
    notes += [f"keeps {', '.join(asked)}: their deactivation waits on the scim.state_conflict about them"] * bool(asked)
    return replace(action, after=replace(action.after, members=sorted([*action.after.members, *kept, *asked])),
                   reason=action.reason + f" ({'; '.join(notes)})")


@dataclass(frozen=True, slots=True)
class GroupDates:
    """When each side last changed one team's group, ISO 8601 UTC to the second (``None``: not said): ``scim``,
    SCIM's ``meta.lastModified`` of the group (:attr:`planner.model.ScimGroup.last_modified`, RFC 7643 §3.1: any
    change of the Group, its members included); ``export``, the date of the export's word on the group's members:
    the later of the export group's own membership date (``own``: :attr:`planner.directory.Group.membership_updated`,
    Okta ``lastMembershipUpdated``, a SCIM export's ``meta.lastModified``) and when ``fetch-idp`` read the IdP
    (:attr:`PlannedState.export_read_at`; ``read`` true when the read time is the later): the export holds the IdP's
    membership as of its read, so a SCIM change before the read is older than the export's word and only a SCIM
    change after it is newer (tester10 finding 2: Entra, Google and CSV exports date no group; tester11 finding 6b:
    Okta's ``lastMembershipUpdated`` does not move for a reactivation or a rename while every push moves SCIM's
    date, so an export read after the push was called stale)."""

    scim: str | None
    export: str | None
    read: bool = False
    own: str | None = None
    """The export group's own membership date, where the read time is the later (``read``), for the words."""

    @property
    def change_dates(self) -> ChangeDates:
        """The dates as :meth:`PlannedState.verdict` reads them (:attr:`ChangeDates.newer` decides)."""
        return ChangeDates(self.scim, self.export)

    @property
    def export_last_updated(self) -> str | None:
        """The item's ``evidence.exportLastUpdated``: the group's own date only (a read time is the plan's
        ``organization.idpFetchedAt``)."""
        return self.own if self.read else self.export

    def words(self, set_by: str = "") -> str:
        """Both dates and what they show, for a message: ``SCIM last changed the group 2026-12-06T20:46:53Z,
        after the IdP export was read 2026-12-06T20:40:00Z (fetch-idp's fetchedAt; the export dates no change
        of the group's members): the export is older, so it is stale for them``; ``set_by``, who set SCIM's
        members when a run of this tool did, said instead of what the dates show (``...: SCIM's group members were
        set by run 1 of undo plan undo.json, ...``)."""
        scim = f"SCIM last changed the group {self.scim}" if self.scim else \
            "Sigma's SCIM state does not say when it changed the group"
        if self.read:
            own = (f"the export's group last changed its members {self.own}" if self.own
                   else "the export dates no change of the group's members")
            export = f"the IdP export was read {self.export} (fetch-idp's fetchedAt; {own})"
        elif self.export:
            export = f"the export's group last changed its members {self.export}"
        else:
            export = "the IdP export says neither when its group's members changed nor when it was read"
        newer = self.change_dates.newer
        if set_by:
            return f"{scim}, {'after ' if newer == SCIM_STATE else ''}{export}: {set_by}"
        if newer == SCIM_STATE:
            return f"{scim}, after {export}: the export is older, so it is stale for them"
        if self.scim and self.export:
            return f"{scim}, {export}: which is newer?"
        return f"{scim}, {export}: the plan cannot tell which side is newer"


def group_dates(group: ScimGroup, idp_group: Group | None, read_at: str | None) -> GroupDates:
    """The :class:`GroupDates` of SCIM's ``group`` and the export's ``idp_group`` (``None``: not in the export):
    the export's word on its members dated by the later of the group's own date and the export's read time
    ``read_at`` (either ``None``: the other; :func:`export_date`, the rule a user's record is dated by too)."""
    own = idp_group.membership_updated if idp_group is not None else None
    export, read = export_date(own, read_at)
    return GroupDates(group.last_modified, export, read=read, own=own if read else None)


def never_in_group(user: ScimUser, group: ScimGroup) -> bool:
    """True when SCIM made ``user`` (``meta.created``) after it last changed ``group`` (``meta.lastModified``,
    which any change of its members moves, RFC 7643 §3.1): SCIM's group never listed them, so a push adding them
    undoes nothing SCIM did; ``False`` when a date is missing or both fall in the same second."""
    created = change_time(user.created)
    return bool(created and group.last_modified and created > group.last_modified)


def dated_group_members(action: ScimSetGroupMembers, group: ScimGroup,
                        planned: PlannedState) -> tuple[ScimSetGroupMembers, ReviewItem | None]:
    """The push of ``group``'s members with SCIM's side kept for each membership the dates do not give to
    the export, and the blocking ``scim.state_conflict`` naming them (``None``: none).

    A SCIM-provisioned user the push would add to the group (the export lists them in it, SCIM's group
    lacks them) or remove from it (SCIM's group lists them, the export's group does not) is a membership
    Sigma's SCIM state and the IdP export disagree on, as an attribute of a user is (docs/policy.md
    "Re-planning after an apply"; the user rule :meth:`PlannedState.verdict`, f122c67): the dates decide,
    here the group's (:func:`group_dates`): SCIM's ``meta.lastModified`` of the group against the export group's
    membership date (Okta ``lastMembershipUpdated``) or the time ``fetch-idp`` read the IdP, whichever is later
    (Entra, Google and CSV exports date no group; an export read after SCIM's change holds the IdP's word after
    it), as :func:`membership_verdict` decides: the user's ``linking.scim_state_conflicts`` entry (short or long
    form) in its direction, one person, one answer (``idp_export`` pushes the export's word, ``scim_state`` keeps
    SCIM's membership in silence), else the export's word when it is newer; otherwise (SCIM newer: the export is
    stale; the same second; a date missing: the plan cannot tell) SCIM's membership is kept and the item asks,
    as for a user's attribute (was: without both dates the push went as the export says, re-adding in silence a
    member the IdP removed through SCIM after the export). Not a disagreement: a user SCIM made after it last
    changed the group (:func:`never_in_group`: SCIM's group never listed them, so the push's add is the
    ordinary next wave), a user the plan provisions now (not in SCIM's state), a user a userName change gave a new
    member (:attr:`planner.directory.ScimState.second_accounts`: the new member is in no team yet, SCIM removed
    nobody; tester11 finding 5), a user SCIM has inactive whom the push adds (whether they return is their own ``active`` disagreement, :func:`settle_user`'s); a user the export
    lacks (:func:`held_group_members`, or a deactivation settled ``idp_export``). A user both groups list whom the
    push leaves out (the plan deactivates them, or does not provision them) is no membership they disagree on: the
    user's own decision leaves them out, dated by the user's dates, and the push's removal of them is a
    ``teams.remove_member`` (:func:`planner.rules.teams.unprovisioned_leftovers`; tester10 finding 7: 30 people the
    IdP deactivated were each called "in SCIM's group, not in the export's"). Sigma's SCIM group still as a run of a
    plan given to ``plan --applied`` left it (:func:`written_group`) is that run's word, not the IdP's: an apply's is
    pushed over with the export's membership, the reason naming the run (``(pushes the export's membership of ...
    over Sigma's SCIM group: it lists the team's SCIM-managed members as scim.link_group of run 2 of plan v1.json,
    <when> left them, not as the IdP set them)``; tester13 #2), an undo's asks, naming it (tester12 #1). Source:
    tester10 finding 2."""
    state = planned.state
    current = {email_key(state.user_names.get(i, "")): state.user_names.get(i, "") for i in group.member_ids}
    current.pop("", None)
    pushed = {email_key(m): m for m in action.after.members}
    idp_group = planned.idp_groups.get(action.target.group_id)
    listed = frozenset(idp_group.member_ids if idp_group is not None else ())
    dates = group_dates(group, idp_group, planned.export_read_at)
    set_by = written_group(planned.state, group, action, current.keys())
    keep_in, keep_out, asked, by_run = [], [], [], []
    for key in sorted(pushed.keys() ^ current.keys()):
        user = state.by_user_name.get(key)
        if user is None or (key in current and user.user_name in held_group_members(group, planned)):
            continue
        if key in current and user.external_id in listed:  # both list them: the user's own decision
            continue                                           # leaves them out (see the docstring)
        idp_id = user.external_id if user.external_id in planned.idp_users else None
        if key in current and user.external_id and idp_id is None:
            continue  # the export lacks them: their own state (held, or a deactivation settled), not a membership
        if key not in current and (user.active is False or never_in_group(user, group)
                                   or user.id in state.second_accounts):
            continue  # SCIM has them inactive (their own active state), its group never listed them, or a
            #           userName change made their member (the IdP's next push adds the new one)
        found = (Disagreement("members", key in current, key in pushed,
                              "in the group" if key in pushed else "not in the group"),)
        verdict = membership_verdict(user, idp_id, found, dates, planned, set_by)
        if verdict.newer == IDP_EXPORT:
            if verdict.settled_by == SETTLED_BY_RUN:
                by_run.append(pushed.get(key) or current[key])
            continue
        (keep_in if key in current else keep_out).append(current.get(key) or pushed[key])
        if verdict.newer is None:
            asked.append((user, key in current, verdict))
    if by_run:
        action = replace(action, reason=action.reason + f" (pushes the export's membership of {', '.join(by_run)} "
                                                         f"over Sigma's SCIM group: {set_by.left_words()})")
    if not keep_in and not keep_out:
        return action, None
    members = sorted({*action.after.members, *keep_in} - set(keep_out))
    kept = ", ".join([f"keeps {', '.join(keep_in)}"] * bool(keep_in) + [f"leaves out {', '.join(keep_out)}"] * bool(keep_out))
    why = ("Sigma's SCIM group is not older than the export's" if dates.scim and dates.export
           else "the dates do not tell whether Sigma's SCIM group is older than the export's")
    action = replace(action, after=replace(action.after, members=members),
                     reason=action.reason + f" ({kept}: {why}, see scim.state_conflict)")
    return action, (_membership_conflict_item(action, group, asked, dates, set_by) if asked else None)


def written_group(state: ScimState, group: ScimGroup, action: ScimSetGroupMembers,
                  user_names: Iterable[str]) -> AppliedPush | None:
    """The write of a run of a plan given to ``plan --applied`` that Sigma's SCIM ``group`` (listing ``user_names``)
    is still as (:attr:`planner.directory.ScimState.pushed`, the last write to the members of the push's IdP group:
    :meth:`planner.model.AppliedPush.left_as`); ``None`` without one, or when SCIM's group changed since (the IdP or
    an admin changed it: the dates decide). Per team: one lookup, one comparison of its members."""
    written = state.pushed.get(action.target.group_id)
    return written if written is not None and written.left_as(group.last_modified, user_names) else None


def membership_verdict(user: ScimUser, idp_id: str | None, found: tuple[Disagreement, ...], dates: GroupDates,
                       planned: PlannedState, set_by: AppliedPush | None = None) -> Verdict:
    """Which side holds for one membership of a team's group that the push and Sigma's SCIM group disagree on
    (``found``: the ``members`` disagreement of SCIM-provisioned ``user``, linked to IdP user ``idp_id``), in order:

    1. The user's ``linking.scim_state_conflicts`` entry (short or long form) settling the user's own disagreement
       in this plan (:attr:`PlannedState.own_verdicts`: ``active``, ``userType``), in its direction: one person, one
       answer, so an entry that settles the user settles the user's memberships the same way, whatever the
       group's dates say (tester11 finding 6c: ``idp_export``, which the reactivated user's item needed, left the
       group's item blocking with "no longer applies", and ``scim_state`` the reverse: no entry settled both). An
       entry the user's own item finds no longer applies is left to that item.
    2. The group's dates (:func:`group_dates`): the export's word is newer, it is pushed. Or Sigma's SCIM group is
       as an apply of this tool left it (``set_by``, :func:`written_group`, not an undo's): its date is no word of
       the IdP's, so the export's word is pushed (``settled_by`` :data:`SETTLED_BY_RUN`; tester13 #2: a team's
       ``scim.link_group`` made SCIM's group list its legacy members, then called the export stale). An undo's write
       asks (step 5; tester12 #1): the rollback said those members, and pushing the export again redoes the
       migration's push.
    3. The user's own record in the export is newer than SCIM's last change of the group (a reactivation, a
       rename: Okta's ``lastUpdated`` of the user moves, its group's ``lastMembershipUpdated`` does not): the export
       was taken after SCIM's change of the group, so the user rule decides (the user's own dates,
       :meth:`PlannedState.dates`): the export's word is pushed when it is newer for the user (tester11 findings 5
       and 6: a rehired or renamed person's team was "stale, export again" forever, every push moving SCIM's date).
    4. An entry for a user with no disagreement of their own answers the membership question as the user rule
       answers a user's (:meth:`PlannedState.verdict`): in its direction, unless 2 or 3 find the export newer and
       it says ``scim_state``: an entry the dates contradict no longer applies (``stale_entry``, the item names
       it), so an answer written for an earlier wave never keeps SCIM's membership silently over a newer export.
    5. Otherwise nobody (``newer`` ``None``): the caller keeps SCIM's membership and asks.

    Errors: none."""
    entry = planned.entry(user, idp_id)
    own = planned.own_verdicts.get(user.id)
    if entry is not None:
        planned.report_use(entry, user, found)
        if own is not None and own.stale_entry is None:
            return Verdict(entry.newer, dates.change_dates, SETTLED_BY_POLICY)
    by_dates = None
    if dates.change_dates.newer == IDP_EXPORT:
        by_dates = Verdict(IDP_EXPORT, dates.change_dates, SETTLED_BY_DATES)
    elif set_by is not None and not set_by.undo:
        by_dates = Verdict(IDP_EXPORT, dates.change_dates, SETTLED_BY_RUN)
    else:
        users = planned.dates(user, idp_id)
        if dates.scim and users.export and users.export > dates.scim and users.newer == IDP_EXPORT:
            by_dates = Verdict(IDP_EXPORT, users, SETTLED_BY_DATES)
    if entry is not None and own is None:
        if by_dates is not None and by_dates.newer != entry.newer:
            return Verdict(None, by_dates.dates, stale_entry=entry)
        return Verdict(entry.newer, dates.change_dates, SETTLED_BY_POLICY)
    return by_dates or Verdict(None, dates.change_dates)


def _membership_conflict_item(action: ScimSetGroupMembers, group: ScimGroup,
                              asked: list[tuple[ScimUser, bool, Verdict]], dates: GroupDates,
                              set_by: AppliedPush | None = None) -> ReviewItem:
    """Blocking ``scim.state_conflict`` over the memberships of ``group`` the dates do not settle (``asked``:
    the user, whether SCIM's group lists them, the verdict): names each, both dates and what they show
    (:meth:`GroupDates.words`), and the ``linking.scim_state_conflicts`` entries that settle them (short form,
    per user). ``set_by``: the run of a plan given to ``plan --applied`` that set the members SCIM's group lists
    now (:attr:`planner.directory.ScimState.pushed`): the item names it as the side that set them (an undo run put
    the team back to its earlier members), and asks which side holds, since exporting the IdP again changes nothing
    (tester12 #1: 'the export is older, so it is stale for them; export the IdP again')."""
    target = action.target
    people = "; ".join(f"{u.user_name} ({'in' if in_scim else 'not in'} SCIM's group, "
                       f"{'not in' if in_scim else 'in'} the export's)" for u, in_scim, _ in asked)
    newer = dates.change_dates.newer
    by = ""
    if set_by is not None and not set_by.undo:  # only an entry the run's write contradicts asks
        by = f"SCIM's group members were set by {set_by.kind} of {set_by.words()}, not by the IdP"
        fix = "the export's membership holds: remove each entry that no longer applies, or settle each"
        newer = None
    elif set_by is not None:
        by = (f"SCIM's group members were set by {set_by.words()} (the undo put the team back to the members it had "
              "before), not by the IdP")
        fix = "exporting the IdP again changes nothing: keep them (scim_state) or push the export's (idp_export)"
        newer = None  # both answers are offered
    elif newer == SCIM_STATE:
        fix = "export the IdP again and plan again"
    elif newer == IDP_EXPORT:  # only an entry the dates contradict asks: exporting again changes nothing
        fix = "the export is newer: remove each entry that no longer applies, or settle each"
    elif dates.scim and dates.export:
        fix = "export the IdP again and plan again, or settle each"
    else:
        fix = "export the IdP again (sigma-migrate fetch-idp records when it read the IdP) and plan again, or settle each"
    stale = [v.stale_entry.text() for _, _, v in asked if v.stale_entry is not None]
    keys = [u.external_id or u.user_name for u, _, _ in asked]
    head = (f"the linking.scim_state_conflicts entr{'y' if len(stale) == 1 else 'ies'} {', '.join(stale)} no longer "
            "appl" + ("ies" if len(stale) == 1 else "y") + ": ") if stale else ""
    return make_review(
        "scim.state_conflict", action.id, blocking=True,
        subject=ItemRef(team_id=target.team_id, name=target.name, group_id=target.group_id),
        message=(f"{head}team {target.name!r}: Sigma's SCIM group and the IdP export's group {target.group_display_name!r} "
                 f"disagree on {len(asked)} member(s) SCIM provisioned: {people}; {dates.words(by)}; the plan keeps "
                 f"SCIM's membership and does not push the export's over it; {fix}"),
        rule="scim_state.conflict",
        evidence=ItemEvidence(action=action.id, attribute="members",
                              scim_last_modified=dates.scim, export_last_updated=dates.export_last_updated),
        resolution=yaml_snippet({"linking": {"scim_state_conflicts": {k: SCIM_STATE for k in keys}}},
                                notes=["scim_state: keep SCIM's membership (each entry settles that user's "
                                       "disagreements); or export the IdP again"])
        if newer == SCIM_STATE else
        yaml_snippet({"linking": {"scim_state_conflicts": {k: SCIM_STATE for k in keys}}},
                     {"linking": {"scim_state_conflicts": {k: IDP_EXPORT for k in keys}}},
                     notes=["scim_state: keep SCIM's membership; idp_export: the export is newer, push its "
                            "membership (each entry settles that user's disagreements)"] if set_by is None else
                     [f"scim_state: keep the members the run set; idp_export: push the export's membership"
                      f"{' again' if set_by.undo else ''} (each entry settles that user's disagreements)"]),
    )


def with_scim_id(action: Action, scim_id: str) -> Action:
    """``action`` with its target's ``scimId``: the id Sigma's SCIM state lists for the user or group
    it changes, so ``apply --dry-run`` shows the request path apply will use, not a placeholder."""
    return replace(action, target=replace(action.target, scim_id=scim_id)) if scim_id else action


def settle_group(action: ScimLinkGroup | ScimCreateGroup | ScimSetGroupMembers, planned: PlannedState) -> Settlement:
    """A team action whose group SCIM already holds with the planned displayName and members is dropped;
    a membership change keeps the members SCIM holds against an older export (:func:`held_group_members`),
    and keeps SCIM's side of every membership the dates do not show the export newer on
    (:func:`dated_group_members`, whose blocking ``scim.state_conflict`` it returns)."""
    group = _provisioned_group(planned.state, action)
    item = None
    if group is not None and isinstance(action, ScimSetGroupMembers):
        action = _keep_held_members(action, group, planned)
        action, item = dated_group_members(action, group, planned)
    name = None if isinstance(action, ScimSetGroupMembers) else action.after.display_name
    satisfied = (group is not None and (name is None or group.display_name == name)
                 and _group_members_satisfied(planned.state, group, action))
    if satisfied:
        return Settlement(None, item)
    return Settlement(with_scim_id(action, group.id) if group is not None else action, item)


def settle_member_edit(action: Action, planned: PlannedState) -> Settlement:
    """A REST edit (:data:`REST_MEMBER_KINDS`) of a SCIM-managed member, which Sigma refuses (403,
    docs/sigma-api.md §5.3, §10.6): a deactivation goes through SCIM instead; a reactivation of a member
    the IdP made inactive is dropped when the link sends ``active: true``; anything else is dropped
    with a blocking ``scim.managed_member``."""
    user = planned.state.managed_user(action.target.member_id)
    if user is None:
        return _settle_unkeyed_deactivation(action, planned)
    if isinstance(action, MembersDeactivate):
        return _settle_deactivation(action, user, planned)
    if (isinstance(action, MembersReactivate) and action.after.is_inactive is not UNSET
            and action.target.member_id in planned.linked):
        return Settlement(None)  # the link sends active: true through SCIM
    return Settlement(None, _managed_item(action, user, action.kind.value.split(".")[1].replace("_", " ")))


def _settle_unkeyed_deactivation(action: Action, planned: PlannedState) -> Settlement:
    """A REST edit of a member with no provisioned SCIM user: kept, unless it deactivates a member SCIM lists
    without ``externalId`` and not known to be pre-SCIM (:attr:`planner.directory.ScimState.without_external_id`):
    an IdP that sends no ``externalId`` may have provisioned them (Sigma then refuses the REST deactivation, 403),
    so it is settled as a provisioned user's (:func:`_settle_deactivation`: a ``scim.state_conflict`` on the
    export's absence). An ``unmatched.decisions`` entry deactivating them is the admin's word that they were
    made by hand: the REST deactivation is kept, unless a ``linking.scim_state_conflicts`` entry names them too
    (:func:`planner.directory.taken_as_provisioned`: the admin's word that SCIM made them, which Sigma's 403 to the
    REST deactivation shows; tester12 #10)."""
    user = planned.state.without_external_id.get(action.target.member_id)
    if user is None or not isinstance(action, MembersDeactivate) or (
            action.rule == "unmatched.decisions" and not taken_as_provisioned(user, frozenset(planned.conflicts))):
        return Settlement(action)
    return _settle_deactivation(action, user, planned)


def _settle_deactivation(action: MembersDeactivate, user: ScimUser, planned: PlannedState) -> Settlement:
    """A deactivation of SCIM-managed ``user``, which SCIM has active: the export alone says so (the IdP
    user deactivated, out of scope, or absent), so it is a conflict the dates or the policy settle
    (:meth:`PlannedState.verdict`; a user the export lacks has no date of its own): through SCIM
    (``idp_export``, a leaver the IdP updated after SCIM last changed them), dropped (``scim_state``), else
    dropped with the blocking item."""
    idp_id = action.evidence.idp_id or None
    found = deactivation_disagreement(user, idp_id, action.evidence.idp_status or None,
                                      action.evidence.kind == PersonStatus.NOT_IN_SCOPE.value, planned)
    verdict = planned.verdict(user, idp_id, found)
    if verdict.newer == IDP_EXPORT:
        return Settlement(_deactivate_through_scim(action, user, verdict, planned.provisioning_admin))
    if verdict.newer == SCIM_STATE:
        return Settlement(None)
    return Settlement(None, conflict_item(action, user, idp_id, found, planned, verdict), verdict)


def deactivation_disagreement(user: ScimUser, idp_id: str | None, idp_status: str | None, out_of_scope: bool,
                              planned: PlannedState) -> tuple[Disagreement, ...]:
    """The disagreement a deactivation of SCIM-managed ``user`` (linked to IdP user ``idp_id``, whose export
    status is ``idp_status``) stands on: SCIM has them active, the export does not: in no group of
    ``scope.groups`` (``out_of_scope``: a membership disagreement, tester6 finding 16), inactive
    (``DEPROVISIONED (00u1)``), or absent (no IdP user of the export has the id). The one reading of it for
    :func:`_settle_deactivation` and :func:`kept_by_scim_state`, so both come to the same verdict."""
    scim_active = user.active if user.active is not None else True
    if idp_id and idp_id in planned.idp_users and out_of_scope:
        # active in the IdP, but in no scope group: the export unassigns them (tester6 finding 16)
        export = f"in no group of scope.groups ({idp_id}, {idp_status or 'active'} in the IdP)"
        return (Disagreement("active", scim_active, False, export, membership=True),)
    if idp_id and idp_id in planned.idp_users:
        return (Disagreement("active", scim_active, False, f"{idp_status or 'inactive'} ({idp_id})"),)
    return _absent_disagreement(user)


KEPT_FROM = frozenset({PersonStatus.LEAVER, PersonStatus.NOT_IN_SCOPE})
"""The statuses :func:`kept_by_scim_state` may turn into ``scim_kept``: an active member whose IdP user the
export shows inactive or outside ``scope.groups``."""


def kept_by_scim_state(people: tuple[Person, ...], state: ScimState, conflicts: Mapping[str, object],
                       idp_users: Mapping[str, IdpUser], uses: list[EntryUse] | None = None,
                       export_read_at: str | None = None) -> tuple[Person, ...]:
    """Step 7b of :func:`planner.planning.decide`: who counts as active though the export says otherwise,
    decided once, before the families that read it (account types, teams, unmatched members, guards).

    A person of status ``leaver`` or ``not_in_scope`` (:data:`KEPT_FROM`) whose member SCIM provisioned
    (``externalId``) and has active, and whose deactivation ``linking.scim_state_conflicts`` settles with
    ``newer: scim_state`` (:meth:`PlannedState.verdict` over :func:`deactivation_disagreement`, the verdict
    :func:`_settle_deactivation` would give), becomes ``scim_kept``
    (:attr:`~planner.directory.PersonStatus.SCIM_KEPT`) sending SCIM's ``userName``: nothing deactivates
    them, and the pushes of the groups the export lists them in keep them, as do the pushes of the teams whose
    SCIM group lists them (the SCIM state said they are members; :func:`planner.rules.teams.team_people`,
    :attr:`planner.rules.teams.Leftovers.scim_kept`), where before the push silently dropped them (tester9
    finding F5). The same for the account type: a person whose provisioned member has a SCIM ``userType`` the
    entry keeps (the verdict :func:`settle_account_type` gives a ``userType`` disagreement with ``newer:
    scim_state``: :func:`kept_user_type`) carries it as :attr:`~planner.directory.Person.scim_user_type`, which
    the account-type family plans instead of the export's type (tester10 finding 1: it planned Admin -> View, a
    blocking admin_downgrade, "Admins losing Admin" and a hand-off assigning View, while the settling dropped the
    change). ``people``: the records after guests (step 7), sorted; returns them in the same order, new records
    for the kept ones. No SCIM state or no entry: ``people`` unchanged (only an entry says ``scim_state``; the
    dates alone never keep a deactivated user or a type). ``export_read_at``: when ``fetch-idp`` read the IdP
    (:attr:`PlannedState.export_read_at`), which dates the export's users as the settling does (:func:`export_date`)."""
    if not state.known or not conflicts:
        return people
    planned = PlannedState.of(state, [], conflicts, idp_users, uses=uses, export_read_at=export_read_at)
    quiet = replace_record(planned, uses=[])  # a kept type is a use only where the policy's type differs (account_types)
    out = []
    for p in people:
        user = state.users.get(p.member.member_id) if p.member is not None else None
        if p.status in KEPT_FROM and p.member is not None and p.member.is_active and p.idp_user is not None:
            if user is not None and user.external_id and user.active is not False:
                found = deactivation_disagreement(user, p.idp_user.id, p.idp_user.status or None,
                                                  p.status is PersonStatus.NOT_IN_SCOPE, planned)
                if planned.verdict(user, p.idp_user.id, found).newer == SCIM_STATE:
                    p = replace(p, status=PersonStatus.SCIM_KEPT, user_name=user.user_name,
                                user_name_key=user.user_name_key)
        if user is not None and (kept := kept_user_type(user, p.idp_id, quiet)) is not None:
            p = replace(p, scim_user_type=kept[0], scim_type_entry=kept[1])
        out.append(p)
    return tuple(out)


def kept_absent(state: ScimState, conflicts: Mapping[str, object], idp_users: Mapping[str, IdpUser]
                ) -> frozenset[str]:
    """The memberIds of the active members Sigma's SCIM state shows the IdP provisioned (:attr:`ScimState.users`,
    an ``externalId`` naming no IdP user of the export; or :attr:`ScimState.without_external_id`, which only the
    policy's word makes the IdP's) that the IdP export lacks and whose absence the policy keeps as SCIM has it: the
    verdict :func:`_settle_deactivation` gives their deactivation (:meth:`PlannedState.verdict` over
    :func:`_absent_disagreement`) is ``scim_state``, from a ``linking.scim_state_conflicts`` entry. They sign in
    through the IdP, so their person row is no lock-out (:func:`planner.outcomes.scim_managed`, tester10 finding 4).
    Empty without SCIM state or entries; entries consulted here are not reported (the deactivation's settling
    reports them, when one is planned)."""
    if not state.known or not conflicts:
        return frozenset()
    planned = PlannedState.of(state, [], conflicts, idp_users)
    kept = set()
    for member_id, user in (*state.users.items(), *state.without_external_id.items()):
        if user.active is False or (user.external_id and user.external_id in idp_users):
            continue
        if planned.verdict(user, None, _absent_disagreement(user)).newer == SCIM_STATE:
            kept.add(member_id)
    return frozenset(kept)


def conflict_entry_absences(conflicts: Mapping[str, object], directory: Directory) -> list[EntryUse]:
    """Why each ``linking.scim_state_conflicts`` entry would settle nothing when :meth:`PlannedState.verdict` never
    consults it (:mod:`.policy_entries`; an :class:`~planner.rules.policy_entries.EntryUse` that settled nothing
    each): its key names no IdP user of the export and no user of Sigma's SCIM state (the person left), Sigma's
    export has no SCIM state, or Sigma's SCIM state and the export do not disagree on the user."""
    state = directory.scim
    uses = []
    for key in conflicts:
        if not state.known:
            why = "Sigma's export has no SCIM state to disagree with"
        elif key != "*" and directory.find_idp_id(key) is None and key not in state.by_external_id \
                and key not in state.shared_external_ids and email_key(key) not in state.by_user_name:
            why = f"{key} names no IdP user of the export and no user of Sigma's SCIM state"
        else:
            why = "Sigma's SCIM state and the IdP export do not disagree on " + ("anyone" if key == "*" else key)
        uses.append(EntryUse("linking.scim_state_conflicts", key, "", why))
    return uses


def kept_user_type(user: ScimUser, idp_id: str | None, planned: PlannedState) -> tuple[str, str] | None:
    """``(SCIM's userType, the linking.scim_state_conflicts key keeping it)`` of provisioned ``user`` (linked to IdP
    user ``idp_id``) when the policy keeps it over any other type the export would give: the verdict of a
    ``userType`` disagreement (the one :func:`settle_account_type` reads) is ``scim_state`` (an entry saying so,
    which fits SCIM's value and which the dates do not contradict); ``None`` otherwise (no type, no externalId, no
    such entry). The export's value plays no part in that verdict (an entry for ``scim_state`` records SCIM's
    side)."""
    if not user.external_id or not user.user_type:
        return None
    found = (Disagreement("userType", user.user_type, "", membership=True),)
    if planned.verdict(user, idp_id, found).newer != SCIM_STATE:
        return None
    entry = planned.entry(user, idp_id)
    return (user.user_type, entry.key) if entry is not None else None


def settle_team_removal(action: TeamsRemoveMember, planned: PlannedState) -> Settlement:
    """A removal of a SCIM-managed member from a SCIM-managed team is kept as the teams family decided
    it (:func:`planner.rules.teams.removed_by_push`): by the push of the group's member list when the SCIM
    group lists the member (``evidence.removedBy``: no REST request, apply checks they are gone), else
    through the REST API, the cleanup Sigma names for a membership the push does not see (docs/sigma-api.md
    §5.4); never a blocking item asking the IdP to remove someone its group does not hold. But a member the
    export lacks (:func:`held_absent`) is held, as the group's member list keeps them when the team's SCIM group
    holds them, and so is a member whose deactivation a blocking ``scim.state_conflict`` holds, whatever the export
    says of them (:func:`held_in_teams`): dropped with the informational ``scim.held_member``, by the push or
    through REST alike (was: a REST removal of such a member stood beside the blocking ``scim.state_conflict``
    asking whether they are still active; issue 10, holds2 and holds3)."""
    member_id = action.target.member_id
    user = planned.state.users.get(member_id) or planned.state.without_external_id.get(member_id)
    if user is not None and held_in_teams(user, planned):
        return Settlement(None, _held_member_item(action, user, planned))
    return Settlement(action)


def held_in_teams(user: ScimUser, planned: PlannedState) -> bool:
    """Whether SCIM-managed ``user`` keeps their team memberships whatever the export says of them: the export
    cannot act on their absence on its word alone (:func:`held_absent`), or a blocking ``scim.state_conflict``
    holds their deactivation (:attr:`PlannedState.questioned`: the export lists them inactive or outside
    ``scope.groups``, SCIM has them active, and neither the dates nor the policy say which is newer). The one
    rule of :func:`settle_team_removal`, absent or inactive alike, as the team's push keeps them
    (:func:`_keep_held_members`) (was: the removal of an inactive leaver stood beside the question; issue 10,
    holds3)."""
    return user.id in planned.questioned or held_absent(user, planned)


def _held_member_item(action: TeamsRemoveMember, user: ScimUser, planned: PlannedState) -> ReviewItem:
    """Informational ``scim.held_member``: ``user`` stays in a team (:func:`held_in_teams`). For a member the export
    lists but a blocking ``scim.state_conflict`` holds the deactivation of, the message names that question, says
    what the dates of that question show (:func:`dates_reading` of its verdict, the reading the question words too:
    SCIM newer, the export newer than an entry that says otherwise, an absence, or no order) and the fix that
    fits it, asking which is newer only where the dates do not say (tester12: 'asks which is newer' where the dates
    said the export is older); for one absent from the export, it says what the dates show
    (:attr:`ChangeDates.absence`): an export newer than SCIM's record of them (deleted in the IdP, or left out of
    the export), one older than them (SCIM created them after its newest record: evidence ``scimCreated``; was
    judged by SCIM's last change, which a push after the export moves for a person made before it), or no dates;
    and the fix that exists: the ``linking.scim_state_conflicts`` entry that settles their deactivation."""
    target = action.target
    key = user.external_id or user.user_name
    entry = f"linking.scim_state_conflicts: {{{key}: {{newer: idp_export, active: false}}}}"
    question = planned.questioned.get(user.id)
    held = held_absent(user, planned)
    dates = question.dates if question is not None and not held else planned.dates(user, None)
    reading = dates_reading(dates)
    if question is not None and not held and reading not in (ABSENT_FROM_NEWER_EXPORT, ABSENT_FROM_OLDER_EXPORT,
                                                             ABSENT_FROM_LATER_READ):
        why, fix = _question_words(question, f"scim.state_conflict:members.deactivate:{target.member_id}", entry)
        return make_review(
            "scim.held_member", action.id, blocking=False,
            subject=person_ref(member_id=target.member_id, email=target.email, user_name=user.user_name),
            message=(f"{target.email or user.user_name} stays in team {target.name!r}: provisioned by SCIM, which has "
                     f"them active, while the IdP export would deactivate them; {why}, so the plan does not remove "
                     f"them while it is open; {fix}"),
            rule="scim_state.held_member",
            evidence=ItemEvidence(action=action.id, external_id=user.external_id or UNSET,
                                  scim_last_modified=dates.scim,
                                  export_last_updated=dates.export_last_updated or UNSET,
                                  stale_entry=question.stale_entry.text() if question.stale_entry else UNSET))
    if reading == ABSENT_FROM_NEWER_EXPORT:
        why = (f"absent from an IdP export newer than SCIM's record of them (SCIM last changed them {dates.scim}, "
               f"the export has records of {dates.export_newest}): deleted in the IdP, or left out of the export "
               "(an Okta listing without a filter lacks DEPROVISIONED users)")
        fix = (f"if they left, {entry} deactivates them and removes them from the team; "
               "if the export left them out, export the IdP again and plan again")
    elif reading == ABSENT_FROM_LATER_READ:
        why = f"absent from the IdP export: {dates.read_after_made_words()}"
        fix = (f"unmatched.decisions settles them ({target.email or user.user_name}: keep, or deactivate through the "
               f"REST API); if the IdP made them and they left, {entry} deactivates them")
    elif reading == ABSENT_FROM_OLDER_EXPORT:
        why = f"absent from the IdP export: {dates.made_after_export_words()}"
        fix = f"export the IdP again and plan again (if they left, {entry} deactivates them)"
    elif dates.scim and dates.scim_created and dates.export_newest:
        why = (f"absent from the IdP export, and the dates do not tell why (SCIM created them {dates.scim_created}, "
               f"before the export's newest record, of {dates.export_newest}, and last changed them {dates.scim}, "
               "after it): deleted in the IdP, left out of the export, or the export was taken before SCIM's change")
        fix = f"export the IdP again and plan again; if they left, {entry} deactivates them"
    else:
        why = ("absent from the IdP export, and the inputs do not date it against SCIM's record of them: SCIM "
               "added them after the export was taken, or they were deleted in the IdP")
        fix = f"export the IdP again and plan again; if they left, {entry} deactivates them"
    return make_review(
        "scim.held_member", action.id, blocking=False,
        subject=person_ref(member_id=target.member_id, email=target.email, user_name=user.user_name),
        message=(f"{target.email or user.user_name} stays in team {target.name!r}: "
                 + ("listed by SCIM without an externalId" if reading == ABSENT_FROM_LATER_READ else "provisioned by SCIM")
                 + f", {why}, so the plan does not remove them on the export's word alone; {fix}"),
        rule="scim_state.held_member",
        evidence=ItemEvidence(action=action.id, external_id=user.external_id, scim_last_modified=dates.scim,
                              export_newest=dates.export_newest or UNSET,
                              scim_created=user.created if reading in (ABSENT_FROM_OLDER_EXPORT,
                                                                       ABSENT_FROM_LATER_READ) else UNSET),
    )


def _question_words(verdict: Verdict, question: str, entry: str) -> tuple[str, str]:
    """``(what the dates show and what the blocking ``question`` asks, the fix)`` for the ``scim.held_member`` of a
    member the export lists whose deactivation ``question`` holds, by :func:`dates_reading` of its ``verdict``
    (the reading :func:`conflict_item` words it by): SCIM newer (the export is older: export again), the export
    newer but a ``linking.scim_state_conflicts`` entry saying otherwise (remove it), or no order (which is newer?:
    ``entry``, the ``idp_export`` entry, if they left). An entry that no longer applies is named."""
    dates, stale = verdict.dates, verdict.stale_entry
    reading = dates_reading(dates)
    gone = f"the linking.scim_state_conflicts entry {stale.text()} no longer applies, " if stale is not None else ""
    if reading == SCIM_STATE:
        return (f"the dates show Sigma's SCIM state is newer ({dates.words()}): the export is older, {gone}and the "
                f"blocking {question} asks for a newer export",
                "export the IdP again and plan again (an export read after SCIM's change settles it"
                + (", once the entry is removed)" if stale is not None else ")"))
    if reading == IDP_EXPORT:  # only an entry the dates contradict asks (verdict.stale_entry)
        said = f" {stale.text()}" if stale is not None else ""
        return (f"the dates show the IdP export is newer ({dates.words()}), but the linking.scim_state_conflicts "
                f"entry{said} says otherwise, and the blocking {question} asks to remove it",
                "remove the entry and plan again (the dates then deactivate them and remove them from the team)")
    return (f"the dates do not say which is newer ({dates.words()}), {gone}and the blocking {question} asks which "
            "is", f"once it is settled, plan again (if they left, {entry} deactivates them and removes them from "
                  "the team)")


def settle_action(action: Action, planned: PlannedState) -> Settlement:
    """The :class:`Settlement` of one action: the ``settle_*`` rule of its kind (others are kept)."""
    if isinstance(action, (ScimLinkUser, ScimCreateUser)):
        return settle_user(action, planned)
    if isinstance(action, ScimSetAccountType):
        return settle_account_type(action, planned)
    if isinstance(action, (ScimLinkGroup, ScimCreateGroup, ScimSetGroupMembers)):
        return settle_group(action, planned)
    if action.kind in REST_MEMBER_KINDS:
        return settle_member_edit(action, planned)
    if isinstance(action, TeamsRemoveMember):
        return settle_team_removal(action, planned)
    return Settlement(action)


def settle(state: ScimState, actions: list[Action], conflicts: Mapping[str, str] | None = None,
           idp_users: Mapping[str, IdpUser] | None = None, provisioning_admin: DocumentOwner | None = None,
           returning: frozenset[str] = frozenset(),
           idp_groups: Mapping[str, Group] | None = None, uses: list[EntryUse] | None = None,
           idp_fetched_at: str | None = None) -> tuple[list[Action], list[ReviewItem]]:
    """Drop what Sigma's SCIM state already satisfies and replace what Sigma forbids (module
    docstring; one :func:`settle_action` per action); dependencies on a dropped action are removed,
    on a replaced one re-pointed. ``conflicts`` (``linking.scim_state_conflicts``) and ``idp_users``
    (the export's users) settle and date disagreements; ``provisioning_admin`` receives the documents of
    a SCIM deactivation (:class:`PlannedState`); ``returning``: the members ``linking.reused_addresses``
    links as the same person returning (:attr:`ScimLinks.returning`); ``idp_groups`` (the export's groups)
    date the memberships a push and SCIM's group disagree on; ``uses``: where the ``linking.scim_state_conflicts``
    entries consulted are reported (:meth:`PlannedState.verdict`); ``idp_fetched_at``: when ``fetch-idp`` read the IdP
    (:attr:`PlannedState.export_read_at`). Returns the actions (same order) and the review
    items raised. No SCIM state: unchanged."""
    if not state.known:
        return actions, []
    planned = PlannedState.of(state, actions, conflicts, idp_users, provisioning_admin, returning, idp_groups, uses,
                              idp_fetched_at)
    # the pushes and the team removals last: both keep whom a blocking question about their deactivation holds
    # (PlannedState.questioned), so the deactivations are settled first
    last = (ScimSetGroupMembers, TeamsRemoveMember)
    first = {i: settle_action(a, planned) for i, a in enumerate(actions) if not isinstance(a, last)}
    questioned = {actions[i].target.member_id: x.verdict for i, x in first.items()
                  if isinstance(actions[i], MembersDeactivate) and x.action is None and x.verdict is not None
                  and x.review_item is not None and x.review_item.code == "scim.state_conflict"}
    if questioned:
        planned = replace_record(planned, questioned=questioned)
    out: list[Action] = []
    items: list[ReviewItem] = []
    renamed: dict[str, str] = {}  # action id -> its replacement's id, "" when dropped
    for i, a in enumerate(actions):
        settled = first[i] if i in first else settle_action(a, planned)
        if settled.review_item is not None:
            items.append(settled.review_item)
        if settled.action is None:
            renamed[a.id] = ""
        else:
            if settled.action is not a:
                renamed[a.id] = settled.action.id
            out.append(settled.action)
    return (_repoint(out, renamed) if renamed else out), items


def _repoint(actions: list[Action], renamed: dict[str, str]) -> list[Action]:
    """``actions`` with each dependency on a dropped action removed, on a replaced one re-pointed."""
    fixed = []
    for a in actions:
        if any(d in renamed for d in a.depends_on):
            deps = {renamed.get(d, d) for d in a.depends_on} - {""}
            a = replace(a, depends_on=tuple(sorted(deps)))
        fixed.append(a)
    return fixed


__all__ = ["SCIM_KEY", "hold_second_teams", "second_team_item", "second_teams", "ScimLinks", "names_another_identity", "reused_address", "reused_address_item", "scim_on", "ChangeDates", "export_date", "Disagreement", "entry_fits", "PlannedState", "Verdict", "Settlement", "conflict_item", "deactivation_disagreement", "dated_group_members", "membership_verdict", "kept_absent", "group_dates", "GroupDates", "never_in_group", "held_absent", "held_group_members", "held_in_teams", "kept_by_scim_state", "kept_user_type", "with_scim_id", "link_disagreements", "merge_pins", "scim_documents_note", "scim_link", "scim_links", "settle", "settle_action"]
