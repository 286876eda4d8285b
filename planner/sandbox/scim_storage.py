"""Our scim2-server storage over the sandbox state: SCIM Users are members, Groups are teams.

:class:`SigmaScimStorage` implements :class:`scim2_server.storage.ScimStorage`
(and passes :class:`scim2_server.testing.ScimStorageContract`) by translating
each SCIM resource to and from the rows of :class:`planner.sandbox.state.SandboxState`.
scim2-server does the SCIM protocol (RFC 7644: routing, validation, PATCH,
filters' grammar, list responses); this module only holds Sigma's semantics
(docs/sigma-api.md §5.2, §5.3, §8.5, §8.6):

- ``userName`` is the member's email and identifies the user. ``POST /Users``
  with a ``userName`` equal to a member's email (case-insensitively) **links**
  that member: it becomes SCIM-managed and takes the IdP's names, account type,
  activity and userKind. The SCIM ``id`` of a user is the ``memberId`` of the
  member it was created or linked with (docs/sigma-api.md §10.2 leaves it unknown; this
  lets one id serve both APIs).
- A ``userName`` change creates a new member (see
  :meth:`SandboxState.scim_update_user`): the SCIM id stays and now designates the
  new member, the old member is left behind unlinked.
- ``userType`` must equal an account type name exactly (case-sensitive), else
  400; absent on create = the org default (:attr:`SandboxState.default_account_type`);
  absent (null) on update = 400 "Request is malformed" (Okta's documented error).
- ``active: false`` makes the member inactive (``isInactive``); ``true`` reactivates.
- ``urn:sigma:scim:schemas:extension:2.0:User`` ``userKind``: ``internal`` or
  ``embed``. ``guest`` is 400: guests cannot be SCIM-managed (§5.3); linking an
  existing guest member is 409. (``external``, listed in the Okta guide, is 400
  too: REST's ``userKind`` has no such value, so the sandbox refuses what it
  cannot store.)
- ``userName`` is compared with member emails letter case aside and nothing else
  (:func:`planner.sandbox.store.sigma_email_key`: a stored email with a stray space
  does not match the clean userName), and a ``userName`` that is not clean (surrounding
  spaces, control or invisible characters, not NFC) is 400: Sigma would store it as typed.
- With ``require_profile`` (the default) ``userName`` must look like an email
  and ``name.givenName`` and ``name.familyName`` must be set (Okta guide: users
  without both names are not created; a member without an email cannot exist).
- A Group is a team. ``POST /Groups`` whose ``displayName`` equals an existing
  team's name exactly links it (see :meth:`SandboxState.scim_create_group`).
  ``members[].value`` must be SCIM user ids; a member of type ``Group`` is 400
  (teams do not nest). A Group lists only its SCIM-managed members; pre-SCIM
  members left in a linked team are visible through REST only.
- DELETE of a User makes the member inactive and unlinks it; DELETE of a Group
  deletes the team.
- Pre-SCIM members and teams are listed too (Sigma's SCIM docs: admins "may be able
  to import users from Sigma into your IdP"; Okta's import and "Link Group" read
  them over SCIM): ``GET /Users`` lists every member that is not a guest (SCIM
  cannot manage guests, §5.3) nor the scheduler robot, with ``id`` = memberId and
  no ``externalId``; ``GET /Groups`` lists every team that is not archived, with
  ``id`` = teamId. They are found by ``userName eq`` / ``displayName eq`` like the
  others, but are read-only over SCIM (``PUT``/``PATCH``/``DELETE`` are 404 "not
  provisioned by SCIM") until the IdP links them with ``POST``. ``externalId`` is
  set only by a provisioning client (RFC 7643 §3.1), so it is what tells a
  provisioned resource from a listed pre-SCIM one.
- ``meta.version`` is ``W/"<n>"``, changed on every change of the member or
  team, whichever API made it.

State errors become SCIM errors: 404 NotFound, 409 Uniqueness (scimType
``uniqueness``), 400 invalidValue, 412 PreconditionFailed.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Union

from scim2_models import (
    ForbiddenException,
    InvalidValueException,
    NotFoundException,
    PreconditionFailedException,
    Resource,
    ResourceType,
    ResponseParameters,
    ScimFilter,
    ScimProvider,
    SearchRequest,
    UniquenessException,
)
from scim2_models.path import CompareOperator, Comparison
from scim2_server.storage import ScimStorage, SearchPage
from scim2_server.utils import parametrize

from ..sources.values import clean_address
from . import store as st
from .state import SandboxState

SIGMA_USER_EXTENSION = "urn:sigma:scim:schemas:extension:2.0:User"
"""Sigma's SCIM extension schema, attribute ``userKind`` (docs/sigma-api.md §5.2, §6.1)."""

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"

_MEMBER_DISPLAY = "_memberDisplay"
"""Key under which a group's stored SCIM JSON keeps the ``display`` the IdP sent per member."""

SCIM_USER_KINDS = ("internal", "embed")
"""``userKind`` values a SCIM user may have (guests cannot be SCIM-managed, §5.3)."""


def _version_tag(version: int) -> str:
    return f'W/"{version}"'


def _version_number(tag: str | None) -> int | None:
    """The integer inside ``W/"n"``; an unreadable tag matches no stored version."""
    if tag is None:
        return None
    try:
        return int(tag.removeprefix("W/").strip('"'))
    except ValueError:
        return -1


@contextmanager
def _scim_errors() -> Iterator[None]:
    """Turn :class:`planner.sandbox.store.StateError` into the SCIM exception of the same status."""
    try:
        yield
    except st.NotFound as exc:
        raise NotFoundException(detail=exc.message) from None
    except st.Conflict as exc:
        raise UniquenessException(detail=exc.message) from None
    except st.PreconditionFailed as exc:
        raise PreconditionFailedException(detail=exc.message) from None
    except st.Forbidden as exc:
        raise ForbiddenException(detail=exc.message) from None
    except st.StateError as exc:
        raise InvalidValueException(detail=exc.message) from None


class SigmaScimStorage(ScimStorage):
    """A :class:`~scim2_server.storage.ScimStorage` whose Users are members and Groups are teams.

    :param state: the shared sandbox state.
    :param provider: the SCIM service description (models of User and Group,
        :func:`planner.sandbox.scim.sigma_provider`).
    :param require_profile: enforce an email ``userName`` and both names (see
        the module docstring); ``False`` only for scim2-server's storage
        contract, whose users are ``bjensen``-style names.
    :param page_cap: returns the largest page a search may return, or ``None``
        (the sandbox's page-size fault, :mod:`planner.sandbox.faults`).
    """

    def __init__(
        self,
        state: SandboxState,
        provider: ScimProvider,
        *,
        require_profile: bool = True,
        page_cap: Callable[[], int | None] = lambda: None,
    ) -> None:
        self.state = state
        self.provider = provider
        self.require_profile = require_profile
        self.page_cap = page_cap

    # ------------------------------------------------------------------ helpers

    def _model(self, resource_type: ResourceType) -> type[Resource[Any]]:
        return self.provider.model_for(resource_type)  # type: ignore[return-value]

    @staticmethod
    def _is_user(resource_type: ResourceType) -> bool:
        return resource_type.schema_ == CORE_USER or resource_type.id == "User"

    def _user_resource(self, model: type[Resource[Any]], row: sqlite3.Row) -> Resource[Any]:
        """A member row as a SCIM User of ``model`` (the stored attributes under Sigma's values)."""
        data: dict[str, Any] = json.loads(row["scim_json"]) if row["scim_json"] else {}
        provisioned = row["scim_id"] is not None
        data["id"] = row["scim_id"] if provisioned else row["member_id"]
        data["userName"] = data.get("userName") or row["email"]
        name = dict(data.get("name") or {})
        if row["first_name"]:
            name["givenName"] = row["first_name"]
        if row["last_name"]:
            name["familyName"] = row["last_name"]
        if name:
            data["name"] = name
        data["userType"] = row["member_type"]
        data["active"] = not row["is_inactive"] if provisioned else not (row["is_inactive"] or row["is_archived"])
        schemas = list(data.get("schemas") or [CORE_USER])
        if SIGMA_USER_EXTENSION in model.get_extension_models():
            ext = dict(data.get(SIGMA_USER_EXTENSION) or {})
            ext["userKind"] = row["user_kind"]
            data[SIGMA_USER_EXTENSION] = ext
            if SIGMA_USER_EXTENSION not in schemas:
                schemas.append(SIGMA_USER_EXTENSION)
        data["schemas"] = schemas
        created = row["scim_created"] or row["created_at"]
        modified = max(created or "", row["updated_at"] or "") or created
        data["meta"] = {"resourceType": "User", "created": created, "lastModified": modified,
                        "version": _version_tag(row["version"])}
        return model.model_validate(data)

    def _group_resource(self, model: type[Resource[Any]], row: sqlite3.Row) -> Resource[Any]:
        """A team row as a SCIM Group of ``model``, listing its SCIM-managed members."""
        data: dict[str, Any] = json.loads(row["scim_json"]) if row["scim_json"] else {}
        data["id"] = row["scim_id"] if row["scim_id"] is not None else row["team_id"]
        data["displayName"] = row["name"]
        displays = data.pop(_MEMBER_DISPLAY, {})
        members = [
            {"value": m["scim_id"], "$ref": f"Users/{m['scim_id']}", "type": "User",
             "display": displays.get(m["scim_id"], m["email"])}
            for m in self.state.scim_group_members(row["team_id"])
        ]
        if members:
            data["members"] = members
        else:
            data.pop("members", None)
        data["schemas"] = list(data.get("schemas") or [CORE_GROUP])
        created = row["scim_created"] or row["created_at"]
        modified = max(created or "", row["updated_at"] or "") or created
        data["meta"] = {"resourceType": "Group", "created": created, "lastModified": modified,
                        "version": _version_tag(row["version"])}
        return model.model_validate(data)

    def _user_attrs(self, resource: Resource[Any], *, current: sqlite3.Row | None) -> dict[str, Any]:
        """Validate a SCIM User against Sigma's rules and return the state's ``attrs``."""
        data = resource.model_dump()
        user_name = data.get("userName")
        if not isinstance(user_name, str) or not user_name.strip():
            raise InvalidValueException(detail="userName is required")
        name = data.get("name") or {}
        given, family = name.get("givenName"), name.get("familyName")
        if user_name != clean_address(user_name):
            raise InvalidValueException(
                detail=f"userName {user_name!r} has surrounding spaces, control or invisible characters, or is not "
                       "Unicode NFC")
        if self.require_profile:
            if not st.is_email(user_name.strip()):
                raise InvalidValueException(detail=f"userName must be the user's email address, got {user_name!r}")
            if not given or not family:
                raise InvalidValueException(detail="name.givenName and name.familyName are both required")
        user_type = data.get("userType")
        if user_type is None:
            if current is not None:
                raise InvalidValueException(detail="Request is malformed: userType is null")
            user_type = self.state.default_account_type
        elif user_type not in self.state.account_type_names():
            raise InvalidValueException(
                detail=f"userType {user_type!r} is not an account type name (names are case-sensitive)"
            )
        ext = data.get(SIGMA_USER_EXTENSION) or {}
        kind = ext.get("userKind")
        if kind is None:
            kind = current["user_kind"] if current is not None else "internal"
        if kind == "guest":
            raise InvalidValueException(detail="guest users cannot be managed with SCIM")
        if kind not in SCIM_USER_KINDS:
            raise InvalidValueException(detail=f"userKind must be one of {', '.join(SCIM_USER_KINDS)}")
        active = data.get("active")
        if active is None:
            active = not current["is_inactive"] if current is not None else True
        kept = {k: v for k, v in data.items() if k not in ("id", "meta")}
        return {
            "user_name": user_name.strip(),
            "first_name": given or "",
            "last_name": family or "",
            "member_type": user_type,
            "user_kind": kind,
            "active": bool(active),
            "scim_json": json.dumps(kept),
        }

    @staticmethod
    def _group_parts(resource: Resource[Any]) -> tuple[str, list[str], str]:
        data = resource.model_dump()
        display_name = data.get("displayName")
        if not isinstance(display_name, str) or not display_name.strip():
            raise InvalidValueException(detail="displayName is required")
        values = []
        for member in data.get("members") or []:
            if (member.get("type") or "User") != "User":
                raise InvalidValueException(detail="Sigma teams hold users only; nested groups are not supported")
            if not member.get("value"):
                raise InvalidValueException(detail="members[].value is required")
            values.append(str(member["value"]))
        kept = {k: v for k, v in data.items() if k not in ("id", "meta", "members", "displayName")}
        displays = {str(m["value"]): m["display"] for m in data.get("members") or [] if m.get("display")}
        if displays:
            kept[_MEMBER_DISPLAY] = displays
        return display_name, values, json.dumps(kept)

    # ------------------------------------------------------------------ the contract

    @contextmanager
    def operation(self) -> Iterator[None]:
        """One SCIM operation is one state transaction: all or nothing, under the lock."""
        with self.state.transaction():
            yield

    def get(
        self,
        resource_type: ResourceType,
        resource_id: str,
        *,
        response_parameters: ResponseParameters[Any] | None = None,
    ) -> Resource[Any]:
        """Return the User or Group ``resource_id`` (RFC 7644 §3.4.1); 404 when not SCIM-managed."""
        model = self._model(resource_type)
        if self._is_user(resource_type):
            row = self.state.scim_user_row(resource_id)
            if row is None:
                raise NotFoundException(detail=f"User {resource_id!r} not found")
            return self._user_resource(model, row)
        row = self.state.scim_group_row(resource_id)
        if row is None:
            raise NotFoundException(detail=f"Group {resource_id!r} not found")
        return self._group_resource(model, row)

    def _candidates(self, resource_type: ResourceType, scim_filter: ScimFilter[Any] | None, alone: bool) -> list[Resource[Any]]:
        """Resources of one type a search walks; ``userName eq`` / ``displayName eq`` use an index, and
        ``externalId eq`` is looked up in SQL (the check apply makes before a ``POST /Users`` or ``POST /Groups``,
        :mod:`planner.execute.external_ids`), so neither builds every resource."""
        model = self._model(resource_type)
        is_user = self._is_user(resource_type)
        value = _indexed_equality(scim_filter, "userName" if is_user else "displayName") if alone else None
        external_id = _indexed_equality(scim_filter, "externalId") if alone else None
        if is_user:
            rows = (self.state.scim_user_rows(external_id=external_id) if external_id is not None
                    else self.state.scim_user_rows(user_name=value))
            return [self._user_resource(model, r) for r in rows]
        rows = (self.state.scim_group_rows(external_id=external_id) if external_id is not None
                else self.state.scim_group_rows(display_name=value))
        return [self._group_resource(model, r) for r in rows]

    def search(
        self,
        resource_types: list[ResourceType],
        search_request: SearchRequest[Any],
        *,
        position: Any = None,
    ) -> SearchPage:
        """Filter and page the Users and/or Groups (RFC 7644 §3.4.2); index paging only.

        The count is bounded by the page-size fault when one is set. A search of one resource type
        without a filter or a sort (an IdP's or ``fetch``'s listing) reads and builds only the page's
        resources (:meth:`_plain_page`); a filtered or sorted one builds every candidate first (an
        indexed ``userName eq`` / ``displayName eq`` has one or none).
        """
        scim_filter = search_request.filter
        start = search_request.start_index_0 or 0
        count = search_request.count
        cap = self.page_cap()
        if cap is not None:
            count = cap if count is None else min(count, cap)
        if scim_filter is None and search_request.sort_by is None and len(resource_types) == 1:
            return self._plain_page(resource_types[0], start, count)
        with self.state.lock:
            candidates = [
                r for rt in resource_types
                for r in self._candidates(rt, scim_filter, len(resource_types) == 1)
            ]
        if scim_filter is not None and not scim_filter.models and candidates:
            models = tuple(dict.fromkeys(type(r) for r in candidates))
            scim_filter = parametrize(ScimFilter, Union[models])(str(scim_filter))  # noqa: UP007
        found = [r for r in candidates if scim_filter is None or scim_filter.match(r)]
        if search_request.sort_by is not None:
            found = search_request.sort(found)
        stop = None if count is None else start + count
        return SearchPage(len(found), found[start:stop])

    def _plain_page(self, resource_type: ResourceType, start: int, count: int | None) -> SearchPage:
        """The page of an unfiltered, unsorted search of one resource type: ``count`` resources (``None``: all)
        from the 0-based ``start``, and the total, the page's rows only read and built (tester8 finding 25:
        at 20k members every page built all 20k Users, ~1-10 s a page)."""
        model = self._model(resource_type)
        if self._is_user(resource_type):
            total, rows = self.state.scim_user_page(start, count)
            return SearchPage(total, [self._user_resource(model, r) for r in rows])
        with self.state.lock:  # the teams and their members read as one state
            total, rows = self.state.scim_group_page(start, count)
            return SearchPage(total, [self._group_resource(model, r) for r in rows])

    def create(self, resource_type: ResourceType, resource: Resource[Any]) -> Resource[Any]:
        """POST /Users (create or link a member) or POST /Groups (create or link a team)."""
        model = self._model(resource_type)
        with _scim_errors():
            if self._is_user(resource_type):
                row = self.state.scim_create_user(self._user_attrs(resource, current=None))
                return self._user_resource(model, row)
            display_name, members, extra = self._group_parts(resource)
            row = self.state.scim_create_group(display_name, members, extra)
            return self._group_resource(model, row)

    def update(
        self,
        resource_type: ResourceType,
        resource: Resource[Any],
        *,
        expected_version: str | None = None,
    ) -> Resource[Any]:
        """PUT/PATCH result: the whole new state of a User or Group (RFC 7644 §3.5)."""
        model = self._model(resource_type)
        resource_id = str(resource.id)
        with _scim_errors():
            if self._is_user(resource_type):
                current = self.state.scim_user_row(resource_id)
                if current is None:
                    raise NotFoundException(detail=f"User {resource_id!r} not found")
                _refuse_pre_scim(current, "User")
                row = self.state.scim_update_user(
                    resource_id, self._user_attrs(resource, current=current),
                    expected_version=_version_number(expected_version),
                )
                return self._user_resource(model, row)
            current = self.state.scim_group_row(resource_id)
            if current is not None:
                _refuse_pre_scim(current, "Group")
            display_name, members, extra = self._group_parts(resource)
            row = self.state.scim_update_group(
                resource_id, display_name, members, extra, expected_version=_version_number(expected_version)
            )
            return self._group_resource(model, row)

    def delete(self, resource_type: ResourceType, resource_id: str, *, expected_version: str | None = None) -> None:
        """DELETE /Users/{id} (member inactive + unlinked) or /Groups/{id} (team deleted)."""
        with _scim_errors():
            current = (self.state.scim_user_row if self._is_user(resource_type) else self.state.scim_group_row)(resource_id)
            if current is not None:
                _refuse_pre_scim(current, "User" if self._is_user(resource_type) else "Group")
            if self._is_user(resource_type):
                self.state.scim_delete_user(resource_id, expected_version=_version_number(expected_version))
            else:
                self.state.scim_delete_group(resource_id, expected_version=_version_number(expected_version))


def _refuse_pre_scim(row: sqlite3.Row, what: str) -> None:
    """404 for a write to a listed pre-SCIM member or team: it is read-only over SCIM until the IdP
    links it with ``POST /Users`` (same userName) or ``POST /Groups`` (same displayName), §5.3."""
    if row["scim_id"] is None:
        key = "userName" if what == "User" else "displayName"
        raise NotFoundException(
            detail=f"{what} {row['member_id' if what == 'User' else 'team_id']!r} is not provisioned by SCIM; "
            f"POST /{what}s with its {key} links it"
        )


def _indexed_equality(scim_filter: ScimFilter[Any] | None, attribute: str) -> str | None:
    """The string of a filter ``<attribute> eq "<string>"`` (top-level, alone), else ``None``."""
    if scim_filter is None:
        return None
    node = scim_filter.ast
    if (
        isinstance(node, Comparison)
        and node.op == CompareOperator.eq
        and isinstance(node.value, str)
        and str(node.attr_path).rsplit(":", 1)[-1].casefold() == attribute.casefold()
    ):
        return node.value
    return None
