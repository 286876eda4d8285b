"""Issue 12 item 1: one redaction function for every printed or written string.

Unit cases pin each form a secret travels in; the end-to-end cases run ``fetch`` and
``apply`` against a real server on 127.0.0.1 that quotes the request back in its errors.
"""

from __future__ import annotations

import base64
import json
from urllib.parse import quote, quote_plus

import pytest

from planner.execute.apply import ApplyOptions, apply_plan
from planner.execute.errors import ApiError
from planner.execute.retry import RetryPolicy
from planner.execute.scim_client import SigmaScimClient
from planner.execute.targets import TargetError
from planner.fetch import ApiReader, FetchError
from planner.redaction import Redactor, default_redactor

from .conftest import run_cli
from .execute_support import write_test_plan
from .misbehaving_server import Answer, MisbehavingServer, echo_request, token_answer

CLIENT_ID = "client-7f3a9"
SECRET = "s3cr/t+va=lue&42"  # percent-encoding and form encoding both change it
TOKEN = "scim-TOKz-secret-value-0123456789"


def test_every_form_of_a_registered_secret_is_replaced():
    redact = Redactor()
    redact.add_pair(CLIENT_ID, SECRET)
    basic = base64.b64encode(f"{CLIENT_ID}:{SECRET}".encode()).decode()
    text = (f"raw {SECRET} url {quote(SECRET, safe='')} form {quote_plus(SECRET)} "
            f"json {json.dumps({'s': SECRET})} basic-alone {basic}")
    assert redact(text) == 'raw *** url *** form *** json {"s": "***"} basic-alone ***'


def test_a_body_cut_in_the_middle_of_a_secret_loses_the_start_too():
    redact = Redactor([TOKEN])
    assert redact("unknown credential scim-TOKz-sec") == "unknown credential ***"
    assert redact("unknown credential scim-TOKz-sec...") == "unknown credential ***..."
    assert redact("the word scim alone stays") == "the word scim alone stays"


def test_short_values_are_masked_only_where_they_travel_as_credentials():
    # tester6 finding 8: SIGMA_CLIENT_ID=acme turned every ruth.adler@acme.example of a result file into
    # ruth.adler@***.example; a value under MIN_SECRET_CHARS is not searched in free text
    redact = Redactor(["a", "xyz1", "acme", "Build"])
    redact.add_pair("acme", "Build")
    assert redact("Connection refused (xyz12 is not xyz1)") == "Connection refused (xyz12 is not xyz1)"
    assert redact("ruth.adler@acme.example: View -> Build") == "ruth.adler@acme.example: View -> Build"
    assert redact("client_id=a&grant_type=client_credentials") == "client_id=***&grant_type=client_credentials"
    assert redact('{"client_secret": "Build"} http://acme:Build@host/x') == '{"client_secret": "***"} http://***@host/x'
    basic = base64.b64encode(b"acme:Build").decode()
    assert redact(f"sent {basic} to the token endpoint") == "sent *** to the token endpoint"


def test_credential_shapes_are_replaced_even_when_unknown():
    redact = Redactor()
    assert redact("GET http://ID:SECRET@host/v2 Authorization: Bearer abc.def-ghi") == (
        "GET http://***@host/v2 Authorization: Bearer ***")
    assert redact('{"access_token": "zzz", "expires_in": 3600}') == '{"access_token": "***", "expires_in": 3600}'
    assert redact("SIGMA_SCIM_TOKEN=abc POST /v2/auth/token: 401") == "SIGMA_SCIM_TOKEN=*** POST /v2/auth/token: 401"


def test_default_redactor_reads_every_credential_of_the_environment():
    redact = default_redactor({"SIGMA_CLIENT_ID": CLIENT_ID, "SIGMA_CLIENT_SECRET": SECRET,
                               "OKTA_API_TOKEN": "okta-token-123456", "HOME": "/root"})
    assert redact(f"{CLIENT_ID} {SECRET} okta-token-123456 /root") == "*** *** *** /root"


# --------------------------------------------------------------------------- fetch, end to end


def test_fetch_redacts_a_token_request_quoted_back_by_the_server(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SIGMA_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("SIGMA_CLIENT_SECRET", SECRET)
    with MisbehavingServer({("POST", "/v2/auth/token"): echo_request(400)}) as server:
        code, out, err = run_cli(capsys, "fetch", "--out", str(tmp_path / "x"), "--base-url", server.base_url)
    assert code == 1
    assert err == ("sigma-migrate: error: REST POST /v2/auth/token: 400: token request refused (bad request "
                   "POST /v2/auth/token authorization= body=grant_type=client_credentials&client_id=***"
                   "&client_secret=***); check SIGMA_CLIENT_ID / SIGMA_CLIENT_SECRET and the region\n")


def test_fetch_redacts_the_scim_token_and_the_minted_token_quoted_raw():
    def quote_token(method, path, headers, body):
        return Answer(403, {"message": f"token {headers['authorization'].split()[-1]} may not read {path}"})

    with MisbehavingServer({("POST", "/v2/auth/token"): token_answer("minted-0123456789"),
                            ("GET", "/v2/accountTypes"): quote_token,
                            ("GET", "/scim/v2/Users"): quote_token}) as server:
        rest = ApiReader(server.base_url, client_id=CLIENT_ID, client_secret=SECRET, attempts=1)
        with pytest.raises(FetchError) as rest_error:
            rest.get("/v2/accountTypes")
        scim = ApiReader(server.base_url + "/scim/v2", token=TOKEN, attempts=1)
        with pytest.raises(FetchError) as scim_error:
            scim.get("/Users")
    assert str(rest_error.value) == "REST GET /v2/accountTypes: 403: token *** may not read /v2/accountTypes"
    assert str(scim_error.value) == "SCIM GET /Users: 403: token *** may not read /scim/v2/Users"


def test_a_secret_inside_a_base_url_never_prints(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("SIGMA_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("SIGMA_CLIENT_SECRET", "topsecret-in-a-path")
    code, _, err = run_cli(capsys, "fetch", "--out", str(tmp_path / "x"),
                           "--base-url", "http://api.example.com/topsecret-in-a-path")
    assert code == 1
    assert err == ("sigma-migrate: error: --base-url 'http://api.example.com/***' uses http; https is required "
                   "except for loopback hosts (127.0.0.1, ::1, localhost)\n")
    code, _, err = run_cli(capsys, "fetch", "--out", str(tmp_path / "x"), "--base-url", "http://ID:SECRET@127.0.0.1:9")
    assert err == ("sigma-migrate: error: --base-url 'http://***@127.0.0.1:9' must not carry credentials "
                   "(user:password@); use the environment variables\n")


# --------------------------------------------------------------------------- apply, end to end


def test_apply_redacts_a_url_encoded_secret_in_the_token_error(tmp_path):
    plan = write_test_plan(tmp_path)
    environ = {"SIGMA_CLIENT_ID": CLIENT_ID, "SIGMA_CLIENT_SECRET": SECRET, "SIGMA_SCIM_TOKEN": TOKEN}
    with MisbehavingServer({("POST", "/v2/auth/token"): echo_request(400)}) as server:
        options = ApplyOptions(auto_approve=True, rest_base_url=server.base_url,
                               scim_base_url=server.base_url + "/scim/v2", environ=environ,
                               retry=RetryPolicy(max_attempts=1), write_html=False)
        with pytest.raises(TargetError) as refused:
            apply_plan(plan, options)
    message = str(refused.value)
    assert SECRET not in message and quote_plus(SECRET) not in message and CLIENT_ID not in message
    assert message == (
        f"SIGMA_CLIENT_ID / SIGMA_CLIENT_SECRET refused by the REST API at {server.base_url} "
        "(POST /v2/auth/token: 400: token request refused (bad request POST /v2/auth/token authorization= "
        "body=grant_type=client_credentials&client_id=***&client_secret=***)); "
        "check SIGMA_CLIENT_ID / SIGMA_CLIENT_SECRET; nothing was written")


def test_a_scim_error_quoting_the_bearer_token_is_redacted_before_it_is_cut():
    long_echo = "x" * 485 + f" you sent {TOKEN}"  # the token straddles ApiError's 500-character cut

    with MisbehavingServer({("GET", "/scim/v2/Users"): Answer(400, long_echo.encode(),
                                                              {"Content-Type": "text/plain"})}) as server:
        client = SigmaScimClient(server.base_url + "/scim/v2", TOKEN, retry_policy=RetryPolicy(max_attempts=1))
        with pytest.raises(ApiError) as failed:
            client.check_access()
    assert "scim-TOK" not in str(failed.value)
    assert str(failed.value).endswith("x you sent ***")


# --------------------------------------------------------------------------- URL queries and fragments


def test_every_query_value_and_the_fragment_of_a_url_is_masked_keys_kept():
    redact = Redactor()
    assert redact("GET https://h.example/v2/members?sig=S1g&limit=10&flag#access_token=T0k, then") == (
        "GET https://h.example/v2/members?sig=***&limit=***&***#***, then")
    assert redact("(see http://127.0.0.1:9/scim?sv=2024&sig=abc).") == "(see http://127.0.0.1:9/scim?sv=***&sig=***)."
    assert redact("a path ?sig=abc with no URL, https://h.example/v2/ and https://h.example/?") == (
        "a path ?sig=abc with no URL, https://h.example/v2/ and https://h.example/?")


def test_odata_query_options_keep_their_values_a_cursor_and_secrets_do_not():
    """tester8 finding 22: a Graph next link in a message read ``?$top=***&$select=***``; the options that
    say what was asked keep their values ($ raw or %24), the cursor, a filter and any secret are masked."""
    redact = Redactor(["Sup3rSecretValue"])
    assert redact("the page cursor 'https://graph.microsoft.com/v1.0/users?$top=999&$select=id,mail&$count=true"
                  "&$skiptoken=RFNwdAIAAQ' came twice") == (
        "the page cursor 'https://graph.microsoft.com/v1.0/users?$top=999&$select=id,mail&$count=true"
        "&$skiptoken=***' came twice")
    assert redact("http://127.0.0.1:9/v1.0/groups?%24top=2&%24Skip=4&%24orderby=displayName&%24filter=x+eq+1") == (
        "http://127.0.0.1:9/v1.0/groups?%24top=2&%24Skip=4&%24orderby=displayName&%24filter=***")
    assert redact("https://h.example/v1.0/users?$select=Sup3rSecretValue&top=5&access_token=abc#t") == (
        "https://h.example/v1.0/users?$select=***&top=***&access_token=***#***")


@pytest.mark.parametrize("command", ["verify", "apply"])
def test_verify_and_apply_never_print_a_signed_base_url(tmp_path, capsys, monkeypatch, command):
    """A base URL with a signature in its query (or a token in its fragment) is refused, and the refusal
    names the URL with the key names only: no query value or fragment reaches the terminal."""
    from .execute_support import counting_sandbox, sandbox_env

    server, _ = counting_sandbox()
    try:
        plan = write_test_plan(tmp_path)
        for key, value in sandbox_env(server).items():
            monkeypatch.setenv(key, value)
        approve = ("--auto-approve",) if command == "apply" else ()
        code, out, err = run_cli(capsys, command, str(plan), *approve, "--rest-base-url", server.base_url + "?sig=S1gnatur3",
                                 "--scim-base-url", server.scim_base_url)
        assert (code, out, err) == (1, "", f"sigma-migrate: error: REST base URL '{server.base_url}?sig=***' must "
                                           "not have a query string or a fragment\n")
        code, out, err = run_cli(capsys, command, str(plan), *approve, "--rest-base-url", server.base_url,
                                 "--scim-base-url", server.scim_base_url + "?sv=1&sig=S1gnatur3#t0ken")
        assert (code, out, err) == (1, "", f"sigma-migrate: error: SCIM base URL '{server.scim_base_url}?sv=***&"
                                           "sig=***#***' must not have a query string or a fragment\n")
    finally:
        server.close()
