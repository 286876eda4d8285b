"""Apply checks whose REST credentials it holds against the member the plan was made for.

tester6 finding 18 (and tester7's re-test): the plan's ``api_credential_owner`` guard kept the member
the policy names active and admin; apply compared nothing with the member the credentials really
belong to (``GET /v2/whoami``), so credentials a colleague made were used by a plan that downgraded
their owner: 403 on every later REST request, a ``--resume`` that never ends. Now:

- whoami names another member than the plan's ``organization.api_credential_owner``: refused before
  the first write, one line naming both members and the two ways out;
- the same member: applied;
- a plan that records no owner (its policy named none): apply says whom it found, and goes on only when the
  plan neither deactivates them nor takes their admin account type (one clause per loss, naming
  every action of it).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.errors import UserError
from planner.execute.apply import ApplyOptions, apply_plan, dry_run_lines
from planner.execute.approve import approve
from planner.execute.errors import ApiError
from planner.execute.rest_client import whoami_record
from planner.model import ActionKind
from planner.planfile import read_plan, write_plan
from planner.rules.guards import owner_losses
from planner.sandbox.server import SandboxServer, banner

from .conftest import run_cli
from .execute_support import (
    act, approved_sample_plan, copy_approved, counting_sandbox, link, options_for, sandbox_env, write_test_plan,
)
from .sandbox_fixture import ACME_SIGMA_DIR, SAMPLE_CREDENTIAL_OWNER

REPO = Path(__file__).resolve().parent.parent
SIGMA, OKTA, POLICY = ACME_SIGMA_DIR, REPO / "samples/acme/okta", REPO / "policies/examples/demo.yaml"

MARCUS = "o3bcUiNHAhqVu10fs8bWxqfRdo08M"
"""marcus.webb@acme.example: the demo policy's organization.api_credential_owner, Admin before and after."""
TOMASZ = "a2k0X05ZReoLOuaKbMMocRqhaR08A"
"""tomasz.nowak@acme.example: the sample's first active Admin (the sandbox's default credential owner)."""
HELEN = "QK9fJMB9nEBWpYLdl9yg76p7wxYSm"
"""helen.ortiz@acme.example: Admin in Sigma, Analyze after the sample plan (her Okta groups)."""


def _apply(capsys, path, server, *more):
    return run_cli(capsys, "apply", str(path), "--rest-base-url", server.base_url,
                   "--scim-base-url", server.scim_base_url, "--backoff-base", "0.01", "--backoff-cap", "0.05", *more)


@pytest.fixture
def env(monkeypatch):
    def use(server):
        for name, value in sandbox_env(server).items():
            monkeypatch.setenv(name, value)
    return use


@pytest.fixture(scope="module")
def sample_plan(tmp_path_factory):
    """The bundled sample planned with the demo policy (organization.api_credential_owner: marcus), approved."""
    return approved_sample_plan(tmp_path_factory.mktemp("owner") / "plan.json", OKTA, POLICY)


def _members(server):
    """Every member as the sandbox holds it (archived and inactive included)."""
    return server.state.list_members(include_archived=True, include_inactive=True)[0]


@pytest.mark.parametrize("owner, email", [(TOMASZ, "tomasz.nowak@acme.example"), (HELEN, "helen.ortiz@acme.example")])
def test_credentials_of_another_member_than_the_plans_owner_are_refused_before_the_first_write(
        tmp_path, capsys, env, sample_plan, owner, email):
    path = copy_approved(sample_plan, tmp_path / "p")
    server, counter = counting_sandbox(SIGMA, credential_owner=email.upper())  # a colleague made the credentials
    env(server)
    before = _members(server)
    try:
        code, out, err = _apply(capsys, path, server)
        after = _members(server)
    finally:
        server.close()

    assert code == 1
    assert err == (
        f"sigma-migrate: error: {path}: the REST API credentials belong to member {owner} ({email}) (GET /v2/whoami), "
        f"but the plan was made for organization.api_credential_owner {MARCUS} (marcus.webb@acme.example), whom its "
        f"guards keep active and admin: name {email} in organization.api_credential_owner and plan again, or apply "
        "with marcus.webb@acme.example's REST credentials (SIGMA_CLIENT_ID / SIGMA_CLIENT_SECRET); nothing was written\n")
    assert counter.total() == 0
    assert after == before
    assert not (tmp_path / "p" / "plan.json.journal.sqlite").exists()


def test_credentials_of_the_plans_owner_apply_the_plan(tmp_path, sample_plan):
    path = copy_approved(sample_plan, tmp_path / "p")
    server, counter = counting_sandbox(SIGMA)  # the shared fixture rule: the sample policies' owner
    try:
        assert server.state.credential_owner_id == MARCUS
        lines: list[str] = []
        report = apply_plan(path, options_for(server), echo=lines.append)
    finally:
        server.close()
    assert report.status == "converged"
    assert not [line for line in lines if line.startswith("Credential owner")]  # nothing to say: the plan's owner
    assert counter.total() > 0


def test_a_plan_naming_no_owner_says_whom_it_found_and_applies_when_it_leaves_them_admin(tmp_path):
    path = write_test_plan(tmp_path)  # outcomes.owners empty, as in a plan whose policy names no owner
    approve(path, "Ada Admin")
    server, _ = counting_sandbox()  # small_org: its first admin, mAdmin, owns the credentials
    try:
        lines: list[str] = []
        report = apply_plan(path, options_for(server), echo=lines.append)
    finally:
        server.close()
    assert report.status == "converged"
    assert [line for line in lines if line.startswith("Credential owner")] == [
        "Credential owner: the plan names no organization.api_credential_owner; the REST API credentials belong to "
        "member mAdmin (admin@example.com) (GET /v2/whoami), whom the plan leaves active and admin"]


def test_a_plan_naming_no_owner_that_downgrades_the_credentials_owner_is_refused_once_per_loss(tmp_path, capsys, env):
    actions = [
        link("scim.link_user:mAdmin", "mAdmin", "admin@example.com", "Viewer"),
        act("scim.set_account_type:mAdmin", ActionKind.SCIM_SET_ACCOUNT_TYPE,
            {"memberId": "mAdmin", "email": "admin@example.com", "userName": "admin@example.com"},
            {"userType": "Viewer"}, deps=["scim.link_user:mAdmin"], before={"memberType": "Admin"}),
    ]
    path = write_test_plan(tmp_path, actions)
    approve(path, "Ada Admin")
    server, counter = counting_sandbox()
    env(server)
    try:
        code, out, err = _apply(capsys, path, server)
    finally:
        server.close()

    assert code == 1
    assert err == (
        f"sigma-migrate: error: {path}: the REST API credentials belong to member mAdmin (admin@example.com) "
        "(GET /v2/whoami), who would have account type 'Viewer', not admin (scim.link_user:mAdmin, "
        "scim.set_account_type:mAdmin): that would cut apply's own access mid-run; name them in "
        "organization.api_credential_owner (the plan then keeps them active and admin) or apply with credentials of "
        "the admin it names, and plan again; nothing was written\n")
    assert counter.total() == 0


def test_owner_losses_says_each_loss_once_naming_every_action_of_it():
    actions = [
        link("l1", "m1", "a@example.com", "Admin"),
        link("l2", "m1", "a@example.com", "Viewer"),
        act("d1", ActionKind.MEMBERS_DEACTIVATE, {"memberId": "m1", "email": "a@example.com"},
            {"isArchived": True, "newOwnerId": "m2"}, before={"isArchived": False, "memberType": "Admin"},
            evidence={"kind": "unmatched", "newOwnerEmail": "b@example.com",
                      "documentOwnerFrom": "organization.document_owner"}),
        act("a1", ActionKind.SCIM_SET_ACCOUNT_TYPE, {"memberId": "m1", "email": "a@example.com",
                                                     "userName": "a@example.com"},
            {"userType": "Viewer"}, before={"memberType": "Admin"}),
        act("a2", ActionKind.SCIM_SET_ACCOUNT_TYPE, {"memberId": "m2", "email": "b@example.com",
                                                     "userName": "b@example.com"},
            {"userType": "Viewer"}, before={"memberType": "Admin"}),
    ]
    assert owner_losses("m1", actions, frozenset({"admin"})) == [
        "would have account type 'Viewer', not admin (l2, a1)", "would be deactivated (d1)"]
    assert owner_losses("m3", actions, frozenset({"admin"})) == []


def _dry_run(path: Path) -> list[str]:
    base = "http://127.0.0.1:9"
    lines = dry_run_lines(path, ApplyOptions(rest_base_url=base, scim_base_url=f"{base}/scim/v2", environ={}))
    return lines[lines.index(f"GET {base}/v2/whoami") - 1:][:3]


def test_dry_run_says_which_member_whoami_must_name(sample_plan, tmp_path):
    assert _dry_run(sample_plan) == [
        "# pre-flight read (docs/apply.md \"Preflight\"): organizationId must be 255ae7f7-9a8a-4c14-a5e5-c38f677bcde2 "
        f"and userId member {MARCUS} (marcus.webb@acme.example), the plan's organization.api_credential_owner; "
        "credentials of another member are refused",
        "GET http://127.0.0.1:9/v2/whoami", "Authorization: Bearer ***"]
    unnamed = write_test_plan(tmp_path)
    assert _dry_run(unnamed)[0] == (
        "# pre-flight read (docs/apply.md \"Preflight\"): organizationId must be "
        f"{read_plan(unnamed).organization.organization_id}; the plan names no organization.api_credential_owner, "
        "so the member userId names must be one the plan neither deactivates nor takes an admin account type from")


def test_whoami_is_read_as_a_typed_record_and_an_answer_without_user_id_is_refused():
    assert whoami_record({"userId": "m1", "organizationId": "o1", "accountType": "Admin", "extra": 1}).user_id == "m1"
    with pytest.raises(ApiError) as missing:
        whoami_record({"organizationId": "o1"})
    assert str(missing.value) == "REST GET /v2/whoami: 200: unexpected answer: Object missing required field `userId`"
    with pytest.raises(ApiError) as empty:
        whoami_record({"userId": "m1", "organizationId": ""})
    assert str(empty.value) == ("REST GET /v2/whoami: 200: unexpected answer: Expected `str` of length >= 1 - at "
                                "`$.organizationId`")
    with pytest.raises(ApiError) as listed:
        whoami_record([])
    assert str(listed.value) == "REST GET /v2/whoami: 200: answer is a JSON array, not an object"


def test_the_sandbox_credential_owner_is_chosen_by_email_and_shown_in_the_banner():
    with SandboxServer(SIGMA, credential_owner="Marcus.Webb@ACME.example", token_rate=None) as sandbox:
        assert sandbox.state.credential_owner_id == MARCUS
        assert f"  credentials' owner:  {MARCUS} (marcus.webb@acme.example)  (GET /v2/whoami; --credential-owner EMAIL)" \
            in banner(sandbox)
    assert SAMPLE_CREDENTIAL_OWNER == "marcus.webb@acme.example"
    with pytest.raises(UserError) as unknown:
        SandboxServer(SIGMA, credential_owner="nobody@acme.example")
    assert str(unknown.value) == (
        "--credential-owner nobody@acme.example: no active internal member of the seed has this email; the REST "
        "credentials need an active member to belong to (docs/sigma-api.md §1.2)")


def test_an_undo_plan_refuses_credentials_of_another_member_than_the_undone_plans_owner(tmp_path, capsys, env,
                                                                                         sample_plan):
    """tester10 finding 15: an undo plan carries the undone plan's organization.api_credential_owner
    (planner.execute.undo._undo_owners); credentials of another member are refused with the undo's one way
    out, before the first write."""
    from msgspec.structs import replace

    from planner.execute.journal import Journal, journal_path
    from planner.model import InputFile

    plan = read_plan(sample_plan)
    undone = tmp_path / "plan.json"  # the undone plan's journal, where apply records the undo's run
    Journal.open(undone, plan.digest, []).close()
    undo = replace(plan, summary=replace(plan.summary, undoes=plan.digest),
                   inputs=(InputFile(str(journal_path(undone)), "0" * 64, "apply.journal", 0),))
    path = tmp_path / "undo.json"
    write_plan(undo, path)
    approve(path, "Ada Admin")
    server, counter = counting_sandbox(SIGMA, credential_owner="tomasz.nowak@acme.example")
    env(server)
    try:
        code, out, err = _apply(capsys, path, server)
    finally:
        server.close()
    assert code == 1
    assert err == (
        f"sigma-migrate: error: {path}: the REST API credentials belong to member {TOMASZ} (tomasz.nowak@acme.example) "
        f"(GET /v2/whoami), but this undo plan reverses {plan.digest}, made for organization.api_credential_owner "
        f"{MARCUS} (marcus.webb@acme.example), whom it keeps active and admin: apply it with marcus.webb@acme.example's "
        "REST credentials (SIGMA_CLIENT_ID / SIGMA_CLIENT_SECRET); nothing was written\n")
    assert counter.total() == 0
