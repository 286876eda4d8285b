"""Issue 10 item 4: ``fetch`` retries through apply's mechanism (planner.execute.retry.RetryTransport),
not a loop of its own: the same Retry-After cap and shared hold, the same long-wait line while it
waits, the same give-up line when the tries run out. Real servers on 127.0.0.1."""

from __future__ import annotations

import time

import pytest

from planner.execute import retry
from planner.fetch import ApiReader, FetchError

from .conftest import run_cli_with_environ
from .misbehaving_server import Answer, MisbehavingServer, token_answer
from .test_execute_clients import FakeClock

EMPTY_PAGE = Answer(200, {"entries": [], "nextPage": None, "total": 0})
ACCOUNT_TYPES = Answer(200, {"entries": [{"accountTypeId": "t1", "accountTypeName": "Viewer"}]})
CREDENTIALS = {"SIGMA_CLIENT_ID": "client-123456", "SIGMA_CLIENT_SECRET": "secret-123456789"}


def routes(account_types) -> dict:
    """A Sigma REST API of no members and no teams whose ``GET /v2/accountTypes`` is ``account_types``."""
    return {("POST", "/v2/auth/token"): token_answer(), ("GET", "/v2/accountTypes"): account_types,
            ("GET", "/v2.1/members"): EMPTY_PAGE, ("GET", "/v2.1/teams"): EMPTY_PAGE}


def fetch(capsys, monkeypatch, server, out) -> tuple[int, str, str]:
    return run_cli_with_environ(capsys, monkeypatch, CREDENTIALS, "fetch", "--out", str(out), "--base-url",
                                server.base_url, "--no-progress", unset=("SIGMA_SCIM_TOKEN",))


def test_a_429_with_retry_after_then_200_is_waited_out_said_and_fetched(tmp_path, capsys, monkeypatch):
    """The wait is Retry-After's (1 s: the second request comes no sooner), said on stderr as apply says
    it (the threshold lowered from 10 s to 0.5 s, as tests/test_execute_faults.py does for apply)."""
    monkeypatch.setattr(retry, "LONG_WAIT_SECONDS", 0.5)
    sent: list[float] = []

    def account_types(method, path, headers, body):
        sent.append(time.monotonic())
        if len(sent) == 1:
            return Answer(429, {"message": "slow down", "code": "too_many_requests"}, {"Retry-After": "1"})
        return ACCOUNT_TYPES

    with MisbehavingServer(routes(account_types)) as server:
        code, out, err = fetch(capsys, monkeypatch, server, tmp_path)
    assert (code, err) == (0, "429 from GET /v2/accountTypes: waiting 1 s before trying again "
                              "(Retry-After is honoured up to 300 s)\n")
    assert out == (f"fetched 0 members (0 archived, 0 inactive), 0 teams, 0 team memberships, 1 account types into "
                   f"{tmp_path} (without Sigma's SCIM state: no SIGMA_SCIM_TOKEN)\n")
    assert len(sent) == 2 and sent[1] - sent[0] >= 1.0


def test_a_503_forever_gives_up_with_apply_s_line_exit_1_and_writes_nothing(tmp_path, capsys, monkeypatch):
    """Retry-After: 0 keeps the test fast; the 6 tries are fetch's (ApiReader's attempts)."""
    unavailable = Answer(503, {"message": "maintenance", "code": "unavailable"}, {"Retry-After": "0"})
    with MisbehavingServer(routes(unavailable)) as server:
        code, out, err = fetch(capsys, monkeypatch, server, tmp_path)
        tries = [r for r in server.requests if r[0] == "GET"]
    assert (code, out, err) == (1, "", "sigma-migrate: error: REST GET /v2/accountTypes: 503 unavailable: "
                                       "maintenance (after 6 tries)\n")
    assert len(tries) == 6
    assert list(tmp_path.iterdir()) == []


def test_a_503_forever_backs_off_as_apply_does_and_a_long_backoff_is_said():
    """Without Retry-After the waits are apply's backoff (RetryPolicy: base 0.5 s, doubled, equal jitter,
    capped at 30 s); each of 10 s or more is said, as apply says it."""
    clock, notes = FakeClock(), []
    with MisbehavingServer({("GET", "/v2/accountTypes"): Answer(503, {"message": "down"})}) as server:
        reader = ApiReader(server.base_url, token="scim-token-1234", attempts=8, sleep=clock.sleep, clock=clock,
                           note=notes.append)
        with pytest.raises(FetchError) as failed:
            reader.get("/v2/accountTypes")
    assert str(failed.value) == f"SCIM GET /v2/accountTypes: 503: down (after 8 tries over {sum(clock.sleeps):.0f} s)"
    ceilings = [0.5, 1, 2, 4, 8, 16, 30]
    assert len(clock.sleeps) == 7 and all(c / 2 <= s <= c for s, c in zip(clock.sleeps, ceilings))
    assert notes == [f"503 from GET /v2/accountTypes: waiting {s:.0f} s before trying again"
                     for s in clock.sleeps if s >= 10]
    assert 1 <= len(notes) <= 2  # the 7th wait (15-30 s) always; the 6th (8-16 s) when it draws 10 s or more


def test_a_429_forever_says_the_tries_the_wait_the_retry_after_asked_and_what_to_do():
    """apply's give-up words (retry.tries_note) with fetch's hint (retry.give_up_hint): 3 tries, each 429
    asking Retry-After 900 s, honoured 300 s (the cap) twice."""
    clock = FakeClock()
    throttled = Answer(429, {"message": "slow down", "code": "too_many_requests"}, {"Retry-After": "900"})
    with MisbehavingServer({("GET", "/v2/accountTypes"): throttled}) as server:
        reader = ApiReader(server.base_url, token="scim-token-1234", attempts=3, sleep=clock.sleep, clock=clock)
        with pytest.raises(FetchError) as failed:
            reader.get("/v2/accountTypes")
    assert str(failed.value) == ("SCIM GET /v2/accountTypes: 429 too_many_requests: slow down (after 3 tries over "
                                 "600 s, Retry-After 900 s asked, 300 s honoured); the API still asks to slow down: "
                                 "try again later")
    assert clock.sleeps == [300.0, 300.0]
