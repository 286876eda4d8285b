"""One handler per :class:`planner.model.ActionKind`: check first, then write only what is missing.

The action contract (style.md: "an action contract: idempotent, journaled,
dry-run printable"), which every handler keeps:

1. :meth:`Handler.observe` reads the target (never writes) and says whether it
   is already in the planned state (``done``), what differs, its before-image
   and the ids learned (SCIM ids, memberIds). SCIM users and REST members are
   read through :class:`Clients` (``find_user``, ``get_member``): from the bulk
   listing of :mod:`.indexes` when apply made one, else one request each.
2. :meth:`Handler.write` sends only the requests that close the difference.
   A ``409`` on a create is "already exists": the handler looks the object up
   and links to it (docs/sigma-api.md §2.4, §7) instead of failing. Any other failed
   write (a 4xx, a 5xx or no answer after the retries; not a 401) gets a second look
   (:meth:`Executor._second_look`): when the target is now as planned (the write, or a
   lost attempt of it, landed), the action is done.
3. :meth:`Handler.requests` renders the exact write requests for ``--dry-run``
   (method, path, JSON body), from the plan alone, ids not yet known shown as
   placeholders.

So running an action twice writes at most once, and a finished plan re-applied
writes nothing. Handlers read the typed actions of :mod:`planner.payloads` as they are:

- users: ``target.userName`` (SCIM ``userName``, the email Sigma identifies the
  user by, §5.3); a create/link sends ``after`` (:class:`~planner.payloads.ScimUserAfter`:
  ``userName``, ``name.givenName``/``familyName``, ``email`` or else the target's, ``userType``,
  ``active``) with ``externalId`` = ``target.idpId``.
- members (REST): ``target.memberId``; the PATCH body from ``after`` (``isArchived`` +
  ``newOwnerId``, ``userKind``, ``email``).
- teams/groups: ``displayName`` = ``target.name``, ``externalId`` = ``target.groupId``;
  ``after.members``: userNames.
- ``teams.remove_member``: ``target.teamId`` + ``target.memberId``.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping, Sequence

import pydantic
from msgspec.structs import replace
from scim2_models import Group, GroupMember, PatchOp, PatchOperation

from ..model import Action, ActionKind, email_key
from ..payloads import (
    MembersConvertGuest,
    MembersDeactivate,
    MembersDisableGuest,
    MembersReactivate,
    MembersSetEmail,
    ScimCreateGroup,
    ScimCreateUser,
    ScimDeactivateUser,
    ScimLinkGroup,
    ScimLinkUser,
    ScimSetAccountType,
    ScimSetGroupMembers,
    TeamsRemoveMember,
    addresses_claimed,
    target_member_id,
)
from .errors import AddressHeld, ApiError, AuthError, IncompleteListingError, NotProvisionedMember, NotSendable
from .indexes import MemberIndex, UserIndex
from .journal import WRITTEN_BY_INTERRUPTED_RUN, JournalRow
from .paths import member_path, scim_resource_path, team_members_path
from .rest_client import MemberRecord, SigmaRestClient, TeamRecord
from .scim_client import (
    CORE_USER_SCHEMA,
    ScimEmailRecord,
    ScimGroupRecord,
    ScimNameRecord,
    ScimUserCreation,
    ScimUserRecord,
    SigmaScimClient,
    SigmaUser,
    checked_email,
    creation_body,
    patch_body,
)

# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class HttpRequest:
    """A request as ``--dry-run`` prints it: ``api`` ``rest``/``scim``, ``method``, ``path``, JSON ``body``."""

    api: str
    method: str
    path: str
    body: Any = None


@dataclass(frozen=True)
class Observation:
    """What :meth:`Handler.observe` saw.

    ``done``: the target is already as planned. ``differences``: one line per
    attribute that is not (``"userType: 'Viewer', planned 'Pro'"``).
    ``before``: the object as read (``None`` when it does not exist).
    ``ids``: ids learned, e.g. ``{"scimUserId": "..."}``. ``state`` carries
    what :meth:`Handler.write` needs (the SCIM id, the current members).
    """

    done: bool
    differences: tuple[str, ...] = ()
    before: Mapping[str, Any] | None = None
    ids: Mapping[str, Any] = field(default_factory=dict)
    state: Mapping[str, Any] = field(default_factory=dict)
    missing: bool = False
    """The target does not exist (no such SCIM user or group): ``verify`` reports it as missing."""


class ActionInputError(NotSendable):
    """The plan action lacks a field its handler needs (a planner bug), or its payload is one the SCIM
    models refuse; fails that action only, for good (:func:`planner.execute.errors.failure_refusal`)."""


class IdCache:
    """userName -> SCIM user id, displayName -> SCIM group id, learned during the run (thread-safe)."""

    def __init__(self) -> None:
        self._users: dict[str, str] = {}
        self._groups: dict[str, str] = {}
        self._lock = threading.Lock()

    def user(self, user_name: str) -> str | None:
        with self._lock:
            return self._users.get(email_key(user_name))

    def set_user(self, user_name: str, scim_id: str) -> None:
        with self._lock:
            self._users[email_key(user_name)] = scim_id

    def group(self, display_name: str) -> str | None:
        with self._lock:
            return self._groups.get(display_name)

    def set_group(self, display_name: str, scim_id: str) -> None:
        with self._lock:
            self._groups[display_name] = scim_id


LISTING_REREADS = 3
"""How many times :meth:`Clients.member_teams` reads a listing again that this run's own writes changed
while it was read, before the action that reads it fails (tester8 finding 13)."""


class WriteClock:
    """The writes of this run, as the :class:`Executor` sends them (every handler's ``write`` and
    ``create_first``): a count of writes begun and ended, and how many are in flight. Thread-safe.

    :meth:`mark` before a read and :meth:`wrote_since` after it say whether a write of this run was in
    flight or began or ended meanwhile: a listing that came back incomplete then may have been changed by
    the run itself, and is read again rather than failing the action (tester8 finding 13)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ticks = 0
        self._in_flight = 0

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """The ``with`` block is a write of this run."""
        with self._lock:
            self._ticks += 1
            self._in_flight += 1
        try:
            yield
        finally:
            with self._lock:
                self._ticks += 1
                self._in_flight -= 1

    def mark(self) -> tuple[int, int]:
        """``(ticks, writes in flight)`` now, for :meth:`wrote_since`."""
        with self._lock:
            return self._ticks, self._in_flight

    def wrote_since(self, mark: tuple[int, int]) -> bool:
        """Whether a write of this run was in flight at ``mark`` or began or ended since."""
        with self._lock:
            return mark[1] > 0 or self._ticks != mark[0]


@dataclass
class Clients:
    """What handlers talk to. ``rest``/``scim`` may be ``None`` when the plan has no action for that API."""

    rest: SigmaRestClient | None
    scim: SigmaScimClient | None
    ids: IdCache = field(default_factory=IdCache)
    owned_elsewhere: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """userName (its :func:`~planner.model.email_key`) -> SCIM attributes another action of the plan sets
    (:func:`attributes_owned_elsewhere`); a create/link leaves those to that action."""

    def need_rest(self) -> SigmaRestClient:
        if self.rest is None:
            raise ActionInputError("no REST client configured")
        return self.rest

    def need_scim(self) -> SigmaScimClient:
        if self.scim is None:
            raise ActionInputError("no SCIM client configured")
        return self.scim

    users: UserIndex | None = None
    """SCIM users as Sigma answered during this run (:mod:`.indexes`), or ``None``: every lookup
    is a ``userName eq`` read."""
    members: MemberIndex | None = None
    """REST members from the listing made before the run, or ``None``: every lookup is a
    ``GET /v2/members/{id}``."""
    writes: WriteClock = field(default_factory=WriteClock)
    """This run's writes (:class:`WriteClock`), which :meth:`member_teams` tells from other changes."""
    _local: threading.local = field(default_factory=threading.local, repr=False, compare=False)

    @contextlib.contextmanager
    def live_reads(self) -> Iterator[None]:
        """Within the block, this thread's lookups bypass the indexes and read Sigma (then refresh them)."""
        before = getattr(self._local, "live", False)
        self._local.live = True
        try:
            yield
        finally:
            self._local.live = before

    def _live(self) -> bool:
        return getattr(self._local, "live", False)

    def find_user(self, user_name: str, *, listed: bool = False) -> ScimUserRecord | None:
        """The provisioned SCIM user with this ``userName`` (case-insensitive), from the index or
        ``userName eq``; ``None`` if none. ``listed``: a listed pre-SCIM member (no ``externalId``,
        :mod:`.scim_client`) counts too."""
        user: ScimUserRecord | None
        known = False
        if self.users is not None and not self._live():
            known, user = self.users.lookup(user_name)
        if not known:
            user = self.need_scim().find_user(user_name, listed=True)
            if self.users is not None:
                self.users.put(user_name, user)
        if user is not None and not (listed or user.external_id):
            return None
        if user is not None and user.id:
            self.ids.set_user(user_name, user.id)
        return user

    def user_written(self, user_name: str, answer: ScimUserRecord | None) -> None:
        """After a write to a SCIM user: keep Sigma's answer (the user as it is now), or forget it (204)."""
        if answer is not None and answer.id:
            self.ids.set_user(user_name, answer.id)
        if self.users is not None:
            if answer is None:
                self.users.forget(user_name)
            else:
                self.users.put(user_name, answer, written=True)

    def get_member(self, member_id: str) -> MemberRecord:
        """``GET /v2/members/{memberId}``, or the member from the index: raises :class:`ApiError` (a 404,
        or an answer that is not this member, :func:`~planner.execute.rest_client.member_record`)."""
        if self.members is not None and not self._live():
            member = self.members.get(member_id)
            if member is not None:
                return member
        return self.need_rest().get_member(member_id)

    def member_teams(self, member_id: str) -> list[TeamRecord]:
        """The teams of a member (``GET /v2/members/{memberId}/teams``, docs/sigma-api.md §2.1), read live.

        A listing that comes back incomplete (:class:`~planner.execute.errors.IncompleteListingError`:
        ``3 of 2 received (the list changed while it was read)``) while a write of this run was in flight
        or was sent (:class:`WriteClock`) was changed by the run itself: it is read again, up to
        :data:`LISTING_REREADS` times, never failing the action for it (tester8 finding 13). One that
        changed with no write of this run (another admin, the IdP) raises, as any incomplete listing does."""
        rest = self.need_rest()
        for attempt in range(LISTING_REREADS + 1):
            mark = self.writes.mark()
            try:
                return rest.list_member_teams(member_id)
            except IncompleteListingError:
                if attempt == LISTING_REREADS or not self.writes.wrote_since(mark):
                    raise
        raise AssertionError("unreachable")

    def member_written(self, member_id: str) -> None:
        """After a REST write to a member: its next reader reads it live."""
        if self.members is not None:
            self.members.forget(member_id)


# --------------------------------------------------------------------------- reading plan actions


_USER_ACTIONS = (ScimCreateUser, ScimLinkUser, ScimSetAccountType, ScimDeactivateUser)
_GROUP_ACTIONS = (ScimCreateGroup, ScimLinkGroup, ScimSetGroupMembers)
_MEMBER_ACTIONS = (MembersDeactivate, MembersDisableGuest, MembersConvertGuest, MembersSetEmail, MembersReactivate,
                   TeamsRemoveMember)


def user_name_of(action: Action) -> str:
    """The SCIM ``userName`` a user action is about: ``target.userName``; for a
    ``scim.set_account_type`` planned without it (the member is linked outside the plan), the
    member's email, which Sigma's SCIM lists as its userName (docs/sigma-api.md §5.3). Raises
    :class:`ActionInputError` for an action about no SCIM user."""
    if isinstance(action, (ScimCreateUser, ScimLinkUser, ScimDeactivateUser)):
        return action.target.user_name
    if isinstance(action, ScimSetAccountType):
        return action.target.user_name or action.target.email
    raise ActionInputError(f"action {action.id} ({action.kind.value}) is about no SCIM user")


def with_user_names(actions: Sequence[Action]) -> list[Action]:
    """The actions, where a ``scim.set_account_type`` without ``target.userName`` gets it from the
    link of that member in the plan.

    The SCIM userName is what the IdP sends, not necessarily the member's Sigma email at plan
    time (a ``members.set_email`` may change it first). Ids and order are unchanged; the plan
    file is not touched.
    """
    names = {a.target.member_id: a.target.user_name for a in actions if isinstance(a, ScimLinkUser)}
    out = []
    for a in actions:
        if isinstance(a, ScimSetAccountType) and not a.target.user_name and a.target.member_id in names:
            a = replace(a, target=replace(a.target, user_name=names[a.target.member_id]))
        out.append(a)
    return out


def member_id_of(action: Action) -> str:
    """``target.memberId`` of a REST member or team-membership action."""
    if isinstance(action, _MEMBER_ACTIONS):
        return action.target.member_id
    raise ActionInputError(f"action {action.id} ({action.kind.value}) has no target.memberId")


def display_name_of(action: Action) -> str:
    """The SCIM Group ``displayName`` of a group action: the team's name (``target.name``)."""
    if isinstance(action, _GROUP_ACTIONS):
        return action.target.name
    raise ActionInputError(f"action {action.id} ({action.kind.value}) is about no SCIM group")


def planned_user(action: ScimCreateUser | ScimLinkUser) -> ScimUserCreation:
    """The SCIM User to ``POST`` for a create/link action (RFC 7643 §4.1): ``userName``, ``externalId``
    = the IdP's id (it marks the user provisioned, :mod:`.scim_client`), ``name`` when the IdP has
    one, the work email (``after.email``, else the target's), ``userType``, ``active``.

    Raises :class:`ActionInputError` when the address is none scim2-models would take (a control
    character, no ``@``): that action fails, with the reason, never a traceback.
    """
    after, target = action.after, action.target
    given, family = after.given_name or None, after.family_name or None
    try:
        address = checked_email(after.email or target.email)
    except pydantic.ValidationError as exc:
        raise ActionInputError(
            f"action {action.id} ({action.kind.value}): the SCIM User cannot be built: "
            f"value: {exc.errors()[0].get('msg', 'invalid value')}"
        ) from None
    return ScimUserCreation(
        schemas=[CORE_USER_SCHEMA],
        user_name=target.user_name,
        external_id=target.idp_id,
        name=ScimNameRecord(given_name=given, family_name=family) if (given or family) else None,
        emails=[ScimEmailRecord(value=address, type="work", primary=True)],
        user_type=after.user_type or None,
        active=after.active,
    )


def planned_member_keys(action: Action) -> list[str] | None:
    """``after.members`` (userNames) of a ``scim.set_group_members``; ``None`` for other kinds."""
    return list(action.after.members) if isinstance(action, ScimSetGroupMembers) else None


def _group_image(group: ScimGroupRecord | None) -> dict[str, Any] | None:
    return group.image() if group is not None else None


@dataclass(frozen=True)
class PlannedUserAttributes:
    """The attributes of a SCIM user apply owns, as a create/link action plans them (``None``: not
    planned): ``userType``, ``active``, ``externalId`` (the IdP's id, which marks the user provisioned)."""

    user_type: str | None
    active: bool | None
    external_id: str | None


def planned_attributes(action: ScimCreateUser | ScimLinkUser) -> PlannedUserAttributes:
    """What :func:`planned_user` sets of the attributes apply owns, read from the action alone: the
    check-first and the verification compare these, without building (and validating) the whole
    SCIM User that only a ``POST`` sends."""
    return PlannedUserAttributes(action.after.user_type or None, action.after.active, action.target.idp_id)


def attributes_owned_elsewhere(actions: Sequence[Action]) -> dict[str, frozenset[str]]:
    """userName (its :func:`~planner.model.email_key`) -> ``{"userType", "active"}`` subset set by ``scim.set_account_type`` /
    ``scim.deactivate_user`` actions, so the create/link of the same user neither checks nor patches them."""
    owned: dict[str, set[str]] = {}
    for a in actions:
        if isinstance(a, ScimSetAccountType):
            owned.setdefault(email_key(user_name_of(a)), set()).add("userType")
        elif isinstance(a, ScimDeactivateUser):
            owned.setdefault(email_key(user_name_of(a)), set()).add("active")
    return {k: frozenset(v) for k, v in owned.items()}


def _user_differences(user: ScimUserRecord, wanted: PlannedUserAttributes,
                      skip: frozenset[str] = frozenset()) -> list[str]:
    """Attributes apply owns on a SCIM user that differ from the plan (userType, active)."""
    out = []
    if "userType" not in skip and wanted.user_type is not None and user.user_type != wanted.user_type:
        out.append(f"userType: {user.user_type!r}, planned {wanted.user_type!r}")
    if ("active" not in skip and wanted.active is not None and user.active is not None
            and bool(user.active) != bool(wanted.active)):
        out.append(f"active: {user.active!r}, planned {wanted.active!r}")
    return out


def _user_fix(user: ScimUserRecord, wanted: PlannedUserAttributes, skip: frozenset[str] = frozenset()) -> PatchOp[Any] | None:
    """PATCH replacing the owned attributes that differ (RFC 7644 §3.5.2.3)."""
    ops = []
    if "userType" not in skip and wanted.user_type is not None and user.user_type != wanted.user_type:
        ops.append(PatchOperation(op="replace", path="userType", value=wanted.user_type))
    if ("active" not in skip and wanted.active is not None and user.active is not None
            and bool(user.active) != bool(wanted.active)):
        ops.append(PatchOperation(op="replace", path="active", value=bool(wanted.active)))
    if wanted.external_id and not user.external_id:  # provisioned by a client that sent none: mark it ours
        ops.append(PatchOperation(op="replace", path="externalId", value=wanted.external_id))
    return PatchOp[SigmaUser](operations=ops) if ops else None


def _after_conflict(handler, action, clients, retries: Callable[[], int], retried_before: int, on_before,
                    on_ids) -> tuple[str, dict[str, str]]:
    """A first SCIM create (POST /Users or /Groups) answered ``409`` (the object exists: RFC 7644 §3.3):
    read it live and end as :meth:`observe` + :meth:`write` would: ``written`` when it differs (patched)
    or when the transport had retried the POST (its first answer was lost: ``retries()`` grew past
    ``retried_before``), else ``already``. Returns ``(outcome, ids)``."""
    with clients.live_reads():
        seen = handler.observe(action, clients)
    if seen.done:
        return ("written" if retries() > retried_before else "already"), dict(seen.ids)
    on_before(seen.before if seen.before is not None else {"exists": False})
    return "written", {**seen.ids, **handler.write(action, clients, seen, on_ids)}


def _placeholder_user(user_name: str) -> str:
    return f"{{id of userName {user_name!r}}}"


def _placeholder_group(display_name: str) -> str:
    return f"{{id of displayName {display_name!r}}}"


def _known_id(action: Action) -> str | None:
    """The SCIM id the plan holds for the action's user or group (``target.scimId``, from Sigma's
    SCIM state when the plan was made), else ``None``: ``--dry-run`` shows a placeholder only for
    ids Sigma has not assigned yet (docs/apply.md)."""
    scim_id = getattr(action.target, "scim_id", None)
    return scim_id if isinstance(scim_id, str) and scim_id else None


def _user_path(action: Action) -> str:
    """``/Users/{id}`` of the action's user for ``--dry-run``: the known id (:func:`_known_id`,
    encoded as the client sends it) or the placeholder."""
    known = _known_id(action)
    return scim_resource_path("/Users", known) if known else "/Users/" + _placeholder_user(user_name_of(action))


def _group_path(action: Action) -> str:
    """``/Groups/{id}`` of the action's group for ``--dry-run``, as :func:`_user_path`."""
    known = _known_id(action)
    return scim_resource_path("/Groups", known) if known else "/Groups/" + _placeholder_group(display_name_of(action))


# --------------------------------------------------------------------------- handlers


class Handler:
    """Base of the action handlers (see module docstring for the contract)."""

    kind: ActionKind
    api: str

    def observe(self, action: Action, clients: Clients) -> Observation:
        raise NotImplementedError

    def write(self, action: Action, clients: Clients, seen: Observation, on_ids: Callable[[Mapping[str, Any]], None]) -> Mapping[str, Any]:
        raise NotImplementedError

    def requests(self, action: Action) -> list[HttpRequest]:
        raise NotImplementedError

    def subject(self, action: Action) -> str:
        """The object key used to group actions in verification (``user:<userName>``, ``member:<id>``...)."""
        raise NotImplementedError

    def exclusive(self, action: Action) -> str | None:
        """The list this action reads and its write changes, if another action may change it too
        (``teams of member:<memberId>``, ``members of team:<teamId>``): the runner never runs two actions
        of one such key at once (:func:`planner.execute.runner.run_actions`), so no action reads a list
        another one is writing (tester8 finding 13). ``None``: no such list."""
        return None


# ---- SCIM users


class _ScimUserHandler(Handler):
    api = "scim"

    def subject(self, action: Action) -> str:
        return f"user:{email_key(user_name_of(action))}"

    def _find(self, action: Action, clients: Clients) -> ScimUserRecord | None:
        return clients.find_user(user_name_of(action))


class CreateUser(_ScimUserHandler):
    """``scim.create_user`` / ``scim.link_user``: ``POST /Users`` (RFC 7644 §3.3).

    Sigma links a ``POST /Users`` whose ``userName`` equals an existing member's
    email to that member (docs/sigma-api.md §5.3), so create and link send the same
    request. Check first: ``GET /Users?filter=userName eq "..."``; a user found
    is already provisioned (its ``userType``/``active`` are patched if they
    differ from the plan). A ``409`` is "already exists": look up, then link.
    """

    def __init__(self, kind: ActionKind):
        self.kind = kind

    def observe(self, action: Action, clients: Clients) -> Observation:
        user = self._find(action, clients)
        if user is None:
            return Observation(False, (f"no SCIM user with userName {user_name_of(action)!r}",), None, {},
                               missing=True)
        diffs = _user_differences(user, planned_attributes(action), self._skip(action, clients))
        return Observation(not diffs, tuple(diffs), user.image() if diffs else None, {"scimUserId": user.id},
                           {"user": user})

    @staticmethod
    def _skip(action: Action, clients: Clients) -> frozenset[str]:
        return clients.owned_elsewhere.get(email_key(user_name_of(action)), frozenset())

    def create_first(self, action: Action, clients: Clients, on_before: Callable[[Mapping[str, Any]], None],
                     on_ids: Callable[..., None],
                     retries: Callable[[], int] = lambda: 0) -> tuple[str, Mapping[str, Any]]:
        """The first attempt of a create/link: ``POST /Users`` without reading first.

        The check-first read is replaced by the create's own answer (issue 6: "treat the
        'already so' answer as success"): ``201`` is the user as created (the before-image
        is ``{"exists": false}``); ``409`` means it exists, so it is read live and handled as
        :meth:`observe` + :meth:`write` would: patched when it differs; when it is as planned,
        ``written`` if the transport had retried the POST (the first attempt landed and its
        answer was lost: ``retries()`` grew), else ``already`` (it existed before). Used only
        for an action no earlier run started (:class:`Executor`). Returns ``(outcome, ids)``.
        """
        wanted = planned_user(action)
        retried_before = retries()
        try:
            created = clients.need_scim().create_user(wanted)
        except ApiError as exc:
            if exc.status != 409:
                raise
            return _after_conflict(self, action, clients, retries, retried_before, on_before, on_ids)
        ids = {"scimUserId": created.id}
        clients.user_written(user_name_of(action), created)
        on_ids(ids, before={"exists": False})  # journaled with done: the POST was the first and last request
        return "written", ids

    def write(self, action, clients, seen, on_ids):
        scim = clients.need_scim()
        user = seen.state.get("user")
        if user is None:
            try:
                created = scim.create_user(planned_user(action))
            except ApiError as exc:
                if exc.status != 409:
                    raise
                with clients.live_reads():  # created by an earlier attempt whose answer was lost, or by
                    user = clients.find_user(user_name_of(action), listed=True)  # a client sending no externalId
                if user is None and exc.existing_member_id:  # "member-id=<id>" (docs/sigma-api.md §2.4, §7)
                    named = scim.get_user(exc.existing_member_id)
                    if named is not None and email_key(named.user_name) == email_key(user_name_of(action)):
                        user = named
                        clients.user_written(user_name_of(action), named)
                if user is None:
                    raise
            else:
                ids = {"scimUserId": created.id}
                clients.user_written(user_name_of(action), created)
                on_ids(ids)
                return ids
        fix = _user_fix(user, planned_attributes(action), self._skip(action, clients))
        if fix is not None:
            clients.user_written(user_name_of(action), scim.patch_user(user.id, fix))
        return {"scimUserId": user.id}

    def requests(self, action):
        return [HttpRequest("scim", "POST", "/Users", creation_body(planned_user(action)))]


class SetAccountType(_ScimUserHandler):
    """``scim.set_account_type``: ``PATCH /Users/{id}`` replace ``userType`` (docs/sigma-api.md §5.2: exact, case-sensitive)."""

    kind = ActionKind.SCIM_SET_ACCOUNT_TYPE

    def _wanted(self, action: ScimSetAccountType) -> str:
        return action.after.user_type

    def observe(self, action, clients):
        wanted = self._wanted(action)
        user = self._find(action, clients)
        if user is None:
            return Observation(False, (f"no SCIM user with userName {user_name_of(action)!r}",), missing=True)
        done = user.user_type == wanted
        diffs = () if done else (f"userType: {user.user_type!r}, planned {wanted!r}",)
        return Observation(done, diffs, None if done else user.image(), {"scimUserId": user.id}, {"user": user})

    def _patch(self, action: Action) -> PatchOp[Any]:
        return PatchOp[SigmaUser](operations=[PatchOperation(op="replace", path="userType", value=self._wanted(action))])

    def write(self, action, clients, seen, on_ids):
        user = seen.state.get("user")
        if user is None:
            raise ApiError("scim", "GET", "/Users", 404, f"userName {user_name_of(action)!r} is not provisioned")
        clients.user_written(user_name_of(action), clients.need_scim().patch_user(user.id, self._patch(action)))
        return {"scimUserId": user.id}

    def requests(self, action):
        path = _user_path(action)
        return [HttpRequest("scim", "PATCH", path, patch_body(self._patch(action)))]


class DeactivateUser(_ScimUserHandler):
    """``scim.deactivate_user``: ``PATCH /Users/{id}`` replace ``active`` false (Sigma: member becomes inactive, §5.3)."""

    kind = ActionKind.SCIM_DEACTIVATE_USER
    _patch = PatchOp[SigmaUser](operations=[PatchOperation(op="replace", path="active", value=False)])

    def _find(self, action: Action, clients: Clients) -> ScimUserRecord | None:
        # listed users count: one without externalId may be an IdP's that sends none, whose deactivation the plan
        # settled through SCIM (planner.directory.ScimState.without_external_id); Sigma refuses it when it is not
        return clients.find_user(user_name_of(action), listed=True)

    def observe(self, action, clients):
        user = self._find(action, clients)
        if user is None:
            return Observation(False, (f"no SCIM user with userName {user_name_of(action)!r}",), missing=True)
        done = user.active is False
        diffs = () if done else (f"active: {user.active!r}, planned False",)
        return Observation(done, diffs, None if done else user.image(), {"scimUserId": user.id}, {"user": user})

    def write(self, action, clients, seen, on_ids):
        user = seen.state.get("user")
        if user is None:
            raise ApiError("scim", "GET", "/Users", 404, f"userName {user_name_of(action)!r} is not provisioned")
        clients.user_written(user_name_of(action), clients.need_scim().patch_user(user.id, self._patch))
        return {"scimUserId": user.id}

    def requests(self, action):
        path = _user_path(action)
        return [HttpRequest("scim", "PATCH", path, patch_body(self._patch))]


# ---- SCIM groups


def _resolve_user_ids(keys: Sequence[str], clients: Clients) -> dict[str, str]:
    """userName -> SCIM id for every key (cache, then ``userName eq`` lookups); :class:`NotProvisionedMember`
    naming every key SCIM lists no user for."""
    out: dict[str, str] = {}
    missing: list[str] = []
    for key in keys:
        scim_id = clients.ids.user(key)
        if scim_id is None:
            user = clients.find_user(key)
            if user is None or not user.id:
                missing.append(key)
                continue
            scim_id = user.id
        out[key] = scim_id
    if missing:
        raise NotProvisionedMember(tuple(missing))
    return out


def _members_patch(add: Sequence[str], remove: Sequence[str]) -> PatchOp[Any] | None:
    """Group membership delta (RFC 7644 §3.5.2.1 add ``members``; §3.5.2.2 remove ``members[value eq "id"]``)."""
    ops: list[PatchOperation[Any]] = []
    if add:
        ops.append(PatchOperation(op="add", path="members", value=[{"value": v} for v in add]))
    for v in remove:
        ops.append(PatchOperation(op="remove", path=f"members[value eq {_quote(v)}]"))
    return PatchOp[Group](operations=ops) if ops else None


def _quote(value: str) -> str:
    from scim2_models import ScimFilter

    return ScimFilter.quote(value)


class _ScimGroupHandler(Handler):
    api = "scim"

    def subject(self, action: Action) -> str:
        team_id = action.target.team_id
        return f"team:{team_id}" if team_id else f"group:{display_name_of(action)}"

    def exclusive(self, action: Action) -> str | None:
        """The group's member list, which the check reads and the PATCH changes."""
        return "members of " + self.subject(action)

    def _find(self, action: Action, clients: Clients) -> ScimGroupRecord | None:
        """The provisioned group of the action: by the team's id first (a linked team's SCIM id is
        its ``teamId``, docs/sigma-api.md §5.3), so a group the IdP renamed is still found (and
        :func:`_display_name_differences` reports the rename); else by ``displayName eq``."""
        name = display_name_of(action)
        team_id = action.target.team_id
        by_id = clients.need_scim().get_group(team_id) if team_id else None
        if by_id is not None and by_id.external_id:  # GET /Groups/{id} includes the members
            clients.ids.set_group(name, by_id.id or team_id)
            return by_id
        group = clients.need_scim().find_group(name)
        if group is not None and group.id:
            clients.ids.set_group(name, group.id)
            if group.members is None and group.id:
                group = clients.need_scim().get_group(group.id) or group
        return group

    def _member_state(self, action: Action, group: ScimGroupRecord | None,
                      clients: Clients) -> tuple[list[str], list[str], list[str]]:
        """``(differences, ids to add, ids to remove)`` between the group's members and ``after.members``."""
        keys = planned_member_keys(action)
        if keys is None or group is None:
            return [], [], []
        wanted = _resolve_user_ids(keys, clients)
        current = {m.value for m in group.members or [] if m.value}
        want_ids = set(wanted.values())
        add = sorted(want_ids - current)
        remove = sorted(current - want_ids)
        by_id = {v: k for k, v in wanted.items()}
        display = {m.value: (m.display or m.value) for m in group.members or []}
        diffs = [f"members: {by_id[i]!r} missing" for i in add] + [f"members: {display[i]!r} not planned" for i in remove]
        return diffs, add, remove


def _display_name_differences(action: Action, group: ScimGroupRecord) -> list[str]:
    """``["displayName: 'Finance & Accounting', planned 'Finance'"]`` when the group found (by id)
    is not named as the plan says, else ``[]``."""
    planned = display_name_of(action)
    return [] if group.display_name == planned else [f"displayName: {group.display_name!r}, planned {planned!r}"]


class CreateGroup(_ScimGroupHandler):
    """``scim.create_group`` / ``scim.link_group``: ``POST /Groups`` (RFC 7644 §3.3).

    A ``displayName`` equal to an existing team's name links that team (Okta's
    "Link Group", docs/sigma-api.md §6.1). Check first with ``displayName eq``;
    a group found is already provisioned (members are then brought to the plan
    with a PATCH delta). A ``409`` is "already exists": look up, then link.
    """

    def __init__(self, kind: ActionKind):
        self.kind = kind

    def observe(self, action, clients):
        group = self._find(action, clients)
        if group is None:
            return Observation(False, (f"no SCIM group with displayName {display_name_of(action)!r}",), missing=True)
        diffs, add, remove = self._member_state(action, group, clients)
        diffs = _display_name_differences(action, group) + diffs
        return Observation(not diffs, tuple(diffs), _group_image(group), {"scimGroupId": group.id},
                           {"group": group, "add": add, "remove": remove})

    def create_first(self, action: Action, clients: Clients, on_before: Callable[[Mapping[str, Any]], None],
                     on_ids: Callable[..., None],
                     retries: Callable[[], int] = lambda: 0) -> tuple[str, Mapping[str, Any]]:
        """The first attempt of a link/create: ``POST /Groups`` without searching first, as
        :meth:`CreateUser.create_first` does for users. ``201`` is the group as linked or created
        (before-image ``{"exists": false}``); ``409`` means it is provisioned already (the sandbox
        and Sigma answer 409 for a team SCIM manages, docs/sigma-api.md §6.1), so it is read live and
        handled as :meth:`observe` + :meth:`write` would, ``written`` when the transport had retried
        the POST (its first answer was lost), else ``already``. Saves the ``displayName eq`` search
        whose answer lists, and validates, every member of a team not provisioned yet.
        Returns ``(outcome, ids)``."""
        retried_before = retries()
        ids = _resolve_user_ids(planned_member_keys(action) or [], clients)
        try:
            created = clients.need_scim().create_group(self._body(action, list(ids.values())))
        except ApiError as exc:
            if exc.status != 409:
                raise
            return _after_conflict(self, action, clients, retries, retried_before, on_before, on_ids)
        clients.ids.set_group(display_name_of(action), created.id or "")
        written = {"scimGroupId": created.id}
        on_ids(written, before={"exists": False})
        return "written", written

    def _body(self, action: Action, member_ids: Sequence[str]) -> Group:
        members = [GroupMember(value=v) for v in member_ids] or None
        return Group(display_name=display_name_of(action), members=members,
                     external_id=action.target.group_id)

    def write(self, action, clients, seen, on_ids):
        scim = clients.need_scim()
        group = seen.state.get("group")
        if group is None:
            keys = planned_member_keys(action) or []
            ids = _resolve_user_ids(keys, clients)
            try:
                created = scim.create_group(self._body(action, list(ids.values())))
            except ApiError as exc:
                if exc.status != 409:
                    raise
                group = self._find(action, clients)
                if group is None:
                    raise
                diffs, add, remove = self._member_state(action, group, clients)
                seen = Observation(False, tuple(diffs), None, {}, {"group": group, "add": add, "remove": remove})
            else:
                clients.ids.set_group(display_name_of(action), created.id or "")
                on_ids({"scimGroupId": created.id})
                return {"scimGroupId": created.id}
        patch = _members_patch(seen.state.get("add", ()), seen.state.get("remove", ()))
        if patch is not None:
            scim.patch_group(group.id, patch)
        return {"scimGroupId": group.id}

    def requests(self, action):
        keys = planned_member_keys(action) or []
        body = self._body(action, [_placeholder_user(k) for k in keys])
        return [HttpRequest("scim", "POST", "/Groups", creation_body(body))]


class SetGroupMembers(_ScimGroupHandler):
    """``scim.set_group_members``: ``PATCH /Groups/{id}`` adding and removing only the difference."""

    kind = ActionKind.SCIM_SET_GROUP_MEMBERS

    def observe(self, action, clients):
        group = self._find(action, clients)
        if group is None:
            return Observation(False, (f"no SCIM group with displayName {display_name_of(action)!r}",), missing=True)
        if planned_member_keys(action) is None:
            raise ActionInputError(f"action {action.id} has no after.members")
        diffs, add, remove = self._member_state(action, group, clients)  # members only: a rename is link_group's
        return Observation(not diffs, tuple(diffs), _group_image(group), {"scimGroupId": group.id},
                           {"group": group, "add": add, "remove": remove})

    def write(self, action, clients, seen, on_ids):
        group = seen.state.get("group")
        if group is None:
            raise ApiError("scim", "GET", "/Groups", 404, f"group {display_name_of(action)!r} is not provisioned")
        patch = _members_patch(seen.state["add"], seen.state["remove"])
        if patch is not None:
            clients.need_scim().patch_group(group.id, patch)
        return {"scimGroupId": group.id}

    def requests(self, action):
        keys = planned_member_keys(action) or []
        before = action.before.members  # userNames in an undo plan; a plan holds memberIds: unknown names
        before_keys = set(before or ())
        add = [_placeholder_user(k) for k in keys if k not in before_keys]
        remove = [_placeholder_user(k) for k in sorted(before_keys - set(keys))]
        patch = _members_patch(add, remove)
        path = _group_path(action)
        return [HttpRequest("scim", "PATCH", path, patch_body(patch))] if patch is not None else []


# ---- REST members and teams


class _MemberPatch(Handler):
    """REST ``PATCH /v2/members/{memberId}`` handlers (docs/sigma-api.md §2.5)."""

    api = "rest"
    fields: tuple[str, ...] = ()

    def subject(self, action: Action) -> str:
        return f"member:{member_id_of(action)}"

    def body(self, action: Action) -> dict[str, Any]:
        """The PATCH body (docs/sigma-api.md §2.5), from the action's ``after``."""
        raise NotImplementedError

    def differences(self, member: MemberRecord, action: Action) -> list[str]:
        raise NotImplementedError

    def observe(self, action, clients):
        member = clients.get_member(member_id_of(action))
        diffs = self.differences(member, action)
        return Observation(not diffs, tuple(diffs), member.image(), {"memberId": member.member_id})

    def write(self, action, clients, seen, on_ids):
        member_id = member_id_of(action)
        try:
            clients.need_rest().update_member(member_id, self.body(action))
        finally:
            clients.member_written(member_id)
        return {"memberId": member_id}

    def requests(self, action):
        return [HttpRequest("rest", "PATCH", member_path(member_id_of(action)), self.body(action))]


class ArchiveMember(_MemberPatch):
    """``members.deactivate`` / ``members.disable_guest``: ``{"isArchived": true, "newOwnerId": ...}``.

    Sigma's documented way to deactivate pre-SCIM members and hand their
    documents over (docs/sigma-api.md §2.5, S-DEACT). ``isArchived`` already true is done.
    """

    def __init__(self, kind: ActionKind):
        self.kind = kind

    def body(self, action):
        return {"isArchived": True, "newOwnerId": action.after.new_owner_id}

    def differences(self, member, action):
        return [] if member.is_archived else [f"isArchived: {member.is_archived!r}, planned True"]


class ConvertGuest(_MemberPatch):
    """``members.convert_guest``: ``{"userKind": "internal"}`` so the IdP can then link the member (§5.3)."""

    kind = ActionKind.MEMBERS_CONVERT_GUEST

    def body(self, action):
        return {"userKind": action.after.user_kind}

    def differences(self, member, action):
        wanted = action.after.user_kind
        return [] if member.user_kind == wanted else [f"userKind: {member.user_kind!r}, planned {wanted!r}"]


class SetEmail(_MemberPatch):
    """``members.set_email``: ``{"email": <IdP userName>}`` so the IdP's ``userName`` links this
    member instead of creating a second account (docs/sigma-api.md §5.3: a userName identifies the user)."""

    kind = ActionKind.MEMBERS_SET_EMAIL

    def body(self, action):
        return {"email": action.after.email}

    def differences(self, member, action):
        wanted = self.body(action)["email"]
        return [] if member.email == wanted else [f"email: {member.email!r}, planned {wanted!r}"]


class Reactivate(_MemberPatch):
    """``members.reactivate``: ``{"isArchived": false}`` (docs/sigma-api.md §2.5; recreating an archived
    email does not reactivate it, §2.4). ``isArchived`` already false is done."""

    kind = ActionKind.MEMBERS_REACTIVATE

    def body(self, action):
        return {"isArchived": False}

    def differences(self, member, action):
        return ["isArchived: True, planned False"] if member.is_archived else []


class NotRemovedByPush(Exception):
    """A ``teams.remove_member`` the group's push was to make (``evidence.removedBy``) finds the member still
    in the team after the push: Sigma kept a membership the push does not see (docs/sigma-api.md §5.4,
    §10.12). Fails that action only; a new plan removes the member through the REST API."""


class RemoveTeamMember(Handler):
    """``teams.remove_member``: ``PATCH /v2/teams/{teamId}/members {"remove": [memberId]}`` (§3.3).

    Check first with the member's teams (``GET /v2/members/{memberId}/teams``, §2.1,
    :meth:`Clients.member_teams`): a member none of whose teams is ``teamId`` is done (Sigma's answer to
    removing a non-member is undocumented, §10.9). The member's teams, never the team's own listing: a
    team of 4,339 members is 44 pages, read before and after each of its removals, and the run's other
    removals of that team change it while it is read (tester8 finding 13); a member is in a few teams, and
    only this member's own removals change them. An entry without a ``teamId`` fails the listing
    (:func:`~planner.execute.rest_client.team_records`), never reads as "not in the team". The
    before-image is ``{"teamId", "memberId", "team": <the team as listed>}``.
    A removal the group's push makes (``evidence.removedBy``, after which it runs) sends nothing: a
    member still there is :class:`NotRemovedByPush`, never a REST write the plan did not say.
    """

    kind = ActionKind.TEAMS_REMOVE_MEMBER
    api = "rest"

    def subject(self, action):
        return f"team:{action.target.team_id}"

    def exclusive(self, action):
        return f"teams of member:{action.target.member_id}"

    def observe(self, action, clients):
        team_id, member_id = action.target.team_id, action.target.member_id
        team = next((t for t in clients.member_teams(member_id) if t.team_id == team_id), None)
        if team is None:
            return Observation(True, (), None, {"teamId": team_id})
        return Observation(
            False, (f"member {member_id} is still in team {team_id}",),
            {"teamId": team_id, "memberId": member_id, "team": team.image()}, {"teamId": team_id},
        )

    def write(self, action, clients, seen, on_ids):
        pushed_by = action.evidence.removed_by
        if pushed_by:
            raise NotRemovedByPush(
                f"member {action.target.member_id} is still in team {action.target.team_id} after {pushed_by}, "
                "whose push was to remove them: Sigma kept a membership the push does not see (docs/sigma-api.md "
                "§5.4); fetch and plan again, and the new plan removes them through the REST API")
        clients.need_rest().update_team_members(action.target.team_id, [], [action.target.member_id])
        return {"teamId": action.target.team_id}

    def requests(self, action):
        if action.evidence.removed_by:
            return []  # the group's push removes the member
        return [HttpRequest("rest", "PATCH", team_members_path(action.target.team_id),
                            {"add": [], "remove": [action.target.member_id]})]


HANDLERS: dict[ActionKind, Handler] = {
    ActionKind.SCIM_CREATE_USER: CreateUser(ActionKind.SCIM_CREATE_USER),
    ActionKind.SCIM_LINK_USER: CreateUser(ActionKind.SCIM_LINK_USER),
    ActionKind.SCIM_SET_ACCOUNT_TYPE: SetAccountType(),
    ActionKind.SCIM_DEACTIVATE_USER: DeactivateUser(),
    ActionKind.SCIM_CREATE_GROUP: CreateGroup(ActionKind.SCIM_CREATE_GROUP),
    ActionKind.SCIM_LINK_GROUP: CreateGroup(ActionKind.SCIM_LINK_GROUP),
    ActionKind.SCIM_SET_GROUP_MEMBERS: SetGroupMembers(),
    ActionKind.TEAMS_REMOVE_MEMBER: RemoveTeamMember(),
    ActionKind.MEMBERS_DEACTIVATE: ArchiveMember(ActionKind.MEMBERS_DEACTIVATE),
    ActionKind.MEMBERS_DISABLE_GUEST: ArchiveMember(ActionKind.MEMBERS_DISABLE_GUEST),
    ActionKind.MEMBERS_CONVERT_GUEST: ConvertGuest(),
    ActionKind.MEMBERS_SET_EMAIL: SetEmail(),
    ActionKind.MEMBERS_REACTIVATE: Reactivate(),
}
"""Every action kind has exactly one handler (checked by the tests)."""


def handler_for(action: Action) -> Handler:
    return HANDLERS[action.kind]


def apis_used(actions: Sequence[Action]) -> set[str]:
    """``{"rest", "scim"}`` subset the actions need."""
    return {HANDLERS[a.kind].api for a in actions}


_CREATE_FIRST_KINDS = frozenset(k.value for k in (ActionKind.SCIM_CREATE_USER, ActionKind.SCIM_LINK_USER,
                                                 ActionKind.SCIM_CREATE_GROUP, ActionKind.SCIM_LINK_GROUP))
"""Kinds whose first attempt posts before reading (:meth:`CreateUser.create_first`,
:meth:`CreateGroup.create_first`): their before-image is recorded after the POST."""


def may_have_written(row: JournalRow) -> bool:
    """Whether the attempt of a journal row found ``running`` (its run was killed mid-action) may
    have sent its write: it recorded a before-image (read-first handlers record it just before
    writing), or it was the first attempt of a user or group create/link (which posts at once,
    :data:`_CREATE_FIRST_KINDS`). Such an action found as planned on resume was written by
    that interrupted run, not "already so"."""
    if row.state != "running":
        return False
    if row.before_image is not None:
        return True
    return row.kind in _CREATE_FIRST_KINDS and row.attempts == 1


class Executor:
    """The :class:`planner.execute.runner.ActionExecutor` over the handlers: observe, then write if needed.

    ``first_attempts``: ids of actions no earlier run started (journal ``attempts`` 0). A user or
    group create/link among them posts first and reads only on a 409 (:meth:`CreateUser.create_first`,
    :meth:`CreateGroup.create_first`);
    every other action, and any action a killed or failed run started, reads first.
    ``interrupted``: ids of actions whose interrupted attempt may have written
    (:func:`may_have_written`); found as planned, their outcome is
    :data:`~planner.execute.journal.WRITTEN_BY_INTERRUPTED_RUN`, not ``already``.
    ``retries()``: how many HTTP retries the current thread's action has had so far (the
    runner's retry counter), which tells a 409 caused by our own lost first answer.
    """

    def __init__(self, clients: Clients, actions: Sequence[Action] = (), first_attempts: frozenset[str] = frozenset(),
                 retries: Callable[[], int] = lambda: 0, interrupted: frozenset[str] = frozenset()):
        self.clients = clients
        self.first_attempts = first_attempts
        self.interrupted = interrupted
        self.retries = retries
        if actions:
            clients.owned_elsewhere = attributes_owned_elsewhere(actions)

    def execute(self, action, on_before, on_ids):
        """Observe; done already, or write. Returns ``(outcome, ids)``: the ids observed and written
        (the runner journals them with the outcome); ids a create returns are passed to ``on_ids``
        (the create is the action's last request: the runner commits them with ``done``, the next
        step, so a crash right after the create loses them no more often than before)."""
        handler = handler_for(action)
        writes = self.clients.writes
        if action.id in self.first_attempts and isinstance(handler, (CreateUser, CreateGroup)):
            try:
                with writes.writing():
                    return handler.create_first(action, self.clients, on_before, on_ids, self.retries)
            except ApiError as exc:
                return self._second_look(handler, action, exc, {})
        seen = handler.observe(action, self.clients)
        if seen.done:
            return (WRITTEN_BY_INTERRUPTED_RUN if action.id in self.interrupted else "already"), dict(seen.ids)
        on_before(seen.before if seen.before is not None else {"exists": False})
        try:
            with writes.writing():
                return "written", {**seen.ids, **handler.write(action, self.clients, seen, on_ids)}
        except ApiError as exc:
            return self._second_look(handler, action, exc, seen.ids)

    def _second_look(self, handler: Handler, action: Action, exc: ApiError,
                     ids: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
        """A write that failed may have gone through: its first answer was lost and the transport's retry
        was refused (409, 400 "not in team") because the first one landed, or every try timed out or
        answered 5xx after Sigma made the change. The observe-after decides (tester8 finding 13: an action
        whose write went through is never reported failed): the target read live (not from an index) as
        planned is ``written``; else ``exc`` stands, as it does when that read fails too. A refused
        authentication (401) is not looked at again: every read would be refused."""
        if isinstance(exc, AuthError) or exc.status == 401:
            raise exc
        try:
            with self.clients.live_reads():
                again = handler.observe(action, self.clients)
        except ApiError:
            raise exc from None
        if not again.done:
            raise (self._address_held(action, exc) if exc.status == 409 else None) or exc
        return "written", {**ids, **again.ids}

    def _address_held(self, action: Action, exc: ApiError) -> AddressHeld | None:
        """``exc`` (a 409) explained as :class:`AddressHeld` when another member than the action's target
        holds an address the action gives (:func:`~planner.payloads.addresses_claimed`; one
        ``GET /v2/members?email=`` per address until a holder is found), else ``None``. A look-up
        that fails leaves ``exc`` as it is."""
        own = target_member_id(action)
        rest = self.clients.rest
        if rest is None:
            return None
        for address in addresses_claimed(action):
            try:
                holders = rest.find_members_by_email(address)
            except ApiError:
                return None
            holder = next((m for m in holders if m.member_id != own and email_key(m.email) == email_key(address)), None)
            if holder is not None:
                return AddressHeld(exc, address, holder.member_id, holder.email)
        return None
