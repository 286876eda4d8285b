"""OneLogin users CSV read with the built-in layout, ``--idp-format onelogin`` (tester16a finding 1).

OneLogin's ``status`` is a number (docs/formats.md §5): 1 Active and 3 Locked, 4 Password expired, 5 Awaiting
password reset, 7 Password pending, 8 Security questions required are active accounts in a temporary state (as
Okta's ``LOCKED_OUT`` / ``PASSWORD_EXPIRED`` / ``RECOVERY``); 2 Suspended is suspended; 0 Unactivated was never
activated (as Okta's ``STAGED``); any other value is an ``unreadable-status`` error. Was: docs/formats.md told admins
to map 3-8 as inactive, and the plan deactivated Sigma members who were active in OneLogin. Each test writes the
CSV as OneLogin's SDK sample writes it (§5) to disk and loads it with the real loader.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from planner.model import Snapshot
from planner.planfile import read_plan
from planner.planning import build_plan
from planner.rules.idp_status import never_activated, suspended
from planner.sources import load_idp

from .conftest import run_cli, write
from .plan_factory import member, policy, snapshot
from .tiny_org import member as sigma_member

REPO = Path(__file__).resolve().parent.parent
HEADER = ("id,external_id,email,username,firstname,lastname,status,state,group_id,role_ids,member_of,last_login,"
          "created_at\n")
LABELS = {"0": "Unactivated", "1": "Active", "2": "Suspended", "3": "Locked", "4": "Password expired",
          "5": "Awaiting password reset", "7": "Password pending", "8": "Security questions required"}


def row(status: str, who: str = "") -> str:
    """One user of status ``status``: id ``4100000<status>``, ``user<status>@example.com`` (or ``who``)."""
    who = who or f"user{status}"
    return (f"4100000{status},,{who}@example.com,{who},User,S{status},{status},1,310001,\"[52001, 52002]\",,"
            "2025-05-21T09:14:55.000Z,2021-03-01T09:00:00.000Z\n")


CSV = HEADER + "41000099,,root@example.com,root,Root,Admin,1,1,,[],,,2021-03-01T09:00:00.000Z\n" + "".join(
    row(s) for s in LABELS)
"""The protected admin (status 1) and one user per status OneLogin documents."""

MEMBERS = [member(f"m{s}", f"user{s}@example.com", "User", f"S{s}", member_type="Build") for s in LABELS]


def load(tmp_path: Path, text: str = CSV, *more: tuple[str, str], idp_format: str | None = "onelogin"):
    """``(directory, findings)`` of ``text`` written as ``onelogin/users.csv`` (and ``more`` files beside it)."""
    folder = tmp_path / "onelogin"
    write(folder / "users.csv", text)
    for name, content in more:
        write(folder / name, content)
    return load_idp(folder, idp_format)


def errors(findings) -> list[tuple[str, str, str, str, str]]:
    return [(f.code, Path(f.file).name, f.location, f.field, f.message) for f in findings
            if f.severity.value == "error"]


def test_each_status_is_read_as_section_5_says(tmp_path):
    directory, findings = load(tmp_path)
    assert (directory.format, findings) == ("onelogin", [])
    assert [(u.id, u.user_name, u.status, u.active, suspended(u), never_activated(u), u.status_label)
            for u in directory.users] == [
        ("41000099", "root@example.com", "1", True, False, False, "Active"),
        ("41000000", "user0@example.com", "0", False, False, True, "Unactivated"),
        ("41000001", "user1@example.com", "1", True, False, False, "Active"),
        ("41000002", "user2@example.com", "2", False, True, False, "Suspended"),
        ("41000003", "user3@example.com", "3", True, False, False, "Locked"),
        ("41000004", "user4@example.com", "4", True, False, False, "Password expired"),
        ("41000005", "user5@example.com", "5", True, False, False, "Awaiting password reset"),
        ("41000007", "user7@example.com", "7", True, False, False, "Password pending"),
        ("41000008", "user8@example.com", "8", True, False, False, "Security questions required"),
    ]
    user3 = directory.users[4]
    assert ((user3.given_name, user3.family_name), [e.value for e in user3.emails], dict(user3.attributes)) == (
        ("User", "S3"), ["user3@example.com"],
        {"username": "user3", "state": "1", "group_id": "310001", "role_ids": "[52001, 52002]",
         "last_login": "2025-05-21T09:14:55.000Z"})  # created_at: its creation date (tests/test_generic_created.py)
    assert (user3.created, user3.created_field) == ("2021-03-01T09:00:00Z", "created_at")
    assert [(Path(i.path).name, i.kind, i.records) for i in directory.inputs] == [("users.csv", "onelogin.users", 9)]


def plan_of(directory, extra: str = ""):
    return build_plan(Snapshot(sigma=snapshot(MEMBERS).sigma, idp=directory), policy(extra),
                      created_at="2025-01-01T00:00:00Z")


def decisions(plan) -> tuple[list, list]:
    """``([(action id, rule, reason)], [(item id, code, blocking, rule, message)])`` of the members ``m<status>``."""
    return ([(a.id, a.rule, a.reason) for a in plan.actions if getattr(a.target, "member_id", "").startswith("m")],
            [(i.id, i.code, i.blocking, i.rule, i.message) for i in plan.review_items])


def link(status: str) -> tuple[str, str, str]:
    return (f"scim.link_user:m{status}", "linking.user_name", f"link to IdP user 4100000{status} "
            f"(user{status}@example.com): the Sigma email equals the IdP userName")


NEVER_ACTIVATED_ITEM = (
    "unmatched.never_activated:m0", "unmatched.never_activated", True, "unmatched.never_activated",
    "user0@example.com: IdP user 41000000 (user0@example.com) was never activated: status is 0 (Unactivated), while "
    "this member is active in Sigma: the account may have been made by hand, or the export predates the activation, "
    "so it is not deactivated on this alone; decide whether to keep or deactivate this member")
SUSPENDED_ITEM = (
    "unmatched.suspended:m2", "unmatched.suspended", True, "unmatched.idp_suspended",
    "user2@example.com: IdP user 41000002 (user2@example.com) is suspended: status is 2 (Suspended), a hold the IdP "
    "can lift (leave, a security hold, an investigation), while deactivating archives this member and moves their "
    "documents to another owner, which unsuspending does not undo; decide whether to keep or deactivate this member")


def test_the_temporary_states_are_linked_and_0_and_2_are_held(tmp_path):
    directory, _ = load(tmp_path)
    assert decisions(plan_of(directory, "unmatched:\n  idp_inactive: deactivate\n")) == (
        [link(s) for s in ("1", "3", "4", "5", "7", "8")], [NEVER_ACTIVATED_ITEM, SUSPENDED_ITEM])


def test_the_policy_deactivates_0_and_2_when_it_says_so_with_the_label_in_the_reason(tmp_path):
    directory, _ = load(tmp_path)
    plan = plan_of(directory, "unmatched:\n  idp_inactive: deactivate\n  idp_suspended: deactivate\n"
                              "  decisions: {user0@example.com: deactivate}\n")
    assert decisions(plan) == ([
        link("1"), link("3"), link("4"), link("5"), link("7"), link("8"),
        ("members.deactivate:m0", "unmatched.decisions", "deactivate: IdP user 41000000 (user0@example.com) was never "
         "activated: status is 0 (Unactivated); documents go to root@example.com"),
        ("members.deactivate:m2", "unmatched.idp_suspended", "deactivate: IdP user 41000002 (user2@example.com) is "
         "suspended: status is 2 (Suspended); documents go to root@example.com"),
    ], [])


STATUS_WORDS = ("not a status word of the onelogin layout (1 Active, 3 Locked, 4 Password expired, 5 Awaiting password "
                "reset, 7 Password pending, 8 Security questions required mean active; 0 Unactivated, 2 Suspended mean "
                "inactive): whether the user is active cannot be read (a plan never guesses it); fix the export")


def test_an_undocumented_status_is_an_unreadable_status_error(tmp_path):
    directory, findings = load(tmp_path, HEADER + row("1", "root") + row("6") + row("", "blank"))
    assert errors(findings) == [
        ("unreadable-status", "users.csv", "line 3", "status", f"status is '6', {STATUS_WORDS}"),
        ("unreadable-status", "users.csv", "line 4", "status", f"status is empty, {STATUS_WORDS}")]
    assert [(u.id, u.active, u.status_label) for u in directory.users] == [
        ("41000001", True, "Active"), ("41000006", None, None), ("4100000", None, None)]


def test_a_column_the_layout_reads_missing_is_named_at_the_csv_header(tmp_path):
    _, findings = load(tmp_path, "id,email,firstname,lastname,state\n41000001,a@example.com,A,B,1\n")
    assert errors(findings) == [(
        "missing-column", "users.csv", "line 1", "status",
        "the onelogin layout reads status from column 'status', which is not in the CSV: users.csv has 'id', 'email', "
        "'firstname', 'lastname', 'state' (header at line 1); it reads the columns of "
        "OneLogin's SDK sample export (docs/formats.md §5); read another export with a generic CSV mapping, without "
        "--idp-format onelogin")]


def test_a_mapping_beside_the_layout_is_refused_never_one_of_them_guessed(tmp_path):
    directory, findings = load(tmp_path, CSV, ("map.yaml", "columns:\n  userName: username\n  status: status\n"
                                                           "active_statuses: ['1']\ninactive_statuses: ['0']\n"))
    assert directory.users == ()
    assert errors(findings) == [(
        "ambiguous-mapping", "map.yaml", "", "",
        "a generic CSV mapping beside --idp-format onelogin, whose layout is built in (docs/formats.md §5): the "
        "loader does not guess which of the two reads the CSV; drop --idp-format onelogin to read it with this "
        "mapping, or remove the file")]


def test_without_the_flag_a_onelogin_csv_is_named_never_taken_for_another_export(tmp_path):
    # the SDK export's userprincipalname column made it an Entra users file (missing accountEnabled, ...)
    text = CSV.replace("created_at\n", "created_at,userprincipalname\n", 1)
    directory, findings = load(tmp_path, text, idp_format=None)
    assert (directory.users, errors(findings)) == ((), [(
        "unknown-format", "users.csv", "", "",
        "cannot tell which IdP export this is (OneLogin users CSV columns (role_ids, status), read only with "
        "--idp-format onelogin); pass --idp-format or a generic-csv mapping YAML")])


def docs_mapping() -> str:
    """The OneLogin mapping docs/formats.md gives (the YAML block after '**OneLogin** (§5)')."""
    text = (REPO / "docs" / "formats.md").read_text(encoding="utf-8")
    after = text.split("**OneLogin** (§5)", 1)[1]
    return re.search(r"```yaml\n(.*?)```", after, re.S).group(1)


def test_the_docs_mapping_reads_as_the_layout_does(tmp_path):
    """The docs' example is the layout written out: it reads every user as ``--idp-format onelogin`` does."""
    layout, _ = load(tmp_path / "a")
    mapped, findings = load(tmp_path / "b", CSV, ("mapping.yaml", docs_mapping().replace(
        "users: onelogin-users.csv", "users: users.csv")), idp_format=None)
    assert (mapped.format, errors(findings)) == ("generic-csv", [])
    assert [(u, u.suspended, u.never_activated, u.status_label) for u in mapped.users] == [
        (u, u.suspended, u.never_activated, u.status_label) for u in layout.users]


TINY_SIGMA = json.dumps([sigma_member("mRoot", "Admin", "Root", "root@example.com"),
                         sigma_member("m3", "Build", "User", "user3@example.com")])
CLI_POLICY = ("organization:\n  name: Example\n  scim_setup_admin: root@example.com\n"
              "  api_credential_owner: root@example.com\n  document_owner: root@example.com\n"
              "unmatched:\n  idp_inactive: deactivate\n"
              "preflight:\n  saml_only: true\n  previous_scim: none\n  guests_informed: true\n")


@pytest.fixture
def org(tmp_path):
    write(tmp_path / "sigma" / "members.json", TINY_SIGMA)
    write(tmp_path / "sigma" / "teams.json", '{"entries": [], "nextPage": null}')
    write(tmp_path / "sigma" / "team_members.json", "{}")
    write(tmp_path / "policy.yaml", CLI_POLICY)
    return tmp_path


def test_plan_idp_format_onelogin_links_a_locked_member(org, capsys):
    write(org / "idp" / "users.csv", HEADER + "41000099,,root@example.com,root,Root,Admin,1,1,,[],,,\n" + row("3"))
    code, _, err = run_cli(capsys, "plan", "--sigma", str(org / "sigma"), "--idp", str(org / "idp" / "users.csv"),
                           "--idp-format", "onelogin", "--policy", str(org / "policy.yaml"), "--out",
                           str(org / "plan.json"))
    assert code == 0, err
    plan = read_plan(org / "plan.json")
    assert ([(a.id, a.rule) for a in plan.actions], [i.id for i in plan.review_items if i.blocking]) == (
        [("scim.link_user:m3", "linking.user_name"), ("scim.link_user:mRoot", "linking.user_name")], [])


def test_plan_idp_format_onelogin_stops_on_an_undocumented_status(org, capsys):
    csv_path = write(org / "idp" / "users.csv", HEADER + row("1", "root") + row("6"))
    code, out, err = run_cli(capsys, "plan", "--sigma", str(org / "sigma"), "--idp", str(csv_path),
                             "--idp-format", "onelogin", "--policy", str(org / "policy.yaml"), "--out",
                             str(org / "plan.json"))
    assert (code, out, err) == (1, "", (
        f"sigma-migrate: error: the inputs have 1 error(s), first: error: {csv_path}:line 3 [status]: status is '6', "
        f"{STATUS_WORDS} (unreadable-status); run `sigma-migrate check` to list every finding\n"))
    assert not (org / "plan.json").exists()
