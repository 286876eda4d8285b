"""Credentials read from the environment: what no credential holds, checked in one place before any request.

Every secret the tool sends comes from an environment variable (design.md "Invariants"): Sigma's
``SIGMA_CLIENT_ID`` / ``SIGMA_CLIENT_SECRET`` (``fetch``, ``apply``: :class:`planner.execute.targets.Credentials`)
and ``SIGMA_SCIM_TOKEN``, Okta's ``OKTA_API_TOKEN``, Entra ID's ``ENTRA_TENANT_ID`` / ``ENTRA_CLIENT_ID`` /
``ENTRA_CLIENT_SECRET`` (``fetch-idp``; Google's key is a file, read as JSON). None of them holds a character
outside printable ASCII, nor a space: a bearer token is RFC 6750 §2.1's ``b64token`` (letters, digits,
``-._~+/``, trailing ``=``), an OAuth client id and secret are ``VSCHAR`` (RFC 6749 Appendix A, U+0020-U+007E;
no issuer puts a space in one), an Okta API token and an Entra tenant or client id are letters, digits and
``-_~.``. Such a character comes from a paste: a no-break space, a zero-width space, a line break or a space at
either end (tester13 N7: a no-break space gave a 54-line traceback from the HTTP client's header encoding, a
line break "network error ... (after 6 tries); check the network", and a non-ASCII client secret made the
sandbox answer 500). :func:`credential_problem` names the first such character, never the value:
``SIGMA_SCIM_TOKEN holds U+00A0 NO-BREAK SPACE at position 4: no token has it (pasted?)``.
"""

from __future__ import annotations

from typing import Mapping

from .errors import UserError
from .sources.values import character_name

NOUNS = {"SIGMA_CLIENT_ID": "client id", "SIGMA_CLIENT_SECRET": "client secret", "SIGMA_SCIM_TOKEN": "token",
         "OKTA_API_TOKEN": "token", "ENTRA_TENANT_ID": "tenant id", "ENTRA_CLIENT_ID": "client id",
         "ENTRA_CLIENT_SECRET": "client secret"}
"""What each credential variable holds, as :func:`credential_problem` says it."""


class CredentialError(UserError):
    """A credential in the environment holds a character no credential has (:func:`credential_problem`)."""


def credential_problem(name: str, value: str) -> str | None:
    """What is wrong with credential variable ``name`` holding ``value``: its first character outside
    U+0021-U+007E (printable ASCII, no space) with its 1-based position, in one line that never shows the value;
    ``None`` for a clean one."""
    for position, c in enumerate(value, 1):
        if not "\x21" <= c <= "\x7e":
            noun = NOUNS.get(name, "credential")
            return f"{name} holds {character_name(c)} at position {position}: no {noun} has it (pasted?)"
    return None


def check_credential(name: str, value: str | None) -> str | None:
    """``value`` (``None`` when unset or empty), or :class:`CredentialError` (:func:`credential_problem`)."""
    if not value:
        return None
    problem = credential_problem(name, value)
    if problem is not None:
        raise CredentialError(problem)
    return value


def read_credential(environ: Mapping[str, str], name: str) -> str | None:
    """Credential variable ``name`` of ``environ`` checked (:func:`check_credential`): ``None`` when unset or empty.
    Raises :class:`CredentialError`."""
    return check_credential(name, environ.get(name))


__all__ = ["CredentialError", "NOUNS", "check_credential", "credential_problem", "read_credential"]
