"""The SCIM 2.0 side of the sandbox: service description and the scim2-server WSGI application.

Served under ``/scim/v2`` (docs/sigma-api.md §10.1: the literal form of Sigma's
Directory Base URL is unknown; ``{base}/scim/v2`` is the sandbox's own).

- :func:`sigma_provider` describes the service: RFC 7643 core User (``name``,
  ``givenName`` and ``familyName`` marked required, as Sigma needs both names; with the
  enterprise extension and Sigma's ``urn:sigma:scim:schemas:extension:2.0:User``
  extension holding ``userKind``, §5.2) and Group, and a ServiceProviderConfig
  announcing only what Sigma is known to need (§10.3 leaves the rest unknown, so
  the strict choice is to announce little): PATCH yes; filter yes (max 100
  results); bulk, sort, changePassword and ETag no. Authentication: OAuth
  bearer token.
- :class:`SigmaScimApplication` is scim2-server's WSGI application with the
  sandbox's bearer-token check: the token must be the SCIM token, and its owner
  (the admin who set SCIM up) must still be active (§5.1: the token dies with
  the admin). A refusal is a SCIM 401 Error (RFC 7644 §3.12), not the REST
  envelope.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from scim2_models import (
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    ETag,
    External,
    Filter,
    Patch,
    Reference,
    ResourceType,
    Schema,
    ScimProvider,
    ServiceProviderConfig,
    Sort,
    UnauthorizedException,
)
from scim2_server.applications.wsgi import WSGIApplication
from scim2_server.requests import ScimRequest
from scim2_server.service import ScimService
from scim2_server.utils import load_default_resource_types, load_default_schemas

from .scim_storage import CORE_USER, SIGMA_USER_EXTENSION, SigmaScimStorage
from .state import SandboxState

SCIM_MAX_RESULTS = 100
"""Largest SCIM page (ServiceProviderConfig ``filter.maxResults``); §10.3: Sigma's is unknown."""

SIGMA_USER_SCHEMA: dict[str, Any] = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
    "id": SIGMA_USER_EXTENSION,
    "name": "SigmaUser",
    "description": "Sigma Computing user extension (docs/sigma-api.md §5.2)",
    "attributes": [
        {
            "name": "userKind",
            "type": "string",
            "multiValued": False,
            "description": "internal or embed; guests cannot be SCIM-managed.",
            "required": False,
            "caseExact": True,
            "canonicalValues": ["internal", "embed"],
            "mutability": "readWrite",
            "returned": "default",
            "uniqueness": "none",
        }
    ],
}


def _with_required_names(schema: Schema) -> Schema:
    """The core User schema with ``name``, ``name.givenName`` and ``name.familyName`` required.

    Sigma does not create a user without both names (Okta guide, docs/sigma-api.md §5.2),
    so the sandbox publishes them as required: clients reading the schema (and
    scim2-tester) then send them.
    """
    data = schema.model_dump()
    for attribute in data["attributes"]:
        if attribute["name"] == "name":
            attribute["required"] = True
            for sub in attribute.get("subAttributes") or []:
                if sub["name"] in ("givenName", "familyName"):
                    sub["required"] = True
    return Schema.model_validate(data)


@functools.lru_cache(maxsize=1)
def sigma_provider() -> ScimProvider:
    """The SCIM service description of the sandbox (see the module docstring); built once, read-only."""
    schemas = dict(load_default_schemas())
    schemas[CORE_USER] = _with_required_names(schemas[CORE_USER])
    schemas[SIGMA_USER_EXTENSION] = Schema.model_validate(SIGMA_USER_SCHEMA)
    resource_types = load_default_resource_types()
    user = resource_types["User"].model_dump()
    user["schemaExtensions"] = [
        *user.get("schemaExtensions", []),
        {"schema": SIGMA_USER_EXTENSION, "required": False},
    ]
    resource_types["User"] = ResourceType.model_validate(user)
    config = ServiceProviderConfig(
        documentation_uri=None,
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=SCIM_MAX_RESULTS),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=False),
        etag=ETag(supported=False),
        authentication_schemes=[
            AuthenticationScheme(
                type=AuthenticationScheme.Type.oauthbearertoken,
                name="OAuth Bearer Token",
                description="Authentication with the bearer token Sigma shows when SCIM is set up",
                spec_uri=Reference[External]("https://datatracker.ietf.org/doc/html/rfc6750"),
                primary=True,
            )
        ],
    )
    return ScimProvider.from_discovery(schemas.values(), resource_types.values(), config=config)


class SigmaScimApplication(WSGIApplication):
    """scim2-server's WSGI application over :class:`SigmaScimStorage`, with Sigma's bearer token.

    :param state: the shared sandbox state.
    :param token: returns the current SCIM bearer token (it may change at runtime).
    :param page_cap: the page-size fault (see :class:`SigmaScimStorage`).
    """

    def __init__(
        self,
        state: SandboxState,
        token: Callable[[], str],
        *,
        page_cap: Callable[[], int | None] = lambda: None,
    ) -> None:
        provider = sigma_provider()
        storage = SigmaScimStorage(state, provider, page_cap=page_cap)
        super().__init__(storage, provider, ScimService(provider))
        self.state = state
        self.token = token

    def check_auth(self, request: ScimRequest) -> None:
        """401 unless ``Authorization: Bearer <SCIM token>`` and the SCIM admin still holds it: active, of the
        Admin account type (:meth:`~planner.sandbox.members.Members.holds_scim_token`, docs/sigma-api.md §5.1)."""
        scheme, _, token = (request.header("Authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or token.strip() != self.token():
            raise UnauthorizedException(detail="Token missing or malformed")
        owner = self.state.scim_owner_id
        if owner is not None and not self.state.holds_scim_token(owner):
            raise UnauthorizedException(detail="The admin who set up SCIM is no longer an active Admin; the token is "
                                               "revoked")
