"""``sigma-migrate sandbox serve`` as a user runs it: banner, real HTTP, clean stop on Ctrl-C."""

from __future__ import annotations

import signal
import subprocess
import sys

import httpx2

from tests.sandbox_fixture import SANDBOX_SEED_DIR


def test_serve_prints_urls_and_credentials_and_stops_cleanly_on_ctrl_c(repo):
    process = subprocess.Popen(
        [sys.executable, "-m", "planner", "sandbox", "serve", "--seed", str(SANDBOX_SEED_DIR),
         "--client-id", "cid", "--client-secret", "csecret", "--scim-token", "stoken", "--faults", "page_cap=4"],
        cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        lines = []
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith("Ctrl-C"):
                break
        base_url = lines[1].split()[3]
        assert base_url.startswith("http://127.0.0.1:")
        assert "  SIGMA_CLIENT_ID=cid" in lines and "  SIGMA_SCIM_TOKEN=stoken" in lines
        token = httpx2.post(f"{base_url}/v2/auth/token", data={
            "grant_type": "client_credentials", "client_id": "cid", "client_secret": "csecret"}).json()
        page = httpx2.get(f"{base_url}/v2.1/members", params={"limit": 100},
                          headers={"Authorization": f"Bearer {token['access_token']}"}).json()
        assert len(page["entries"]) == 4 and page["total"] == 8
        scim = httpx2.get(f"{base_url}/scim/v2/Users", headers={"Authorization": "Bearer stoken"})
        assert scim.json()["totalResults"] == 8  # the pre-SCIM members SCIM lists (not the guest)
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    assert process.returncode == 0
    assert "Traceback" not in err
    assert err.strip() == "sandbox stopped"


def test_serve_with_bad_faults_is_one_line_error(repo):
    result = subprocess.run(
        [sys.executable, "-m", "planner", "sandbox", "serve", "--seed", str(SANDBOX_SEED_DIR), "--faults", "rate=x"],
        cwd=repo, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr == "sigma-migrate: error: --faults: rate must be a number, got 'x'\n"


def test_serve_with_missing_seed_is_one_line_error(repo, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "planner", "sandbox", "serve", "--seed", str(tmp_path / "nope")],
        cwd=repo, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr == f"sigma-migrate: error: {tmp_path / 'nope'}: seed directory does not exist\n"


def test_serve_with_a_credential_owner_gives_the_credentials_to_that_member(repo):
    process = subprocess.Popen(
        [sys.executable, "-m", "planner", "sandbox", "serve", "--seed", str(SANDBOX_SEED_DIR),
         "--client-id", "cid", "--client-secret", "csecret", "--credential-owner", "ben.builder@EXAMPLE.com"],
        cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        lines = []
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith("Ctrl-C"):
                break
        base_url = lines[1].split()[3]
        assert ("  credentials' owner:  Bn5BuilderBn5BuilderBn5Builde (Ben.Builder@Example.com)  "
                "(GET /v2/whoami; --credential-owner EMAIL)") in lines
        token = httpx2.post(f"{base_url}/v2/auth/token", data={
            "grant_type": "client_credentials", "client_id": "cid", "client_secret": "csecret"}).json()
        who = httpx2.get(f"{base_url}/v2/whoami", headers={"Authorization": f"Bearer {token['access_token']}"})
        assert who.json()["userId"] == "Bn5BuilderBn5BuilderBn5Builde"
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=20)
    assert process.returncode == 0


def test_serve_with_a_credential_owner_who_is_no_active_member_is_one_line_error(repo):
    result = subprocess.run(
        [sys.executable, "-m", "planner", "sandbox", "serve", "--seed", str(SANDBOX_SEED_DIR),
         "--credential-owner", "arne.archived@example.com"],
        cwd=repo, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr == ("sigma-migrate: error: --credential-owner arne.archived@example.com: no active internal "
                             "member of the seed has this email; the REST credentials need an active member to belong "
                             "to (docs/sigma-api.md §1.2)\n")
