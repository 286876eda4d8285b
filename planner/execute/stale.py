"""The stale-plan check: before the first write, is Sigma still what the plan was computed against?

A plan carries, per object it touches, the Sigma state it was planned
against: ``plan.fingerprints`` (:class:`planner.model.Fingerprints`: a
:class:`~planner.model.MemberState` per ``member:<memberId>``, a
:class:`~planner.model.TeamState` per ``team:<teamId>``). Like Terraform
refusing a plan whose prior state moved, apply re-reads every such object
(``GET /v2/members/{id}``; ``GET /v2/teams/{id}`` and its members) and
compares it with that state, field by field (by the REST field names).

A live value is accepted when it equals the planned-against value **or** the
value the plan itself sets (so ``--resume`` and a re-apply of a finished plan
are not "stale" because of the plan's own writes):

- scalars: ``isArchived`` true after ``members.deactivate``/``disable_guest``;
  ``userKind`` after ``members.convert_guest``; ``memberType`` after
  ``scim.set_account_type``/``scim.link_user`` (``after.userType``); names after
  a link; ``isInactive`` after ``scim.deactivate_user``; ``email`` after
  ``members.set_email``; ``isArchived`` false after ``members.reactivate``;
- team member lists (``memberIds``): a member gone is accepted
  when the plan removes it (``teams.remove_member`` of that memberId, or a group
  action whose planned members leave out a member the team held SCIM-managed: one the
  plan links, or one its ``before.members`` name, :func:`left_by_push`); a member
  added is accepted when a group action of the plan puts that person (by
  email = userName) into the team.

Anything else is drift: :func:`check_stale` returns one :class:`Drift` per
object with every changed field, and apply refuses, naming them.
``updatedAt``/``updatedBy`` are ignored (they move with any write).

Objects made since the plan are drift too when they collide with a planned create
or address (:func:`find_impostors`): a member whose email, letter case aside, is an
address an action gives (:func:`~planner.payloads.addresses_claimed`: the ``userName``
or email of a ``scim.create_user``, the target of a ``members.set_email``, a link's
``userName``), a team whose name is the ``displayName`` of a ``scim.create_group``.
Sigma would answer the create 409 (or link by email, §5.3) and apply would adopt
that object, though the approval was for a create; a ``members.set_email`` would
fail 409 after every write before it (tester6 finding 10). So is a SCIM user that holds the
``externalId`` a planned ``scim.create_user`` / ``scim.link_user`` sends under another ``userName``
(:func:`external_id_collisions`): Sigma keys the ``POST /Users`` on its userName alone and would give that IdP user
a second account (tester14b finding 7); and a SCIM group that holds the ``externalId`` (the IdP group's id) a planned
``scim.create_group`` / ``scim.link_group`` sends under another ``displayName``: Sigma keys the ``POST /Groups`` on
its displayName alone and would give that IdP group a second team (tester16b finding 2).
So is a member a REST edit of the run targets (:data:`REST_MEMBER_EDITS`)
whom an IdP provisioned through SCIM since the plan (:func:`provisioned_since_plan`: a SCIM user with an
``externalId`` whose ``userName`` is the member's email; Sigma links it to the member without changing the member's
REST record, so the fields above cannot show it): the edit was decided while no IdP managed the member, and would
lock out or re-address a person the IdP now manages (tester14b finding 12); a SCIM user the plan's own started link
or create made is the plan's own value.
"""

from __future__ import annotations

from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

import msgspec

from ..model import (
    SCHEDULER_ROBOT_EMAIL, SCHEDULER_ROBOT_MEMBER_ID, SCIM_LINK_KEY, Action, ActionKind, MemberState, Plan, TeamState,
    email_key,
)
from ..payloads import (
    MembersConvertGuest,
    MembersDeactivate,
    MembersDisableGuest,
    MembersReactivate,
    MembersSetEmail,
    ScimCreateGroup,
    ScimCreateUser,
    ScimDeactivateUser,
    ScimLinkUser,
    ScimSetAccountType,
    ScimSetGroupMembers,
    TeamsRemoveMember,
    addresses_claimed,
    new_owner_id,
    target_member_id,
    target_team_id,
)
from ..sources.values import team_name_key
from .errors import ApiError, ApplyRefused
from .external_ids import held_elsewhere, posted_external_id, provisioned_users
from .rest_client import MemberRecord, SigmaRestClient
from .scim_client import ScimUserRecord, SigmaScimClient

IGNORED_FIELDS = frozenset({"updatedAt", "updatedBy"})
LIST_FIELDS = ("memberIds",)


@dataclass(frozen=True)
class FieldChange:
    """One field that moved: ``planned`` is the value the plan saw, ``live`` what Sigma has now."""

    field: str
    planned: Any
    live: Any
    joined: tuple[str, ...] = ()
    left: tuple[str, ...] = ()
    """For a list of ids (a team's ``memberIds``): who joined and who left since the plan; ``planned``
    is then how many the plan saw."""

    def __str__(self) -> str:
        if self.joined or self.left:
            moved = [f"{', '.join(self.joined)} joined" if self.joined else "",
                     f"{', '.join(self.left)} left" if self.left else ""]
            return f"{self.field}: {' and '.join(m for m in moved if m)} (the plan saw {self.planned})"
        return f"{self.field} {self.planned!r} -> {self.live!r}"


@dataclass(frozen=True)
class Drift:
    """An object whose live state no longer matches the plan: ``key`` (``member:<id>``), a
    human ``label`` (email / team name), and its ``changes`` (empty + ``missing`` when gone)."""

    key: str
    label: str
    changes: tuple[FieldChange, ...] = ()
    missing: bool = False
    collides_with: Action | None = None
    """For an object made since the plan: the planned create it collides with (:func:`find_impostors`)."""
    undone: tuple["UndoneAction", ...] = ()
    """Actions the journal records done on this object whose result Sigma no longer shows (:func:`undone_on`)."""
    external_id: str = ""
    """For a SCIM user (``user:<id>``, labelled with its ``userName``) or group (``group:<id>``, labelled with its
    ``displayName``): the ``externalId`` it holds that :attr:`collides_with` (a ``POST /Users`` or ``POST /Groups``)
    sends too (:func:`external_id_collisions`); for a member an IdP provisioned since the plan (:attr:`rest_edits`),
    the ``externalId`` of its SCIM user."""
    scim_user: str = ""
    """For a member an IdP provisioned since the plan: the ``id`` of the SCIM user that manages it now
    (:func:`provisioned_since_plan`)."""
    rest_edits: tuple[Action, ...] = ()
    """For a member an IdP provisioned since the plan: the plan's REST edits of it this run would send
    (:data:`REST_MEMBER_EDITS`, in plan order), decided while no IdP managed it (:func:`provisioned_since_plan`)."""
    another_idp_user: bool = False
    """For a SCIM user (``user:<id>``) whose ``userName`` a planned ``scim.link_user`` (:attr:`collides_with`) links:
    it holds :attr:`external_id`, another IdP user's id than the one the link sends (:func:`linked_to_another`)."""

    @property
    def stale(self) -> bool:
        """Changed since the plan (a field, gone, made since it, or provisioned through SCIM since it): what
        :func:`stale_message` names."""
        return bool(self.changes or self.missing or self.collides_with is not None or self.rest_edits)

    def __str__(self) -> str:
        name = f"{self.key} ({self.label})" if self.label else self.key
        if self.missing:
            return f"{name}: no longer exists"
        if self.rest_edits:
            edits = ", ".join(f"{a.id} ({a.kind.value})" for a in self.rest_edits)
            return (f"{name}: SCIM user {self.scim_user} (externalId {self.external_id}) manages it now, provisioned "
                    f"by the IdP since the plan; {edits} would still edit it through REST as a member no IdP manages")
        if self.collides_with is not None and self.another_idp_user:
            a = self.collides_with
            return (f"{name}: holds externalId {self.external_id!r}, not {a.target.idp_id!r} which action {a.id} "
                    f"({a.kind.value}) sends: the account is another IdP user's since the plan")
        if self.collides_with is not None and self.external_id:
            a = self.collides_with
            second = ("IdP group a second Sigma team" if a.kind in (ActionKind.SCIM_CREATE_GROUP, ActionKind.SCIM_LINK_GROUP)
                      else "IdP user a second Sigma account")
            return (f"{name}: holds externalId {self.external_id}, which action {a.id} ({a.kind.value}) sends: it "
                    f"would give that {second}")
        if self.collides_with is not None:
            a = self.collides_with
            what = "name" if a.kind is ActionKind.SCIM_CREATE_GROUP else "email"
            return f"{name}: new since the plan, with the {what} action {a.id} ({a.kind.value}) would {_VERB[a.kind]}"
        return f"{name}: " + ", ".join(str(c) for c in self.changes)


@dataclass(frozen=True)
class UndoneAction:
    """A done action whose result Sigma no longer shows: ``action``, its object ``key`` and ``label``,
    and ``change``: the field as the action left it (``planned``) and as it is now (``live``); for a team,
    ``memberIds`` with the member back in it (``joined``) or gone from it (``left``)."""

    action: Action
    key: str
    label: str
    change: FieldChange

    def __str__(self) -> str:
        c = self.change
        if c.joined:
            now = f"member(s) {', '.join(c.joined)} in the team again, which the action removed"
        elif c.left:
            now = f"member(s) {', '.join(c.left)} no longer in the team, which the action put there"
        else:
            now = f"{c.field} is {c.live!r}, the action set {c.planned!r}"
        return f"{self.action.id} ({self.action.kind.value}) on {self.key} ({self.label}): {now}"


_VERB = {ActionKind.SCIM_CREATE_USER: "create", ActionKind.SCIM_CREATE_GROUP: "create",
         ActionKind.SCIM_LINK_USER: "link", ActionKind.MEMBERS_SET_EMAIL: "set"}
"""What a colliding action would do with the address or name, for :class:`Drift`."""


@dataclass
class PlannedEffects:
    """What the plan's actions set, per object key: ``scalars[key][field] = [values]``,
    ``removes[key] = {memberIds}`` (``teams.remove_member``), ``group_members[key] =
    {userNames}`` (group actions with ``after.members``), ``group_before[key] = {userNames}`` (an undo
    plan's ``scim.set_group_members`` ``before.members``: the group as the apply left it), ``member_user[memberId] =
    userName`` (its :func:`~planner.model.email_key`, from actions naming both), ``names[key]`` labels."""

    scalars: dict[str, dict[str, list[Any]]]
    removes: dict[str, set[str]]
    group_members: dict[str, set[str]]
    member_user: dict[str, str]
    names: dict[str, str]
    group_before: dict[str, set[str]] = field(default_factory=dict)


def member_fields_set(action: Action) -> tuple[tuple[str, Any], ...]:
    """``((field, value), ...)``: the REST member fields (docs/sigma-api.md §2.2) ``action`` leaves on its
    target member: ``isArchived`` of ``members.deactivate``/``disable_guest``/``reactivate``, ``userKind``
    of ``members.convert_guest``, ``email`` of ``members.set_email``, ``memberType`` of
    ``scim.set_account_type`` and of a ``scim.link_user`` with a ``userType`` (and its names),
    ``isInactive`` of ``scim.deactivate_user``; ``()`` for other kinds. One rule for the stale check
    (:func:`planned_effects`: the plan's own values are no drift) and for the check of done actions
    (:func:`undone_on`: a done action's values must still be there)."""
    if isinstance(action, (MembersDeactivate, MembersDisableGuest)):
        return (("isArchived", True),)
    if isinstance(action, MembersConvertGuest):
        return (("userKind", action.after.user_kind),)
    if isinstance(action, ScimSetAccountType):
        return (("memberType", action.after.user_type),)
    if isinstance(action, ScimLinkUser):
        after = action.after
        return tuple((f, v) for f, v in (("memberType", after.user_type), ("firstName", after.given_name),
                                         ("lastName", after.family_name)) if v)
    if isinstance(action, MembersSetEmail):
        return (("email", action.after.email),)
    if isinstance(action, MembersReactivate):
        return (("isArchived", False),)
    if isinstance(action, ScimDeactivateUser):
        return (("isInactive", True),)
    return ()


def planned_effects(actions: Iterable[Action]) -> PlannedEffects:
    """Collect, per fingerprint key, the values the plan's own actions write (see module docstring)."""
    scalars: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    removes: dict[str, set[str]] = defaultdict(set)
    group_members: dict[str, set[str]] = {}
    group_before: dict[str, set[str]] = {}
    member_user: dict[str, str] = {}
    names: dict[str, str] = {}
    for a in actions:
        member, team = target_member_id(a), target_team_id(a)
        if member:
            names.setdefault(f"member:{member}", a.target.email or "")
            if isinstance(a, (ScimLinkUser, ScimSetAccountType, ScimDeactivateUser)) and a.target.user_name:
                member_user[member] = email_key(a.target.user_name)
        if team:
            names.setdefault(f"team:{team}", a.target.name)
        for fld, value in member_fields_set(a):
            scalars[f"member:{member}"][fld].append(value)
        if isinstance(a, TeamsRemoveMember):
            removes[f"team:{team}"].add(member)
        elif isinstance(a, ScimSetGroupMembers) and team:
            group_members.setdefault(f"team:{team}", set()).update(map(email_key, a.after.members))
            if a.before.members:
                group_before.setdefault(f"team:{team}", set()).update(map(email_key, a.before.members))
    return PlannedEffects(scalars, removes, group_members, member_user, names, group_before)


def _ids(values: Any) -> set[str]:
    """The memberIds of a team's ``memberIds`` (planned: a tuple; live: the ``userId`` s
    :func:`live_state` read), empty ones left out."""
    return {str(v) for v in values or () if v}


def compare(
    key: str,
    planned_state: MemberState | TeamState,
    live: Mapping[str, Any],
    effects: PlannedEffects,
    email_of: Callable[[str], str | None] | None = None,
) -> list[FieldChange]:
    """Field-by-field changes of ``live`` (the REST body) against the ``planned_state``, by REST
    field name, the plan's own effects allowed.

    ``email_of(memberId)`` names a member who joined a team the plan's group
    action fills; the addition is the plan's own when that email is one of the
    group's planned members, or of the members an undo plan's reversal was made
    against (``before.members``: the group as the apply left it, with the members
    the apply created, whose memberIds the plan cannot know); without ``email_of``
    every addition is drift.
    """
    changes: list[FieldChange] = []
    allowed = effects.scalars.get(key, {})
    planned = msgspec.to_builtins(planned_state)  # {"memberId": ..., "isArchived": ...}: the REST names
    for fld in sorted(planned):
        if fld in IGNORED_FIELDS:
            continue
        was, now = planned[fld], live.get(fld)
        if fld in LIST_FIELDS and isinstance(was, (list, tuple)):
            before, after = _ids(was), _ids(now)
            removable = effects.removes.get(key, set())
            grouped = effects.group_members.get(key)
            gone = [m for m in sorted(before - after)
                    if m not in removable and not left_by_push(m, key, effects, email_of)]
            added = sorted(after - before)
            if grouped is not None and email_of is not None:
                known = grouped | effects.group_before.get(key, set())
                added = [m for m in added if (effects.member_user.get(m) or email_key(email_of(m))) not in known]
            if gone or added:
                parts = [f"-{m}" for m in gone] + [f"+{m}" for m in added]
                changes.append(FieldChange(fld, f"{len(before)} members", " ".join(parts),
                                           joined=tuple(added), left=tuple(gone)))
            continue
        if now == was or now in allowed.get(fld, ()):
            continue
        changes.append(FieldChange(fld, was, now))
    return changes


def left_by_push(member_id: str, key: str, effects: PlannedEffects,
                 email_of: Callable[[str], str | None] | None = None) -> bool:
    """Whether member ``member_id``, gone from the team ``key`` (``team:<teamId>``), is the plan's own doing through
    a group push: a ``scim.set_group_members`` of the team makes its SCIM-managed members exactly ``after.members``
    (docs/sigma-api.md §5.4), so it removes a member the team held SCIM-managed whose userName it leaves out. Held
    SCIM-managed: a member the plan links or types (``effects.member_user``: its userName, a migration plan) or,
    for a push that names whom the group held (``before.members``, an undo plan's reversal of a push: the group as
    the apply left it), a member whose email (``email_of(memberId)``, read when the plan gives no userName) is one
    of them. One rule for both kinds of plan, so a ``--resume`` is never stale by its own done pushes (tester14b
    finding 8: an undo plan's resume was refused by the teams its own reversals had reset)."""
    grouped = effects.group_members.get(key)
    if grouped is None:
        return False
    user = effects.member_user.get(member_id)
    if user is not None:
        return user not in grouped
    held = effects.group_before.get(key)
    if not held or email_of is None:
        return False
    user = email_key(email_of(member_id))
    return user in held and user not in grouped


def undone_on(key: str, live: Mapping[str, Any], done: Iterable[Action], effects: PlannedEffects,
              owned: frozenset[str] = frozenset(), label: str = "") -> list[UndoneAction]:
    """The ``done`` actions (ids the journal records ``done`` that this run will not run again) on the
    object ``key`` whose result ``live`` (the REST body the stale check read) no longer shows, in order.

    A member field a done action sets (:func:`member_fields_set`) must hold one of the values the plan
    sets for it (``effects``: a later action of the plan may set it again); back at the planned-against
    value (an undo plan's reversal, a revert by hand) it is undone. A link's ``memberType`` is left out
    when a ``scim.set_account_type`` of the plan owns the member's type (``owned``: memberIds; the link
    then does not set it, :func:`planner.execute.actions.attributes_owned_elsewhere`); a link's names are
    no field of the fingerprint. A team: a member a done ``teams.remove_member`` removed back in it; a
    member the plan links whose userName a done ``scim.set_group_members`` puts in it, gone from it (a
    member such a push leaves out may stay in the team, docs/sigma-api.md §5.4: not checked).
    Source of the rule: docs/apply.md "Stale-plan check"; tester7 NEW-5 (a ``members.set_email``
    reversed by an undo plan, then the ``--resume`` that linked with the address it no longer held made
    a second account)."""
    found: list[UndoneAction] = []
    allowed = effects.scalars.get(key, {})
    live_ids = _ids(live.get("memberIds"))
    user_member = {user: m for m, user in effects.member_user.items()}
    for a in done:
        if key.startswith("member:"):
            for fld, value in member_fields_set(a):
                if fld not in live or (isinstance(a, ScimLinkUser) and fld == "memberType"
                                       and target_member_id(a) in owned):
                    continue
                now = live.get(fld)
                if now != value and now not in allowed.get(fld, ()):
                    found.append(UndoneAction(a, key, label, FieldChange(fld, value, now)))
        elif isinstance(a, TeamsRemoveMember) and a.target.member_id in live_ids:
            found.append(UndoneAction(a, key, label, FieldChange("memberIds", 0, "",
                                                                 joined=(a.target.member_id,))))
        elif isinstance(a, ScimSetGroupMembers) and "memberIds" in live:
            gone = tuple(sorted(user_member[u] for u in set(map(email_key, a.after.members))
                                if u in user_member and user_member[u] not in live_ids))
            if gone:
                found.append(UndoneAction(a, key, label, FieldChange("memberIds", 0, "", left=gone)))
    return found


BULK_MEMBER_READS = 100
"""From this many fingerprinted members on, the live members are read by listing every member
(1,000 per page) instead of one ``GET /v2/members/{id}`` each."""


class LiveReader:
    """Reads the live object of a fingerprint key (thread-safe; members listed in bulk when many)."""

    def __init__(self, rest: SigmaRestClient, member_ids: Iterable[str],
                 members: Iterable[MemberRecord] | None = None):
        self.rest = rest
        ids = set(member_ids)
        self._members: dict[str, MemberRecord] | None = None
        if members is None and len(ids) >= BULK_MEMBER_READS:
            members = rest.list_members()
        self.listing: list[MemberRecord] | None = None if members is None else list(members)
        """Every member, when given or listed in bulk (the impostor check reuses it)."""
        if self.listing is not None:
            self._members = {m.member_id: m for m in self.listing}

    def __call__(self, key: str, planned: MemberState | TeamState) -> Mapping[str, Any] | None:
        kind, _, object_id = key.partition(":")
        if kind == "member" and self._members is not None:
            member = self._members.get(object_id)
            return member.image() if member is not None else None
        return live_state(key, planned, self.rest)


def live_state(key: str, planned: MemberState | TeamState, rest: SigmaRestClient) -> Mapping[str, Any] | None:
    """The live object (REST field names) of a fingerprint key: a member's :meth:`MemberRecord.image`,
    a team's :meth:`~planner.execute.rest_client.TeamRecord.image` with its ``memberIds`` (an answer
    that is not that object raises :class:`ApiError`); ``None`` when gone (404)."""
    kind, _, object_id = key.partition(":")
    try:
        if kind == "member":
            return rest.get_member(object_id).image()
        if kind == "team":
            team = rest.get_team(object_id).image()
            team["memberIds"] = [e.user_id for e in rest.list_team_members(object_id)]
            return team
    except ApiError as exc:
        if exc.status == 404:
            return None
        raise
    raise ApplyRefused(f"plan fingerprint {key!r} is neither member:<id> nor team:<id>")


def fingerprint_keys_of(plan: Plan, actions: Iterable[Action]) -> list[str]:
    """The plan's fingerprint keys (``member:<memberId>``, ``team:<teamId>``) of the objects
    ``actions`` touch, sorted: the stale check of a wave (``apply --only/--limit``) reads only
    those, so an object no selected action touches, changed since the plan, does not block the
    wave; it still blocks the run whose actions touch it."""
    keys = set()
    for a in actions:
        keys.update((f"member:{target_member_id(a)}", f"team:{target_team_id(a)}"))
    return sorted(keys & set(plan.fingerprints))


def check_stale(
    plan: Plan,
    rest: SigmaRestClient | None,
    *,
    keys: Iterable[str] | None = None,
    reader: Callable[[str, MemberState | TeamState], Mapping[str, Any] | None] | None = None,
    parallelism: int = 4,
    members: Iterable[MemberRecord] | None = None,
    creates: Iterable[str] | None = None,
    done: Iterable[str] = (),
    scim: SigmaScimClient | None = None,
    running: Iterable[str] | None = None,
) -> list[Drift]:
    """Every fingerprinted object (or only ``keys``) that drifted, in key order, then the
    impostors of the planned creates whose ids are in ``creates`` (:func:`find_impostors`;
    ``None``: no impostor check), then, with ``scim``, the SCIM users and groups that hold the ``externalId`` a
    ``POST /Users`` or ``POST /Groups`` of one of those sends (:func:`external_id_collisions`), then the members a REST
    edit among ``running`` (ids of the actions the run may send; ``None``: those of ``creates``) targets whom an IdP
    provisioned since the plan (:func:`provisioned_since_plan`). Reads only.

    ``done``: ids of actions the journal records ``done`` that the run will not run again (a
    ``--resume``, a later wave): an object one of them touches whose live state no longer shows its
    result is a :class:`Drift` whose ``undone`` names them (:func:`undone_on`), even when nothing
    changed since the plan (an undo plan restored the planned-against state). :attr:`Drift.stale`
    tells the two apart.

    Reads run ``parallelism`` at a time; many members are listed in bulk
    (:class:`LiveReader`; the impostor check reuses that listing), or taken from ``members``
    (every member, listed by the caller just before). ``reader(key, planned_state)`` replaces
    the REST reads (tests). Raises :class:`ApiError` when Sigma cannot be read.
    """
    wanted = sorted(keys if keys is not None else plan.fingerprints)
    if reader is None and wanted:
        if rest is None:
            raise ApplyRefused("the plan has fingerprints but no REST base URL/credentials to check them")
        reader = LiveReader(rest, (k.partition(":")[2] for k in wanted if k.startswith("member:")), members)
        members = reader.listing
    drifts = _drifted(plan, rest, wanted, reader, parallelism, done) if wanted and reader is not None else []
    if creates is not None and rest is not None:
        drifts += find_impostors(plan, rest, not_started=creates, members=members)
    if creates is not None and scim is not None:
        drifts += external_id_collisions(plan, scim, not_started=creates, parallelism=parallelism)
        running = creates if running is None else running
        links = planned_links(plan, creates)
        users = provisioned_users(scim, [*(email for email, _ in rest_edits(plan, running).values()),
                                         *(a.target.user_name for a in links)])  # one read for both rules
        drifts += linked_to_another(links, users)
        drifts += provisioned_since_plan(plan, scim, running=running, not_started=creates, rest=rest, users=users)
    return drifts


def _drifted(
    plan: Plan,
    rest: SigmaRestClient | None,
    wanted: list[str],
    reader: Callable[[str, MemberState | TeamState], Mapping[str, Any] | None],
    parallelism: int,
    done: Iterable[str] = (),
) -> list[Drift]:
    """The fingerprinted objects ``wanted`` that drifted, or on which an action of ``done`` is undone
    (see :func:`check_stale`)."""
    fingerprints = plan.fingerprints
    effects = planned_effects(plan.actions)
    done_ids = set(done)
    done_on: dict[str, list[Action]] = defaultdict(list)
    owned: set[str] = set()  # members whose account type a scim.set_account_type sets (not their link)
    for a in plan.actions:
        if isinstance(a, ScimSetAccountType) and target_member_id(a):
            owned.add(target_member_id(a) or "")
        if a.id in done_ids:
            done_on[f"member:{target_member_id(a)}"].append(a)
            done_on[f"team:{target_team_id(a)}"].append(a)
    owned_ids = frozenset(owned)

    listed = {m.member_id: m.email for m in reader.listing} if isinstance(reader, LiveReader) and reader.listing \
        else {}

    def email_of(member_id: str) -> str | None:
        if member_id in listed:
            return listed[member_id]
        if rest is None:
            return None
        try:
            return rest.get_member(member_id).email
        except ApiError:
            return None

    def one(key: str) -> Drift | None:
        planned = fingerprints[key].state
        label = effects.names.get(key) or (planned.email if isinstance(planned, MemberState) else planned.name)
        live = reader(key, planned)
        if live is None:
            return Drift(key, label, missing=True)
        changes = compare(key, planned, live, effects, email_of)
        undone = undone_on(key, live, done_on[key], effects, owned_ids, label) if key in done_on else []
        return Drift(key, label, tuple(changes), undone=tuple(undone)) if changes or undone else None

    with ThreadPoolExecutor(max_workers=max(1, parallelism), thread_name_prefix="stale") as pool:
        found = list(pool.map(one, wanted))
    return [d for d in found if d is not None]


def planned_creates(actions: Iterable[Action]) -> tuple[dict[str, Action], dict[str, Action]]:
    """``(users, teams)``: ``scim.create_user`` actions by :func:`~planner.model.email_key` of their
    ``userName``, ``scim.create_group`` actions by :func:`~planner.sources.values.team_name_key` of
    their ``displayName``.
    Actions lacking the name are left out (their handler fails them)."""
    users: dict[str, Action] = {}
    teams: dict[str, Action] = {}
    for a in actions:
        if isinstance(a, ScimCreateUser):
            users.setdefault(email_key(a.target.user_name), a)
        elif isinstance(a, ScimCreateGroup):
            teams.setdefault(team_name_key(a.target.name), a)
    return users, teams


def planned_addresses(actions: Iterable[Action]) -> dict[str, Action]:
    """The addresses the actions give a member or SCIM user (:func:`~planner.payloads.addresses_claimed`:
    a create's ``userName`` and email, a link's, a ``members.set_email`` target) by
    :func:`~planner.model.email_key`, the first action claiming each; an address the action's own
    target member holds already (a link by email) is left out: no other member can hold it."""
    found: dict[str, Action] = {}
    for a in actions:
        own = email_key(a.target.email) if target_member_id(a) else ""
        for address in addresses_claimed(a):
            key = email_key(address)
            if key and key != own:
                found.setdefault(key, a)
    return found


def known_ids(plan: Plan) -> tuple[set[str], set[str]]:
    """``(memberIds, teamIds)`` the plan knows from its export: people, teams, fingerprints (a team's
    ``memberIds`` too: an undo plan's only memberIds of a push's members), action targets."""
    members = {p.member_id for p in plan.people if p.member_id}
    teams = {t.team_id for t in plan.teams if t.team_id}
    for key, fingerprint in plan.fingerprints.items():
        kind, _, object_id = key.partition(":")
        (members if kind == "member" else teams if kind == "team" else set()).add(object_id)
        if isinstance(fingerprint.state, TeamState):
            members.update(fingerprint.state.member_ids)
    for a in plan.actions:
        for value, found in ((target_member_id(a), members), (target_team_id(a), teams), (new_owner_id(a), members)):
            if value:
                found.add(value)
    return members, teams


@dataclass(frozen=True)
class NamedMember:
    """A Sigma member the plan names by address: ``user_name``, the email or SCIM ``userName`` it gives them,
    and ``member_id``, ``None`` for a name the plan knows no memberId of (a push's member in an undo plan,
    which has no person rows)."""

    user_name: str
    member_id: str | None


def named_members(plan: Plan) -> list[NamedMember]:
    """Every member the plan names by address, guests and the scheduler robot aside (Sigma's SCIM lists
    neither: docs/sandbox.md "pre-SCIM members"), one per address (:func:`~planner.model.email_key`):
    first those with a memberId, from the member fingerprints then the person rows, in memberId order;
    then the userNames of its group pushes no memberId of the plan has (``after.members`` and, in an undo
    plan, ``before.members``), in :func:`~planner.model.email_key` order. ``[]`` when the plan names none.
    The one list of the plan's members apply's SCIM organization check looks up
    (:func:`planner.execute.approve.scim_probe_members`)."""
    with_id: dict[str, str] = {}
    for member_id, state in plan.fingerprints.members().items():
        if state.email and state.user_kind != "guest":
            with_id.setdefault(member_id, state.email)
    for person in plan.people:
        if person.member_id and person.email and person.user_kind != "guest":
            with_id.setdefault(person.member_id, person.email)
    with_id.pop(SCHEDULER_ROBOT_MEMBER_ID, None)
    named = {email_key(email) for email in with_id.values()}
    pushed: dict[str, str] = {}
    for a in plan.actions:
        if isinstance(a, ScimSetGroupMembers):
            for user_name in (*a.after.members, *(a.before.members or ())):
                key = email_key(user_name)
                if key and key not in named and key != SCHEDULER_ROBOT_EMAIL:
                    pushed.setdefault(key, user_name)
    return ([NamedMember(email, member_id) for member_id, email in sorted(with_id.items())]
            + [NamedMember(pushed[key], None) for key in sorted(pushed)])


def find_impostors(
    plan: Plan,
    rest: SigmaRestClient,
    *,
    not_started: Iterable[str] | None = None,
    members: Iterable[MemberRecord] | None = None,
) -> list[Drift]:
    """Members and teams made since the plan that collide with a planned create or address, in key
    order. Reads only.

    Only actions in ``not_started`` (action ids no run of this plan has started; ``None``: all)
    are checked: an object a started create may have made is the plan's own. A member collides
    when its email has the :func:`~planner.model.email_key` of an address an action gives a member
    or user (:func:`planned_addresses`: a ``scim.create_user``'s ``userName`` and email, a
    ``members.set_email`` target, a link's) and the plan does not know its memberId
    (:func:`known_ids`): Sigma would answer that write 409 (docs/sigma-api.md §2.4) after the
    writes before it (tester6 finding 10). A team collides when its name has the
    :func:`~planner.sources.values.team_name_key` of a ``scim.create_group``'s ``displayName`` (the
    team rules would find it for that group) and its teamId is unknown.
    Members come from ``members`` (every member, listed just before), else from one
    ``GET /v2/members?email=`` per address (a listing from :data:`BULK_MEMBER_READS` addresses on);
    teams from one ``GET /v2/teams`` listing. Raises :class:`ApiError` when Sigma cannot be read.
    """
    wanted = None if not_started is None else set(not_started)
    selected = [a for a in plan.actions if wanted is None or a.id in wanted]
    users = planned_addresses(selected)
    teams = planned_creates(selected)[1]
    if not users and not teams:
        return []
    member_ids, team_ids = known_ids(plan)
    found: list[Drift] = []
    if users:
        if members is None and len(users) >= BULK_MEMBER_READS:
            members = rest.list_members()
        if members is not None:
            candidates = [m for m in members if email_key(m.email) in users]
        else:
            candidates = [m for key, a in users.items() for m in rest.find_members_by_email(_spelled(a, key))]
        for m in candidates:
            key = email_key(m.email)
            if key in users and m.member_id not in member_ids:
                found.append(Drift(f"member:{m.member_id}", m.email, collides_with=users[key]))
    if teams:
        for t in rest.list_teams():
            key = team_name_key(t.name)
            if key in teams and t.team_id not in team_ids:
                found.append(Drift(f"team:{t.team_id}", t.name, collides_with=teams[key]))
    unique = {d.key: d for d in found}
    return [unique[k] for k in sorted(unique)]


def external_id_collisions(plan: Plan, scim: SigmaScimClient, *, not_started: Iterable[str],
                           parallelism: int = 4) -> list[Drift]:
    """The SCIM users and groups, other than the one an action makes or links, that hold the ``externalId`` a
    ``scim.create_user`` / ``scim.link_user`` (the IdP user's id) or a ``scim.create_group`` / ``scim.link_group`` (the
    IdP group's id) in ``not_started`` sends (:func:`~planner.execute.external_ids.posted_external_id`), whatever their
    ``userName`` or ``displayName``: one :class:`Drift` each (``user:<SCIM id>`` labelled with its ``userName``,
    ``group:<SCIM id>`` with its ``displayName``), in key order. Sigma keys a ``POST /Users`` on its ``userName``
    alone, a ``POST /Groups`` on its ``displayName``, so it would make a second account for an IdP user the IdP has
    provisioned under another userName since the plan (tester14b finding 7), a second team for an IdP group it has
    pushed under another displayName (tester16b finding 2). A holder that is the action's own user or team
    (:func:`~planner.execute.external_ids.other_accounts`) is :func:`find_impostors`' (a create) or the planned
    link made already (a link). Reads only (:func:`~planner.execute.external_ids.held_elsewhere`); raises
    :class:`ApiError` when SCIM cannot be read."""
    wanted = set(not_started)
    posts = [a for a in plan.actions if a.id in wanted and posted_external_id(a)]
    if not posts:
        return []
    held = held_elsewhere(scim, posts, parallelism)
    found = {h.key: Drift(h.key, h.name, collides_with=a, external_id=posted_external_id(a) or "")
             for a in reversed(posts) for h in held[a.id]}
    return [found[k] for k in sorted(found)]


def planned_links(plan: Plan, not_started: Iterable[str]) -> list[ScimLinkUser]:
    """The ``scim.link_user`` actions of ``plan`` in ``not_started`` that send an ``externalId``, in plan order."""
    wanted = set(not_started)
    return [a for a in plan.actions if a.id in wanted and isinstance(a, ScimLinkUser) and a.target.idp_id]


def linked_to_another(links: Iterable[ScimLinkUser], users: Mapping[str, tuple[ScimUserRecord, ...]]) -> list[Drift]:
    """The provisioned SCIM users whose ``userName`` a planned link of ``links`` (:func:`planned_links`) sends, letter
    case aside, but whose ``externalId`` is another IdP user's id than the link's ``target.idpId`` (case-exact, RFC
    7643 §3.1): one :class:`Drift` each (``user:<SCIM id>``, labelled with its ``userName``,
    :attr:`Drift.another_idp_user`), in key order. The IdP provisioned that member as someone else since the plan:
    the link's ``POST /Users`` would answer 409 and apply would patch that account as the plan's IdP user's (left19:
    apply's first check of a link compared userType and active only; verify compares the externalId,
    :func:`~planner.execute.external_ids.external_id_difference`). ``users``: :func:`~planner.execute.external_ids.
    provisioned_users` of the links' userNames (a user without ``externalId``, a pre-SCIM member, is none: apply
    marks it the plan's)."""
    found: dict[str, Drift] = {}
    for a in links:
        for user in users.get(email_key(a.target.user_name), ()):
            if user.external_id and user.external_id != a.target.idp_id:
                found.setdefault(f"user:{user.id}", Drift(f"user:{user.id}", user.user_name, collides_with=a,
                                                          external_id=user.external_id, another_idp_user=True))
    return [found[k] for k in sorted(found)]


REST_MEMBER_EDITS = (MembersDeactivate, MembersDisableGuest, MembersConvertGuest, MembersSetEmail, MembersReactivate,
                     TeamsRemoveMember)
"""The actions that edit a member through Sigma's REST API (``PATCH /v2/members/{memberId}``, a team's
``PATCH /v2/teams/{teamId}/members``): the planner decides them for a member no IdP provisioned
(:data:`planner.rules.scim_state.REST_MEMBER_KINDS`: such an edit of a SCIM-managed member is dropped or held), so one
an IdP provisioned since is an edit nobody approved (:func:`provisioned_since_plan`)."""


def rest_edits(plan: Plan, running: Iterable[str]) -> dict[str, tuple[str, tuple[Action, ...]]]:
    """memberId -> ``(email, the REST edits of it)``: the actions of ``plan`` among ``running`` (ids of the actions
    a run may send) of :data:`REST_MEMBER_EDITS`, in plan order, the member's email as the plan names it. Left out:
    a ``teams.remove_member`` the push makes (``evidence.removedBy``: no REST request), or of a member the plan knew
    SCIM-managed (its person row: linked by Sigma's SCIM state, ``link_key`` :data:`~planner.model.SCIM_LINK_KEY`, or
    kept as SCIM has them, ``scim_managed``): Sigma's SCIM cleanup of a membership the push does not see
    (docs/sigma-api.md §5.4), decided knowing the IdP manages them."""
    wanted = set(running)
    managed = {p.member_id for p in plan.people
               if p.member_id and (p.link_key == SCIM_LINK_KEY or p.scim_managed is not None)}
    found: dict[str, tuple[str, list[Action]]] = {}
    for a in plan.actions:
        if a.id not in wanted or not isinstance(a, REST_MEMBER_EDITS) or not a.target.member_id:
            continue
        if isinstance(a, TeamsRemoveMember) and (a.evidence.removed_by or a.target.member_id in managed):
            continue
        found.setdefault(a.target.member_id, (a.target.email, []))[1].append(a)
    return {m: (email, tuple(acts)) for m, (email, acts) in found.items()}


def manages(user: ScimUserRecord, member_id: str, rest: SigmaRestClient | None) -> bool:
    """Whether provisioned SCIM ``user``, whose ``userName`` is the email of member ``member_id`` (letter case aside),
    is that member's: Sigma gives the SCIM user it links the member's memberId as its ``id`` (docs/sandbox.md "SCIM
    Users"; apply's SCIM organization check relies on it too); a user whose ``id`` is the memberId of another member
    with that address (two members whose emails differ only in letter case, ``linking.duplicates``: the IdP links the
    one the plan keeps) is that member's, read with one ``GET /v2/members/{id}`` (only for such a user; ``rest``
    ``None``: not read, the user counts as this member's). Raises :class:`ApiError` when Sigma cannot be read."""
    if user.id == member_id or rest is None:
        return True
    try:
        other = rest.get_member(user.id)
    except ApiError as exc:
        if exc.status == 404:
            return True
        raise
    return email_key(other.email) != email_key(user.user_name)


def provisioned_since_plan(plan: Plan, scim: SigmaScimClient, *, running: Iterable[str],
                           not_started: Iterable[str], rest: SigmaRestClient | None = None,
                           users: Mapping[str, tuple[ScimUserRecord, ...]] | None = None) -> list[Drift]:
    """The members a REST edit of this run targets (:func:`rest_edits` of ``running``) whom an IdP provisioned through
    SCIM since the plan: Sigma's SCIM lists a user with an ``externalId`` whose ``userName`` is the member's email,
    letter case aside (Sigma links a ``POST /Users`` to the member with that email and the member's REST record may
    not change at all, docs/sigma-api.md §5.3), one :class:`Drift` each (``member:<memberId>``, labelled with the
    email; :attr:`Drift.scim_user`, :attr:`Drift.external_id`, :attr:`Drift.rest_edits`), in key order. The edit was
    decided while no IdP managed the member: a deactivation would lock out a person the IdP now manages (tester14b
    finding 12). A SCIM user of the plan's own is none: one a ``scim.link_user`` / ``scim.create_user`` of the plan
    with that ``userName`` that a run started (not in ``not_started``) made (a ``--resume``, a re-apply). Reads
    only: one batched SCIM read for every member (:func:`~planner.execute.external_ids.provisioned_users`); a user that
    is another member's (:func:`manages`, ``rest``) is none. ``users``: that read made already (:func:`check_stale`
    reads once for this rule and :func:`linked_to_another`). Raises :class:`ApiError` when SCIM or Sigma cannot be
    read."""
    edited = rest_edits(plan, running)
    if not edited:
        return []
    fresh = set(not_started)
    own = {email_key(a.target.user_name) for a in plan.actions
           if isinstance(a, (ScimLinkUser, ScimCreateUser)) and a.id not in fresh}
    if users is None:
        users = provisioned_users(scim, (email for email, _ in edited.values()))
    found: list[Drift] = []
    for member_id in sorted(edited):
        email, edits = edited[member_id]
        for user in users.get(email_key(email), ()):
            if email_key(user.user_name) not in own and manages(user, member_id, rest):
                found.append(Drift(f"member:{member_id}", email, external_id=user.external_id or "",
                                   scim_user=user.id, rest_edits=edits))
                break
    return found


def _spelled(action: Action, key: str) -> str:
    """The address of ``action`` whose :func:`~planner.model.email_key` is ``key``, as the plan spells it."""
    return next(a for a in addresses_claimed(action) if email_key(a) == key)


def undone_message(plan_path: str, undone: list[UndoneAction], limit: int = 10) -> str:
    """The one-line refusal naming the done actions Sigma no longer shows (first ``limit``, then a
    count): their dependents would run on a state nobody approved; only a new plan settles it. It says what it counts
    (the done actions :func:`undone_on` compares), which differs from ``verify``'s count of the objects every done
    action touches (tester19 finding 8: 10 undone actions here, 86 missing objects there)."""
    shown = "; ".join(str(u) for u in undone[:limit])
    more = f"; and {len(undone) - limit} more" if len(undone) > limit else ""
    return (
        f"{plan_path}: {len(undone)} action(s) an earlier run of this plan did are no longer so in Sigma "
        f"(undone since: an undo plan, or by hand; counted: the done actions whose member field or team membership "
        f"this check compares, where verify counts every object the done actions touch): {shown}{more}; this "
        "plan would go on from a state it no "
        "longer finds: fetch, plan again, review and approve the new plan; nothing was written"
    )


def stale_message(plan_path: str, drifts: list[Drift], limit: int = 10, way_out: str = "") -> str:
    """The one-line refusal naming the drifted objects (first ``limit``, then a count), ending ``plan again`` and
    ``way_out`` (how, for a ``--resume``: :func:`planner.execute.apply.stale_resume_way_out`)."""
    shown = "; ".join(str(d) for d in drifts[:limit])
    more = f"; and {len(drifts) - limit} more" if len(drifts) > limit else ""
    return (
        f"{plan_path}: plan is stale, {len(drifts)} object(s) changed in Sigma since it was made: "
        f"{shown}{more}; plan again{way_out}"
    )
