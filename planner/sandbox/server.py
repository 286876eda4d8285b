"""Run the sandbox on 127.0.0.1: :class:`SandboxServer`, a context manager for tests and the CLI.

Usage::

    with SandboxServer("samples/acme/sigma") as sandbox:
        sandbox.base_url        # "http://127.0.0.1:54321"   (REST: {base_url}/v2/...)
        sandbox.scim_base_url   # "http://127.0.0.1:54321/scim/v2"
        sandbox.client_id, sandbox.client_secret, sandbox.scim_token
        sandbox.faults.set(rate=5)          # switch faults at runtime
        sandbox.request_counts["GET /v2/members"]
        sandbox.state                       # the SandboxState (Python-side inspection)

The server is werkzeug's threaded WSGI server (one thread per connection,
HTTP/1.1 keep-alive) on a port of the loopback interface (port 0 = a free one),
serving :class:`planner.sandbox.app.SandboxApp`. It never listens on another
address. Start and stop take milliseconds.
"""

from __future__ import annotations

import secrets
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import UserError
from ..model import SigmaExport
from .app import SandboxApp
from .faults import FaultConfig, Faults, parse_faults
from .rest import Credentials, RestApp
from .scim import SigmaScimApplication
from .seed import Seed, load_seed, seed_state
from .serving import LocalServer
from .state import SandboxState



def interrupt_on_signals() -> None:
    """From the main thread, turn SIGINT and SIGTERM into KeyboardInterrupt, SIGINT even when the shell started the
    process with it ignored (a background job of a non-interactive shell inherits SIGINT ignored, POSIX
    "Shell Command Language" 2.11): what every serving command (``sandbox serve``, ``sandbox okta``) stops on. No-op
    from another thread (``signal.signal`` accepts the main thread only)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.default_int_handler)

class SandboxServer:
    """A seeded Sigma emulator (REST v2 + SCIM 2.0) on ``127.0.0.1`` (see the module docstring).

    :param seed: a Sigma export directory (loaded with the project's loader,
        plus its optional ``scim/`` folder), a loaded :class:`~planner.model.SigmaExport`
        or :class:`~planner.sandbox.seed.Seed`, or ``None`` for an empty
        organization with the default account types and one admin.
    :param port: TCP port, 0 = any free one.
    :param client_id: / :param client_secret: / :param scim_token: fixed
        credentials; generated when ``None``.
    :param faults: initial fault knobs (:class:`FaultConfig` or a ``--faults`` string).
    :param token_lifetime: REST access-token lifetime, seconds (Sigma: 3600).
    :param token_rate: token requests per second (Sigma: 1; ``None`` = unlimited).
    :param default_account_type: account type of members created without one
        (default: the cheapest type of the org, see :class:`SandboxState`).
    :param credential_owner_id: / :param scim_owner_id: memberIds owning the REST
        credentials / the SCIM token (default: the first active internal Admin member).
    :param credential_owner: the email of the member owning the REST credentials (``GET
        /v2/whoami`` names them), instead of ``credential_owner_id``: an active internal member of
        the seed (letter case aside); :class:`~planner.errors.UserError` otherwise. Give the
        member a plan's ``organization.api_credential_owner`` names, or apply refuses the plan
        (docs/apply.md "Preflight").
    :param scim_admin: the email of the admin who set SCIM up and holds the SCIM token, instead of
        ``scim_owner_id``: an active internal member of the seed with the Admin account type (letter
        case aside; docs/sigma-api.md §5.1: setting SCIM up needs Admin), else
        :class:`~planner.errors.UserError`. The token dies when they are archived, inactive or no longer Admin, and
        SCIM deactivations hand documents to them: give the member a plan's
        ``organization.scim_setup_admin`` names to rehearse what the plan says.
    :param db_path: SQLite file for the state (default in memory). A file that holds a sandbox's state already
        (:attr:`reopened`) is reopened as it was left, and ``seed`` is not loaded (nor read): seeding it again
        would bring back every team membership, member and document removed since (tester14b #6).
    :param documents_per_member: documents each seeded member owns.
    :param clock: wall clock of token expiry (tests pass a fake one).
    """

    def __init__(
        self,
        seed: str | Path | SigmaExport | Seed | None = None,
        *,
        port: int = 0,
        client_id: str | None = None,
        client_secret: str | None = None,
        scim_token: str | None = None,
        faults: FaultConfig | str | None = None,
        token_lifetime: int = 3600,
        token_rate: float | None = 1.0,
        default_account_type: str | None = None,
        credential_owner_id: str | None = None,
        credential_owner: str | None = None,
        scim_owner_id: str | None = None,
        scim_admin: str | None = None,
        db_path: str = ":memory:",
        documents_per_member: int = 2,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.state = SandboxState(db_path, default_account_type=default_account_type)
        self.reopened = self.state.reopened
        """Whether ``db_path`` held a sandbox's state: reopened as it was left, ``seed`` not loaded (was: loaded
        again over it, bringing back the team memberships an apply removed; tester14b #6)."""
        if seed is None and not self.reopened:
            self.state.seed_default_account_types()
        elif seed is not None and not self.reopened:
            if isinstance(seed, (str, Path)):
                seed = load_seed(seed)
            if isinstance(seed, SigmaExport):
                seed = Seed(export=seed)
            seed_state(self.state, seed, documents_per_member=documents_per_member)
        if credential_owner is not None:
            if credential_owner_id is not None:
                raise ValueError("give credential_owner (an email) or credential_owner_id, not both")
            credential_owner_id = self._active_member_id(credential_owner, "--credential-owner")
        if scim_admin is not None:
            if scim_owner_id is not None:
                raise ValueError("give scim_admin (an email) or scim_owner_id, not both")
            scim_owner_id = self._active_member_id(scim_admin, "--scim-admin")
        admin = self.state.first_active_admin()
        if admin is None and credential_owner_id is None:
            admin = self._create_admin()
        self.state.credential_owner_id = credential_owner_id or admin
        self.state.scim_owner_id = scim_owner_id or admin
        self.client_id = client_id or f"sandbox-{secrets.token_hex(6)}"
        self.client_secret = client_secret or secrets.token_urlsafe(24)
        self.scim_token = scim_token or secrets.token_urlsafe(32)
        self.faults = Faults(parse_faults(faults) if isinstance(faults, str) else faults)
        self.credentials = Credentials(
            self.client_id, self.client_secret,
            token_lifetime=token_lifetime, token_rate=token_rate, clock=clock,
        )
        self.rest = RestApp(self.state, self.credentials, page_cap=self.faults.page_cap)
        self.scim = SigmaScimApplication(self.state, lambda: self.scim_token, page_cap=self.faults.page_cap)
        self.app = SandboxApp(self.state, self.rest, self.scim, self.faults)
        self._http = LocalServer(port, name="sigma-sandbox", what="sandbox")

    def _active_member_id(self, email: str, option: str) -> str:
        """The memberId of the active internal member whose email is ``email`` (letter case aside,
        as Sigma compares addresses), who must hold the Admin account type for ``--scim-admin``
        (setting SCIM up needs Admin, docs/sigma-api.md §5.1); :class:`UserError` naming ``option``
        and the address when there is none."""
        rows = [r for r in self.state.members_by_email(email)
                if not (r["is_archived"] or r["is_inactive"]) and r["user_kind"] == "internal"]
        if option == "--scim-admin":
            rows = [r for r in rows if str(r["member_type"]).casefold() == "admin"]
        if rows:
            return str(rows[0]["member_id"])
        self.state.close()
        if option == "--scim-admin":
            raise UserError(f"--scim-admin {email}: no active internal member of the seed with the Admin account "
                            "type has this email; SCIM is set up by an Admin, and its token dies when they are "
                            "archived, inactive or no longer Admin (docs/sigma-api.md §5.1)")
        raise UserError(f"{option} {email}: no active internal member of the seed has this email; "
                        "the REST credentials need an active member to belong to (docs/sigma-api.md §1.2)")

    def _create_admin(self) -> str:
        names = {n.casefold(): n for n in self.state.account_type_names()}
        if "admin" not in names:
            self.state.add_account_type("Admin", is_custom=False)
            names["admin"] = "Admin"
        member = self.state.create_member(
            {"email": "sandbox.admin@example.com", "firstName": "Sandbox", "lastName": "Admin",
             "memberType": names["admin"]},
            actor=None,
        )
        return member["memberId"]

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> SandboxServer:
        """Bind ``127.0.0.1:port`` and serve in a daemon thread; returns ``self``."""
        self._http.start(self.app)
        return self

    def stop(self) -> None:
        """Stop serving and close the socket (idempotent). The state stays readable."""
        self._http.stop()

    def close(self) -> None:
        """Stop and close the state database."""
        self.stop()
        self.state.close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def serve_until_interrupted(self) -> None:
        """Serve until Ctrl-C or SIGTERM (the ``sandbox serve`` command); raises KeyboardInterrupt then.

        From the main thread, SIGINT and SIGTERM are both turned into
        KeyboardInterrupt (SIGINT even when the shell started us with it ignored).
        """
        interrupt_on_signals()
        self.start()
        try:
            self._http.wait()
        finally:
            self.close()

    # ------------------------------------------------------------------ addresses and helpers

    @property
    def port(self) -> int:
        """The bound TCP port (after :meth:`start`)."""
        return self._http.port

    @property
    def base_url(self) -> str:
        """REST base URL, e.g. ``http://127.0.0.1:54321`` (paths start with ``/v2``)."""
        return self._http.base_url

    @property
    def scim_base_url(self) -> str:
        """SCIM base URL (the "Directory Base URL"), ``{base_url}/scim/v2``."""
        return f"{self.base_url}/scim/v2"

    @property
    def request_counts(self) -> Any:
        """``Counter`` of requests per endpoint template, e.g. ``["PATCH /v2/members/{memberId}"]``."""
        return self.faults.request_counts

    @property
    def status_counts(self) -> Any:
        """``Counter`` of answers per ``(endpoint template, status)``."""
        return self.faults.status_counts

    def issue_token(self) -> str:
        """A fresh REST access token, minted without HTTP (not rate-limited)."""
        return str(self.credentials.issue()["access_token"])

    def expire_tokens(self) -> None:
        """Expire every REST access token now (the next call with one answers 401)."""
        self.credentials.expire_all()

    def rest_headers(self) -> dict[str, str]:
        """``{"Authorization": "Bearer <fresh token>"}`` for direct REST calls in tests."""
        return {"Authorization": f"Bearer {self.issue_token()}"}

    def scim_headers(self) -> dict[str, str]:
        """``{"Authorization": "Bearer <SCIM token>"}``."""
        return {"Authorization": f"Bearer {self.scim_token}"}


def default_seed_dir() -> Path | None:
    """The bundled sample organization's Sigma export (``samples/acme/sigma``), or ``None``."""
    from ..resources import data_dir

    try:
        candidate = data_dir("samples") / "acme" / "sigma"
    except FileNotFoundError:
        return None
    return candidate if candidate.is_dir() else None


def member_label(server: SandboxServer, member_id: str | None) -> str:
    """``"<memberId> (<email>)"`` of a member of the sandbox, ``"nobody"`` for ``None``."""
    if member_id is None:
        return "nobody"
    return f"{member_id} ({server.state.member_row(member_id)['email']})"


def credential_owner_label(server: SandboxServer) -> str:
    """``"<memberId> (<email>)"`` of the member the REST credentials belong to."""
    return member_label(server, server.state.credential_owner_id)


def reopened_line(db_path: str, seed_dir: str | None) -> str:
    """What ``sandbox serve`` says first when its ``--db`` held a sandbox's state (:attr:`SandboxServer.reopened`):
    ``Reopened --db sb.sqlite as the sandbox left it; --seed big/sigma not loaded (a seed fills only a new
    database): delete sb.sqlite to start again from the seed`` (no ``--seed`` clause without one)."""
    seed = f"; --seed {seed_dir} not loaded (a seed fills only a new database)" if seed_dir else ""
    return f"Reopened --db {db_path} as the sandbox left it{seed}: delete {db_path} to start again from the seed"


def banner(server: SandboxServer) -> list[str]:
    """What ``sigma-migrate sandbox serve`` prints: URLs, credentials, counts, a curl example."""
    counts = server.state.counts()
    return [
        "Sigma sandbox (local emulator of Sigma's REST v2 + SCIM 2.0; not Sigma)",
        f"  REST base URL:       {server.base_url}        (token: POST {server.base_url}/v2/auth/token)",
        f"  SCIM base URL:       {server.scim_base_url}",
        f"  SIGMA_CLIENT_ID={server.client_id}",
        f"  SIGMA_CLIENT_SECRET={server.client_secret}",
        f"  SIGMA_SCIM_TOKEN={server.scim_token}",
        f"  credentials' owner:  {credential_owner_label(server)}  (GET /v2/whoami; --credential-owner EMAIL)",
        f"  SCIM token's admin:  {member_label(server, server.state.scim_owner_id)}  "
        "(set SCIM up; the token dies when they are archived, inactive or no longer Admin; --scim-admin EMAIL)",
        f"  state: {counts['members']} members ({counts['archived']} archived, {counts['inactive']} inactive), "
        f"{counts['teams']} teams, {counts['team_members']} team memberships",
        f"  faults: {server.faults.stats()['faults']}",
        f"  stats:  curl {server.base_url}/_sandbox/stats",
        f"  try:    curl -s -d grant_type=client_credentials -d client_id={server.client_id} "
        f"-d client_secret={server.client_secret} {server.base_url}/v2/auth/token",
        "Ctrl-C stops it.",
    ]
