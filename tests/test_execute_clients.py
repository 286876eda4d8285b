"""The REST and SCIM clients against the sandbox: tokens, 401 re-mint, spacing, SCIM filter quoting."""

from __future__ import annotations

import pytest
from scim2_models import Name

from planner.execute.errors import ApiError, AuthError
from planner.execute.rest_client import SigmaRestClient
from planner.execute.scim_client import SigmaScimClient, SigmaUser, user_name_filter
from planner.policy import Targets
from planner.execute.targets import Credentials, Redactor, TargetError, check_base_url, resolve_targets

from .execute_support import FAST_RETRY, counting_sandbox


@pytest.fixture
def server():
    server, _ = counting_sandbox()
    yield server
    server.close()


class FakeClock:
    """Monotonic seconds that move only when the client sleeps (or the test says so)."""

    def __init__(self):
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def rest_client(server, **kw):
    kw.setdefault("retry_policy", FAST_RETRY)
    return SigmaRestClient(server.base_url, server.client_id, server.client_secret, **kw)


def test_token_is_minted_once_and_reused(server):
    client = rest_client(server)
    for member_id in ("m1", "m2", "m3", "m1"):
        assert client.get_member(member_id).member_id == member_id
    assert server.request_counts["POST /v2/auth/token"] == 1
    assert client.tokens_minted == 1


def test_token_is_renewed_shortly_before_expiry_without_a_401():
    server, _ = counting_sandbox(token_lifetime=100)
    try:
        clock = FakeClock()
        client = rest_client(server, clock=clock, sleep=clock.sleep)
        client.get_member("m1")
        clock.now += 85  # 15 s of life left: still reused (margin is 10% = 10 s)
        client.get_member("m1")
        assert client.tokens_minted == 1
        clock.now += 6  # 9 s left: renewed before use
        client.get_member("m1")
        assert client.tokens_minted == 2
        assert server.status_counts[("GET /v2/members/{memberId}", 401)] == 0
    finally:
        server.close()


def test_401_remints_once_and_repeats_the_request(server):
    clock = FakeClock()
    client = rest_client(server, clock=clock, sleep=clock.sleep)
    client.get_member("m1")
    server.expire_tokens()

    assert client.get_member("m2").email == "o'brien@example.com"
    assert server.status_counts[("GET /v2/members/{memberId}", 401)] == 1
    assert server.request_counts["POST /v2/auth/token"] == 2
    assert clock.sleeps == [1.0]  # the second token call waited for the 1 s spacing


def test_token_calls_are_spaced_by_a_second_so_sigma_never_throttles_them():
    server, _ = counting_sandbox(token_rate=1.0)  # Sigma's documented limit (docs/sigma-api.md §7)
    try:
        client = rest_client(server)
        client.get_member("m1")
        server.expire_tokens()
        client.get_member("m1")
        server.expire_tokens()
        client.get_member("m1")
        assert server.request_counts["POST /v2/auth/token"] == 3
        assert server.status_counts[("POST /v2/auth/token", 429)] == 0
    finally:
        server.close()


def test_refused_credentials_are_one_auth_error_without_the_secret(server):
    client = SigmaRestClient(server.base_url, server.client_id, "wrong-secret-value", retry_policy=FAST_RETRY)
    with pytest.raises(AuthError) as refused:
        client.get_member("m1")
    message = str(refused.value)
    assert message.startswith("REST POST /v2/auth/token: 401")
    assert "check SIGMA_CLIENT_ID / SIGMA_CLIENT_SECRET" in message
    assert "wrong-secret-value" not in message and server.client_id not in message


def test_a_401_after_the_remint_is_an_auth_error(server):
    client = rest_client(server, min_token_interval=0)
    client.get_member("m1")
    server.credentials.client_secret = "rotated"  # the secret was rotated while we ran
    server.expire_tokens()
    with pytest.raises(AuthError, match="token request refused"):
        client.get_member("m1")


def test_409_on_member_create_names_the_existing_member(server):
    client = rest_client(server)
    with pytest.raises(ApiError) as conflict:
        client.request("POST", "/v2/members", json={"email": "alice@example.com", "firstName": "A", "lastName": "B"})
    assert conflict.value.status == 409
    assert conflict.value.existing_member_id == "m1"


def test_team_members_are_read_across_pages(server):
    server.faults.set(page_cap=1)
    assert [e.user_id for e in rest_client(server).list_team_members("t1")] == ["m1", "m3"]


# --------------------------------------------------------------------------- SCIM


def scim_client(server):
    return SigmaScimClient(server.scim_base_url, server.scim_token, retry_policy=FAST_RETRY)


def _user(user_name):
    return SigmaUser(user_name=user_name, name=Name(given_name="Q", family_name="Uote"), user_type="Viewer",
                     external_id="00u-" + user_name)


@pytest.mark.parametrize("user_name", [
    "o'brien@example.com",
    'dq"uote@example.com',
    "back\\slash@example.com",
])
def test_user_name_filter_values_survive_quoting(server, user_name):
    scim = scim_client(server)
    assert scim.find_user(user_name) is None
    created = scim.create_user(_user(user_name))
    found = scim.find_user(user_name)
    assert found is not None and found.id == created.id and found.user_name == user_name


def test_user_name_filter_is_a_json_string_literal():
    assert user_name_filter("o'brien@example.com") == "userName eq \"o'brien@example.com\""
    assert user_name_filter('a"b\\c@example.com') == 'userName eq "a\\"b\\\\c@example.com"'


def test_linking_an_existing_member_twice_is_a_409(server):
    scim = scim_client(server)
    linked = scim.create_user(_user("alice@example.com"))
    assert linked.id == "m1"  # the sandbox links the member whose email is the userName
    with pytest.raises(ApiError) as conflict:
        scim.create_user(_user("alice@example.com"))
    assert conflict.value.status == 409 and conflict.value.api == "scim"


def test_wrong_scim_token_is_an_auth_error(server):
    scim = SigmaScimClient(server.scim_base_url, "not-the-token", retry_policy=FAST_RETRY)
    with pytest.raises(AuthError) as refused:
        scim.find_user("alice@example.com")
    assert refused.value.status == 401 and "not-the-token" not in str(refused.value)


# --------------------------------------------------------------------------- targets


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080", "http://localhost:1/scim/v2", "http://[::1]:9/",
                                 "https://api.sigmacomputing.com"])
def test_https_or_loopback_base_urls_are_accepted(url):
    assert check_base_url(url, "REST base URL") == url.rstrip("/")


@pytest.mark.parametrize("url, message", [
    ("http://api.sigmacomputing.com", "uses http; https is required except for loopback hosts"),
    ("api.sigmacomputing.com", r"is not an absolute http\(s\) URL"),
    ("http://user:pw@example.com", "must not carry credentials"),
    ("https://user:pw@api.sigmacomputing.com", "must not carry credentials"),
])
def test_unsafe_base_urls_are_refused(url, message):
    with pytest.raises(TargetError, match=message):
        check_base_url(url, "REST base URL")


def test_flags_win_over_the_policy_targets():
    policy = Targets(rest_base_url="https://api.sigmacomputing.com", scim_base_url="https://scim.example.com/scim/v2")
    targets = resolve_targets(policy, "http://127.0.0.1:5000", None)
    assert targets.rest_base_url == "http://127.0.0.1:5000"
    assert targets.scim_base_url == "https://scim.example.com/scim/v2"


def test_missing_credentials_name_the_variable():
    creds = Credentials.from_env({"SIGMA_CLIENT_ID": "id"})
    with pytest.raises(TargetError, match="SIGMA_CLIENT_SECRET is not set"):
        creds.require_rest()
    with pytest.raises(TargetError, match="SIGMA_SCIM_TOKEN is not set"):
        creds.require_scim()
    assert "id" not in repr(Credentials.from_env({"SIGMA_CLIENT_ID": "id-value"})).replace("client_id", "")


def test_redactor_hides_every_secret_in_text_and_values():
    redact = Redactor(("s3cret-value", "tok"))
    redact.add("minted-token")
    assert redact("Bearer minted-token and s3cret-value") == "Bearer *** and ***"
    assert redact.value({"a": ["s3cret-value", 1], "b": "x"}) == {"a": ["***", 1], "b": "x"}
    # a value under 8 characters is left to the credential shapes (tester6 finding 8): "tok" is a word
    assert redact("tok and token=tok") == "tok and token=***"
