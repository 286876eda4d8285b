"""``sigma-migrate sandbox serve`` as a user runs it: banner, real HTTP, clean stop on Ctrl-C."""

from __future__ import annotations

import signal
import subprocess
import sys

import httpx2
import pytest

from tests.sandbox_fixture import REPO, SANDBOX_SEED_DIR


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


def _serve_until_banner(repo, *options: str) -> tuple[subprocess.Popen, list[str]]:
    """Start ``sandbox serve`` with ``options``; the process and its banner lines (up to 'Ctrl-C')."""
    process = subprocess.Popen(
        [sys.executable, "-m", "planner", "sandbox", "serve", *options],
        cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    lines = []
    for line in process.stdout:
        lines.append(line.rstrip("\n"))
        if line.startswith("Ctrl-C"):
            break
    return process, lines


def test_serve_with_a_scim_admin_gives_the_scim_token_to_that_admin_and_it_dies_with_them(repo):
    """tester10 finding 14: the SCIM token belongs to --scim-admin (the banner says so); archiving the
    default admin (tomasz, the first active Admin) leaves it working, archiving priya kills it (401)."""
    process, lines = _serve_until_banner(
        repo, "--seed", str(REPO / "samples/acme/sigma"), "--client-id", "cid", "--client-secret", "csecret",
        "--scim-token", "stoken", "--credential-owner", "marcus.webb@acme.example",
        "--scim-admin", "Priya.Raman@acme.example")
    try:
        assert ("  SCIM token's admin:  IdQgzZz22upwrg72mX8PcOW4BlQ16 (priya.raman@acme.example)  (set SCIM up; "
                "the token dies when they are archived, inactive or no longer Admin; --scim-admin EMAIL)") in lines
        base_url = lines[1].split()[3]
        token = httpx2.post(f"{base_url}/v2/auth/token", data={
            "grant_type": "client_credentials", "client_id": "cid", "client_secret": "csecret"}).json()
        rest = {"Authorization": f"Bearer {token['access_token']}"}
        scim = {"Authorization": "Bearer stoken"}
        users = f"{base_url}/scim/v2/Users?count=1"
        assert httpx2.get(users, headers=scim).status_code == 200
        tomasz = httpx2.delete(f"{base_url}/v2/members/a2k0X05ZReoLOuaKbMMocRqhaR08A", headers=rest)
        assert tomasz.status_code == 200
        assert httpx2.get(users, headers=scim).status_code == 200
        priya = httpx2.delete(f"{base_url}/v2/members/IdQgzZz22upwrg72mX8PcOW4BlQ16", headers=rest)
        assert priya.status_code == 200
        refused = httpx2.get(users, headers=scim)
        assert refused.status_code == 401
        assert refused.json()["detail"] == "The admin who set up SCIM is no longer an active Admin; the token is revoked"
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=20)
    assert process.returncode == 0


def test_serve_names_the_default_scim_admin_in_the_banner(repo):
    process, lines = _serve_until_banner(repo, "--seed", str(SANDBOX_SEED_DIR))
    try:
        assert ("  SCIM token's admin:  Ad4AdminAd4AdminAd4AdminAd4Ad (ada.admin@example.com)  (set SCIM up; "
                "the token dies when they are archived, inactive or no longer Admin; --scim-admin EMAIL)") in lines
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=20)
    assert process.returncode == 0


def test_serve_with_a_scim_admin_who_is_no_active_admin_is_one_line_error(repo):
    result = subprocess.run(
        [sys.executable, "-m", "planner", "sandbox", "serve", "--seed", str(SANDBOX_SEED_DIR),
         "--scim-admin", "ben.builder@example.com"],
        cwd=repo, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr == ("sigma-migrate: error: --scim-admin ben.builder@example.com: no active internal member "
                             "of the seed with the Admin account type has this email; SCIM is set up by an Admin, "
                             "and its token dies when they are archived, inactive or no longer Admin (docs/sigma-api.md §5.1)\n")


@pytest.mark.parametrize("command, stopped", [
    (["sandbox", "serve", "--seed", str(SANDBOX_SEED_DIR)], "sandbox stopped"),
    (["sandbox", "okta"], "Okta emulator stopped"),
])
def test_ctrl_c_while_the_banner_prints_stops_cleanly(repo, command, stopped):
    """A Ctrl-C that lands while the banner is printed, before serving has begun, stops the emulator like one
    during serving: exit 0, its one 'stopped' line, no traceback (was: exit 130 from the CLI's Ctrl-C handler,
    a flaky test under load)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "planner", *command], cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        process.stdout.readline()  # the banner's first line: the rest is still being written
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=20)
    assert (process.returncode, err) == (0, stopped + "\n")


TEAM = "88858466-5299-4425-95c0-000000000001"
"""A team of the sandbox seed holding Bn5Builder... (removed from it below)."""
BUILDER = "Bn5BuilderBn5BuilderBn5Builde"
CREDENTIALS = ("--client-id", "cid", "--client-secret", "csecret")


def _stop(process: subprocess.Popen) -> tuple[int, str]:
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=20)
    return process.returncode, err


def _headers(base_url: str) -> dict[str, str]:
    token = httpx2.post(f"{base_url}/v2/auth/token", data={
        "grant_type": "client_credentials", "client_id": "cid", "client_secret": "csecret"}).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def _team_and_org(base_url: str, headers: dict[str, str]) -> tuple[list[str], str]:
    members = httpx2.get(f"{base_url}/v2/teams/{TEAM}/members", params={"limit": 100}, headers=headers).json()
    org = httpx2.get(f"{base_url}/v2/whoami", headers=headers).json()["organizationId"]
    return sorted(e["userId"] for e in members["entries"]), org


def test_a_restart_on_its_db_reopens_the_state_as_left_and_loads_no_seed(repo, tmp_path):
    """tester14b #6: a restart with the same --seed and --db (to change --faults or --scim-token) loaded the seed
    again over the file, so a team member an apply removed was back, and the next apply said "undone by hand"."""
    db = str(tmp_path / "sb.sqlite")
    process, lines = _serve_until_banner(repo, *CREDENTIALS, "--seed", str(SANDBOX_SEED_DIR), "--db", db,
                                         "--scim-token", "first")
    try:
        assert not lines[0].startswith("Reopened")  # a new file: seeded
        base_url = lines[1].split()[3]
        headers = _headers(base_url)
        before, org = _team_and_org(base_url, headers)
        removed = httpx2.patch(f"{base_url}/v2/teams/{TEAM}/members", json={"remove": [BUILDER]}, headers=headers)
        assert removed.status_code == 200
    finally:
        assert _stop(process) == (0, "sandbox stopped\n")
    assert BUILDER in before

    process, lines = _serve_until_banner(repo, *CREDENTIALS, "--seed", str(SANDBOX_SEED_DIR), "--db", db,
                                         "--scim-token", "regenerated")
    try:
        assert lines[0] == (f"Reopened --db {db} as the sandbox left it; --seed {SANDBOX_SEED_DIR} not loaded (a seed "
                            f"fills only a new database): delete {db} to start again from the seed")
        assert "  SIGMA_SCIM_TOKEN=regenerated" in lines
        base_url = lines[2].split()[3]
        after, org_after = _team_and_org(base_url, _headers(base_url))
    finally:
        assert _stop(process) == (0, "sandbox stopped\n")
    assert (after, org_after) == ([m for m in before if m != BUILDER], org)
