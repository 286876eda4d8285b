"""Sigma's member answers are checked before apply decides on them (issue 10, tester finding 9).

``GET /v2/members/{memberId}`` and every entry of every page of ``GET /v2/members`` are read as a
:class:`~planner.execute.rest_client.MemberRecord`: an answer of another shape (``{"entries": [],
"memberId": 12}``, a missing ``email``, ``isArchived: "false"``) or about another member is a
one-line :class:`ApiError`, and the check-first, the stale-plan check, verify and undo stop on it
before any write. Real servers on 127.0.0.1: a small one answering what the test says, and the
sandbox with one member's answer bent by a WSGI layer in front of it.
"""

from __future__ import annotations

import json
import threading
from typing import Any, Callable

import pytest

from planner.execute.apply import apply_plan
from planner.execute.actions import LISTING_REREADS, Clients
from planner.execute.errors import ApiError, IncompleteListingError
from planner.execute.journal import journal_path
from planner.execute.rest_client import MemberRecord, SigmaRestClient
from planner.execute.retry import RetryPolicy
from planner.execute.stale import BULK_MEMBER_READS, LiveReader
from planner.model import ActionKind

from .conftest import run_cli
from planner.sandbox.server import SandboxServer

from .execute_support import (WriteCounter, act, options_for, sandbox_env, small_org, small_plan_actions,
                              write_test_plan)
from .misbehaving_server import Answer, MisbehavingServer, token_answer

ONE_TRY = RetryPolicy(max_attempts=1)
MEMBER = {"organizationId": "org-1", "memberId": "m1", "email": "ann@example.com", "memberType": "Viewer",
          "firstName": "Ann", "lastName": "Lee", "userKind": "internal", "isArchived": False, "isInactive": False,
          "createdAt": "2024-02-01T10:00:00.000Z"}


def client_of(server: MisbehavingServer) -> SigmaRestClient:
    return SigmaRestClient(server.base_url, "client-1", "secret-123456", retry_policy=ONE_TRY, min_token_interval=0)


# --------------------------------------------------------------------------- the client, one shape at a time


@pytest.mark.parametrize("body, problem", [
    ({"entries": [], "memberId": 12}, "unexpected answer: a page {entries: [...]}, not a member"),
    ({"entries": [MEMBER], "nextPage": None}, "unexpected answer: a page {entries: [...]}, not a member"),
    ({k: v for k, v in MEMBER.items() if k != "email"}, "unexpected answer: Object missing required field `email`"),
    ({**MEMBER, "isArchived": "false"}, "unexpected answer: Expected `bool`, got `str` - at `$.isArchived`"),
    ({**MEMBER, "isInactive": None}, "unexpected answer: Expected `bool`, got `null` - at `$.isInactive`"),
    ({**MEMBER, "memberId": 1}, "unexpected answer: Expected `str`, got `int` - at `$.memberId`"),
    ({**MEMBER, "memberId": ""}, "unexpected answer: Expected `str` of length >= 1 - at `$.memberId`"),
    ({**MEMBER, "memberId": "m2"}, "unexpected answer: memberId is 'm2', not 'm1'"),
    ({**MEMBER, "email": ["ann@example.com"]}, "unexpected answer: Expected `str`, got `array` - at `$.email`"),
    ({**MEMBER, "userKind": 3}, "unexpected answer: Expected `str | null`, got `int` - at `$.userKind`"),
], ids=["entries-wrapper", "page-of-the-member", "no-email", "isArchived-string", "isInactive-null",
        "memberId-number", "memberId-empty", "another-member", "email-list", "userKind-number"])
def test_a_member_answer_of_the_wrong_shape_is_one_line_naming_what_is_wrong(body, problem):
    with MisbehavingServer({("POST", "/v2/auth/token"): token_answer(),
                            ("GET", "/v2/members/m1"): Answer(200, body)}) as server:
        with pytest.raises(ApiError) as failed:
            client_of(server).get_member("m1")
    assert str(failed.value) == f"REST GET /v2/members/m1: 200: {problem}"


def test_a_member_answer_is_read_as_its_record_other_fields_ignored():
    with MisbehavingServer({("POST", "/v2/auth/token"): token_answer(),
                            ("GET", "/v2/members/m1"): Answer(200, {**MEMBER, "homeFolderId": {"x": 1}})}) as server:
        member = client_of(server).get_member("m1")
    assert member == MemberRecord(member_id="m1", email="ann@example.com", is_archived=False, is_inactive=False,
                                  member_type="Viewer", user_kind="internal", first_name="Ann", last_name="Lee")
    assert member.image() == {"memberId": "m1", "email": "ann@example.com", "isArchived": False,
                              "isInactive": False, "memberType": "Viewer", "userKind": "internal",
                              "firstName": "Ann", "lastName": "Lee"}


def test_absent_archived_and_inactive_flags_read_as_false_as_the_export_loader_reads_them():
    """Sigma's schema leaves ``isArchived``/``isInactive`` optional (docs/sigma-api.md §2.2); the
    plan read such a member as not archived, not inactive (planner/sources/sigma.py), so apply does too."""
    body = {"memberId": "m1", "email": "ann@example.com", "memberType": None}
    with MisbehavingServer({("POST", "/v2/auth/token"): token_answer(),
                            ("GET", "/v2/members/m1"): Answer(200, body)}) as server:
        member = client_of(server).get_member("m1")
    assert (member.is_archived, member.is_inactive, member.member_type) == (False, False, None)


def pages(*bodies: Any) -> Callable[..., Answer]:
    """Answers the bodies one after the other (page 1, page 2, ...)."""
    served = iter(bodies)
    return lambda *_: Answer(200, next(served))


@pytest.mark.parametrize("bodies, problem", [
    ([{"entries": [MEMBER, {k: v for k, v in MEMBER.items() if k != "email"} | {"memberId": "m2"}],
       "nextPage": None}],
     "entry 2 (memberId 'm2'): Object missing required field `email`"),
    ([{"entries": [MEMBER], "nextPage": "p2"}, {"entries": [{**MEMBER, "memberId": "m9", "isArchived": "false"}]}],
     "entry 1 of page 2 (memberId 'm9'): Expected `bool`, got `str` - at `$.isArchived`"),
    ([[MEMBER, {"email": "bo@example.com", "isArchived": True}]],
     "entry 2: Object missing required field `memberId`"),
    ([{"entries": [{**MEMBER, "memberId": 7}]}], "entry 1: Expected `str`, got `int` - at `$.memberId`"),
], ids=["no-email", "isArchived-string-on-page-2", "bare-array-no-memberId", "memberId-number"])
def test_every_entry_of_every_page_of_a_member_listing_is_a_member(bodies, problem):
    with MisbehavingServer({("POST", "/v2/auth/token"): token_answer(),
                            ("GET", "/v2/members"): pages(*bodies, *bodies)}) as server:
        client = client_of(server)
        with pytest.raises(ApiError) as listed:
            client.list_members()
        with pytest.raises(ApiError) as found:
            client.find_members_by_email("ann@example.com")
    assert str(listed.value) == f"REST GET /v2/members: 200: unexpected answer: {problem}"
    assert str(found.value) == str(listed.value)


def test_a_bare_array_after_a_page_adds_its_members_to_those_of_the_earlier_pages():
    """A legacy bare array (docs/sigma-api.md §2.3) answered for page 2 is that page: before, the
    listing returned its members alone and the first page's were lost."""
    second = {**MEMBER, "memberId": "m2", "email": "bo@example.com"}
    with MisbehavingServer({("POST", "/v2/auth/token"): token_answer(),
                            ("GET", "/v2/members"): pages({"entries": [MEMBER], "nextPage": "p2"}, [second])}) as server:
        listed = client_of(server).list_members()
    assert [m.member_id for m in listed] == ["m1", "m2"]


def test_the_stale_check_of_many_members_lists_them_and_stops_on_an_entry_that_is_not_a_member():
    """From BULK_MEMBER_READS fingerprinted members on, the stale check (and then the run's check-first,
    through the MemberIndex) reads one listing: an entry of it that is not a member refuses the run."""
    listing = {"entries": [MEMBER, {**MEMBER, "memberId": "m2", "isArchived": "false"}], "nextPage": None}
    with MisbehavingServer({("POST", "/v2/auth/token"): token_answer(),
                            ("GET", "/v2/members"): Answer(200, listing)}) as server:
        with pytest.raises(ApiError) as failed:
            LiveReader(client_of(server), [f"m{i}" for i in range(BULK_MEMBER_READS)])
    assert str(failed.value) == ("REST GET /v2/members: 200: unexpected answer: entry 2 (memberId 'm2'): "
                                 "Expected `bool`, got `str` - at `$.isArchived`")


def test_the_sandbox_answers_members_apply_reads(sandbox):
    env = sandbox_env(sandbox)
    client = SigmaRestClient(sandbox.base_url, env["SIGMA_CLIENT_ID"], env["SIGMA_CLIENT_SECRET"],
                             min_token_interval=0)
    listed = client.list_members()
    assert listed and all(isinstance(m, MemberRecord) for m in listed)
    first = listed[0]
    assert client.get_member(first.member_id) == first
    assert client.find_members_by_email(first.email) == [first]


# --------------------------------------------------------------------------- apply, verify, undo on the sandbox


class BentAnswer:
    """WSGI layer in front of the sandbox: once :meth:`bend` is called, from the ``from_read``-th
    ``GET <path>`` on it answers 200 with ``body`` instead of Sigma's answer; every other request goes
    through."""

    def __init__(self, app: Callable[..., Any]):
        self.app = app
        self.path: str | None = None
        self.body: Any = None
        self.from_read = 1
        self.reads = 0
        self._lock = threading.Lock()

    def bend(self, path: str, body: Any, from_read: int = 1) -> None:
        with self._lock:
            self.path, self.body, self.from_read, self.reads = path, body, from_read, 0

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if environ.get("REQUEST_METHOD") == "GET" and environ.get("PATH_INFO") == self.path:
            with self._lock:
                self.reads += 1
                bent = self.reads >= self.from_read
            if bent:
                payload = json.dumps(self.body).encode()
                start_response("200 OK", [("Content-Type", "application/json"),
                                          ("Content-Length", str(len(payload)))])
                return [payload]
        return self.app(environ, start_response)


@pytest.fixture
def sb(monkeypatch):
    """A started sandbox of :func:`small_org`, writes counted, behind a :class:`BentAnswer` layer."""
    server = SandboxServer(small_org(), token_rate=None)
    counter = WriteCounter(server.app)
    layer = BentAnswer(counter)
    server.app = layer
    server.start()
    for name, value in sandbox_env(server).items():
        monkeypatch.setenv(name, value)
    yield server, counter, layer
    server.close()


def urls(server) -> list[str]:
    return ["--rest-base-url", server.base_url, "--scim-base-url", server.scim_base_url,
            "--backoff-base", "0.01", "--backoff-cap", "0.05"]


BAD_M3 = {"entries": [], "memberId": 12}
BAD_M3_LINE = "REST GET /v2/members/m3: 200: unexpected answer: a page {entries: [...]}, not a member"


def test_a_bad_answer_at_the_check_first_fails_that_action_before_its_write(tmp_path, sb, capsys):
    """The stale-plan check reads m3 well; d1's check-first then reads the tester's answer: d1 fails
    with the line, Sigma receives no write to m3, the other actions go on, exit 3 (incomplete)."""
    server, counter, layer = sb
    plan = write_test_plan(tmp_path)
    layer.bend("/v2/members/m3", BAD_M3, from_read=2)

    code, out, err = run_cli(capsys, "apply", str(plan), "--auto-approve", *urls(server))

    assert code == 3 and "Traceback" not in out + err
    assert layer.reads == 3  # the stale-plan check, d1's check-first, the verification
    assert counter.attempts["PATCH /v2/members/m3"] == 0
    assert set(counter.writes) == {
        "POST /scim/v2/Users alice@example.com", "POST /scim/v2/Users o'brien@example.com",
        "POST /scim/v2/Users new@example.com", "PATCH /v2/teams/t1/members -m3", "PATCH /v2/members/m4",
        "POST /scim/v2/Groups Finance", "PATCH /scim/v2/Users/m2"}
    result = json.loads((tmp_path / "plan.json.run-1.result.json").read_text())
    failed = {a["id"]: a["error"] for a in result["actions"] if a["state"] == "failed"}
    assert failed == {"d1": BAD_M3_LINE}
    assert f"  failed  d1: {BAD_M3_LINE}" in out.splitlines()
    assert [line.split(" ", 1)[1].rsplit(" [", 1)[0] for line in err.splitlines() if " d1 " in line] == [
        f"failed  members.deactivate     d1  old@example.com  ({BAD_M3_LINE})"]  # [n/8]: the order of the parallel actions


def test_a_bad_answer_at_the_stale_plan_check_refuses_the_run_before_any_write(tmp_path, sb, capsys):
    server, counter, layer = sb
    plan = write_test_plan(tmp_path)
    layer.bend("/v2/members/m3", {**server.state.get_member("m3"), "isArchived": "false"})

    code, out, err = run_cli(capsys, "apply", str(plan), "--auto-approve", *urls(server))

    assert code == 1
    assert err == ("sigma-migrate: error: cannot read Sigma for the stale-plan check: REST GET /v2/members/m3: "
                   "200: unexpected answer: Expected `bool`, got `str` - at `$.isArchived`\n")
    assert counter.attempts == {}
    assert not journal_path(plan).exists()


def test_verify_says_it_could_not_verify_a_member_whose_answer_is_bad(tmp_path, sb, capsys):
    server, counter, layer = sb
    plan = write_test_plan(tmp_path)
    assert apply_plan(plan, options_for(server, auto_approve=True)).status == "converged"
    writes = counter.total()
    layer.bend("/v2/members/m3", {**server.state.get_member("m3"), "memberId": "m4"})

    code, out, err = run_cli(capsys, "verify", str(plan), *urls(server)[:4])

    line = "REST GET /v2/members/m3: 200: unexpected answer: memberId is 'm4', not 'm3'"
    assert (code, err) == (4, "")
    assert out.splitlines()[1] == f"  unverified member:m3 (old@example.com): members.deactivate: cannot read: {line}"
    assert counter.total() == writes


def test_undo_from_the_current_state_stops_on_a_bad_member_answer(tmp_path, sb, capsys):
    server, counter, layer = sb
    plan = write_test_plan(tmp_path)
    assert apply_plan(plan, options_for(server, auto_approve=True)).status == "converged"
    writes = counter.total()
    layer.bend("/v2/members/m3", {k: v for k, v in server.state.get_member("m3").items() if k != "email"})

    code, out, err = run_cli(capsys, "undo", str(journal_path(plan)), "--out", str(tmp_path / "undo.json"),
                             *urls(server)[:4])

    assert (code, err) == (1, "sigma-migrate: error: cannot read Sigma to make the undo plan from its current "
                              "state: REST GET /v2/members/m3: 200: unexpected answer: Object missing required "
                              "field `email`\n")
    assert not (tmp_path / "undo.json").exists()
    assert counter.total() == writes


# --------------------------------------------------------------------------- teams and team members, read the same way

TEAM = {"teamId": "t1", "name": "Finance", "description": None, "visibility": "private", "isArchived": False,
        "members": ["m1"]}


@pytest.mark.parametrize("body, problem", [
    ({"entries": [TEAM], "teamId": "t1"}, "unexpected answer: a page {entries: [...]}, not a team"),
    ({**TEAM, "teamId": "t2"}, "unexpected answer: teamId is 't2', not 't1'"),
    ({**TEAM, "name": None}, "unexpected answer: Expected `str`, got `null` - at `$.name`"),
    ({**TEAM, "isArchived": "no"}, "unexpected answer: Expected `bool`, got `str` - at `$.isArchived`"),
], ids=["entries-wrapper", "another-team", "name-null", "isArchived-string"])
def test_a_team_answer_of_the_wrong_shape_is_one_line(body, problem):
    with MisbehavingServer({("POST", "/v2/auth/token"): token_answer(),
                            ("GET", "/v2/teams/t1"): Answer(200, body)}) as server:
        with pytest.raises(ApiError) as failed:
            client_of(server).get_team("t1")
    assert str(failed.value) == f"REST GET /v2/teams/t1: 200: {problem}"


@pytest.mark.parametrize("path, read, entries, problem", [
    ("/v2/teams/t1/members", "list_team_members", [{"userId": "m1"}, {"memberId": "m3", "isTeamAdmin": False}],
     "entry 2: Object missing required field `userId`"),
    ("/v2/teams/t1/members", "list_team_members", [{"userId": 3}], "entry 1: Expected `str`, got `int` - at `$.userId`"),
    ("/v2/teams/t1/members", "list_team_members", [{"userId": "m1", "isTeamAdmin": "false"}],
     "entry 1 (userId 'm1'): Expected `bool`, got `str` - at `$.isTeamAdmin`"),
    ("/v2/teams", "list_teams", [TEAM, {"teamId": "t2"}], "entry 2 (teamId 't2'): Object missing required field `name`"),
], ids=["member-without-userId", "userId-number", "isTeamAdmin-string", "team-without-name"])
def test_every_entry_of_a_team_listing_is_read_strictly(path, read, entries, problem):
    with MisbehavingServer({("POST", "/v2/auth/token"): token_answer(),
                            ("GET", path): Answer(200, {"entries": entries, "nextPage": None})}) as server:
        client = client_of(server)
        with pytest.raises(ApiError) as failed:
            getattr(client, read)(*(["t1"] if read == "list_team_members" else []))
    assert str(failed.value) == f"REST GET {path}: 200: unexpected answer: {problem}"


def test_a_member_s_team_entry_without_a_team_id_fails_the_removal_instead_of_reading_as_done(tmp_path, sb, capsys):
    """Before: a team entry without its id (``{"id": "t1"}``) would read as "not in team t1", and r1 would
    be done without its write. Now r1 fails with the line, nothing is sent to the team, its dependents are
    skipped. The removal reads the member's teams (tester8 finding 13), read as strictly as the team's
    own listing was (``userId``)."""
    server, counter, layer = sb
    plan = write_test_plan(tmp_path)
    layer.bend("/v2/members/m3/teams", {"entries": [{"id": "t1", "name": "Finance"}], "nextPage": None})

    code, out, err = run_cli(capsys, "apply", str(plan), "--auto-approve", *urls(server))

    line = "REST GET /v2/members/m3/teams: 200: unexpected answer: entry 1: Object missing required field `teamId`"
    assert (code, "Traceback" in out + err) == (3, False)
    assert [k for k in counter.attempts if k.startswith("PATCH /v2/teams/")] == []
    result = json.loads((tmp_path / "plan.json.run-1.result.json").read_text())
    assert {a["id"]: (a["state"], a["error"]) for a in result["actions"] if a["state"] != "done"} == {
        "r1": ("failed", line), "d1": ("skipped", "dependency r1 failed"), "t1": ("skipped", "dependency r1 failed")}
    assert f"  failed  r1: {line}" in out.splitlines()


# --------------------------------------------------------------------------- a listing this run changed


def shifting_teams(shifted_reads: int):
    """``GET /v2/members/m1/teams``: the first ``shifted_reads`` answers list two teams but announce one
    (the list changed while it was read), then the whole listing of one team."""
    served = []

    def answer(method, path, headers, body):
        served.append(path)
        if len(served) <= shifted_reads:
            return Answer(200, {"entries": [{"teamId": "t1", "name": "Finance"}, {"teamId": "t2", "name": "Ops"}],
                                "nextPage": None, "total": 1})
        return Answer(200, {"entries": [{"teamId": "t2", "name": "Ops"}], "nextPage": None, "total": 1})

    return answer, served


def test_a_member_s_teams_changed_by_this_run_s_own_write_are_read_again():
    """tester8 finding 13: a listing that changed while a write of this run was in flight is read again,
    never failing the action."""
    answer, served = shifting_teams(2)
    with MisbehavingServer({("POST", "/v2/auth/token"): token_answer(),
                            ("GET", "/v2/members/m1/teams"): answer}) as server:
        clients = Clients(rest=client_of(server), scim=None)
        with clients.writes.writing():
            teams = clients.member_teams("m1")

    assert [t.team_id for t in teams] == ["t2"] and len(served) == 3


def test_a_member_s_teams_changed_with_no_write_of_this_run_fail_as_an_incomplete_listing():
    answer, served = shifting_teams(1)
    with MisbehavingServer({("POST", "/v2/auth/token"): token_answer(),
                            ("GET", "/v2/members/m1/teams"): answer}) as server:
        clients = Clients(rest=client_of(server), scim=None)
        with pytest.raises(IncompleteListingError) as raised:
            clients.member_teams("m1")

    assert str(raised.value) == ("REST GET /v2/members/m1/teams: 200: incomplete listing of teams of member m1: "
                                 "2 of 1 received (the list changed while it was read)")
    assert len(served) == 1


def test_a_listing_this_run_keeps_changing_fails_after_the_rereads():
    answer, served = shifting_teams(10)
    with MisbehavingServer({("POST", "/v2/auth/token"): token_answer(),
                            ("GET", "/v2/members/m1/teams"): answer}) as server:
        clients = Clients(rest=client_of(server), scim=None)
        with clients.writes.writing(), pytest.raises(IncompleteListingError):
            clients.member_teams("m1")

    assert len(served) == LISTING_REREADS + 1


# --------------------------------------------------------------------------- an id a listing names twice


OTHER_M1 = {**MEMBER, "email": "ann.lee@example.com"}


@pytest.mark.parametrize("read, path, bodies, problem", [
    ("list_members", "/v2/members", [{"entries": [MEMBER, OTHER_M1], "nextPage": None}],
     "id 'm1' came twice on page 1 with different contents; which one holds is unknown"),
    ("list_members", "/v2/members", [{"entries": [MEMBER], "nextPage": "p2"}, {"entries": [MEMBER], "nextPage": None}],
     "id 'm1' came twice (pages 1 and 2); the server repeated or shifted its pages"),
    ("list_teams", "/v2/teams", [{"entries": [TEAM, {**TEAM, "name": "Sales"}], "nextPage": None}],
     "id 't1' came twice on page 1 with different contents; which one holds is unknown"),
], ids=["member-other-contents", "member-page-again", "team-other-contents"])
def test_a_listing_naming_an_id_twice_is_refused_never_the_last_one_winning(read, path, bodies, problem):
    """Other contents: which is the object's is unknown. The same contents again: a page served twice or
    pages shifted under the cursor, so an entry may be missing (listing.Listing); refused as well."""
    what = "members" if read == "list_members" else "teams"
    with MisbehavingServer({("POST", "/v2/auth/token"): token_answer(),
                            ("GET", path): pages(*bodies)}) as server:
        with pytest.raises(ApiError) as failed:
            getattr(client_of(server), read)()
    assert str(failed.value) == f"REST GET {path}: 200: incomplete listing of {what}: {problem}"


def test_a_team_listing_naming_a_team_twice_refuses_apply_before_any_write(tmp_path, sb, capsys):
    server, counter, layer = sb
    plan = write_test_plan(tmp_path, small_plan_actions() + (  # a group create: the stale check lists the teams
        act("c1", ActionKind.SCIM_CREATE_GROUP, {"name": "Marketing"}, {"displayName": "Marketing"}, ["u1"]),))
    team = server.state.get_team("t1")
    layer.bend("/v2/teams", {"entries": [team, {**team, "name": "Finance (old)"}], "nextPage": None})

    code, out, err = run_cli(capsys, "apply", str(plan), "--auto-approve", *urls(server))

    assert code == 1
    assert err == ("sigma-migrate: error: cannot read Sigma for the stale-plan check: REST GET /v2/teams: 200: "
                   "incomplete listing of teams: id 't1' came twice on page 1 with different contents; which one "
                   "holds is unknown\n")
    assert counter.attempts == {}
    assert not journal_path(plan).exists()
