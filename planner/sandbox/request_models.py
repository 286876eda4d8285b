"""The request bodies the sandbox's REST side accepts, as pydantic models (docs/sigma-api.md §2-§3).

Each model states the shape of one body: its fields and their JSON types (strict: no
coercion, ``"true"`` is not a boolean), unknown fields refused, and the rules between
fields. :func:`parse_request` turns a refusal into the :class:`~planner.sandbox.store.BadRequest`
(400) Sigma's envelope carries, one sentence:

- unknown fields: ``Unknown field(s) in <what>: a, b`` (all of them, sorted);
- a field of the wrong type or value: the field's sentence in the model's ``MESSAGES``
  (e.g. ``userKind must be one of internal, guest, embed``), or the validator's own
  sentence when it names the value (``Invalid email 'x'``);
- a rule between fields: its sentence (``isGuest conflicts with userKind``).

Field errors come in the model's field order, before the rules between fields. What needs
the organization (an existing account type, a free email, an active member) is checked by
the resource modules after the shape, with their own status codes (404, 409).
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from .store import BadRequest, is_email

USER_KINDS = ("internal", "guest", "embed")
"""``userKind`` values of the REST member object (docs/sigma-api.md §2.2)."""

UserKind = Literal["internal", "guest", "embed"]

MAX_TEAM_MEMBER_CHANGES = 100
"""Most ids one ``PATCH /v2/teams/{teamId}/members`` may carry (add + remove).

docs/sigma-api.md §10.9: the real maximum is unknown; 100 is the limit Sigma
documents for the sibling user-attribute endpoint (§3.1), the strictest
plausible choice.
"""

_RULE = "sandbox_rule"
"""Error type of a sentence written by a validator, passed on verbatim."""


def _refuse(sentence: str) -> PydanticCustomError:
    return PydanticCustomError(_RULE, sentence)


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("blank")
    return value


class RequestBody(BaseModel):
    """Base of the request models: strict JSON types, unknown fields refused, immutable."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    WHAT: ClassVar[str] = ""
    """The body's name in the unknown-fields sentence (``"member"``), or ``""`` for none."""
    MESSAGES: ClassVar[dict[str, str]] = {}
    """The sentence of a wrong type or value, by field (JSON name)."""

    def given(self, field: str) -> bool:
        """True when the body carries ``field`` (JSON name), even as ``null``: what an update changes."""
        return field in self.model_fields_set


Body = TypeVar("Body", bound=RequestBody)


def parse_request(model: type[Body], body: Any) -> Body:
    """``body`` (a decoded JSON object) as ``model``; :class:`BadRequest` (module docstring) otherwise."""
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        errors = exc.errors()
    unknown = sorted(str(e["loc"][0]) for e in errors if e["type"] == "extra_forbidden" and len(e["loc"]) == 1)
    if unknown:
        what = f" in {model.WHAT}" if model.WHAT else ""
        raise BadRequest(f"Unknown field(s){what}: {', '.join(unknown)}")
    first = errors[0]
    if first["type"] == _RULE or not first["loc"]:
        raise BadRequest(first["msg"])
    raise BadRequest(model.MESSAGES[str(first["loc"][0])])


# --------------------------------------------------------------------------- members (§2.4, §2.5)


class TeamAssignment(RequestBody):
    """One entry of ``addToTeams``: ``{teamId, isTeamAdmin}``."""

    teamId: str
    isTeamAdmin: bool = False


class MemberCreate(RequestBody):
    """``POST /v2/members`` (§2.4): ``email``, ``firstName``, ``lastName`` required (non-blank;
    the email is stored trimmed); ``memberType`` (any JSON value: a name that is no account
    type is a 404, :meth:`planner.sandbox.account_types.AccountTypes.check_account_type`);
    ``isGuest`` and ``userKind`` (``null`` = absent); ``addToTeams``."""

    WHAT: ClassVar[str] = "member"
    MESSAGES: ClassVar[dict[str, str]] = {
        "email": "email is required", "firstName": "firstName is required", "lastName": "lastName is required",
        "isGuest": "isGuest must be a boolean", "userKind": f"userKind must be one of {', '.join(USER_KINDS)}",
        "addToTeams": "addToTeams must be a list of {teamId, isTeamAdmin}",
    }

    email: str
    firstName: str
    lastName: str
    memberType: Any = None
    isGuest: bool | None = None
    userKind: UserKind | None = None
    addToTeams: list[TeamAssignment] | None = None

    _names = field_validator("firstName", "lastName")(_not_blank)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        address = _not_blank(value).strip()
        if not is_email(address):
            raise _refuse(f"Invalid email {address!r}")
        return address

    @model_validator(mode="after")
    def _guest(self) -> MemberCreate:
        if self.isGuest and self.userKind not in (None, "guest"):
            raise _refuse("isGuest conflicts with userKind")
        return self

    @property
    def user_kind(self) -> str:
        """``guest`` with ``isGuest: true``, else ``userKind``, else ``internal``."""
        return "guest" if self.isGuest else self.userKind or "internal"


class MemberUpdate(RequestBody):
    """``PATCH /v2/members/{memberId}`` (§2.5): only the fields given change
    (``model_fields_set``). ``isInactive`` is accepted here and refused by the member rules
    (the identity provider sets it). ``newOwnerId``, ``archiveDocuments`` and
    ``archiveScheduledExports`` only with ``isArchived: true``; ``archiveDocuments: true``
    never with ``newOwnerId`` (§2.5)."""

    WHAT: ClassVar[str] = "member update"
    MESSAGES: ClassVar[dict[str, str]] = {
        "firstName": "firstName must be a non-empty string", "lastName": "lastName must be a non-empty string",
        "profileImgUrl": "profileImgUrl must be a string or null",
        "userKind": f"userKind must be one of {', '.join(USER_KINDS)}",
        "isArchived": "isArchived must be a boolean", "newOwnerId": "newOwnerId must be a memberId string",
        "archiveDocuments": "archiveDocuments must be a boolean",
        "archiveScheduledExports": "archiveScheduledExports must be a boolean",
    }

    memberType: Any = None
    firstName: str = ""
    lastName: str = ""
    email: Any = None
    profileImgUrl: str | None = None
    isArchived: bool = False
    isInactive: Any = None
    userKind: UserKind = "internal"
    newOwnerId: str = ""
    archiveDocuments: bool = False
    archiveScheduledExports: bool = False

    _names = field_validator("firstName", "lastName")(_not_blank)

    @field_validator("email")
    @classmethod
    def _email(cls, value: Any) -> str:
        if not isinstance(value, str) or not is_email(value.strip()):
            raise _refuse(f"Invalid email {value!r}")
        return value.strip()

    @model_validator(mode="after")
    def _archiving(self) -> MemberUpdate:
        for key in ("newOwnerId", "archiveDocuments", "archiveScheduledExports"):
            if key in self.model_fields_set and not self.isArchived:
                raise _refuse(f"{key} is only allowed with isArchived: true")
        if self.archiveDocuments and "newOwnerId" in self.model_fields_set:
            raise _refuse("archiveDocuments cannot be combined with newOwnerId")
        return self


# --------------------------------------------------------------------------- teams (§3.2, §3.3)


class TeamCreate(RequestBody):
    """``POST /v2/teams`` (§3.2): ``name`` (required, non-blank), ``description``, ``members``
    (memberIds: each must be an active member, checked by the team rules), ``visibility``
    (``public`` | ``private``, default ``private``), ``createTeamFolder``."""

    WHAT: ClassVar[str] = "team"
    MESSAGES: ClassVar[dict[str, str]] = {
        "visibility": "visibility must be public or private", "members": "members must be a list of memberIds",
        "name": "name is required", "description": "description must be a string or null",
        "createTeamFolder": "createTeamFolder must be a boolean",
    }

    visibility: Literal["public", "private"] = "private"
    members: list[Any] | None = None
    name: str
    description: str | None = None
    createTeamFolder: bool = False

    _name = field_validator("name")(_not_blank)


class TeamUpdate(RequestBody):
    """``PATCH /v2/teams/{teamId}``: ``name`` (non-blank), ``description``, ``visibility``;
    only the fields given change."""

    WHAT: ClassVar[str] = "team update"
    MESSAGES: ClassVar[dict[str, str]] = {
        "name": "name is required", "description": "description must be a string or null",
        "visibility": "visibility must be public or private",
    }

    name: str = ""
    description: str | None = None
    visibility: Literal["public", "private"] = "private"

    _name = field_validator("name")(_not_blank)


class TeamMembersChange(RequestBody):
    """``PATCH /v2/teams/{teamId}/members`` (§3.3): ``add`` and ``remove``, lists of memberIds
    (``null`` = none), at most :data:`MAX_TEAM_MEMBER_CHANGES` ids together, no id in both."""

    MESSAGES: ClassVar[dict[str, str]] = {
        "add": "add and remove must be lists of memberIds", "remove": "add and remove must be lists of memberIds",
    }

    add: list[str] | None = None
    remove: list[str] | None = None

    @model_validator(mode="after")
    def _bounded(self) -> TeamMembersChange:
        add, remove = self.add or [], self.remove or []
        if len(add) + len(remove) > MAX_TEAM_MEMBER_CHANGES:
            raise _refuse(f"At most {MAX_TEAM_MEMBER_CHANGES} member ids per request")
        both = set(add) & set(remove)
        if both:
            raise _refuse(f"Member {sorted(both)[0]} is in both add and remove")
        return self
