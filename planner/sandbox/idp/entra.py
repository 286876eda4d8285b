"""A local emulator of Microsoft Graph's users and groups API and the Entra token endpoint (docs/formats.md §3d-§3e).

- ``POST /{tenant}/oauth2/v2.0/token`` (client credentials, scope
  ``https://graph.microsoft.com/.default``): a wrong tenant is 400 ``invalid_request``
  (AADSTS90002), a wrong client or secret 401 ``invalid_client`` (AADSTS7000215).
- ``GET /v1.0/users``, ``/v1.0/groups``, ``/v1.0/groups/{id}/members`` (and its OData casts
  ``/microsoft.graph.user``, ``/microsoft.graph.group``): ``value`` pages of
  ``$top`` items (capped), ``$select`` keeps the named properties (``id`` always; members
  keep ``@odata.type``), ``@odata.nextLink`` carries a ``$skiptoken``; ``$count=true``
  needs ``ConsistencyLevel: eventual`` (else 400 ``Request_BadRequest``) and adds
  ``@odata.count`` to the first page.
- A bad bearer token is 401 ``InvalidAuthenticationToken``; a missing permission 403
  ``Authorization_RequestDenied``; throttling 429 ``TooManyRequests`` with ``Retry-After``.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

from .server import IdpEmulator, IdpFaults, page_window


@dataclass
class EntraSeed:
    """Graph objects with every property: users, groups, and member ids per group (users or groups)."""

    users: list[dict[str, Any]] = field(default_factory=list)
    groups: list[dict[str, Any]] = field(default_factory=list)
    members: dict[str, list[str]] = field(default_factory=dict)


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    body = {"error": {"code": code, "message": message,
                      "innerError": {"request-id": secrets.token_hex(8), "date": "2026-01-01T00:00:00"}}}
    return Response(json.dumps(body), status, headers=headers, content_type="application/json")


def _oauth_error(status: int, error: str, description: str) -> Response:
    return Response(json.dumps({"error": error, "error_description": description, "error_codes": [0]}), status,
                    content_type="application/json")


class EntraEmulator(IdpEmulator):
    """Graph + the Entra token endpoint on 127.0.0.1 (module docstring), seeded from an :class:`EntraSeed`.

    The Graph base URL and the login URL are both :attr:`base_url`.
    """

    def __init__(self, seed: EntraSeed, *, tenant: str = "contoso.example", client_id: str | None = None,
                 client_secret: str | None = None, page_size: int = 999, faults: IdpFaults | None = None,
                 port: int = 0) -> None:
        super().__init__(page_size=page_size, faults=faults, port=port)
        self.seed = seed
        self.tenant = tenant
        self.client_id = client_id or secrets.token_hex(8)
        self.client_secret = client_secret or secrets.token_urlsafe(24)
        self.tokens: set[str] = set()
        self._users = {str(u["id"]): u for u in seed.users}
        self._groups = {str(g["id"]): g for g in seed.groups}

    def environ(self) -> dict[str, str]:
        """The ``ENTRA_*`` variables ``fetch-idp entra`` reads, for this emulator."""
        return {"ENTRA_TENANT_ID": self.tenant, "ENTRA_CLIENT_ID": self.client_id,
                "ENTRA_CLIENT_SECRET": self.client_secret}

    def is_api(self, request: Request) -> bool:
        return request.path.startswith("/v1.0/")

    def template(self, request: Request) -> str:
        path = re.sub(r"^/v1\.0/groups/[^/]+/members", "/v1.0/groups/{id}/members", request.path)
        path = re.sub(r"^/[^/]+/oauth2/v2\.0/token$", "/{tenant}/oauth2/v2.0/token", path)
        return f"{request.method} {path}"

    def authenticate(self, request: Request) -> Response | None:
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer ") and header[7:] in self.tokens:
            return None
        return _error(401, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience.")

    def throttled(self) -> Response:
        return _error(429, "TooManyRequests", "Too many requests.", {"Retry-After": str(self.faults.retry_after)})

    def forbidden(self, request: Request) -> Response:
        return _error(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")

    # ------------------------------------------------------------------ token

    def _token(self, request: Request, tenant: str) -> Response:
        form = request.form
        if tenant != self.tenant:
            return _oauth_error(400, "invalid_request", f"AADSTS90002: Tenant '{tenant}' not found.")
        if form.get("grant_type") != "client_credentials" or form.get("scope") != "https://graph.microsoft.com/.default":
            return _oauth_error(400, "invalid_request", "AADSTS900144: The request body must contain the "
                                "client_credentials grant and the .default scope.")
        if form.get("client_id") != self.client_id:
            return _oauth_error(400, "unauthorized_client", f"AADSTS700016: Application with identifier "
                                f"'{form.get('client_id')}' was not found in the directory '{tenant}'.")
        if form.get("client_secret") != self.client_secret:
            return _oauth_error(401, "invalid_client", "AADSTS7000215: Invalid client secret provided. Ensure the "
                                "secret being sent in the request is the client secret value, not the client "
                                "secret ID.")
        token = secrets.token_urlsafe(32)
        self.tokens.add(token)
        body = {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token}
        return Response(json.dumps(body), 200, content_type="application/json")

    # ------------------------------------------------------------------ Graph

    def route(self, request: Request) -> Response:
        match = re.fullmatch(r"/([^/]+)/oauth2/v2\.0/token", request.path)
        if match and request.method == "POST":
            return self._token(request, match.group(1))
        if request.method != "GET":
            return _error(405, "Request_BadRequest", "Unsupported method.")
        if request.path == "/v1.0/users":
            return self._collection(request, "users", self.seed.users, None)
        if request.path == "/v1.0/groups":
            return self._collection(request, "groups", self.seed.groups, None)
        match = re.fullmatch(r"/v1\.0/groups/([^/]+)/members(?:/microsoft\.graph\.(user|group))?", request.path)
        if match:
            group_id, cast = match.groups()
            if group_id not in self._groups:
                return _error(404, "Request_ResourceNotFound",
                              f"Resource '{group_id}' does not exist or one of its queried reference-property "
                              "objects are not present.")
            items = []
            for member in self.seed.members.get(group_id, []):
                if member in self._users and cast in (None, "user"):
                    items.append({"@odata.type": "#microsoft.graph.user", **self._users[member]})
                elif member in self._groups and cast in (None, "group"):
                    items.append({"@odata.type": "#microsoft.graph.group", **self._groups[member]})
            if cast:  # a cast answer's items are of the cast's type: Graph leaves @odata.type out
                items = [{k: v for k, v in item.items() if k != "@odata.type"} for item in items]
                return self._collection(request, f"{cast}s", items, None)
            return self._collection(request, "directoryObjects", items, "@odata.type")
        return _error(400, "Request_BadRequest", f"Invalid request: {request.path}")

    def _collection(self, request: Request, entity: str, items: list[dict[str, Any]], keep: str | None) -> Response:
        args = request.args
        counted = args.get("$count") == "true"
        if counted and request.headers.get("ConsistencyLevel") != "eventual":
            return _error(400, "Request_BadRequest", "$count is not currently supported without the "
                          "ConsistencyLevel: eventual header.")
        select = [s for s in (args.get("$select") or "").split(",") if s]
        if select:
            wanted = {"id", *select, *([keep] if keep else [])}
            items = [{k: v for k, v in item.items() if k in wanted} for item in items]
        size = self.limit(args.get("$top"), 100)
        token = args.get("$skiptoken")
        start = 0 if token is None or self.repeats(request) else int(token, 16)
        chunk, nxt = page_window(items, start, size)
        body: dict[str, Any] = {"@odata.context": f"{self.base_url}/v1.0/$metadata#{entity}"
                                + (f"({','.join(select)})" if select and entity != "directoryObjects" else "")}
        if counted and token is None and self.counts(request):
            body["@odata.count"] = len(items)
        body["value"] = chunk
        if nxt is not None and not self.cut_short(request):
            query = {k: v for k, v in args.items() if k not in ("$skiptoken", "$count")}
            query["$skiptoken"] = format(nxt, "x")
            body["@odata.nextLink"] = f"{self.base_url}{request.path}?{urlencode(query)}"
        return Response(json.dumps(body), 200, content_type="application/json;odata.metadata=minimal")
