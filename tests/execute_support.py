"""Shared pieces of the apply tests (tests/test_execute_*.py, test_apply_cli.py): a small
organization, hand-made plans, a sandbox whose successful writes are counted per object.

Not collected by pytest (no ``test_`` prefix).
"""

from __future__ import annotations

import io
import json
import sqlite3
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Iterable

import msgspec

from planner.execute.apply import ApplyOptions
from planner.execute.retry import RetryPolicy
from planner.model import (
    NO_EVIDENCE,
    AccountType,
    Fingerprints,
    ItemRef,
    MemberState,
    PlanOrganization,
    TeamState,
    Action,
    ActionKind,
    PersonRow,
    Plan,
    ReviewItem,
    SigmaExport,
    SigmaMember,
    SigmaTeam,
    TeamMembership,
    email_key,
)
from planner.payloads import target_member_id, target_team_id
from planner.planfile import fingerprint_of, write_plan
from planner.sandbox.server import SandboxServer

from .plan_factory import bare_plan
from .sandbox_fixture import sandbox_options

FAST_RETRY = RetryPolicy(max_attempts=8, backoff_base=0.01, backoff_cap=0.05)
ORG_ID = "org-test"
"""``organizationId`` of the test organizations' members (so of their sandboxes) and of :func:`make_plan`."""


def member(member_id: str, email: str, member_type: str = "Viewer", user_kind: str = "internal") -> SigmaMember:
    local = email.split("@")[0]
    return SigmaMember(member_id, email, email_key(email), local.capitalize(), "Example", member_type, user_kind,
                       organization_id=ORG_ID)


def small_org() -> SigmaExport:
    """Admin ``mAdmin``; ``m1`` alice, ``m2`` o'brien (Pro), ``m3`` old, ``m4`` a guest, ``m5``..``m8``;
    team ``t1`` Finance = {m1, m3}, team ``t2`` Sales = {m5, m6}."""
    people = [
        member("mAdmin", "admin@example.com", "Admin"),
        member("m1", "alice@example.com"),
        member("m2", "o'brien@example.com", "Pro"),
        member("m3", "old@example.com"),
        member("m4", "guest@partner.example", user_kind="guest"),
        member("m5", "erin@example.com"),
        member("m6", "frank@example.com"),
        member("m7", "grace@example.com"),
        member("m8", "heidi@example.com"),
    ]
    return SigmaExport(
        members=tuple(people),
        teams=(SigmaTeam("t1", "Finance"), SigmaTeam("t2", "Sales")),
        team_memberships=(
            TeamMembership("t1", "m1"), TeamMembership("t1", "m3"),
            TeamMembership("t2", "m5"), TeamMembership("t2", "m6"),
        ),
        account_types=(AccountType("a1", "Admin"), AccountType("a2", "Pro"), AccountType("a3", "Viewer")),
    )


_DEFAULTS: dict[ActionKind, tuple[dict, dict | None, dict]] = {
    # kind: (target fields, before, evidence) a test action gets when it does not say
    ActionKind.SCIM_CREATE_USER: ({"idpId": "idp-new", "email": "new@example.com"}, None, {"idpStatus": "ACTIVE"}),
    ActionKind.SCIM_LINK_USER: ({"idpId": "idp-1"}, {"memberType": "Viewer", "userKind": "internal"},
                                {"key": "email", "idpField": "email"}),
    ActionKind.SCIM_SET_ACCOUNT_TYPE: ({"email": "member@example.com"}, {"memberType": "Viewer"}, {"change": "upgrade"}),
    ActionKind.SCIM_DEACTIVATE_USER: ({"email": "member@example.com"}, {"active": True},
                                      {"restAction": "members.deactivate:m", "newOwnerEmail": None,
                                       "documentOwnerFrom": "organization.document_owner"}),
    ActionKind.SCIM_CREATE_GROUP: ({"teamId": None, "groupId": "g-new", "groupDisplayName": "New"}, None, {}),
    ActionKind.SCIM_LINK_GROUP: ({"groupId": "g-1", "groupDisplayName": "Group"}, {"name": "Team"}, {}),
    ActionKind.SCIM_SET_GROUP_MEMBERS: ({"groupId": "g-1", "groupDisplayName": "Group"}, {"memberIds": []}, {}),
    ActionKind.TEAMS_REMOVE_MEMBER: ({"email": None}, {"userId": "m", "isTeamAdmin": False}, {"groupId": "g-1"}),
    ActionKind.MEMBERS_DEACTIVATE: ({"email": "member@example.com"}, {"isArchived": False, "memberType": "Viewer"},
                                    {"kind": "unmatched", "newOwnerEmail": None,
                                     "documentOwnerFrom": "organization.document_owner"}),
    ActionKind.MEMBERS_DISABLE_GUEST: ({"email": "guest@example.com"},
                                       {"isArchived": False, "userKind": "guest", "memberType": "Viewer"},
                                       {"newOwnerEmail": None, "documentOwnerFrom": "organization.document_owner"}),
    ActionKind.MEMBERS_CONVERT_GUEST: ({"email": "guest@example.com"}, {"userKind": "guest"},
                                       {"idpId": "idp-1", "linkedBy": "email"}),
    ActionKind.MEMBERS_SET_EMAIL: ({"email": "old@example.com"}, {"email": "old@example.com"}, {}),
    ActionKind.MEMBERS_REACTIVATE: ({"email": "member@example.com"}, {"isArchived": True}, {}),
}


def act(action_id: str, kind: ActionKind, target: dict, after: dict | None, deps: Iterable[str] = (),
        before: dict | None = None, evidence: dict | None = None, rule: str = "test.rule",
        reason: str | None = None) -> Action:
    """A typed action from its plan-file JSON (validated: the payloads must be exact for ``kind``);
    target fields, ``before`` and ``evidence`` a test leaves out get the placeholders of ``_DEFAULTS``."""
    target_defaults, before_default, evidence_default = _DEFAULTS[kind]
    return msgspec.convert({"kind": kind.value, "id": action_id, "target": {**target_defaults, **target},
                            "before": before_default if before is None else before, "after": after,
                            "rule": rule, "reason": f"test {action_id}" if reason is None else reason,
                            "evidence": evidence_default if evidence is None else evidence,
                            "depends_on": list(deps)}, Action)


def link(action_id: str, member_id: str, email: str, user_type: str = "Viewer", given: str = "Given",
         deps: Iterable[str] = ()) -> Action:
    return act(action_id, ActionKind.SCIM_LINK_USER,
               {"memberId": member_id, "email": email, "userName": email, "idpId": f"idp-{member_id}"},
               {"userName": email, "givenName": given, "familyName": "Example", "active": True, "userType": user_type},
               deps, before={"memberType": user_type, "userKind": "internal"},
               evidence={"key": "email", "idpField": "email"})


def create(action_id: str, user_name: str, user_type: str = "Viewer") -> Action:
    return act(action_id, ActionKind.SCIM_CREATE_USER, {"idpId": f"idp-{user_name}", "userName": user_name,
                                                        "email": user_name},
               {"userName": user_name, "givenName": "New", "familyName": "Hire", "active": True, "userType": user_type},
               evidence={"idpStatus": "ACTIVE"})


def small_plan_actions() -> tuple[Action, ...]:
    """Eight actions over :func:`small_org`: links, a create, a removal, a deactivation (after the
    removal), a guest disabled, a team linked to its IdP group, an account-type change."""
    return (
        link("u1", "m1", "alice@example.com", "Pro", "Alice"),
        link("u2", "m2", "o'brien@example.com", "Pro", "Pat"),
        create("u3", "new@example.com"),
        act("r1", ActionKind.TEAMS_REMOVE_MEMBER,
            {"teamId": "t1", "memberId": "m3", "name": "Finance", "email": "old@example.com"}, None,
            before={"userId": "m3", "isTeamAdmin": False}, evidence={"groupId": "g-finance"}),
        act("d1", ActionKind.MEMBERS_DEACTIVATE, {"memberId": "m3", "email": "old@example.com"},
            {"isArchived": True, "newOwnerId": "mAdmin"}, ["r1"], before={"isArchived": False, "memberType": "Viewer"},
            evidence={"kind": "unmatched", "newOwnerEmail": "admin@example.com",
                      "documentOwnerFrom": "organization.document_owner"}),
        act("g1", ActionKind.MEMBERS_DISABLE_GUEST, {"memberId": "m4", "email": "guest@partner.example"},
            {"isArchived": True, "newOwnerId": "mAdmin"},
            before={"isArchived": False, "userKind": "guest", "memberType": "Viewer"},
            evidence={"newOwnerEmail": "admin@example.com", "documentOwnerFrom": "organization.document_owner"}),
        act("t1", ActionKind.SCIM_LINK_GROUP, GROUP_FINANCE, {"displayName": "Finance"}, ["u1", "u3", "r1"],
            before={"name": "Finance"}, evidence={"rule": "teams.mapping"}),
        act("a1", ActionKind.SCIM_SET_ACCOUNT_TYPE, {"memberId": "m2", "email": "o'brien@example.com",
                                                     "userName": "o'brien@example.com"},
            {"userType": "Viewer"}, ["u2"], before={"memberType": "Pro"}),
    )


GROUP_FINANCE = {"teamId": "t1", "name": "Finance", "groupId": "g-finance", "groupDisplayName": "Finance"}
"""The target of the group actions of team ``t1`` Finance."""


def fingerprints_for(export: SigmaExport, actions: Iterable[Action]) -> Fingerprints:
    """``member:<id>`` / ``team:<id>`` fingerprints of every object the actions name (planned-against state)."""
    members = {m.member_id: m for m in export.members}
    teams = {t.team_id: t for t in export.teams}
    out = Fingerprints()
    for a in actions:
        mid, tid = target_member_id(a), target_team_id(a)
        if mid in members:
            m = members[mid]
            out[f"member:{mid}"] = fingerprint_of(MemberState(mid, m.email, m.member_type, m.user_kind,
                                                              m.is_archived, m.is_inactive))
        if tid in teams:
            out[f"team:{tid}"] = fingerprint_of(TeamState(tid, teams[tid].name, bool(teams[tid].is_archived), tuple(
                sorted(tm.member_id for tm in export.team_memberships if tm.team_id == tid))))
    return Fingerprints(sorted(out.items()))


def sigma_people(export: SigmaExport) -> tuple[PersonRow, ...]:
    """The export's first non-guest member as a plan's person row: the member apply's SCIM organization
    check looks up (a plan from `plan` lists every member)."""
    return tuple(PersonRow(m.member_id, m.email, m.email, m.member_type, m.user_kind, "active", None, None, None,
                           None, m.member_type, m.member_type, (), (), None, None, None, None, None)
                 for m in export.members if m.user_kind != "guest")[:1]


def make_plan(actions: Iterable[Action], export: SigmaExport | None = None, **fields: Any) -> Plan:
    actions = tuple(actions)
    export = export or small_org()
    defaults: dict[str, Any] = dict(
        organization=PlanOrganization(ORG_ID, "Test Org"),
        fingerprints=fingerprints_for(export, actions), actions=actions, people=sigma_people(export),
    )
    defaults.update(fields)
    return bare_plan(**defaults)


def approved_sample_plan(path: Path, idp: Path, policy: Path) -> Path:
    """The bundled sample's Sigma export and ``idp`` planned with ``policy``, written to ``path`` and approved
    by Ada Admin (for a module-scoped fixture; each test takes its own copy, :func:`copy_approved`)."""
    from planner.execute.approve import approve
    from planner.planning import plan_from_paths

    from .sandbox_fixture import ACME_SIGMA_DIR

    plan, _ = plan_from_paths(str(ACME_SIGMA_DIR), [str(idp)], str(policy))
    write_plan(plan, path)
    approve(path, "Ada Admin")
    return path


def copy_approved(plan_path: Path, folder: Path) -> Path:
    """The approved plan at ``plan_path`` (and its approval) copied into ``folder`` (made if missing): a folder
    of its own, with no journal of another test; returns the copy's path."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in (plan_path.name, f"{plan_path.name}.approval"):
        (folder / name).write_bytes((plan_path.parent / name).read_bytes())
    return folder / plan_path.name


def write_test_plan(folder: Path, actions: Iterable[Action] | None = None, **fields: Any) -> Path:
    path = folder / "plan.json"
    write_plan(make_plan(actions if actions is not None else small_plan_actions(), **fields), path)
    return path


BLOCKING = ReviewItem("rv1", "ambiguous-link", True, ItemRef(user_name="dana@example.com"), "two members share dana@",
                      (), NO_EVIDENCE, "", "")


# --------------------------------------------------------------------------- a sandbox counting its writes


class WriteCounter:
    """WSGI middleware outside the sandbox app: counts successful (2xx) writes per object.

    Keys: ``"PATCH /v2/members/m3"``, ``"POST /scim/v2/Users alice@example.com"``,
    ``"POST /scim/v2/Groups Finance"``, ``"PATCH /scim/v2/Users/<id>"``,
    ``"PATCH /v2/teams/t1/members -m3"``. Faulted answers (429/5xx) are not writes.
    """

    WRITE_METHODS = {"POST", "PATCH", "PUT", "DELETE"}

    def __init__(self, app: Callable[..., Any]):
        self.app = app
        self.writes: Counter[str] = Counter()
        self.attempts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def _key(self, method: str, path: str, body: bytes) -> str:
        if method == "POST" and path == "/v2/auth/token":
            return ""
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            data = {}
        if method == "POST" and path.endswith("/Users"):
            return f"POST {path} {str(data.get('userName', '')).casefold()}"
        if method == "POST" and path.endswith("/Groups"):
            return f"POST {path} {data.get('displayName', '')}"
        if method == "PATCH" and path.endswith("/members") and path.startswith("/v2/teams/"):
            change = [f"+{m}" for m in data.get("add") or []] + [f"-{m}" for m in data.get("remove") or []]
            return f"PATCH {path} {' '.join(change)}"
        return f"{method} {path}"

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        method = environ.get("REQUEST_METHOD", "GET")
        if method not in self.WRITE_METHODS:
            return self.app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        key = self._key(method, environ.get("PATH_INFO", ""), body)

        def counting(status: str, headers: Any, exc_info: Any = None) -> Any:
            if key:
                with self._lock:
                    self.attempts[key] += 1
                    if status.startswith("2"):
                        self.writes[key] += 1
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        return self.app(environ, counting)

    def total(self) -> int:
        return sum(self.writes.values())


def counting_sandbox(export: SigmaExport | str | Path | None = None, **kwargs: Any) -> tuple[SandboxServer, WriteCounter]:
    """A started sandbox seeded with ``export`` (default :func:`small_org`; a path, such as the bundled
    sample's directory) by :func:`~tests.sandbox_fixture.sandbox_options`, writes counted."""
    seed = export or small_org()
    server = SandboxServer(seed, **sandbox_options(seed, **kwargs))
    counter = WriteCounter(server.app)
    server.app = counter
    server.start()
    return server, counter


def sandbox_env(server: SandboxServer) -> dict[str, str]:
    return {
        "SIGMA_CLIENT_ID": server.client_id,
        "SIGMA_CLIENT_SECRET": server.client_secret,
        "SIGMA_SCIM_TOKEN": server.scim_token,
    }


def options_for(server: SandboxServer, **kw: Any) -> ApplyOptions:
    kw.setdefault("retry", FAST_RETRY)
    kw.setdefault("min_token_interval", 0.0)
    kw.setdefault("write_html", False)
    return ApplyOptions(rest_base_url=server.base_url, scim_base_url=server.scim_base_url,
                        environ=sandbox_env(server), **kw)


def member_state(server: SandboxServer, member_id: str) -> dict[str, Any]:
    return server.state.get_member(member_id)


# --------------------------------------------------------------------------- apply in a subprocess

REPO = Path(__file__).resolve().parent.parent


def resume_org() -> SigmaExport:
    """Admin, ``m01``..``m16`` (``m05`` is o'neil@); team ``t1`` Finance = {m01, m02, m13, m14},
    ``t2`` Ops = {m03, m04, m15}."""
    people = [member("mAdmin", "admin@example.com", "Admin")]
    people += [member(f"m{i:02}", f"user{i:02}@example.com") for i in range(1, 17)]
    people[5] = member("m05", "o'neil@example.com")
    return SigmaExport(
        members=tuple(people),
        teams=(SigmaTeam("t1", "Finance"), SigmaTeam("t2", "Ops")),
        team_memberships=tuple(TeamMembership("t1", f"m{i:02}") for i in (1, 2, 13, 14))
        + tuple(TeamMembership("t2", f"m{i:02}") for i in (3, 4, 15)),
        account_types=(AccountType("a1", "Admin"), AccountType("a2", "Pro"), AccountType("a3", "Viewer")),
    )


def resume_plan_actions() -> list[Action]:
    """20 actions over :func:`resume_org`, each needing exactly one write on a fresh sandbox."""
    actions = [link(f"L{i:02}", f"m{i:02}", f"user{i:02}@example.com") for i in range(1, 11) if i != 5]
    actions.append(link("L05", "m05", "o'neil@example.com"))
    actions += [create(f"C{i}", f"hire{i}@example.com") for i in range(1, 4)]
    actions += [
        act("R13", ActionKind.TEAMS_REMOVE_MEMBER, {"teamId": "t1", "name": "Finance", "memberId": "m13"}, None),
        act("R15", ActionKind.TEAMS_REMOVE_MEMBER, {"teamId": "t2", "name": "Ops", "memberId": "m15"}, None),
        act("D13", ActionKind.MEMBERS_DEACTIVATE, {"memberId": "m13", "email": "user13@example.com"},
            {"isArchived": True, "newOwnerId": "mAdmin"}, ["R13"]),
        act("D16", ActionKind.MEMBERS_DEACTIVATE, {"memberId": "m16", "email": "user16@example.com"},
            {"isArchived": True, "newOwnerId": "mAdmin"}),
        act("A01", ActionKind.SCIM_SET_ACCOUNT_TYPE, {"memberId": "m01", "userName": "user01@example.com"},
            {"userType": "Pro"}, ["L01"]),
        act("A05", ActionKind.SCIM_SET_ACCOUNT_TYPE, {"memberId": "m05", "userName": "o'neil@example.com"},
            {"userType": "Pro"}, ["L05"]),
        act("G1", ActionKind.SCIM_LINK_GROUP, GROUP_FINANCE, {"displayName": "Finance"}, ["L01", "L02", "C1", "R13"]),
    ]
    return actions


HOLD_AT_MOST = 600.0
"""Seconds a test's sandbox holds a request it was told to hold (``HoldWrites``, ``HoldSecondRead`` in
tests/test_apply_resume_signals.py) when the test never releases it: far above any wait of a loaded machine, and
below :data:`APPLY_TIMEOUT`."""

APPLY_TIMEOUT = ("--timeout", "900")
"""What every ``apply`` a test starts as a process is given: a held request is never given up by its client (a
read timeout, retried: the request sent twice, the wave ending elsewhere) while the test holds it (was: both 30 s,
so a test process starved for 30 s under load let its held writes through before its signal, or saw them sent
again: tests/test_rollback_waves.py and tests/test_closed_runs.py failed 'reversing 1 written action(s)', '1
action(s) in flight', close10-s20)."""


def apply_cmd(plan: Path, server: SandboxServer, *extra: str) -> list[str]:
    """``python -m planner apply PLAN`` against ``server`` at parallelism 2, fast retries, :data:`APPLY_TIMEOUT`."""
    return [sys.executable, "-m", "planner", "apply", str(plan),
            "--rest-base-url", server.base_url, "--scim-base-url", server.scim_base_url,
            "--parallelism", "2", "--backoff-base", "0.01", "--backoff-cap", "0.05", *APPLY_TIMEOUT, *extra]


def journal_states(journal: Path) -> dict[str, int]:
    """``{state: n}`` of a journal, read-only; ``{}`` when it does not exist (yet)."""
    if not journal.exists():
        return {}
    try:
        db = sqlite3.connect(f"file:{journal}?mode=ro", uri=True, timeout=1)
        try:
            return dict(db.execute("SELECT state, COUNT(*) FROM actions GROUP BY state").fetchall())
        finally:
            db.close()
    except sqlite3.Error:
        return {}


def progress_of(journal: Path) -> int:
    """How many actions have started (running or finished) according to the journal, read-only."""
    return sum(n for state, n in journal_states(journal).items() if state != "pending")
