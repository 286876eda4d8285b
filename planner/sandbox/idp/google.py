"""A local emulator of Google's OAuth token endpoint and the Admin SDK Directory API (docs/formats.md §4b, §4c).

- ``POST /token``: the JWT bearer grant (RFC 7523) of a service account. The
  assertion must be signed by the emulator's key (:meth:`GoogleEmulator.write_key_file`
  writes a key file whose ``token_uri`` is this emulator), have ``aud`` = the token
  URL and name a user of the seed in ``sub``. Scopes outside the domain-wide
  delegation (``delegated_scopes``) give 401 ``unauthorized_client``, as Google does.
- ``GET /admin/directory/v1/users``, ``/groups``, ``/groups/{groupKey}/members``:
  ``{"kind", "users"|"groups"|"members", "nextPageToken"}`` pages of ``maxResults``
  (capped); a ``sub`` that is not an admin gets 403 "Not Authorized to access this
  resource/api"; a bad token 401 ``UNAUTHENTICATED``; throttling 429 ``RESOURCE_EXHAUSTED``
  (no ``Retry-After``: clients back off); a missing permission (the ``deny`` fault) 403.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from werkzeug.wrappers import Request, Response

from .server import IdpEmulator, IdpFaults, page_window

ALL_SCOPES = ("https://www.googleapis.com/auth/admin.directory.user.readonly",
              "https://www.googleapis.com/auth/admin.directory.group.readonly")


@dataclass
class GoogleSeed:
    """Directory API objects: users, groups, and member ids per group id (user or group ids)."""

    users: list[dict[str, Any]] = field(default_factory=list)
    groups: list[dict[str, Any]] = field(default_factory=list)
    members: dict[str, list[str]] = field(default_factory=dict)


def _error(status: int, message: str, reason: str, state: str) -> Response:
    body = {"error": {"code": status, "message": message,
                      "errors": [{"message": message, "domain": "global", "reason": reason}], "status": state}}
    return Response(json.dumps(body), status, content_type="application/json; charset=UTF-8")


def _oauth_error(status: int, error: str, description: str) -> Response:
    return Response(json.dumps({"error": error, "error_description": description}), status,
                    content_type="application/json; charset=utf-8")


class GoogleEmulator(IdpEmulator):
    """Google's token endpoint + Directory API on 127.0.0.1 (module docstring), from a :class:`GoogleSeed`."""

    def __init__(self, seed: GoogleSeed, *, delegated_scopes: tuple[str, ...] = ALL_SCOPES, page_size: int = 500,
                 customer_id: str = "C01abc234", faults: IdpFaults | None = None, port: int = 0) -> None:
        super().__init__(page_size=page_size, faults=faults, port=port)
        self.seed = seed
        self.delegated_scopes = delegated_scopes
        self.customer_id = customer_id
        self.client_email = "sigma-migrate@acme-idp.iam.gserviceaccount.com"
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.key_id = secrets.token_hex(20)
        self.tokens: dict[str, tuple[str, frozenset[str]]] = {}
        self._users = {str(u["id"]): u for u in seed.users}
        self._groups = {str(g["id"]): g for g in seed.groups}

    @property
    def token_uri(self) -> str:
        return f"{self.base_url}/token"

    def write_key_file(self, path: str | Path) -> Path:
        """Write a service account key file (the JSON Google's console downloads) for this emulator."""
        pem = self._key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()).decode()
        data = {"type": "service_account", "project_id": "acme-idp", "private_key_id": self.key_id,
                "private_key": pem, "client_email": self.client_email, "client_id": "1234567890",
                "auth_uri": "https://accounts.google.com/o/oauth2/auth", "token_uri": self.token_uri}
        Path(path).write_text(json.dumps(data, indent=2), encoding="utf-8")
        return Path(path)

    def is_api(self, request: Request) -> bool:
        return request.path.startswith("/admin/")

    def template(self, request: Request) -> str:
        path = re.sub(r"^/admin/directory/v1/groups/[^/]+/members$", "/admin/directory/v1/groups/{groupKey}/members",
                      request.path)
        return f"{request.method} {path}"

    def authenticate(self, request: Request) -> Response | None:
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer ") and header[7:] in self.tokens:
            subject, _ = self.tokens[header[7:]]
            user = next((u for u in self.seed.users if u.get("primaryEmail") == subject), None)
            if user is None or not user.get("isAdmin"):
                return _error(403, "Not Authorized to access this resource/api", "forbidden", "PERMISSION_DENIED")
            return None
        return _error(401, "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
                      "cookie or other valid authentication credential.", "authError", "UNAUTHENTICATED")

    def throttled(self) -> Response:
        return _error(429, "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user'.",
                      "rateLimitExceeded", "RESOURCE_EXHAUSTED")

    def forbidden(self, request: Request) -> Response:
        return _error(403, "Request had insufficient authentication scopes.", "insufficientPermissions",
                      "PERMISSION_DENIED")

    # ------------------------------------------------------------------ token

    def _token(self, request: Request) -> Response:
        if request.form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return _oauth_error(400, "unsupported_grant_type", "Invalid grant_type: ")
        try:
            claims = jwt.decode(request.form.get("assertion", ""), self._key.public_key(), algorithms=["RS256"],
                                audience=self.token_uri)
        except jwt.PyJWTError:
            return _oauth_error(400, "invalid_grant", "Invalid JWT Signature.")
        if claims.get("iss") != self.client_email:
            return _oauth_error(400, "invalid_grant", "Invalid JWT Signature.")
        scopes = frozenset(str(claims.get("scope", "")).split())
        if not scopes or not scopes <= set(self.delegated_scopes):
            return _oauth_error(401, "unauthorized_client", "Client is unauthorized to retrieve access tokens using "
                                "this method, or client not authorized for any of the scopes requested.")
        subject = str(claims.get("sub") or "")
        if not any(u.get("primaryEmail") == subject for u in self.seed.users):
            return _oauth_error(400, "invalid_grant", "Invalid email or User ID")
        token = "ya29." + secrets.token_urlsafe(40)
        self.tokens[token] = (subject, scopes)
        return Response(json.dumps({"access_token": token, "expires_in": 3599, "token_type": "Bearer"}), 200,
                        content_type="application/json; charset=utf-8")

    # ------------------------------------------------------------------ Directory API

    def route(self, request: Request) -> Response:
        if request.path == "/token" and request.method == "POST":
            return self._token(request)
        if request.method != "GET":
            return _error(405, "Method not allowed", "badRequest", "INVALID_ARGUMENT")
        customer = request.args.get("customer")
        if request.path in ("/admin/directory/v1/users", "/admin/directory/v1/groups"):
            if customer not in ("my_customer", self.customer_id):
                return _error(400, "Bad Request", "badRequest", "INVALID_ARGUMENT")
            if request.path.endswith("/users"):
                return self._page(request, "admin#directory#users", "users", self.seed.users)
            groups = [{**g, "directMembersCount": str(len(self._member_items(str(g["id"]))))}
                      for g in self.seed.groups]
            return self._page(request, "admin#directory#groups", "groups", groups)
        match = re.fullmatch(r"/admin/directory/v1/groups/([^/]+)/members", request.path)
        if match:
            key = match.group(1)
            group = self._groups.get(key) or next((g for g in self.seed.groups if g.get("email") == key), None)
            if group is None:
                return _error(404, "Resource Not Found: groupKey", "notFound", "NOT_FOUND")
            return self._page(request, "admin#directory#members", "members", self._member_items(str(group["id"])))
        return _error(404, "Not Found", "notFound", "NOT_FOUND")

    def _member_items(self, group_id: str) -> list[dict[str, Any]]:
        items = []
        for member in self.seed.members.get(group_id, []):
            if member in self._users:
                user = self._users[member]
                items.append({"kind": "admin#directory#member", "etag": "\"e\"", "id": member,
                              "email": user.get("primaryEmail"), "role": "MEMBER", "type": "USER",
                              "status": "SUSPENDED" if user.get("suspended") else "ACTIVE"})
            elif member in self._groups:
                items.append({"kind": "admin#directory#member", "etag": "\"e\"", "id": member,
                              "email": self._groups[member].get("email"), "role": "MEMBER", "type": "GROUP",
                              "status": "ACTIVE"})
        return items

    def _page(self, request: Request, kind: str, key: str, items: list[dict[str, Any]]) -> Response:
        size = self.limit(request.args.get("maxResults"), 100)
        token = request.args.get("pageToken")
        start = 0 if not token or self.repeats(request) else int(token.removeprefix("p"))
        chunk, nxt = page_window(items, start, size)
        body: dict[str, Any] = {"kind": kind, "etag": "\"emulator\""}
        if chunk:
            body[key] = chunk
        if nxt is not None and not self.cut_short(request):
            body["nextPageToken"] = f"p{nxt}"
        return Response(json.dumps(body), 200, content_type="application/json; charset=UTF-8")
