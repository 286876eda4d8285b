"""Sigma's SCIM 2.0 service, through scim2-client's httpx2 engine and scim2-models payloads.

Sigma reads the SCIM core ``User`` (``userName``, ``name.givenName``,
``name.familyName``, ``emails``, ``userType``, ``active``) plus its extension
``urn:sigma:scim:schemas:extension:2.0:User`` with ``userKind``, and the core
``Group`` (``displayName``, ``members``) (docs/sigma-api.md §5.2, §8.5, §8.6).
Authentication is ``Authorization: Bearer <SIGMA_SCIM_TOKEN>`` (§5.1).

Lookups use the two filters Sigma's IdP integrations rely on (§5.3):
``userName eq "..."`` and ``displayName eq "..."``. The value is a JSON string
literal (RFC 7644 §3.4.2.2 refers to RFC 7159 for ``compValue``), quoted by
:meth:`scim2_models.ScimFilter.quote`: ``"`` and ``\\`` are escaped, an
apostrophe needs no escaping (``o'brien@example.com`` stays as it is).

Sigma's SCIM lists pre-SCIM members and teams too (docs/sandbox.md): a resource is
*provisioned* (SCIM-managed) only when it carries an ``externalId``, which only a
provisioning client sets (RFC 7643 §3.1); apply sends the IdP's id as ``externalId``.
:meth:`SigmaScimClient.find_user` / :meth:`~SigmaScimClient.find_group` answer
provisioned resources unless ``listed=True``.

Requests carry ``Content-Type: application/scim+json`` (with a body) and
``Accept: application/scim+json``, the media type RFC 7644 §3.8 asks clients to
send (:class:`ScimMediaClient`; scim2-client's httpx2 engine sends
``application/json`` and ``*/*`` otherwise).

Failures come out as :class:`planner.execute.errors.ApiError` (``AuthError``
for 401), error bodies redacted before they are cut; retries happen below, in
:class:`RetryTransport`; each request has an overall deadline
(:class:`planner.httpio.DeadlineTransport`).
"""

from __future__ import annotations

import contextlib
from typing import Any, Callable, Iterator, Mapping, Sequence

import httpx2
import msgspec
import pydantic
from scim2_client import (
    ResponsePayloadValidationException,
    SCIMClientException,
    SCIMResponseException,
    UnexpectedContentFormatException,
)
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_models import (
    URN,
    Context,
    Extension,
    Group,
    ListResponse,
    PatchOp,
    ResourceType,
    SCIMException,
    ScimFilter,
    ScimProvider,
    SearchRequest,
    User,
)

from ..httpio import DEFAULT_DEADLINE, DeadlineTransport
from ..model import email_key
from ..redaction import Redactor
from .errors import ApiError, AuthError
from .paths import scim_resource_path
from .retry import RetryPolicy, RetryTransport, tries_spent

SIGMA_USER_SCHEMA = "urn:sigma:scim:schemas:extension:2.0:User"
CORE_USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
CORE_GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"

SCIM_MEDIA_TYPE = "application/scim+json"
"""The SCIM media type (RFC 7644 §3.8, §8.1)."""

ERROR_BODY_CHARS = 65536
"""Characters of a non-SCIM error body kept for its message (redacted, then cut by :class:`ApiError`)."""


class ScimMediaClient(SyncSCIMClient):
    """scim2-client's httpx2 engine sending SCIM's media type (RFC 7644 §3.8): ``Accept:
    application/scim+json`` on every request (one of ``client``'s headers from then on), and a JSON
    body as ``Content-Type: application/scim+json`` (the engine would send ``application/json`` and ``*/*``).

    ``endpoints``: the resource type endpoints (``/Users``, ``/Groups``) whose absolute URL is
    parsed once: httpx2 would parse the path and merge it with the base URL on every request,
    and every create and search goes to one of them.

    ``records``: resource model -> the reader of its answers (:func:`user_record`,
    :func:`group_record`). A single-resource answer (``GET``/``PATCH`` of ``/Users/{id}``,
    ``/Groups/{id}``) describing one of these models gets every check scim2-client makes
    (content type, a SCIM ``Error`` raised as :class:`SCIMException`, status code, payload shape:
    :meth:`check_response`) and is then read by its reader (a msgspec record: ``schemas`` URN,
    the attributes apply reads) instead of being validated as the model. A group answer lists
    every member: validating it as a scim2-models ``Group`` cost 8 ms (docs/performance.md, ``apply``)."""

    def __init__(self, client: httpx2.Client, *args: Any, endpoints: tuple[str, ...] = (),
                 records: Mapping[type, Callable[[Any], Any]] | None = None, **kwargs: Any) -> None:
        super().__init__(client, *args, **kwargs)
        client.headers["Accept"] = SCIM_MEDIA_TYPE
        self._endpoint_urls = {path: client.build_request("GET", path).url for path in endpoints}
        self._records = dict(records or {})

    def check_response(self, payload: Any, status_code: int, headers: Any, expected_status_codes: Any = None,
                       expected_types: Any = None, **kwargs: Any) -> Any:
        """scim2-client's check of an answer (raising what it raises); an answer of one of the
        ``records`` models is checked without the model and read as its record (``None``: no content).
        Raised here, a reader's :class:`SCIMResponseException` carries the response (its status)."""
        reader = self._records.get(expected_types[0]) if expected_types and len(expected_types) == 1 else None
        if reader is None:
            return super().check_response(payload, status_code, headers, expected_status_codes, expected_types,
                                          **kwargs)
        checked = super().check_response(payload, status_code, headers, expected_status_codes, None, **kwargs)
        return reader(checked) if checked is not None else None

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        """The engine's request, with a JSON body encoded by msgspec (compact UTF-8, as the
        ``json.dumps`` it replaces) and sent as ``Content-Type: application/scim+json``; ``Accept``
        is among the client's own headers (set once in ``__init__``, not merged per request)."""
        body = kwargs.pop("json", None)
        if body is not None:
            kwargs["content"] = msgspec.json.encode(body)
            kwargs["headers"] = {**(kwargs.get("headers") or {}), "Content-Type": SCIM_MEDIA_TYPE}
        return super().request(method, self._endpoint_urls.get(url, url), **kwargs)

    def _parse_json(self, response: Any) -> Any:
        """An answer's JSON, decoded by msgspec (the engine's hook: scim2-client's ``_decode_payload``
        calls it and makes a ``ValueError`` or ``RecursionError`` an unreadable-content error, as
        for ``response.json()``, which msgspec's ``DecodeError`` is)."""
        return msgspec.json.decode(response.content)

    def _decode_payload(self, response: Any) -> Any:
        """scim2-client's ``_decode_payload`` (``None`` for an empty body; a body that is not JSON is
        :class:`UnexpectedContentFormatException`, or the failure its status says), with the body's
        emptiness read from its bytes: scim2-client asks ``response.text``, which decodes the whole
        answer to text (its charset read by parsing ``Content-Type`` with :mod:`email`) only to see
        whether it is empty, while :meth:`_parse_json` decodes the bytes (~15 % of a create's
        client CPU outside httpx2, docs/performance.md, ``apply``). A body is empty as bytes exactly
        when it is empty as text."""
        if not response.content:
            return None
        try:
            return self._parse_json(response)
        except (ValueError, RecursionError) as exc:
            self._check_failure(response.status_code, None)
            raise UnexpectedContentFormatException(source=response) from exc


class SigmaUserExtension(Extension):
    """Sigma's SCIM user extension: ``userKind`` = ``internal`` | ``embed`` | ``guest`` | ``external`` (§5.2)."""

    __schema__ = URN(SIGMA_USER_SCHEMA)

    user_kind: str | None = None


SigmaUser = User[SigmaUserExtension]
"""The SCIM User model Sigma serves: core User with the Sigma extension."""


class _ScimAnswer(msgspec.Struct, frozen=True, rename="camel", omit_defaults=True):
    """A part of a SCIM answer as apply reads it: camelCase attribute names (RFC 7643 §2.1), unknown
    attributes ignored, absent ones ``None``."""


class ScimNameRecord(_ScimAnswer):
    """``name`` of a SCIM User (RFC 7643 §4.1.1), as answered."""

    given_name: str | None = None
    family_name: str | None = None
    formatted: str | None = None


class ScimEmailRecord(_ScimAnswer):
    """One of ``emails`` (RFC 7643 §4.1.2): as answered (apply reads none of it: kept for the
    before-image), and as :class:`ScimUserCreation` sends it."""

    value: str | None = None
    type: str | None = None
    primary: bool | None = None


class ScimMetaRecord(_ScimAnswer):
    """``meta`` (RFC 7643 §3.1), as answered (strings, not parsed: apply reads none of it)."""

    resource_type: str | None = None
    created: str | None = None
    last_modified: str | None = None
    location: str | None = None
    version: str | None = None


class SigmaUserKindRecord(_ScimAnswer):
    """Sigma's user extension (docs/sigma-api.md §5.2): ``userKind``."""

    user_kind: str | None = None


class ScimUserRecord(_ScimAnswer):
    """A SCIM User as Sigma answered it, typed for what apply reads: ``id``, ``userName``,
    ``externalId`` (set: provisioned), ``userType``, ``active``, :attr:`user_kind`; ``name``,
    ``emails`` and ``meta`` are kept for the before-image (:meth:`image`).

    Decoded strictly by :func:`user_record` (msgspec: a ``"true"`` for ``active`` or a number for
    ``userName`` is refused), instead of a scim2-models validation per answer: the answers apply
    reads are Sigma's, the SCIM schema of what apply *sends* stays scim2-models' (:func:`creation_body`).
    """

    schemas: list[str]
    id: str
    user_name: str
    external_id: str | None = None
    name: ScimNameRecord | None = None
    emails: list[ScimEmailRecord] = []
    user_type: str | None = None
    active: bool | None = None
    meta: ScimMetaRecord | None = None
    sigma: SigmaUserKindRecord | None = msgspec.field(default=None, name=SIGMA_USER_SCHEMA)

    @property
    def user_kind(self) -> str | None:
        """``userKind`` of Sigma's extension, or ``None`` when the answer has none."""
        return self.sigma.user_kind if self.sigma is not None else None

    def image(self) -> dict[str, Any]:
        """The user as a JSON object (the attributes of this record, absent ones left out): the
        before-image the journal keeps (undo reads its ``userType``)."""
        return msgspec.to_builtins(self)


class ScimListPage(_ScimAnswer):
    """A page of ``GET /Users`` or ``GET /Groups`` (RFC 7644 §3.4.2: a ``ListResponse``): ``totalResults`` and its
    ``Resources``, each read by :func:`user_record` / :func:`group_record` (:meth:`SigmaScimClient.list_users`,
    :meth:`SigmaScimClient.list_groups`)."""

    total_results: int
    resources: list[dict[str, Any]] = msgspec.field(default_factory=list, name="Resources")


def list_page(payload: Any) -> ScimListPage:
    """The :class:`ScimListPage` of a 2xx listing answer, decoded strictly (msgspec). Raises
    :class:`ResponsePayloadValidationException` naming the field (a ``totalResults`` missing or not a number)."""
    return _converted(payload, ScimListPage)


def user_record(payload: Any) -> ScimUserRecord:
    """The :class:`ScimUserRecord` of a 2xx SCIM answer: its first ``schemas`` URN is the core User's
    (RFC 7643 §3, §4.1; compared case-insensitively, as scim2-client's ``get_model_by_payload``),
    then msgspec decodes it strictly. Raises :class:`SCIMResponseException` (scim2-client's; a
    :class:`ResponsePayloadValidationException` naming the field, e.g. ``$.active``, when a value
    has the wrong type), which :meth:`SigmaScimClient._errors` makes a one-line :class:`ApiError`."""
    return _answer_record(payload, ScimUserRecord, CORE_USER_SCHEMA, "User")


class ScimGroupMemberRecord(_ScimAnswer):
    """One of a Group's ``members`` (RFC 7643 §4.2), as answered: ``value`` the member's id,
    ``display`` (Sigma: the user's email), ``$ref`` and ``type`` kept for the before-image."""

    value: str | None = None
    display: str | None = None
    ref: str | None = msgspec.field(default=None, name="$ref")
    type: str | None = None


class ScimGroupRecord(_ScimAnswer):
    """A SCIM Group as Sigma answered it, typed for what apply reads: ``id``, ``displayName``,
    ``externalId`` (set: provisioned), ``members`` (``None`` when the answer has none);
    ``meta`` kept for the before-image (:meth:`image`). Decoded strictly by
    :func:`group_record`, as :class:`ScimUserRecord` is."""

    schemas: list[str]
    id: str
    display_name: str | None = None
    external_id: str | None = None
    members: list[ScimGroupMemberRecord] | None = None
    meta: ScimMetaRecord | None = None

    def image(self) -> dict[str, Any]:
        """The group as a JSON object (absent attributes left out): the before-image the journal
        keeps (undo reads its ``members``' ``value`` and ``display``)."""
        return msgspec.to_builtins(self)


class ScimUserCreation(_ScimAnswer):
    """The SCIM User apply posts to create or link a user (RFC 7644 §3.3, RFC 7643 §4.1; the attributes
    Sigma reads, docs/sigma-api.md §5.2), built by :func:`planner.execute.actions.planned_user`.

    Its JSON (:func:`creation_body`) is the body scim2-models' ``SigmaUser`` dumps under the
    creation-request context (``tests/test_execute_user_creation_body.py`` compares the two and
    validates it as one): a typed record of the attributes sent, without building and validating the
    model for every user. The address in ``emails`` is checked and normalized as scim2-models' ``Email``
    checks it (pydantic's ``EmailStr``: :func:`checked_email`)."""

    schemas: list[str]
    user_name: str
    emails: list[ScimEmailRecord]
    external_id: str | None = None
    name: ScimNameRecord | None = None
    user_type: str | None = None
    active: bool | None = None


_EMAIL_ADDRESS = pydantic.TypeAdapter(pydantic.EmailStr)


def checked_email(address: str) -> str:
    """``address`` as scim2-models' ``Email.value`` takes it (pydantic's ``EmailStr``: checked by
    email-validator, the domain normalized). Raises :class:`pydantic.ValidationError`."""
    return _EMAIL_ADDRESS.validate_python(address)


def _answer_record(payload: Any, record: type[Any], schema: str, name: str) -> Any:
    """``payload`` decoded as ``record`` when its first ``schemas`` URN is ``schema`` (compared
    case-insensitively, as scim2-client's ``get_model_by_payload``). Raises
    :class:`SCIMResponseException` (a :class:`ResponsePayloadValidationException` naming the field)."""
    schemas = payload.get("schemas") if isinstance(payload, dict) else None
    first = schemas[0] if isinstance(schemas, list) and schemas else None
    if not isinstance(first, str) or first.lower() != schema.lower():
        raise SCIMResponseException(f"Expected type {name} but got an answer with schemas {schemas!r}")
    return _converted(payload, record)


def _converted(payload: Any, record: type[Any]) -> Any:
    """``payload`` decoded strictly as ``record`` (msgspec); a value of the wrong type raises
    :class:`ResponsePayloadValidationException` with msgspec's message (``Object missing required field
    `totalResults```, ``Expected `bool`, got `str` - at `$.active```) as its note."""
    try:
        return msgspec.convert(payload, record)
    except msgspec.ValidationError as exc:
        error = ResponsePayloadValidationException()
        error.add_note(str(exc))
        raise error from exc


def group_record(payload: Any) -> ScimGroupRecord:
    """The :class:`ScimGroupRecord` of a 2xx SCIM answer whose first ``schemas`` URN is the core
    Group's (RFC 7643 §3, §4.2), decoded strictly (a ``members`` that is no list, a member
    ``value`` that is no string, a missing ``id`` are refused, naming the field). Raises
    :class:`SCIMResponseException`, which :meth:`SigmaScimClient._errors` makes a one-line :class:`ApiError`."""
    return _answer_record(payload, ScimGroupRecord, CORE_GROUP_SCHEMA, "Group")


def group_record_of(group: Group | None) -> ScimGroupRecord | None:
    """The :class:`ScimGroupRecord` of a group scim2-client read and validated (a search's
    ``Resources``), so handlers read one type whatever answer the group came from."""
    if group is None:
        return None
    return group_record(group.model_dump(mode="json", exclude_none=True))


def record_of(user: SigmaUser | None) -> ScimUserRecord | None:
    """The :class:`ScimUserRecord` of a user scim2-client read and validated (searches, ``GET``,
    ``PATCH`` answers), so handlers read one type whatever answer the user came from."""
    if user is None:
        return None
    return user_record(user.model_dump(mode="json", exclude_none=True))


def user_name_filter(user_name: str) -> str:
    """``userName eq "<value>"`` with the value quoted as a JSON string (RFC 7644 §3.4.2.2)."""
    return f"userName eq {ScimFilter.quote(user_name)}"


def external_id_filter(external_id: str) -> str:
    """``externalId eq "<value>"`` with the value quoted as a JSON string (RFC 7644 §3.4.2.2; ``externalId``
    is case-exact, RFC 7643 §3.1)."""
    return f"externalId eq {ScimFilter.quote(external_id)}"


def display_name_filter(display_name: str) -> str:
    """``displayName eq "<value>"`` with the value quoted as a JSON string (RFC 7644 §3.4.2.2)."""
    return f"displayName eq {ScimFilter.quote(display_name)}"


def creation_body(resource: ScimUserCreation | Group) -> dict[str, Any]:
    """The exact JSON body of ``POST`` of ``resource`` (RFC 7644 §3.3): a user's record as it is, a
    scim2-models ``Group`` dumped as scim2-client would under the creation-request context."""
    if isinstance(resource, ScimUserCreation):
        return msgspec.to_builtins(resource)
    return resource.model_dump(scim_ctx=Context.RESOURCE_CREATION_REQUEST)


def patch_body(patch: PatchOp[Any]) -> dict[str, Any]:
    """The exact JSON body scim2-client sends for ``PATCH`` (RFC 7644 §3.5.2)."""
    return patch.model_dump(scim_ctx=Context.RESOURCE_PATCH_REQUEST)


def resource_path(endpoint: str, resource_id: str) -> str:
    """``/Users/<id>`` with the id percent-encoded as scim2-client does (:func:`.paths.scim_resource_path`)."""
    return scim_resource_path(endpoint, resource_id)


class SigmaScimClient:
    """Users and Groups on Sigma's SCIM service. Thread-safe (httpx2's client is).

    ``base_url`` is Sigma's Directory Base URL (the sandbox serves
    ``http://127.0.0.1:PORT/scim/v2``). No discovery round trip: the models
    are known (Sigma's discovery endpoints are undocumented, §10 item 3).
    """

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        retry_policy: RetryPolicy | None = None,
        transport: httpx2.BaseTransport | None = None,
        timeout: float = 30.0,
        deadline: float = DEFAULT_DEADLINE,
        max_rate: float | None = None,
        redactor: Redactor | None = None,
        sleep: Any = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.redactor = redactor or Redactor((token,))
        self.redactor.add(token)
        kwargs = {"sleep": sleep} if sleep is not None else {}
        transport = transport or DeadlineTransport(deadline)
        self.transport = RetryTransport(transport, policy=retry_policy, max_rate=max_rate, **kwargs)
        self._http = httpx2.Client(
            base_url=self.base_url + "/",
            transport=self.transport,
            timeout=timeout,
            headers={"Authorization": f"Bearer {token}"},
        )
        self._provider = ScimProvider(
            models=[User, SigmaUserExtension, Group],
            resource_types=[ResourceType.from_resource(SigmaUser), ResourceType.from_resource(Group)],
        )
        self._scim = ScimMediaClient(self._http, provider=self._provider, endpoints=("/Users", "/Groups"),
                                     records={SigmaUser: user_record, Group: group_record})

    def check_access(self) -> None:
        """Preflight: one authenticated read, ``GET /Users?count=1`` (RFC 7644 §3.4.2.4).

        Not ``/ServiceProviderConfig``: RFC 7644 §4 lets servers serve it without
        authentication, so it would not prove the token. Raises :class:`AuthError`
        on 401, :class:`ApiError` for any other failure (403 included).
        """
        with self._errors("GET", "/Users?count=1"):
            self._scim.query(SigmaUser, query_parameters=SearchRequest(count=1))

    # ------------------------------------------------------------------ users

    def find_user(self, user_name: str, *, listed: bool = False) -> ScimUserRecord | None:
        """The provisioned user whose ``userName`` equals ``user_name`` (case-insensitively, RFC 7643
        §4.1.1), or ``None``; ``listed``: a listed pre-SCIM member (no ``externalId``) counts too."""
        path = f"/Users?filter={user_name_filter(user_name)}"
        found = self._search(SigmaUser, "/Users", user_name_filter(user_name))
        wanted = email_key(user_name)
        matches = [u for u in found if email_key(u.user_name) == wanted and (listed or u.external_id)]
        with self._errors("GET", path):
            return record_of(matches[0]) if matches else None

    def find_users_by_external_id(self, external_id: str) -> list[ScimUserRecord]:
        """Every user whose ``externalId`` is ``external_id`` exactly (case-exact, RFC 7643 §3.1), in the
        order Sigma lists them: one ``GET /Users?filter=externalId eq "..."`` (RFC 7644 §3.4.2.2). The answer
        is compared again here, so a server that ignored the filter and listed others names none of them.
        Raises :class:`ApiError` (a server that does not take the filter: 400 ``invalidFilter`` or 501,
        RFC 7644 §3.4.2.2, §3.12; the caller then reads :meth:`list_users`)."""
        path = f"/Users?filter={external_id_filter(external_id)}"
        found = self._search(SigmaUser, "/Users", external_id_filter(external_id))
        with self._errors("GET", path):
            return [record for u in found if (record := record_of(u)) is not None and record.external_id == external_id]

    def find_users_by_user_names(self, user_names: Sequence[str]) -> list[ScimUserRecord]:
        """The users whose ``userName`` is one of ``user_names`` (case-insensitively, RFC 7643 §4.1.1; listed
        pre-SCIM members, without ``externalId``, too), in the order Sigma lists them: one
        ``GET /Users?filter=userName eq "a" or userName eq "b" ...`` (RFC 7644 §3.4.2.2, the ``or`` of §3.4.2.2's
        grammar). The answer is compared again here, so a server that ignored the filter names no other user.
        Raises :class:`ApiError` (a server that does not take the filter: 400 ``invalidFilter`` or 501, RFC 7644
        §3.4.2.2, §3.12; the caller then reads :meth:`list_users`)."""
        if not user_names:
            return []
        scim_filter = " or ".join(user_name_filter(u) for u in user_names)
        wanted = {email_key(u) for u in user_names}
        found = self._search(SigmaUser, "/Users", scim_filter)
        with self._errors("GET", f"/Users?filter={scim_filter}"):
            return [record for u in found
                    if (record := record_of(u)) is not None and email_key(record.user_name) in wanted]

    def list_users(self, page_size: int = 100) -> list[ScimUserRecord]:
        """Every user SCIM lists, paged with ``startIndex``/``count`` (RFC 7644 §3.4.2.4) until
        ``totalResults`` are read or a page comes back empty. Raises :class:`ApiError` (a failed page; a
        listing that ends before ``totalResults``, 0 received on a later page, is refused as incomplete, as
        ``fetch``'s is, :meth:`planner.fetch.ApiReader.scim_list`)."""
        return self._listing(SigmaUser, "/Users", user_record, "users", page_size)

    def _listing(self, model: type, endpoint: str, record: Callable[[Any], Any], what: str,
                 page_size: int) -> list[Any]:
        """Every resource of ``endpoint`` (``/Users``, ``/Groups``), each read by ``record`` (:meth:`list_users`)."""
        found: list[Any] = []
        while True:
            path = f"{endpoint}?startIndex={len(found) + 1}&count={page_size}"
            with self._errors("GET", path):  # read as records (msgspec), not validated as scim2-models' (0.5 ms a user)
                page = self._scim.query(model, query_parameters=SearchRequest(start_index=len(found) + 1,
                                                                              count=page_size),
                                        check_response_payload=False)
            try:
                listed = list_page(page)
                found.extend(record(r) for r in listed.resources)
            except SCIMResponseException as exc:
                why = " ".join(getattr(exc, "__notes__", ())) or str(exc)
                raise ApiError("scim", "GET", path, 200, f"unexpected answer: {why}") from None
            total = listed.total_results
            if not listed.resources or len(found) >= total:
                if len(found) < total:
                    raise ApiError("scim", "GET", path, None, f"incomplete listing of SCIM {what}: {len(found)} of "
                                   f"{total} received (the list changed while it was read)")
                return found

    def get_user(self, user_id: str) -> ScimUserRecord | None:
        """``GET /Users/{id}``; ``None`` on 404."""
        path = resource_path("/Users", user_id)
        try:
            with self._errors("GET", path):
                return self._scim.query(SigmaUser, user_id)
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise

    def create_user(self, user: ScimUserCreation) -> ScimUserRecord:
        """``POST /Users`` -> the created user as Sigma answered it (:func:`user_record`); 409 raises
        :class:`ApiError` with status 409."""
        with self._errors("POST", "/Users"):
            return user_record(self._post("/Users", user))

    def patch_user(self, user_id: str, patch: PatchOp[Any]) -> ScimUserRecord | None:
        """``PATCH /Users/{id}`` -> the user, or ``None`` on 204."""
        with self._errors("PATCH", resource_path("/Users", user_id)):
            return self._scim.modify(SigmaUser, user_id, patch)

    # ------------------------------------------------------------------ groups

    def find_group(self, display_name: str, *, listed: bool = False) -> ScimGroupRecord | None:
        """The provisioned group whose ``displayName`` equals ``display_name`` exactly, or ``None``;
        ``listed``: a listed pre-SCIM team (no ``externalId``) counts too."""
        path = f"/Groups?filter={display_name_filter(display_name)}"
        found = self._search(Group, "/Groups", display_name_filter(display_name))
        matches = [g for g in found if g.display_name == display_name and (listed or g.external_id)]
        with self._errors("GET", path):
            return group_record_of(matches[0]) if matches else None

    def find_groups_by_external_id(self, external_id: str) -> list[ScimGroupRecord]:
        """Every group whose ``externalId`` is ``external_id`` exactly, in the order Sigma lists them: one
        ``GET /Groups?filter=externalId eq "..."``, compared again here, as :meth:`find_users_by_external_id`
        (whose errors it raises)."""
        path = f"/Groups?filter={external_id_filter(external_id)}"
        found = self._search(Group, "/Groups", external_id_filter(external_id))
        with self._errors("GET", path):
            return [record for g in found
                    if (record := group_record_of(g)) is not None and record.external_id == external_id]

    def list_groups(self, page_size: int = 100) -> list[ScimGroupRecord]:
        """Every group SCIM lists (pre-SCIM teams included), paged as :meth:`list_users` (whose errors it raises)."""
        return self._listing(Group, "/Groups", group_record, "groups", page_size)

    def get_group(self, group_id: str) -> ScimGroupRecord | None:
        """``GET /Groups/{id}`` (members included) -> the group as answered (:func:`group_record`);
        ``None`` on 404 (a SCIM ``Error`` answer whose ``status`` is 404, RFC 7644 §3.12)."""
        path = resource_path("/Groups", group_id)
        try:
            with self._errors("GET", path):
                return self._scim.query(Group, group_id)
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise

    def create_group(self, group: Group) -> ScimGroupRecord:
        """``POST /Groups`` -> the created group as answered (:func:`group_record`)."""
        with self._errors("POST", "/Groups"):
            return group_record(self._post("/Groups", group))

    def patch_group(self, group_id: str, patch: PatchOp[Any]) -> ScimGroupRecord | None:
        """``PATCH /Groups/{id}`` -> the group as answered, or ``None`` on 204."""
        with self._errors("PATCH", resource_path("/Groups", group_id)):
            return self._scim.modify(Group, group_id, patch)

    # ------------------------------------------------------------------ plumbing

    def _post(self, endpoint: str, resource: ScimUserCreation | Group) -> Any:
        """``POST endpoint`` of ``resource`` (a record or model this module's callers built and checked)
        -> the answer's JSON object, checked as scim2-client checks a response
        (content type, SCIM ``Error``, status code); the caller reads it as its type.

        The body is :func:`creation_body`, the payload scim2-client would send, handed over with
        ``check_request_payload=False`` ("the payload is sent exactly as it was given",
        scim2-client's "What the client checks"): scim2-client would otherwise validate the
        resource it was given a second time, and build one request to check that ``endpoint``
        (ours, not a server's description) stays under the base URL. Raises scim2-client's
        exceptions (the caller's :meth:`_errors` makes them :class:`ApiError`, 409 with its status).
        """
        return self._scim.create(resource=creation_body(resource), url=endpoint, check_request_payload=False)

    def _search(self, model: type, endpoint: str, scim_filter: str) -> list[Any]:
        with self._errors("GET", f"{endpoint}?filter={scim_filter}"):
            result = self._scim.query(model, query_parameters=SearchRequest(filter=scim_filter))
        if isinstance(result, ListResponse):
            return list(result.resources or [])
        return []

    @contextlib.contextmanager
    def _errors(self, method: str, path: str) -> Iterator[None]:
        """Turn scim2-client/scim2-models exceptions into :class:`ApiError` / :class:`AuthError`."""
        try:
            yield
        except SCIMException as exc:
            status = int(getattr(exc, "status", 0) or 0) or None
            cls = AuthError if status == 401 else ApiError
            raise cls("scim", method, path, status, self.redactor(exc.detail), getattr(exc, "scim_type", "") or "",
                      tries=tries_spent(status, self.transport.policy)) from None
        except SCIMClientException as exc:
            response = exc.source if isinstance(exc.source, httpx2.Response) else None
            status = response.status_code if response is not None else None
            message = str(exc)
            if response is not None:
                message = _describe(response) or message
                if isinstance(exc, ResponsePayloadValidationException) and getattr(exc, "__notes__", None):
                    message = f"{message}: {' '.join(exc.__notes__)}"  # the field msgspec or pydantic refused
            cause = exc.__cause__
            if status is None and cause is not None:
                message = f"{httpx2.URL(self.base_url).host}: {message}: {cause}"
            cls = AuthError if status == 401 else ApiError
            sent = status is not None or isinstance(cause, httpx2.TransportError)  # else refused before sending
            raise cls("scim", method, path, status, self.redactor(message),
                      tries=tries_spent(status, self.transport.policy) if sent else 1) from None

    def close(self) -> None:
        self._http.close()


def _describe(response: httpx2.Response) -> str:
    """The message of a non-SCIM error body (Sigma's REST envelope, a proxy page)."""
    try:
        body = response.json()
    except (ValueError, RecursionError):
        return response.text[:ERROR_BODY_CHARS]
    if isinstance(body, Mapping):
        return str(body.get("detail") or body.get("message") or "")
    return ""
