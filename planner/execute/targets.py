"""Where apply sends requests, with which credentials, and how secrets stay out of output.

- Base URLs come from the command line (``--rest-base-url``/``--scim-base-url``)
  or from the policy's ``targets`` (``rest_base_url``, ``scim_base_url``) as
  resolved into the plan. ``https`` is required except for loopback hosts
  (``127.0.0.0/8``, ``::1``, ``localhost``), which is where the sandbox runs.
- Secrets come only from the environment (COMMON.md, design.md "Invariants"):
  ``SIGMA_CLIENT_ID`` / ``SIGMA_CLIENT_SECRET`` for REST v2 (docs/sigma-api.md §1.1)
  and ``SIGMA_SCIM_TOKEN`` for SCIM (docs/sigma-api.md §5.1).
- :class:`planner.redaction.Redactor` (imported here for the clients) replaces
  every secret value with ``***`` in any text the tool prints or stores (journal,
  result file, error messages): defence in depth, since no code path should put
  a secret there in the first place.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Mapping
from urllib.parse import urlsplit

from .. import httpio
from ..credentials import check_credential
from ..errors import UserError
from ..httpio import is_loopback_host
from ..redaction import Redactor

if TYPE_CHECKING:
    from ..policy import Targets as PolicyTargets

ENV_CLIENT_ID = "SIGMA_CLIENT_ID"
ENV_CLIENT_SECRET = "SIGMA_CLIENT_SECRET"
ENV_SCIM_TOKEN = "SIGMA_SCIM_TOKEN"


class TargetError(UserError):
    """A base URL or a credential is missing or unacceptable."""


def check_base_url(url: str, what: str) -> str:
    """Validate a base URL and return it without a trailing slash (:func:`planner.httpio.check_base_url`).

    Raises :class:`TargetError` when it does not parse, is not absolute, carries
    credentials, a query or a fragment, or is ``http`` to a non-loopback host
    (tokens must never cross a network in clear text).
    """
    return httpio.check_base_url(url, what, TargetError)


def normal_base_url(url: str) -> str:
    """``url`` as one API's key: scheme and host lower-cased (RFC 3986 §6.2.2.1), the scheme's default port
    (``http`` 80, ``https`` 443) and the path's trailing slash dropped, e.g. ``HTTPS://API.Sigma.com:443/`` ->
    ``https://api.sigma.com``. What :func:`same_base_url` compares, and the target a plan's runs are recorded under in
    sigma-migrate's state index (:mod:`planner.execute.history`, rehearse20). Never raises: a port that does not
    parse, or a URL that does not (``http://[``), stays as written (such a URL is refused by :func:`check_base_url`
    before any request)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return url.strip()
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"  # an IPv6 literal keeps its brackets (RFC 3986 §3.2.2)
    try:
        port = parts.port
    except ValueError:
        port = None
        host = parts.netloc.rpartition("@")[2].lower()
    if port is not None and port != {"http": 80, "https": 443}.get(scheme):
        host = f"{host}:{port}"
    return f"{scheme}://{host}{parts.path.rstrip('/')}"


def same_base_url(a: str, b: str) -> bool:
    """True when two base URLs name the same API: their :func:`normal_base_url` are equal."""
    return normal_base_url(a) == normal_base_url(b)


@dataclass(frozen=True)
class Targets:
    """The two APIs apply talks to: ``rest_base_url`` (e.g. ``https://api.sigmacomputing.com``,
    the ``/v2`` paths are appended) and ``scim_base_url`` (Sigma's Directory Base URL)."""

    rest_base_url: str | None
    scim_base_url: str | None


def resolve_targets(
    policy: PolicyTargets | None, rest_base_url: str | None, scim_base_url: str | None
) -> Targets:
    """Flags win over the ``targets`` of the plan's resolved policy; both are validated.

    ``policy`` is that section (``planner.planfile.plan_policy(plan).targets``),
    ``None`` when there is none. A missing URL stays ``None``; :func:`require` complains when an
    action needs it.
    """
    rest = rest_base_url or (policy.rest_base_url if policy else None)
    scim = scim_base_url or (policy.scim_base_url if policy else None)
    return Targets(
        rest_base_url=check_base_url(rest, "REST base URL") if rest else None,
        scim_base_url=check_base_url(scim, "SCIM base URL") if scim else None,
    )


def history_target(policy: PolicyTargets | None, rest_base_url: str | None) -> str | None:
    """The Sigma a command of a plan writes to or reads, as sigma-migrate's state index records a plan's history
    (:mod:`planner.execute.history`, rehearse20): the REST base URL (the flag ``rest_base_url``, else the ``targets``
    of the plan's resolved policy, ``policy``) as :func:`normal_base_url` gives it; ``None`` when neither names one
    (the command then reads the history of every Sigma). Never raises: the URL is checked where it is used
    (:func:`resolve_targets`)."""
    rest = rest_base_url or (policy.rest_base_url if policy else None)
    return normal_base_url(rest) if rest else None


@dataclass(frozen=True)
class Credentials:
    """Secrets read from the environment; ``repr`` never shows them."""

    client_id: str | None = field(default=None, repr=False)
    client_secret: str | None = field(default=None, repr=False)
    scim_token: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Credentials":
        env = os.environ if environ is None else environ
        return cls(
            client_id=env.get(ENV_CLIENT_ID) or None,
            client_secret=env.get(ENV_CLIENT_SECRET) or None,
            scim_token=env.get(ENV_SCIM_TOKEN) or None,
        )

    def require_rest(self) -> tuple[str, str]:
        """``(client_id, client_secret)`` or :class:`TargetError` naming the missing variable."""
        missing = [n for n, v in ((ENV_CLIENT_ID, self.client_id), (ENV_CLIENT_SECRET, self.client_secret)) if not v]
        if missing:
            verb = "is" if len(missing) == 1 else "are"
            raise TargetError(f"the plan has REST actions but {' and '.join(missing)} {verb} not set in the environment")
        check_credential(ENV_CLIENT_ID, self.client_id)  # a pasted character: one line before any request
        check_credential(ENV_CLIENT_SECRET, self.client_secret)
        return self.client_id or "", self.client_secret or ""

    def require_scim(self) -> str:
        """The SCIM bearer token or :class:`TargetError` naming ``SIGMA_SCIM_TOKEN``."""
        if not self.scim_token:
            raise TargetError(f"the plan has SCIM actions but {ENV_SCIM_TOKEN} is not set in the environment")
        return check_credential(ENV_SCIM_TOKEN, self.scim_token) or ""

    def secrets(self) -> tuple[str, ...]:
        """Every value that must never be printed or written (the client id included)."""
        return tuple(v for v in (self.client_id, self.client_secret, self.scim_token) if v)


__all__ = ["Credentials", "Redactor", "TargetError", "Targets", "check_base_url", "history_target",
           "is_loopback_host", "normal_base_url", "resolve_targets", "same_base_url"]
