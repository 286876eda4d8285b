"""Issue 12 item 3: broken input is a one-line error naming the file and line (or the endpoint),
never a traceback, with a bounded length.

CSV line ends (Excel "CSV (Macintosh)", a stray carriage return), policy YAML (a recursive alias,
a control character, an alias bomb, deep nesting), malformed 200 answers before the first write
(token endpoint answering HTML, ``[]``, ``expires_in: "soon"``; list endpoints answering the wrong
shape) and invalid base URLs. The servers are real, on 127.0.0.1.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from planner.execute.errors import ApiError
from planner.execute.rest_client import SigmaRestClient
from planner.execute.retry import RetryPolicy
from planner.fetch import ApiReader, FetchError

from .conftest import run_cli
from .execute_support import sandbox_env, write_test_plan
from .misbehaving_server import Answer, MisbehavingServer, token_answer

SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "acme"
ONE_TRY = RetryPolicy(max_attempts=1)


# --------------------------------------------------------------------------- CSV line ends


def entra_copy(tmp_path: Path, edit) -> Path:
    folder = tmp_path / "entra"
    shutil.copytree(SAMPLES / "entra", folder)
    users = folder / "users.csv"
    users.write_bytes(edit(users.read_bytes()))
    return folder


def test_a_mac_csv_with_carriage_return_line_ends_reads_like_the_original(tmp_path, capsys):
    mac = entra_copy(tmp_path, lambda data: data.replace(b"\r\n", b"\n").replace(b"\n", b"\r"))
    code, mac_out, _ = run_cli(capsys, "check", "--sigma", str(SAMPLES / "sigma"), "--idp", str(mac), "--json")
    assert code == 0
    code, lf_out, _ = run_cli(capsys, "check", "--sigma", str(SAMPLES / "sigma"), "--idp", str(SAMPLES / "entra"),
                              "--json")
    import json

    mac_users = json.loads(mac_out)["summary"]["idp"]["users"]
    assert mac_users == json.loads(lf_out)["summary"]["idp"]["users"]
    assert mac_users["total"] > 50


def test_a_stray_carriage_return_in_a_header_is_one_finding_at_its_line(tmp_path, capsys):
    broken = entra_copy(tmp_path, lambda data: data.replace(b"userPrincipalName", b"userPrincipal\rName", 1))
    code, out, _ = run_cli(capsys, "check", "--sigma", str(SAMPLES / "sigma"), "--idp", str(broken))
    assert code == 1
    assert (f"error: {broken / 'users.csv'}:line 1: Entra users CSV: header line: a carriage return (\\r) inside "
            "the line, outside quotes (a damaged line end?) (malformed-csv)") in out


def test_a_stray_carriage_return_in_a_row_is_one_finding_at_its_line(tmp_path, capsys):
    broken = entra_copy(tmp_path, lambda data: data.replace(b"Greta Dunmore", b'Greta\rDunmore "x', 1))
    code, err_out, err = run_cli(capsys, "plan", "--sigma", str(SAMPLES / "sigma"), "--idp", str(broken),
                                 "--out", str(tmp_path / "plan.json"))
    assert code == 1
    assert "Traceback" not in err
    assert f"{broken / 'users.csv'}:line 2" in err


# --------------------------------------------------------------------------- policy YAML

BOMB = "".join(
    [f"l0: &l0 [{', '.join(['lol'] * 10)}]\n"]
    + [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]\n" for i in range(1, 9)]
)


@pytest.mark.parametrize("text, message", [
    ("teams: &a\n  map: [*a]\n",
     "policy.yaml:2:9: not valid YAML: recursive alias *a (refers to the node that contains it)"),
    ("guests:\n  mode: \x1b[2Jx\n",
     "policy.yaml:2:9: not valid YAML: the control character U+001B is not allowed in YAML (write it as an "
     "escape in a double-quoted string)"),
    (BOMB,
     "policy.yaml:3:50: not valid YAML: aliases expand to more than 1000 YAML nodes (an alias bomb?); write the "
     "values out"),
    ("teams: " + "[" * 2000 + "]" * 2000 + "\n",
     "policy.yaml:1:57: not valid YAML: nested more than 50 levels deep"),
], ids=["recursive-alias", "control-character", "alias-bomb", "deep-nesting"])
def test_a_hostile_policy_is_one_line_naming_file_line_and_column(tmp_path, capsys, monkeypatch, text, message):
    monkeypatch.chdir(tmp_path)
    Path("policy.yaml").write_text(text, encoding="utf-8")
    started = time.monotonic()
    code, _, err = run_cli(capsys, "plan", "--sigma", str(SAMPLES / "sigma"), "--idp", str(SAMPLES / "okta"),
                           "--policy", "policy.yaml", "--out", "plan.json")
    assert (code, err) == (1, f"sigma-migrate: error: {message}\n")
    assert time.monotonic() - started < 10
    assert not Path("plan.json").exists()


def test_an_error_message_is_bounded_even_when_the_input_is_huge(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    key = "k" * 1_000_000
    Path("policy.yaml").write_text(f"? {key}\n: 1\n? {key}\n: 2\n", encoding="utf-8")  # explicit keys: no limit
    code, _, err = run_cli(capsys, "plan", "--sigma", str(SAMPLES / "sigma"), "--idp", str(SAMPLES / "okta"),
                           "--policy", "policy.yaml", "--out", "plan.json")
    assert code == 1
    assert err.startswith("sigma-migrate: error: policy.yaml:3:3: duplicate key 'kkkk")
    assert len(err) <= len("sigma-migrate: error: ") + 1001 and err.endswith("...\n")


# --------------------------------------------------------------------------- malformed 200 answers

ENV = {"SIGMA_CLIENT_ID": "client-1", "SIGMA_CLIENT_SECRET": "secret-123456", "SIGMA_SCIM_TOKEN": "scim-123456"}


@pytest.mark.parametrize("answer, problem", [
    (Answer(200, b"<html><body>Sign in</body></html>", {"Content-Type": "text/html"}),
     "token answer is not JSON (text/html)"),
    (Answer(200, []), "token answer is a JSON array, not an object"),
    (token_answer(expires_in="soon"), "token answer has expires_in 'soon', not a positive number of seconds"),
    (Answer(200, {"token_type": "bearer"}), "token answer has no access_token string"),
], ids=["html", "array", "expires-soon", "no-token"])
def test_apply_refuses_a_malformed_token_answer_before_the_first_write(tmp_path, capsys, monkeypatch,
                                                                      answer, problem):
    plan = write_test_plan(tmp_path)
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    with MisbehavingServer({("POST", "/v2/auth/token"): answer}) as server:
        code, _, err = run_cli(capsys, "apply", str(plan), "--auto-approve", "--rest-base-url", server.base_url,
                               "--scim-base-url", server.base_url + "/scim/v2", "--max-attempts", "1")
        writes = [r for r in server.requests if r[0] != "GET" and r[1] != "/v2/auth/token"]
    assert code == 1
    assert err == (f"sigma-migrate: error: cannot read the REST API at {server.base_url} (POST /v2/auth/token: "
                   f"200: {problem}); check the REST base URL; nothing was written\n")
    assert writes == []


@pytest.mark.parametrize("body, problem", [
    ({"entries": "m1"}, "answer is a JSON object, not a page {entries: [...], nextPage}"),
    ("members", "answer is a JSON string, not a page {entries: [...], nextPage}"),
    ({"entries": [{"memberId": "m1"}, 7]}, "entry 2 is a JSON number, not an object"),
    ([None], "entry 1 is a JSON null, not an object"),
    ({"entries": [], "nextPage": 3}, "nextPage is a JSON number, not a string"),
], ids=["entries-string", "string", "entry-number", "array-of-null", "cursor-number"])
def test_a_rest_list_of_the_wrong_shape_is_an_api_error_naming_the_endpoint(body, problem):
    with MisbehavingServer({("POST", "/v2/auth/token"): token_answer(),
                            ("GET", "/v2/members"): Answer(200, body)}) as server:
        client = SigmaRestClient(server.base_url, "client-1", "secret-123456", retry_policy=ONE_TRY,
                                 min_token_interval=0)
        with pytest.raises(ApiError) as failed:
            client.list_members()
    assert str(failed.value) == f"REST GET /v2/members: 200: {problem}"


def test_a_member_answer_that_is_not_an_object_is_an_api_error():
    with MisbehavingServer({("POST", "/v2/auth/token"): token_answer(),
                            ("GET", "/v2/members/m1"): Answer(200, ["m1"])}) as server:
        client = SigmaRestClient(server.base_url, "client-1", "secret-123456", retry_policy=ONE_TRY)
        with pytest.raises(ApiError) as failed:
            client.get_member("m1")
    assert str(failed.value) == "REST GET /v2/members/m1: 200: answer is a JSON array, not an object"


@pytest.mark.parametrize("routes, message", [
    ({("POST", "/v2/auth/token"): Answer(200, b"<html>", {"Content-Type": "text/html"})},
     "REST POST /v2/auth/token: 200: token answer is not JSON (text/html)"),
    ({("POST", "/v2/auth/token"): Answer(200, [])},
     "REST POST /v2/auth/token: 200: token answer is a JSON array, not an object"),
    ({("POST", "/v2/auth/token"): token_answer(), ("GET", "/v2/accountTypes"): Answer(200, {"entries": [1]})},
     "GET /v2/accountTypes: entry 1 is a JSON number, not an object"),
    ({("POST", "/v2/auth/token"): token_answer(), ("GET", "/v2/accountTypes"): Answer(200, {"entries": []}),
      ("GET", "/v2.1/members"): Answer(200, {"entries": [], "nextPage": ["x"]})},
     "GET /v2.1/members: nextPage is a JSON array, not a string"),
    ({("POST", "/v2/auth/token"): token_answer(), ("GET", "/v2/accountTypes"): Answer(200, {"entries": []}),
      ("GET", "/v2.1/members"): Answer(200, {"entries": []}),
      ("GET", "/v2.1/teams"): Answer(200, {"entries": [{"name": "Finance"}]})},
     "GET /v2.1/teams: team 1 has no teamId string; cannot read its members"),
], ids=["token-html", "token-array", "types-entry", "members-cursor", "team-without-id"])
def test_fetch_refuses_malformed_answers_before_writing_anything(tmp_path, capsys, monkeypatch, routes, message):
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SIGMA_SCIM_TOKEN")
    out = tmp_path / "export"
    with MisbehavingServer(routes) as server:
        code, _, err = run_cli(capsys, "fetch", "--out", str(out), "--base-url", server.base_url)
    assert (code, err) == (1, f"sigma-migrate: error: {message}\n")
    assert not out.exists()


def test_fetch_refuses_a_scim_list_of_the_wrong_shape():
    with MisbehavingServer({("GET", "/scim/v2/Users"): Answer(200, {"Resources": {"id": 1}, "totalResults": "2"})}) as srv:
        reader = ApiReader(srv.base_url + "/scim/v2", token="scim-123456", attempts=1)
        with pytest.raises(FetchError) as failed:
            reader.scim_list("/Users")
    assert str(failed.value) == ("GET /Users: ListResponse needs a Resources array and an integer totalResults "
                                 "(RFC 7644 §3.4.2), got object and string")


# --------------------------------------------------------------------------- base URLs


@pytest.mark.parametrize("url, reason", [
    ("http://127.0.0.1:80x", "is not a valid URL (Port could not be cast to integer value as '80x')"),
    ("http://[::1", "is not a valid URL (Invalid IPv6 URL)"),
    ("http://127.0.0.1:99999", "is not a valid URL (Port out of range 0-65535)"),
    ("https://api.example.com/?token=abc", "must not have a query string or a fragment"),
], ids=["port-80x", "open-bracket", "port-range", "query"])
def test_an_invalid_base_url_is_one_line_for_apply_and_fetch(tmp_path, capsys, monkeypatch, url, reason):
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    plan = write_test_plan(tmp_path)
    shown = url.replace("token=abc", "token=***")
    code, _, err = run_cli(capsys, "apply", str(plan), "--auto-approve", "--rest-base-url", url,
                           "--scim-base-url", "http://127.0.0.1:9/scim/v2")
    assert (code, err) == (1, f"sigma-migrate: error: REST base URL {shown!r} {reason}\n")
    code, _, err = run_cli(capsys, "fetch", "--out", str(tmp_path / "x"), "--base-url", url)
    assert (code, err) == (1, f"sigma-migrate: error: --base-url {shown!r} {reason}\n")


def test_the_sandbox_still_answers_well_formed_pages(sandbox):
    client = SigmaRestClient(sandbox.base_url, sandbox_env(sandbox)["SIGMA_CLIENT_ID"],
                             sandbox_env(sandbox)["SIGMA_CLIENT_SECRET"], min_token_interval=0)
    assert {m.member_id for m in client.list_members()} >= {"SigmaSchedulerRobot"}
