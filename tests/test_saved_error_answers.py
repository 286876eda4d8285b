"""A sign-in page or an API's error answer saved in place of an export is named as such (tester13 N4).

Before, Okta's sign-in page saved as users.json was only "malformed JSON: Expecting value", and an expired
token's answer ``{"errorCode": "E0000011", ...}`` was "expected an array of records ...; found an object without
'users'": true, and no help. Each is still an error (exit 1, no plan); the message now says what the file is and
what to do. Real files, read by ``check``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from planner.sources.envelopes import api_error

from .conftest import run_cli

SAMPLE = Path(__file__).resolve().parent.parent / "samples" / "acme"
AGAIN = "not an export: sign in again (or use a valid token) and save the API's answer again (unexpected-json-shape)"


@pytest.mark.parametrize(("answer", "said"), [
    ({"errorCode": "E0000011", "errorSummary": "Invalid token provided", "errorLink": "E0000011", "errorId": "oae1",
      "errorCauses": []}, "E0000011 Invalid token provided"),
    ({"code": "unauthorized", "message": "Token expired", "requestId": "r1"}, "unauthorized: Token expired"),
    ({"error": {"code": "InvalidAuthenticationToken", "message": "Access token has expired."}},
     "InvalidAuthenticationToken Access token has expired."),
    ({"error": {"code": 401, "message": "Request had invalid credentials.", "status": "UNAUTHENTICATED"}},
     "UNAUTHENTICATED Request had invalid credentials."),
    ({"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "401", "detail": "Unauthorized"},
     "401 Unauthorized"),
    ({"users": []}, None), ({"code": "x", "message": "y", "users": []}, None), ([{"errorCode": "E1"}], None),
])
def test_api_error_reads_each_api_s_error_answer(answer, said):
    assert api_error(answer) == said


def test_check_names_a_sign_in_page_and_error_answers(capsys, tmp_path):
    shutil.copytree(SAMPLE / "sigma", tmp_path / "sigma")
    shutil.copytree(SAMPLE / "okta", tmp_path / "okta")
    (tmp_path / "sigma" / "members.json").write_text("\n<!DOCTYPE html>\n<html><head><title>Sign in</title></head>"
                                                     "</html>\n")
    (tmp_path / "sigma" / "teams.json").write_text(json.dumps({"code": "unauthorized", "message": "Token expired"}))
    (tmp_path / "okta" / "users.json").write_text(json.dumps({"errorCode": "E0000011",
                                                              "errorSummary": "Invalid token provided"}))
    code, out, err = run_cli(capsys, "check", "--sigma", str(tmp_path / "sigma"), "--idp", str(tmp_path / "okta"))
    assert code == 1
    assert [line for line in (out + err).splitlines() if line.startswith("error:")][:3] == [
        f"error: {tmp_path / 'sigma' / 'members.json'}:line 2 column 1: malformed JSON: Expecting value (this is a "
        "web page, not the API's JSON answer: a sign-in or error page saved from the browser? sign in, open the API "
        "address again and save its answer) (malformed-json)",
        f"error: {tmp_path / 'sigma' / 'teams.json'}:$: teams.json: this is the API's error answer (unauthorized: "
        f"Token expired), {AGAIN}",
        f"error: {tmp_path / 'okta' / 'users.json'}:$: Okta users file: this is the API's error answer (E0000011 "
        f"Invalid token provided), {AGAIN}",
    ]
