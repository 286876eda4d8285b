"""A credential pasted with a character no credential holds (tester13 N7, :mod:`planner.credentials`): one line
naming the variable, the character and its position, before any request, no retries, exit 1, never the value;
and the sandbox answers a non-ASCII client secret 401, like any wrong secret (was: a 54-line traceback from the
HTTP client's header encoding, "network error ... (after 6 tries)", a sandbox 500)."""

from __future__ import annotations

import httpx2
import pytest

from .conftest import run_cli, run_cli_with_environ
from .execute_support import counting_sandbox, sandbox_env, write_test_plan


@pytest.fixture
def server():
    server, _ = counting_sandbox()
    yield server
    server.close()


PASTED = [  # (variable, how the paste spoils it, the character and where, as the line names them)
    ("SIGMA_SCIM_TOKEN", lambda v: v + "\u00a0", lambda v: f"U+00A0 NO-BREAK SPACE at position {len(v) + 1}",
     "token"),
    ("SIGMA_SCIM_TOKEN", lambda v: v + "\n", lambda v: f"U+000A LINE FEED at position {len(v) + 1}", "token"),
    ("SIGMA_SCIM_TOKEN", lambda v: f" {v} ", lambda v: "U+0020 SPACE at position 1", "token"),
    ("SIGMA_CLIENT_SECRET", lambda v: v + "\u200b", lambda v: f"U+200B ZERO WIDTH SPACE at position {len(v) + 1}",
     "client secret"),
    ("SIGMA_CLIENT_ID", lambda v: v[:3] + "\u00e9" + v[3:], lambda v: "U+00E9 LATIN SMALL LETTER E WITH ACUTE at "
     "position 4", "client id"),
]
IDS = ["token NBSP", "token line feed", "token spaces", "secret zero-width", "client id accent"]


def pasted_env(server, name, spoil):
    env = sandbox_env(server)
    clean = env[name]
    env[name] = spoil(clean)
    return env, clean


@pytest.mark.parametrize("name, spoil, where, noun", PASTED, ids=IDS)
def test_fetch_names_the_pasted_character_before_any_request(server, tmp_path, capsys, monkeypatch, name, spoil,
                                                             where, noun):
    env, clean = pasted_env(server, name, spoil)
    code, out, err = run_cli_with_environ(capsys, monkeypatch, env, "fetch", "--base-url", server.base_url,
                                          "--out", str(tmp_path / "x"), "--no-progress")
    assert (code, out, err) == (
        1, "", f"sigma-migrate: error: {name} holds {where(clean)}: no {noun} has it (pasted?)\n")
    assert server.request_counts == {}
    assert not (tmp_path / "x").exists()
    assert clean not in err


def test_fetch_with_the_same_credentials_clean_reads_the_sandbox(server, tmp_path, capsys, monkeypatch):
    code, out, err = run_cli_with_environ(capsys, monkeypatch, sandbox_env(server), "fetch", "--base-url",
                                          server.base_url, "--out", str(tmp_path / "x"), "--no-progress")
    assert code == 0, err
    assert server.request_counts["POST /v2/auth/token"] == 1


@pytest.mark.parametrize("name, spoil, where, noun", PASTED, ids=IDS)
def test_apply_names_the_pasted_character_before_any_request_or_journal(server, tmp_path, capsys, monkeypatch,
                                                                         name, spoil, where, noun):
    plan = write_test_plan(tmp_path)
    assert run_cli(capsys, "approve", str(plan), "--by", "Ada")[0] == 0
    env, clean = pasted_env(server, name, spoil)
    code, out, err = run_cli_with_environ(capsys, monkeypatch, env, "apply", str(plan), "--rest-base-url",
                                          server.base_url, "--scim-base-url", server.scim_base_url)
    assert (code, out, err) == (
        1, "", f"sigma-migrate: error: {name} holds {where(clean)}: no {noun} has it (pasted?)\n")
    assert server.request_counts == {}
    assert not (tmp_path / "plan.json.journal.sqlite").exists()
    assert clean not in err


@pytest.mark.parametrize("idp, env, line", [
    ("okta", {"OKTA_API_TOKEN": "00abc\u00a0", "OKTA_ORG_URL": "http://127.0.0.1:9"},
     "OKTA_API_TOKEN holds U+00A0 NO-BREAK SPACE at position 6: no token has it (pasted?)"),
    ("entra", {"ENTRA_TENANT_ID": "t1", "ENTRA_CLIENT_ID": "c1", "ENTRA_CLIENT_SECRET": "s3cr3t\r\n"},
     "ENTRA_CLIENT_SECRET holds U+000D CARRIAGE RETURN at position 7: no client secret has it (pasted?)"),
])
def test_fetch_idp_names_the_pasted_character_before_any_request(tmp_path, capsys, monkeypatch, idp, env, line):
    # the base URLs listen nowhere: a request would be a network error, not this line
    code, out, err = run_cli_with_environ(capsys, monkeypatch, env, "fetch-idp", idp, "--out", str(tmp_path / "x"),
                                          "--base-url", "http://127.0.0.1:9", *(["--login-url", "http://127.0.0.1:9"]
                                                                                if idp == "entra" else []))
    assert (code, out, err) == (1, "", f"sigma-migrate: error: {line}\n")


def test_the_sandbox_answers_a_non_ascii_client_secret_401_like_a_wrong_one(server):
    answers = [httpx2.post(f"{server.base_url}/v2/auth/token", data={
        "grant_type": "client_credentials", "client_id": server.client_id, "client_secret": secret})
        for secret in (server.client_secret + "\u200b", "wrong")]
    assert [(a.status_code, a.json()["message"] if "message" in a.json() else a.json()) for a in answers] == [
        (401, "Invalid client credentials"), (401, "Invalid client credentials")]
