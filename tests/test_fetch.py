"""``sigma-migrate fetch`` against the sandbox over real HTTP: a complete export the loaders read."""

from __future__ import annotations

import http.server
import json
import threading
import urllib.parse

import httpx2
import pytest

from planner.cli import main
from planner.execute.retry import RetryPolicy
from planner.fetch import ApiReader, FetchError, ScimStateRule, check_base_url, fetch_export, region_base_url
from planner.listing import IncompleteListing
from planner.output import OutputError
from planner.sandbox.seed import load_seed
from tests.conftest import run_cli_with_environ
from tests.sandbox_fixture import ACME_SIGMA_DIR, SANDBOX_SEED_DIR
from tests.test_execute_clients import FakeClock

LEFT_OUT = ScimStateRule(left_out=True)
"""--no-scim-state: both seeds have a member SCIM made inactive, which asks for Sigma's SCIM state."""

GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"


def snapshot(directory):
    """What must survive a round trip: members, teams, memberships, account types."""
    export = load_seed(directory).export
    memberships = {(m.team_id, m.member_id, m.is_team_admin, m.added_by) for m in export.team_memberships}
    return (list(export.members), list(export.teams), memberships, list(export.account_types or ()))


@pytest.mark.parametrize("seed_dir", [SANDBOX_SEED_DIR, ACME_SIGMA_DIR], ids=["fixture", "acme"])
def test_seed_fetch_load_gives_the_same_snapshot(sandbox_factory, seed_dir, tmp_path):
    if not seed_dir.is_dir():
        pytest.skip(f"{seed_dir} is not there")
    sandbox = sandbox_factory(seed_dir, faults="page_cap=7")   # many pages
    summary = fetch_export(tmp_path, base_url=sandbox.base_url, client_id=sandbox.client_id,
                           client_secret=sandbox.client_secret, scim_state=LEFT_OUT)
    assert snapshot(tmp_path) == snapshot(seed_dir)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "account_types.json", "fetch-manifest.json", "members.json", "team_members.json", "teams.json"]
    assert summary.members == len(snapshot(seed_dir)[0])
    members_raw = {m.member_id: dict(m.raw) for m in load_seed(tmp_path).export.members}
    original_raw = {m.member_id: dict(m.raw) for m in load_seed(seed_dir).export.members}
    assert members_raw == original_raw


def test_fetch_with_scim_token_writes_users_and_groups_that_seed_again(sandbox, tmp_path):
    scim = httpx2.Client(base_url=sandbox.scim_base_url, headers=sandbox.scim_headers())
    ada = scim.post("/Users", json={"schemas": [USER], "userName": "ada.admin@example.com", "externalId": "00u1",
                                    "name": {"givenName": "Ada", "familyName": "Admin"}, "userType": "Admin"}).json()
    scim.post("/Groups", json={"schemas": [GROUP], "displayName": "Sales EMEA", "externalId": "00g1",
                               "members": [{"value": ada["id"]}]})
    summary = fetch_export(tmp_path, base_url=sandbox.base_url, client_id=sandbox.client_id,
                           client_secret=sandbox.client_secret, scim_token=sandbox.scim_token)
    assert (summary.scim_users, summary.scim_groups) == (8, 2)  # pre-SCIM members and teams are listed too
    users = json.loads((tmp_path / "scim" / "Users.json").read_text())
    assert [u["userName"] for u in users["Resources"] if u.get("externalId")] == ["ada.admin@example.com"]

    from planner.sandbox.server import SandboxServer
    with SandboxServer(tmp_path, token_rate=None) as again:  # only what an IdP provisioned is linked again
        found = httpx2.get(f"{again.scim_base_url}/Users/{ada['id']}", headers=again.scim_headers())
        assert (found.json()["userName"], found.json()["externalId"]) == ("ada.admin@example.com", "00u1")
        assert again.state.counts()["scim_users"] == 1 and again.state.counts()["scim_groups"] == 1
        group = httpx2.get(f"{again.scim_base_url}/Groups", headers=again.scim_headers()).json()
        assert [(g["displayName"], g.get("externalId")) for g in group["Resources"]] == [
            ("Finance Analysts", None), ("Sales EMEA", "00g1")]


def test_fetch_into_a_missing_directory_is_refused_and_creates_nothing(sandbox, tmp_path):
    out = tmp_path / "missing" / "export"
    with pytest.raises(OutputError) as refused:
        fetch_export(out, base_url=sandbox.base_url, client_id=sandbox.client_id,
                     client_secret=sandbox.client_secret, scim_state=LEFT_OUT)
    assert str(refused.value) == (f"cannot write {out / 'account_types.json'}: directory {out} does not exist "
                                  "(create it first)")
    assert list(tmp_path.iterdir()) == []


def test_fetch_survives_5xx_and_rate_limits(sandbox, tmp_path):
    sandbox.faults.set(error_ratio=0.3, page_cap=3, seed=11)
    clock = FakeClock()
    fetch_export(tmp_path, base_url=sandbox.base_url, client_id=sandbox.client_id,
                 client_secret=sandbox.client_secret, scim_state=LEFT_OUT, sleep=clock.sleep, clock=clock)
    assert snapshot(tmp_path) == snapshot(SANDBOX_SEED_DIR)
    assert clock.sleeps   # it did retry


def test_cli_fetch_with_credentials_from_the_environment(sandbox, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SIGMA_CLIENT_ID", sandbox.client_id)
    monkeypatch.setenv("SIGMA_CLIENT_SECRET", sandbox.client_secret)
    monkeypatch.delenv("SIGMA_SCIM_TOKEN", raising=False)
    main(["fetch", "--out", str(tmp_path / "export"), "--base-url", sandbox.base_url, "--no-progress",
          "--no-scim-state"])
    assert capsys.readouterr().out == (
        "fetched 10 members (1 archived, 1 inactive), 3 teams, 8 team memberships, 6 account types into "
        f"{tmp_path / 'export'} (without Sigma's SCIM state: --no-scim-state)\n")
    assert (tmp_path / "export" / "members.json").is_file()
    manifest = json.loads((tmp_path / "export" / "fetch-manifest.json").read_text())
    from planner.sources.manifest import parse_fetched_at

    assert parse_fetched_at(manifest.pop("fetchedAt")) is not None  # when fetch read Sigma (tester8 finding 21)
    assert manifest == {"manifest": "sigma-migrate fetch", "version": 1, "scimState": "left_out", "files": {
        "account_types.json": 6, "members.json": 10, "teams.json": 3, "team_members.json": 8}}


def test_cli_fetch_without_credentials_is_one_line_error(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("SIGMA_CLIENT_ID", raising=False)
    with pytest.raises(SystemExit) as exit_info:
        main(["fetch", "--out", str(tmp_path), "--region", "aws-eu"])
    assert exit_info.value.code == 1
    assert capsys.readouterr().err == (
        "sigma-migrate: error: fetch needs SIGMA_CLIENT_ID and SIGMA_CLIENT_SECRET in the environment\n")


def test_cli_fetch_wrong_secret_is_one_line_error(sandbox, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SIGMA_CLIENT_ID", sandbox.client_id)
    monkeypatch.setenv("SIGMA_CLIENT_SECRET", "wrong")
    with pytest.raises(SystemExit) as exit_info:
        main(["fetch", "--out", str(tmp_path / "x"), "--base-url", sandbox.base_url])
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith("sigma-migrate: error: REST POST /v2/auth/token: 401") and err.count("\n") == 1
    assert not (tmp_path / "x").exists()


def test_repeated_cursor_is_an_error_not_a_hang():
    served = iter(range(1, 100))

    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, json={"entries": [{"memberId": f"m{next(served)}"}], "nextPage": "same"})

    reader = ApiReader("https://api.example.com", token="t", transport=httpx2.MockTransport(handler))
    with pytest.raises(IncompleteListing) as exc:
        list(reader.pages("/v2.1/members", {"limit": 1000}, what="members", id_key="memberId"))
    assert str(exc.value) == ("GET /v2.1/members: incomplete listing of members: the page cursor 'same' came "
                              "twice (after 2 pages); stopping instead of looping")


def test_bare_array_answer_is_one_page():
    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, json=[{"memberId": "m1"}, {"memberId": "m2"}])

    reader = ApiReader("https://api.example.com", token="t", transport=httpx2.MockTransport(handler))
    assert list(reader.pages("/v2/members", {}, what="members", id_key="memberId")) == [
        {"entries": [{"memberId": "m1"}, {"memberId": "m2"}]}]


# ---------------------------------------------------------------- incomplete listings (issue 14 C.6)

def fetch_fails(sandbox, tmp_path, capsys, monkeypatch) -> str:
    """Run ``sigma-migrate fetch`` against ``sandbox``; assert exit 1 and nothing written; the stderr line."""
    code, _, err = run_cli_with_environ(
        capsys, monkeypatch, {"SIGMA_CLIENT_ID": sandbox.client_id, "SIGMA_CLIENT_SECRET": sandbox.client_secret},
        "fetch", "--out", str(tmp_path / "export"), "--base-url", sandbox.base_url, "--no-progress",
        unset=("SIGMA_SCIM_TOKEN",))
    assert code == 1
    assert not (tmp_path / "export").exists()
    return err


def test_rest_listing_without_next_page_while_total_says_more_stops_fetch(sandbox, tmp_path, capsys, monkeypatch):
    sandbox.faults.set(page_cap=7, truncate_lists=1)   # account types fit one page; members need two
    assert fetch_fails(sandbox, tmp_path, capsys, monkeypatch) == (
        "sigma-migrate: error: GET /v2.1/members: incomplete listing of members: 7 of 10 received\n")


def test_rest_server_ignoring_the_cursor_stops_fetch_on_the_repeated_page(sandbox, tmp_path, capsys, monkeypatch):
    sandbox.faults.set(page_cap=7, ignore_paging=1)
    assert fetch_fails(sandbox, tmp_path, capsys, monkeypatch) == (
        "sigma-migrate: error: GET /v2.1/members: incomplete listing of members: id 'SigmaSchedulerRobot' "
        "came twice (pages 1 and 2); the server repeated or shifted its pages\n")


def test_scim_total_results_above_what_came_is_incomplete(sandbox):
    sandbox.faults.set(page_cap=3, truncate_lists=1)
    reader = ApiReader(sandbox.scim_base_url, token=sandbox.scim_token)
    with pytest.raises(IncompleteListing) as exc:
        reader.scim_list("/Users")
    assert str(exc.value) == "GET /Users: incomplete listing of SCIM Users: 3 of 8 received"


def test_scim_server_ignoring_start_index_is_incomplete(sandbox):
    sandbox.faults.set(page_cap=3, ignore_paging=1)
    reader = ApiReader(sandbox.scim_base_url, token=sandbox.scim_token)
    with pytest.raises(IncompleteListing) as exc:
        reader.scim_list("/Users")
    assert str(exc.value) == ("GET /Users: incomplete listing of SCIM Users: id 'Ad4AdminAd4AdminAd4AdminAd4Ad' "
                              "came twice (pages 1 and 2); the server repeated or shifted its pages")


def test_scim_listing_with_page_cap_is_whole(sandbox):
    sandbox.faults.set(page_cap=3)
    reader = ApiReader(sandbox.scim_base_url, token=sandbox.scim_token)
    assert len(reader.scim_list("/Users")) == 8


class Scripted(http.server.BaseHTTPRequestHandler):
    """A small real HTTP server's handler: ``server.answer(path, query)`` gives (status, headers, JSON)."""

    def do_GET(self) -> None:   # noqa: N802 (http.server's name)
        url = urllib.parse.urlsplit(self.path)
        status, headers, body = self.server.answer(url.path, dict(urllib.parse.parse_qsl(url.query)))
        data = json.dumps(body).encode()
        self.send_response(status)
        for key, value in {**headers, "Content-Type": "application/json",
                           "Content-Length": str(len(data))}.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def scripted_server():
    """Start a real server on 127.0.0.1 answering with ``answer``; yields a starter returning its URL."""
    servers = []

    def start(answer):
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Scripted)
        server.answer = answer
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_a_cursor_chain_of_empty_pages_is_refused(scripted_server):
    def answer(path, query):
        page = query.get("page")
        if page is None:
            return 200, {}, {"entries": [{"memberId": "m1"}], "nextPage": "c1"}
        return 200, {}, {"entries": [], "nextPage": f"c{int(page[1:]) + 1}"}

    reader = ApiReader(scripted_server(answer), token="t")
    with pytest.raises(IncompleteListing) as exc:
        list(reader.pages("/v2.1/members", {}, what="members", id_key="memberId"))
    assert str(exc.value) == ("GET /v2.1/members: incomplete listing of members: 3 empty pages in a row "
                              "still name a next page (after 1 items)")


def test_retry_after_is_capped_as_apply_caps_it(scripted_server):
    calls = []

    def answer(path, query):
        calls.append(path)
        if len(calls) == 1:
            return 429, {"Retry-After": "86400"}, {"message": "slow down"}
        return 200, {}, {"entries": [{"memberId": "m1"}], "nextPage": None, "total": 1}

    clock, notes = FakeClock(), []
    reader = ApiReader(scripted_server(answer), token="t", sleep=clock.sleep, clock=clock, note=notes.append)
    pages = list(reader.pages("/v2.1/members", {}, what="members", id_key="memberId"))
    assert clock.sleeps == [RetryPolicy().retry_after_cap] == [300.0]
    assert notes == ["429 from GET /v2.1/members: waiting 300 s before trying again (Retry-After is honoured up "
                     "to 300 s)"]
    assert pages[0]["entries"] == [{"memberId": "m1"}]


def test_https_is_required_except_on_loopback():
    assert check_base_url("http://127.0.0.1:8080/") == "http://127.0.0.1:8080"
    assert check_base_url("http://localhost:1") == "http://localhost:1"
    with pytest.raises(FetchError, match="https is required"):
        check_base_url("http://api.sigmacomputing.com")


def test_region_table():
    assert region_base_url("aws-us-west") == "https://aws-api.sigmacomputing.com"
    assert region_base_url("azure-au") == "https://api.au.azure.sigmacomputing.com"
    with pytest.raises(FetchError, match="not one of"):
        region_base_url("mars")


def test_a_network_failure_names_the_host_and_what_to_check_never_a_secret():
    """Tester C: `POST /v2/auth/token: ConnectError: [Errno -2] Name or service not known` named no host."""
    import socket

    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    reader = ApiReader(f"http://127.0.0.1:{port}", client_id="id-123456789", client_secret="SECRET-987654321",
                       attempts=2, sleep=lambda s: None)
    with pytest.raises(FetchError) as failed:
        reader.get("/v2/members")
    message = str(failed.value)
    assert message.startswith("REST POST /v2/auth/token: network error: 127.0.0.1: ConnectError: ")
    assert message.endswith(" (after 2 tries); check --base-url / --region and the network")
    assert "SECRET-987654321" not in message and "\n" not in message


def test_cli_fetch_after_an_apply_without_the_scim_token_refuses_naming_it(sandbox, tmp_path, monkeypatch, capsys):
    """Issue 10 fix-waves a: day two, the policy says SCIM is set up (previous_scim: same_setup); a
    fetch without SIGMA_SCIM_TOKEN would write no scim/ state and the re-plan could not see what SCIM did."""
    monkeypatch.setenv("SIGMA_CLIENT_ID", sandbox.client_id)
    monkeypatch.setenv("SIGMA_CLIENT_SECRET", sandbox.client_secret)
    monkeypatch.delenv("SIGMA_SCIM_TOKEN", raising=False)
    policy = tmp_path / "policy.yaml"
    policy.write_text("version: 1\npreflight: {previous_scim: same_setup}\n")
    args = ["fetch", "--out", str(tmp_path / "export"), "--base-url", sandbox.base_url, "--no-progress",
            "--policy", str(policy)]
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 1
    assert capsys.readouterr().err == (
        f"sigma-migrate: error: {policy}: preflight.previous_scim is same_setup (a re-plan after apply), so the "
        "export needs Sigma's SCIM state: set SIGMA_SCIM_TOKEN (the SCIM bearer token), or pass --no-scim-state "
        "to fetch without it (a re-plan then cannot see what SCIM already did)\n")
    assert not (tmp_path / "export").exists()

    main(args + ["--no-scim-state"])  # the admin knows: fetched, without scim/
    assert sorted(p.name for p in (tmp_path / "export").iterdir()) == [
        "account_types.json", "fetch-manifest.json", "members.json", "team_members.json", "teams.json"]

    monkeypatch.setenv("SIGMA_SCIM_TOKEN", sandbox.scim_token)
    main(args[:2] + [str(tmp_path / "export2")] + args[3:])
    assert (tmp_path / "export2" / "scim" / "Users.json").is_file()
    policy.write_text("version: 1\npreflight: {previous_scim: removed_by_support}\n")  # day one: no token needed
    monkeypatch.delenv("SIGMA_SCIM_TOKEN")
    capsys.readouterr()
    main(args[:2] + [str(tmp_path / "export3")] + args[3:])  # the inactive member: the setup support removed
    assert capsys.readouterr().out.endswith(f"into {tmp_path / 'export3'} (without Sigma's SCIM state: no "
                                            "SIGMA_SCIM_TOKEN)\n")
    assert not (tmp_path / "export3" / "scim").exists()
    assert json.loads((tmp_path / "export3" / "fetch-manifest.json").read_text())["scimState"] == "not_read"


def test_cli_fetch_without_the_scim_token_refuses_when_the_policy_targets_scim_or_a_scim_url_is_given(
        sandbox, tmp_path, monkeypatch, capsys):
    """Tester6 finding 14: the okta example policy with sandbox targets (previous_scim: removed_by_support)
    fetched after a full apply without SIGMA_SCIM_TOKEN wrote no scim/ state, exit 0, and the re-plan
    re-linked everyone and planned to deactivate a member SCIM had created. A policy whose
    targets.scim_base_url is set, or a SCIM Directory Base URL given to fetch, says SCIM is on."""
    monkeypatch.setenv("SIGMA_CLIENT_ID", sandbox.client_id)
    monkeypatch.setenv("SIGMA_CLIENT_SECRET", sandbox.client_secret)
    monkeypatch.delenv("SIGMA_SCIM_TOKEN", raising=False)
    monkeypatch.delenv("SIGMA_SCIM_BASE_URL", raising=False)
    policy = tmp_path / "policy.yaml"
    policy.write_text("version: 1\npreflight: {previous_scim: removed_by_support}\n"
                      f"targets: {{rest_base_url: '{sandbox.base_url}', scim_base_url: '{sandbox.scim_base_url}'}}\n")
    base = ["fetch", "--base-url", sandbox.base_url, "--no-progress"]
    refusals = []
    for args in (["--out", str(tmp_path / "e1"), "--policy", str(policy)],
                 ["--out", str(tmp_path / "e2"), "--scim-base-url", sandbox.scim_base_url]):
        with pytest.raises(SystemExit) as exit_info:
            main(base + args)
        refusals.append((exit_info.value.code, capsys.readouterr().err))
    assert refusals == [
        (1, f"sigma-migrate: error: {policy}: targets.scim_base_url is set (SCIM is on: apply provisions through it), "
            "so the export needs Sigma's SCIM state: set SIGMA_SCIM_TOKEN (the SCIM bearer token), or pass "
            "--no-scim-state to fetch without it (a re-plan then cannot see what SCIM already did)\n"),
        (1, "sigma-migrate: error: a SCIM Directory Base URL is given (--scim-base-url or SIGMA_SCIM_BASE_URL), so "
            "the export needs Sigma's SCIM state: set SIGMA_SCIM_TOKEN (the SCIM bearer token), or pass "
            "--no-scim-state to fetch without it (a re-plan then cannot see what SCIM already did)\n")]
    assert not (tmp_path / "e1").exists() and not (tmp_path / "e2").exists()
    main(base + ["--out", str(tmp_path / "e3"), "--policy", str(policy), "--no-scim-state"])  # left out on purpose
    assert not (tmp_path / "e3" / "scim").exists()
    assert json.loads((tmp_path / "e3" / "fetch-manifest.json").read_text())["scimState"] == "left_out"
    with pytest.raises(SystemExit) as exit_info:  # no policy: the seed's member SCIM made inactive says it
        main(base + ["--out", str(tmp_path / "e4")])
    assert (exit_info.value.code, capsys.readouterr().err) == (1, (
        "sigma-migrate: error: GET /v2.1/members: 1 member(s) are inactive (isInactive), a state only SCIM gives "
        "(docs/sigma-api.md §2.2): SCIM is or was set up in this organization (if Sigma support removed that setup, "
        "say so: --policy with preflight.previous_scim: removed_by_support), so the export needs Sigma's SCIM state: "
        "set SIGMA_SCIM_TOKEN (the SCIM bearer token), or pass --no-scim-state to fetch without it (a re-plan then "
        "cannot see what SCIM already did)\n"))
    assert not (tmp_path / "e4").exists()
    monkeypatch.setenv("SIGMA_SCIM_TOKEN", sandbox.scim_token)
    main(base + ["--out", str(tmp_path / "e5"), "--policy", str(policy)])
    assert (tmp_path / "e5" / "scim" / "Users.json").is_file()
    assert json.loads((tmp_path / "e5" / "fetch-manifest.json").read_text())["scimState"] == "read"


def test_cli_fetch_no_scim_state_leaves_the_state_out_with_the_token_set(sandbox, tmp_path, monkeypatch, capsys):
    """tester17 finding 7: --no-scim-state with SIGMA_SCIM_TOKEN set read the SCIM state anyway and the
    manifest said "read"; the flag wins: no scim/, scimState left_out, the summary says so."""
    monkeypatch.setenv("SIGMA_CLIENT_ID", sandbox.client_id)
    monkeypatch.setenv("SIGMA_CLIENT_SECRET", sandbox.client_secret)
    monkeypatch.setenv("SIGMA_SCIM_TOKEN", sandbox.scim_token)
    out = tmp_path / "export"
    main(["fetch", "--out", str(out), "--base-url", sandbox.base_url, "--no-progress", "--no-scim-state"])
    assert capsys.readouterr().out == (
        "fetched 10 members (1 archived, 1 inactive), 3 teams, 8 team memberships, 6 account types into "
        f"{out} (without Sigma's SCIM state: --no-scim-state)\n")
    assert sorted(p.name for p in out.iterdir()) == [
        "account_types.json", "fetch-manifest.json", "members.json", "team_members.json", "teams.json"]
    assert json.loads((out / "fetch-manifest.json").read_text())["scimState"] == "left_out"
