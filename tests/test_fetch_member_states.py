"""``fetch`` reads a member's ``isArchived`` / ``isInactive`` as the loader does (docs/formats.md §0.6, §1b):
the JSON literal ``true`` counts, an absent field is ``false``, anything else (the string ``"false"``,
``0``, ``null``) refuses the answer before anything is written (``bool("false")`` counted such a member
as archived in the summary, and the written file was one ``plan`` then refused)."""

from __future__ import annotations

import re

import pytest

from .conftest import run_cli
from .misbehaving_server import Answer, MisbehavingServer, token_answer

ENV = {"SIGMA_CLIENT_ID": "client-1", "SIGMA_CLIENT_SECRET": "secret-123456"}


def routes(members: list[dict]) -> dict:
    return {("POST", "/v2/auth/token"): token_answer(),
            ("GET", "/v2/accountTypes"): Answer(200, {"entries": []}),
            ("GET", "/v2.1/members"): Answer(200, {"entries": members, "nextPage": None}),
            ("GET", "/v2.1/teams"): Answer(200, {"entries": [], "nextPage": None})}


def member(member_id: str, **state) -> dict:
    return {"memberId": member_id, "email": f"{member_id}@example.com", "memberType": "admin", **state}


def fetch(capsys, monkeypatch, tmp_path, members, *args):
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SIGMA_SCIM_TOKEN", raising=False)
    out = tmp_path / "export"
    out.mkdir()
    with MisbehavingServer(routes(members)) as server:
        code, stdout, err = run_cli(capsys, "fetch", "--out", str(out), "--base-url", server.base_url,
                                    "--no-progress", *args)
    return code, stdout, err, out


def test_only_the_json_literal_true_counts_as_archived_or_inactive(capsys, monkeypatch, tmp_path):
    code, stdout, err, out = fetch(capsys, monkeypatch, tmp_path, [
        member("m1", isArchived=True, isInactive=False), member("m2"), member("m3", isArchived=False, isInactive=True)],
        "--no-scim-state")
    assert (code, err) == (0, "")
    assert stdout == (f"fetched 3 members (1 archived, 1 inactive), 0 teams, 0 team memberships, 0 account types "
                      f"into {out} (without Sigma's SCIM state: --no-scim-state)\n")


@pytest.mark.parametrize("states, refused", [
    ({"isInactive": True}, True), ({"isInactive": True, "isArchived": False}, True),
    ({"isInactive": True, "isArchived": True}, False), ({"isInactive": False}, False), ({}, False)])
def test_without_the_scim_token_only_a_member_scim_made_inactive_refuses_the_fetch(
        capsys, monkeypatch, tmp_path, states, refused):
    """Tester6 finding 14: a member SCIM made inactive (isInactive, not archived: the pre-flight check's
    trace, planner.rules.preflight.made_inactive_by_scim) is what a REST answer shows of SCIM; without
    SIGMA_SCIM_TOKEN or --no-scim-state the fetch stops, nothing written; else the export says not_read."""
    code, stdout, err, out = fetch(capsys, monkeypatch, tmp_path, [member("m1"), member("m2", **states)])
    if refused:
        assert (code, stdout, list(out.iterdir())) == (1, "", [])
        assert err.startswith("sigma-migrate: error: GET /v2.1/members: 1 member(s) are inactive (isInactive), a "
                              "state only SCIM gives (docs/sigma-api.md §2.2): ")
    else:
        assert (code, err) == (0, "")
        assert stdout.endswith(f"into {out} (without Sigma's SCIM state: no SIGMA_SCIM_TOKEN)\n")
        manifest = (out / "fetch-manifest.json").read_text()
        assert re.fullmatch('{\n "manifest": "sigma-migrate fetch",\n "version": 1,\n "scimState": "not_read",\n'
                            ' "fetchedAt": "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ",\n "files": {\n'
                            '  "account_types.json": 0,\n  "members.json": 2,\n  "teams.json": 0,\n'
                            '  "team_members.json": 0\n }\n}\n', manifest), manifest


@pytest.mark.parametrize("field, value, shown", [
    ("isArchived", "false", '"false"'), ("isInactive", 0, "0"), ("isArchived", None, "null")])
def test_a_member_state_that_is_no_json_boolean_refuses_the_answer(capsys, monkeypatch, tmp_path, field, value, shown):
    code, stdout, err, out = fetch(capsys, monkeypatch, tmp_path, [member("m1"), member("m2", **{field: value})])
    what = field[2:].lower()
    assert (code, stdout) == (1, "")
    assert err == (f"sigma-migrate: error: GET /v2.1/members: member 2 ('m2') has {field} {shown}, not true or "
                   f"false: whether the member is {what} cannot be read\n")
    assert list(out.iterdir()) == []
