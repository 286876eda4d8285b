"""Account types of the sandbox organization (docs/sigma-api.md §4): listing, creating, the default one."""

from __future__ import annotations

from typing import Any

from .store import Conflict, NotFound, Store

DEFAULT_ACCOUNT_TYPES = ("Lite", "Essential", "Pro", "Admin")
"""Account types of an organization seeded without any (docs/sigma-api.md §4.2, "2024" model)."""

_LOWEST_TYPE_ORDER = (
    "lite", "view", "viewer", "essential", "act", "explorer",
    "analyze", "pro", "creator", "build", "author", "admin",
)
"""Default account type names from the cheapest up (docs/sigma-api.md §4.2)."""


class AccountTypes(Store):
    """The ``account_types`` table: names are exact (case-sensitive) everywhere."""

    def seed_default_account_types(self) -> None:
        """Give an empty organization :data:`DEFAULT_ACCOUNT_TYPES` (built-in, not custom)."""
        with self.transaction():
            for name in DEFAULT_ACCOUNT_TYPES:
                self._x(
                    "INSERT OR IGNORE INTO account_types(account_type_id,name,is_custom) VALUES (?,?,0)",
                    (self.new_uuid(), name),
                )

    def account_types(self) -> list[dict[str, Any]]:
        """Every account type as ``GET /v2/accountTypes`` entries, in seed order."""
        with self.lock:
            return [
                {"accountTypeId": r["account_type_id"], "accountTypeName": r["name"],
                 "description": r["description"], "isCustom": bool(r["is_custom"])}
                for r in self._q("SELECT * FROM account_types ORDER BY seq")
            ]

    def account_type_names(self) -> list[str]:
        """Account type names, exactly as spelled."""
        with self.lock:
            return [r[0] for r in self._q("SELECT name FROM account_types ORDER BY seq")]

    def add_account_type(self, name: str, *, is_custom: bool = True, description: str | None = None) -> str:
        """Create an account type (as ``POST /v2/accountTypes``); returns its id."""
        with self.transaction():
            if self._one("SELECT 1 FROM account_types WHERE name=?", (name,)):
                raise Conflict("Duplicate record")
            type_id = self.new_uuid()
            self._x(
                "INSERT INTO account_types(account_type_id,name,description,is_custom) VALUES (?,?,?,?)",
                (type_id, name, description, int(is_custom)),
            )
            return type_id

    @property
    def default_account_type(self) -> str:
        """Account type of members created without ``memberType`` (REST "Invitation default",
        §2.4) or without SCIM ``userType`` (§5.2: "Lite"): the one the constructor was given,
        else the cheapest type present (:data:`_LOWEST_TYPE_ORDER`), else the first non-admin type."""
        with self.lock:
            names = self.account_type_names()
            if self._default_account_type is not None:
                return self._default_account_type
            by_key = {n.casefold(): n for n in reversed(names)}
            for key in _LOWEST_TYPE_ORDER:
                if key in by_key:
                    return by_key[key]
            for n in names:
                if n.casefold() != "admin":
                    return n
            return names[0] if names else "Lite"

    @default_account_type.setter
    def default_account_type(self, name: str | None) -> None:
        self._default_account_type = name

    def check_account_type(self, name: Any) -> str:
        """Return ``name`` when it is an account type name exactly (case-sensitive).

        Raises :class:`NotFound` "Member type name is not found" otherwise
        (docs/sigma-api.md §2.7; §10.11: casing on REST writes is unknown, the
        sandbox is case-sensitive, the strict choice, as SCIM is per §5.2).
        """
        with self.lock:
            if not isinstance(name, str) or self._one(
                "SELECT 1 FROM account_types WHERE name=?", (name,)
            ) is None:
                raise NotFound("Member type name is not found")
            return name
