"""Errors of the apply stage.

- :class:`ApplyRefused` (a :class:`planner.errors.UserError`): apply will not
  start (unapproved, tampered, blocked, guards failed, stale, journal of another
  plan). One line; the CLI prints it and exits 1; nothing has been written.
- :class:`ApplyInterrupted` (a :class:`planner.errors.UserError`, exit status 130):
  Ctrl-C; the journal is consistent and ``--resume`` continues.
- :class:`ApiError`: one HTTP exchange with Sigma failed for good (after the
  retries of :mod:`planner.execute.retry`). It fails the action that made it;
  the runner records it in the journal and goes on with independent actions. Its :attr:`ApiError.refusal`
  says whether a ``--resume`` could change it (a final 4xx cannot: fetch and plan again).
- :class:`AuthError`: the credentials are refused (401 after one re-mint, or the token
  request refused).
  Every further request would fail the same way, so the runner stops.
- :class:`NotSendable`: an action cannot be sent as its plan says (a payload the SCIM models refuse
  before sending, an id that cannot be a path segment, a field its handler needs missing): nothing
  reached Sigma, and a ``--resume`` meets it again (:func:`failure_refusal`).
"""

from __future__ import annotations

import re

import httpx2
import msgspec
import pydantic

from ..errors import UserError
from ..model import TOOL_FAULT_REFUSAL, UNSENT_REFUSAL
from .retry import Tries, is_final_refusal, tries_note

_MEMBER_ID = re.compile(r"member-id=([A-Za-z0-9_-]+)")


class NotSendable(Exception):
    """An action that cannot be sent as its plan says, found before any request for it (the handlers'
    :class:`planner.execute.actions.ActionInputError`, :class:`planner.execute.paths.PathSegmentError`):
    the same plan meets it on every run, so it is a final failure (:func:`failure_refusal`)."""


def failure_refusal(exc: Exception, message: str) -> str:
    """Why an action that raised ``exc``, no :class:`ApiError` (nothing Sigma answered), failed for good,
    given its journaled ``message`` (``ActionInputError: action C1 ...``, already redacted): a ``--resume``
    runs the same code on the same plan and fails the same way, so only a new plan settles it (it joins
    :attr:`ApiError.refusal`'s final refusals, exit 5; issue 10, tester9 finding F2 leftover):

    - a payload the models refuse or an action that cannot be sent as planned (:class:`NotSendable`,
      ``pydantic.ValidationError`` of scim2-models, ``msgspec.ValidationError``): ``not sent: <message>``;
    - anything else, a fault of this tool (``TypeError``, ``KeyError``, ...): ``<message> (a fault of
      sigma-migrate, not Sigma's answer: report it)``.

    ``""`` for a network or other I/O failure (``httpx2.TransportError``, ``OSError``: a connection reset,
    a timeout, a full disk): a later try may go through, so ``--resume`` stays the advice."""
    if isinstance(exc, (httpx2.TransportError, OSError)):
        return ""
    if isinstance(exc, (NotSendable, pydantic.ValidationError, msgspec.ValidationError)):
        return f"{UNSENT_REFUSAL}{message}"
    return f"{message}{TOOL_FAULT_REFUSAL}"


class ApplyRefused(UserError):
    """Apply refuses to start; ``str()`` is the one-line reason."""


class ApplyInterrupted(UserError):
    """Ctrl-C stopped apply; ``str()`` says whether anything was written and how to continue.

    Exit status 130 (128 + SIGINT, the shell's convention for a run stopped by Ctrl-C).
    """

    exit_code = 130


class ApiError(Exception):
    """A request to Sigma failed: ``api`` (``rest``/``scim``), ``method``, ``path``, ``status``
    (``None`` for a network error), Sigma's ``code`` and ``message`` (already redacted).

    ``context``: what the request was for, when that is the news (a token re-mint:
    ``access token expired; re-mint failed``); it then leads the message and the request
    follows in brackets: ``access token expired; re-mint failed: 429 too_many_requests: ...
    (REST POST /v2/auth/token, after 8 tries)``.

    ``tries``: how many times the request was sent (:func:`planner.execute.retry.tries_spent`), or
    with how long and the ``Retry-After`` asked (a :class:`~planner.execute.retry.Tries`,
    :func:`~planner.execute.retry.tries_of`); more than one is said (``REST GET /v2/members: 503
    internal_error: ... (after 8 tries over 95 s)``): the one
    give-up line of apply and fetch, each retrying through :class:`planner.execute.retry.RetryTransport`."""

    def __init__(self, api: str, method: str, path: str, status: int | None, message: str, code: str = "",
                 *, context: str = "", tries: int | Tries = 1):
        self.api = api
        self.method = method
        self.path = path
        self.status = status
        self.code = code
        self.message = " ".join(message.split())[:500]
        self.context = context
        self.tries = tries
        super().__init__(str(self))

    @property
    def outcome(self) -> str:
        """The status, code and message: ``503 internal_error: Injected server error`` (``network error``
        for no status), without the request or the tries."""
        status = self.status if self.status is not None else "network error"
        code = f" {self.code}" if self.code else ""
        return f"{status}{code}: {self.message}"

    def __str__(self) -> str:
        request = f"{self.api.upper()} {self.method} {self.path}"
        tries = tries_note(self.tries)
        if self.context:
            return f"{self.context}: {self.outcome} ({request}{', ' + tries if tries else ''})"
        return f"{request}: {self.outcome}{f' ({tries})' if tries else ''}"

    @property
    def refusal(self) -> str:
        """Why Sigma refused this request for good, its :attr:`outcome` (``403 forbidden: Member m3 is
        provisioned by SCIM; change it in the identity provider``), when its status is final
        (:func:`planner.execute.retry.is_final_refusal`: a ``--resume`` sends the same request and gets the
        same answer, only a new plan settles it, tester9 finding F2); ``""`` when a later try may go through
        (5xx, ``429``, ``401``, a network error, an answer apply cannot read)."""
        return self.outcome if is_final_refusal(self.status) else ""

    @property
    def existing_member_id(self) -> str | None:
        """The memberId a 409 names with ``member-id=<id>`` (docs/sigma-api.md §2.4, §7), else ``None``."""
        if self.status != 409:
            return None
        found = _MEMBER_ID.search(self.message)
        return found.group(1) if found else None


class AddressHeld(ApiError):
    """A write refused ``409`` because another member holds the address it gives (a ``members.set_email``
    target, a create's ``userName``; Sigma keeps one member per address, docs/sigma-api.md §2.4), that
    member looked up (one ``GET /v2/members?email=``): ``holder_id`` / ``holder_email``. The same
    write fails the same way on every ``--resume``: the plan must be made again (tester6 finding 10).

    ``str()``: the refused request, then ``address <a> is now held by member <id> (<email>); plan again``."""

    def __init__(self, refused: ApiError, address: str, holder_id: str, holder_email: str):
        self.address = address
        self.holder_id = holder_id
        self.holder_email = holder_email
        super().__init__(refused.api, refused.method, refused.path, refused.status, refused.message, refused.code,
                         context=refused.context, tries=refused.tries)

    @property
    def refusal(self) -> str:
        """The outcome and the member holding the address (a ``--resume`` fails the same way)."""
        return f"{self.outcome}: address {self.address} is now held by member {self.holder_id} ({self.holder_email})"

    def __str__(self) -> str:
        return (f"{super().__str__()}: address {self.address} is now held by member {self.holder_id} "
                f"({self.holder_email}); fetch and plan again")


class NotProvisionedMember(ApiError):
    """A group push names members by ``userName`` that Sigma's SCIM lists no user for (``GET /Users`` with
    ``userName eq`` finds none; a 404 of that look-up): ``user_names``, in the push's order. Apply fails the push
    with it (a group cannot hold a user SCIM does not have); ``verify`` reports the team drifted, naming them
    (:attr:`drift`), not missing: the team is there, a member was renamed or deprovisioned in the IdP since the
    plan (tester11 nit 11)."""

    def __init__(self, user_names: tuple[str, ...]):
        self.user_names = user_names
        names = ", ".join(repr(n) for n in user_names)
        super().__init__("scim", "GET", "/Users", 404, f"group member {names} is not a provisioned user"
                         if len(user_names) == 1 else f"group members {names} are not provisioned users")

    @property
    def drift(self) -> str:
        """``members: 'aisha.bello@acme.example' is not a SCIM user (renamed or deprovisioned in the IdP since
        the plan?)``: what ``verify`` reports of the team."""
        names = ", ".join(repr(n) for n in self.user_names)
        verb = "is not a SCIM user" if len(self.user_names) == 1 else "are not SCIM users"
        return f"members: {names} {verb} (renamed or deprovisioned in the IdP since the plan?)"


class IncompleteListingError(ApiError):
    """A paged listing answered ``200`` on every page whose pages cannot be the whole list
    (:class:`planner.listing.IncompleteListing`: ``incomplete listing of teams of member m3: 3 of 2
    received (the list changed while it was read)``). A list this run's own writes changed while it was
    read is read again (:meth:`planner.execute.actions.Clients.member_teams`); otherwise the
    action that read it fails."""


class AuthError(ApiError):
    """Credentials refused (401 after a re-mint): the run cannot go on."""


def unreachable(base_url: str, exc: Exception) -> str:
    """The message of a request that got no answer (an ``httpx2.TransportError`` after the retries),
    naming the host (run the redactor over it): ``api.example.com: [Errno -2] Name or service not known``."""
    return f"{httpx2.URL(base_url).host}: {str(exc) or type(exc).__name__}"
