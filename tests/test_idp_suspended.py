"""A suspended IdP user is never deactivated on a default (tester13 finding 7).

Suspension is a hold the IdP can lift (Okta ``SUSPENDED`` "cannot sign in, assignments kept", Google
``Suspended``, OneLogin ``status`` 2, JumpCloud ``state: SUSPENDED``); archiving the member and moving their
documents is not undone by unsuspending. Under ``unmatched.idp_suspended: review`` (the default) each such
member is a blocking ``unmatched.suspended`` item (rule ``unmatched.idp_suspended``); ``deactivate`` and ``keep``
settle them all, ``unmatched.decisions`` and the protected members keep their precedence. Entra's disabled and
deleted users, Okta ``DEPROVISIONED``, Google ``Archived`` and SCIM's ``active: false`` are no suspension: they
follow ``unmatched.idp_inactive`` as before; Okta ``LOCKED_OUT`` / ``PASSWORD_EXPIRED`` / ``RECOVERY`` are active.

Each format's case writes a real-format export (docs/formats.md §2a, §3a, §4a, §4b, §5, §6, §7) to disk, loads it
with the real loader and plans it beside literal Sigma members.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from planner.model import Snapshot
from planner.planning import build_plan
from planner.sources import load_idp
from planner.rules.idp_status import suspended

from .plan_factory import member, policy, snapshot

BEN = member("m-ben", "ben.okafor@example.com", "Ben", "Okafor", member_type="Build")
CHLOE = member("m-chloe", "chloe.martin@example.com", "Chloe", "Martin", member_type="View")

OKTA_USERS = [
    {"id": "00u0root000000000000", "status": "ACTIVE", "lastUpdated": "2025-04-30T10:02:13.000Z",
     "profile": {"login": "root@example.com", "email": "root@example.com", "firstName": "Root", "lastName": "Admin"}},
    {"id": "00u4d5e6f7G8H9I0J1K2", "status": "SUSPENDED", "lastUpdated": "2025-04-30T10:02:13.000Z",
     "profile": {"login": "ben.okafor@example.com", "email": "ben.okafor@example.com", "firstName": "Ben",
                 "lastName": "Okafor"}},
    {"id": "00u3c4d5e6F7G8H9I0J1", "status": "DEPROVISIONED", "lastUpdated": "2025-02-28T17:00:00.000Z",
     "profile": {"login": "chloe.martin@example.com", "email": "chloe.martin@example.com", "firstName": "Chloe",
                 "lastName": "Martin"}},
]

GOOGLE_HEADER = ("First Name [Required],Last Name [Required],Email Address [Required],Password [Required],"
                 "Password Hash Function [UPLOAD ONLY],Org Unit Path [Required],New Primary Email [UPLOAD ONLY],"
                 "Status [READ ONLY],Last Sign In [READ ONLY]\n")
GOOGLE_CSV = (GOOGLE_HEADER
              + "Root,Admin,root@example.com,****,,/,,Active,2025/05/21 09:14:55\n"
              + "Ben,Okafor,ben.okafor@example.com,****,,/,,Suspended,2024/11/02 17:03:40\n"
              + "Chloe,Martin,chloe.martin@example.com,****,,/Sales/EMEA,,Archived,Never logged in\n")


def _google_user(uid: str, email: str, given: str, family: str, suspended: bool, archived: bool) -> dict:
    return {"kind": "admin#directory#user", "id": uid, "primaryEmail": email,
            "name": {"givenName": given, "familyName": family, "fullName": f"{given} {family}"},
            "isAdmin": False, "suspended": suspended, "archived": archived, "orgUnitPath": "/",
            "emails": [{"address": email, "primary": True}]}


GOOGLE_API = {"kind": "admin#directory#users", "users": [
    _google_user("104857600000000000001", "root@example.com", "Root", "Admin", False, False),
    _google_user("104857600000000000002", "ben.okafor@example.com", "Ben", "Okafor", True, False),
    _google_user("104857600000000000003", "chloe.martin@example.com", "Chloe", "Martin", False, True),
], "nextPageToken": None}

ONELOGIN_CSV = (
    "id,external_id,email,username,firstname,lastname,status,state,group_id,role_ids,member_of,last_login,created_at\n"
    "41000001,,root@example.com,root,Root,Admin,1,1,310001,\"[52001, 52002]\",,2025-05-21T09:14:55.000Z,"
    "2021-03-01T09:00:00.000Z\n"
    "41000002,,ben.okafor@example.com,ben.okafor,Ben,Okafor,2,1,310001,[52001],,2025-02-20T11:30:00.000Z,"
    "2020-11-12T10:00:00.000Z\n"
    "41000003,,chloe.martin@example.com,chloe.martin,Chloe,Martin,0,1,,[],,,2025-05-01T08:00:00.000Z\n")
ONELOGIN_MAP = ("# OneLogin users (docs/formats.md §5): status 1 Active, 0 Unactivated, 2 Suspended, 3 Locked\n"
                "users: users.csv\ncolumns:\n  userName: email\n  id: id\n  emails: email\n  givenName: firstname\n"
                "  familyName: lastname\n  status: status\nactive_statuses: ['1', '3', '4', '5', '7', '8']\n"
                "inactive_statuses: ['0', '2']\nsuspended_statuses: ['2']\nnever_activated_statuses: ['0']\n"
                "status_labels: {'0': Unactivated, '2': Suspended}\n")
"""A hand mapping of OneLogin as docs/formats.md's generic CSV section writes it (``--idp-format onelogin`` is the same
built in, tests/test_onelogin.py): 3-8 are active accounts (tester16a finding 1)."""

JUMPCLOUD_CSV = ('"firstname","lastname","username","email","_id","state","activated","suspended"\n'
                 '"Root","Admin","root","root@example.com","64a1b2c3d4e5f6a7b8c9d000","ACTIVATED","True","False"\n'
                 '"Ben","Okafor","ben.okafor","ben.okafor@example.com","64a1b2c3d4e5f6a7b8c9d003","SUSPENDED","True",'
                 '"True"\n'
                 '"Chloe","Martin","chloe.martin","chloe.martin@example.com","64a1b2c3d4e5f6a7b8c9d002","STAGED",'
                 '"False","False"\n')
JUMPCLOUD_MAP = ("users: users.csv\ncolumns:\n  userName: username\n  emails: email\n  id: _id\n  givenName: firstname\n"
                 "  familyName: lastname\n  status: state\nactive_statuses: [ACTIVATED]\n"
                 "inactive_statuses: [STAGED, SUSPENDED]\n")

GENERIC_CSV = ("Login,First Name,Last Name,Status\nroot@example.com,Root,Admin,active\n"
               "ben.okafor@example.com,Ben,Okafor,Suspended\nchloe.martin@example.com,Chloe,Martin,disabled\n")
GENERIC_MAP = ("columns:\n  userName: Login\n  givenName: First Name\n  familyName: Last Name\n  status: Status\n")

FORMATS = {
    # format -> (files of the export, Ben's IdP id, what the reason says of Ben, of Chloe); Ben's userName is
    # ben.okafor@example.com but in the JumpCloud export (its username, ben.okafor)
    "okta-api": ({"users.json": json.dumps(OKTA_USERS)}, "00u4d5e6f7G8H9I0J1K2", "is SUSPENDED",
                 "is DEPROVISIONED (deactivated)"),
    "google-csv": ({"users.csv": GOOGLE_CSV}, "ben.okafor@example.com", "is Suspended", "is Archived"),
    "google-api": ({"users.json": json.dumps(GOOGLE_API)}, "104857600000000000002",
                   "is Suspended (suspended: true)", "is Archived (archived: true)"),
    "onelogin": ({"users.csv": ONELOGIN_CSV, "mapping.yaml": ONELOGIN_MAP}, "41000002",
                 "is suspended: status is 2 (Suspended)", "was never activated: status is 0 (Unactivated)"),
    "jumpcloud": ({"users.csv": JUMPCLOUD_CSV, "mapping.yaml": JUMPCLOUD_MAP}, "64a1b2c3d4e5f6a7b8c9d003",
                  "is SUSPENDED", "is STAGED (never activated)"),
    "generic-csv": ({"users.csv": GENERIC_CSV, "mapping.yaml": GENERIC_MAP}, "ben.okafor@example.com",
                    "is Suspended", "is disabled"),
}


def loaded(tmp_path: Path, files: dict[str, str]):
    """The IdP directory the real loader reads from ``files`` written under ``tmp_path``/idp (no error)."""
    idp = tmp_path / "idp"
    idp.mkdir()
    for name, text in files.items():
        (idp / name).write_text(text, encoding="utf-8")
    directory, findings = load_idp(idp)
    assert [f.message for f in findings if f.severity.value == "error"] == []
    return directory


def planned(directory, extra: str = "", members=(BEN, CHLOE)):
    """The plan of ``members`` (and the protected root admin) beside the loaded ``directory``."""
    sigma = snapshot([*members]).sigma
    return build_plan(Snapshot(sigma=sigma, idp=directory), policy(extra), created_at="2025-01-01T00:00:00Z")


def named(directory, who: str):
    """The loaded IdP user whose userName starts with ``who`` (``root``, ``ben``, ``chloe``)."""
    return next(u for u in directory.users if u.user_name.startswith(who))


def about(plan, member_id: str) -> tuple[list, list]:
    """``([(action id, rule, reason)], [(item id, code, blocking, rule)])`` of one member."""
    actions = [(a.id, a.rule, a.reason) for a in plan.actions if getattr(a.target, "member_id", None) == member_id]
    items = [(i.id, i.code, i.blocking, i.rule) for i in plan.review_items if i.subject.member_id == member_id]
    return actions, items


@pytest.fixture(params=sorted(FORMATS))
def export(request, tmp_path):
    files, ben_id, ben_said, chloe_said = FORMATS[request.param]
    return request.param, loaded(tmp_path, files), ben_id, ben_said, chloe_said


def test_the_loaded_suspended_user_is_suspended_and_no_other(export):
    name, directory, ben_id, _, _ = export
    assert {u.id: suspended(u) for u in directory.users} == {
        named(directory, "root").id: False, ben_id: True, named(directory, "chloe").id: False}


def test_a_suspended_member_is_a_blocking_item_by_default(export):
    name, directory, ben_id, ben_said, _ = export
    p = planned(directory, "unmatched:\n  idp_inactive: deactivate\n")
    assert about(p, "m-ben") == ([], [("unmatched.suspended:m-ben", "unmatched.suspended", True,
                                       "unmatched.idp_suspended")])
    item = next(i for i in p.review_items if i.id == "unmatched.suspended:m-ben")
    assert item.message == (
        f"ben.okafor@example.com: IdP user {ben_id} ({named(directory, 'ben').user_name}) {ben_said}, a hold the IdP can lift "
        "(leave, a security hold, an investigation), while deactivating archives this member and moves their "
        "documents to another owner, which unsuspending does not undo; decide whether to keep or deactivate this "
        "member")
    assert item.resolution == (
        "# deactivate: members.deactivate, their documents going to the document owner (root@example.com); keep: "
        "nothing is planned for them; unmatched.idp_suspended: deactivate deactivates every member whose IdP user is "
        "suspended (where the IdP's admins suspend each leaver)\n"
        "unmatched:\n  decisions:\n    ben.okafor@example.com: deactivate\n"
        "# or:\n# unmatched:\n#   decisions:\n#     ben.okafor@example.com: keep\n"
        "# or:\n# unmatched:\n#   idp_suspended: deactivate\n")
    for fragment in item.resolution.replace("# or:\n", "\0").split("\0"):
        assert yaml.safe_load("\n".join(line.removeprefix("# ") for line in fragment.splitlines()
                                        if not line.startswith("# deactivate:")))["unmatched"]


def test_idp_suspended_deactivate_deactivates_with_its_reason(export):
    name, directory, ben_id, ben_said, _ = export
    p = planned(directory, "unmatched:\n  idp_suspended: deactivate\n")
    assert about(p, "m-ben") == ([(
        "members.deactivate:m-ben", "unmatched.idp_suspended",
        f"deactivate: IdP user {ben_id} ({named(directory, 'ben').user_name}) {ben_said}; documents go to root@example.com")], [])


def row(plan, member_id: str) -> tuple:
    """``(actions, review_items, lockout)`` of ``member_id``'s person row."""
    found = next(r for r in plan.people if r.member_id == member_id)
    return found.actions, found.review_items, found.lockout.value if found.lockout is not None else None


def test_idp_suspended_keep_keeps(export):
    _, directory, _, _, _ = export
    p = planned(directory, "unmatched:\n  idp_suspended: keep\n")
    assert (about(p, "m-ben"), row(p, "m-ben")) == (([], []), ((), (), None))
    assert row(planned(directory), "m-ben") == ((), ("unmatched.suspended:m-ben",), None)


@pytest.mark.parametrize(("decision", "expected"), [
    ("deactivate", ["members.deactivate:m-ben"]),
    ("keep", []),
])
def test_unmatched_decisions_override_idp_suspended(export, decision, expected):
    _, directory, _, _, _ = export
    for setting in ("review", "deactivate", "keep"):
        p = planned(directory, f"unmatched:\n  idp_suspended: {setting}\n"
                               f"  decisions: {{ben.okafor@example.com: {decision}}}\n")
        actions, items = about(p, "m-ben")
        assert ([a[0] for a in actions], items) == (expected, [])
        assert all(a[1] == "unmatched.decisions" for a in actions)


@pytest.mark.parametrize("setting", ["review", "deactivate"])
def test_a_protected_suspended_member_is_kept(export, setting):
    _, directory, _, _, _ = export
    p = planned(directory, "organization:\n  name: Example\n  scim_setup_admin: root@example.com\n"
                           "  api_credential_owner: ben.okafor@example.com\n  document_owner: root@example.com\n"
                           f"unmatched:\n  idp_suspended: {setting}\n")
    # kept (guards.protected_members); the owner guard asks about the credential owner's inactive IdP user
    assert about(p, "m-ben") == ([], [("guards.api_credential_owner:m-ben", "guards.api_credential_owner", True,
                                       "guards.api_credential_owner")])


def test_a_suspended_user_no_member_matches_plans_nothing(export):
    _, directory, ben_id, _, _ = export
    p = planned(directory, "", members=(CHLOE,))
    assert [a.id for a in p.actions if ben_id in a.id] == []
    assert [i.id for i in p.review_items if "ben" in i.message] == []


def test_the_other_inactive_states_follow_idp_inactive(export):
    name, directory, _, _, chloe_said = export
    chloe = named(directory, "chloe")
    p = planned(directory, "unmatched:\n  idp_inactive: deactivate\n  idp_suspended: review\n")
    actions, items = about(p, "m-chloe")
    if name in ("jumpcloud", "onelogin"):  # STAGED, 0: never activated, its own blocking item (rules.idp_status)
        assert (actions, items) == ([], [("unmatched.never_activated:m-chloe", "unmatched.never_activated", True,
                                          "unmatched.never_activated")])
        return
    assert (actions, items) == ([(
        "members.deactivate:m-chloe", "unmatched.idp_inactive",
        f"deactivate: IdP user {chloe.id} ({chloe.user_name}) {chloe_said}; documents go to root@example.com")],
        [])


ENTRA_CSV = ("id,userPrincipalName,displayName,givenName,surname,mail,userType,accountEnabled,deletedDateTime\n"
             "11111111-1111-1111-1111-111111111111,root@example.com,Root Admin,Root,Admin,root@example.com,Member,"
             "True,\n"
             "22222222-2222-2222-2222-222222222222,ben.okafor@example.com,Ben Okafor,Ben,Okafor,ben.okafor@example.com,"
             "Member,False,\n"
             "33333333-3333-3333-3333-333333333333,chloe.martin@example.com,Chloe Martin,Chloe,Martin,"
             "chloe.martin@example.com,Member,False,2025-05-01T00:00:00Z\n")


def _scim_user(uid: str, email: str, given: str, family: str, active: bool) -> dict:
    return {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": uid, "userName": email,
            "name": {"givenName": given, "familyName": family}, "emails": [{"value": email, "primary": True}],
            "active": active}


SCIM_LIST = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": 3, "startIndex": 1,
             "itemsPerPage": 3, "Resources": [
                 _scim_user("s-root", "root@example.com", "Root", "Admin", True),
                 _scim_user("s-ben", "ben.okafor@example.com", "Ben", "Okafor", False),
                 _scim_user("s-chloe", "chloe.martin@example.com", "Chloe", "Martin", False)]}

NOT_SUSPENDED = {
    # format -> (files, [(memberId, IdP id, what the reason says)])
    "entra-csv": ({"users.csv": ENTRA_CSV}, [
        ("m-ben", "22222222-2222-2222-2222-222222222222", "is disabled (accountEnabled: false)"),
        ("m-chloe", "33333333-3333-3333-3333-333333333333", "was deleted (deletedDateTime 2025-05-01T00:00:00Z)")]),
    "scim": ({"users.json": json.dumps(SCIM_LIST)}, [
        ("m-ben", "s-ben", "is inactive (active: false)"), ("m-chloe", "s-chloe", "is inactive (active: false)")]),
}


@pytest.mark.parametrize("name", sorted(NOT_SUSPENDED))
@pytest.mark.parametrize("setting", ["review", "deactivate", "keep"])
def test_disabled_deleted_and_inactive_users_follow_idp_inactive_whatever_idp_suspended_says(tmp_path, name, setting):
    files, expected = NOT_SUSPENDED[name]
    directory = loaded(tmp_path, files)
    assert [suspended(u) for u in directory.users] == [False, False, False]
    p = planned(directory, f"unmatched:\n  idp_inactive: deactivate\n  idp_suspended: {setting}\n")
    for mid, idp_id, said in expected:
        email = "ben.okafor@example.com" if mid == "m-ben" else "chloe.martin@example.com"
        assert about(p, mid) == ([(f"members.deactivate:{mid}", "unmatched.idp_inactive",
                                   f"deactivate: IdP user {idp_id} ({email}) {said}; documents go to root@example.com")],
                                 [])
    assert about(planned(directory, "unmatched:\n  idp_inactive: review\n"), "m-ben") == (
        [], [("unmatched.review:m-ben", "unmatched.review", True, "unmatched.idp_inactive")])


@pytest.mark.parametrize("status", ["LOCKED_OUT", "PASSWORD_EXPIRED", "RECOVERY", "Locked out", "Password reset"])
def test_okta_locked_out_password_expired_and_recovery_users_are_active_and_linked(tmp_path, status):
    users = [dict(OKTA_USERS[0]), dict(OKTA_USERS[1], status=status)]
    directory = loaded(tmp_path, {"users.json": json.dumps(users)})
    ben = named(directory, "ben")
    assert (ben.active, suspended(ben)) == (True, False)
    p = planned(directory, "", members=(BEN,))
    assert [a[0] for a in about(p, "m-ben")[0]] == ["scim.link_user:m-ben"]
    assert about(p, "m-ben")[1] == []


# --------------------------------------------------------------------------- waves: plan --applied over a run

REPO = Path(__file__).resolve().parent.parent
ACME = REPO / "samples" / "acme"
TOM, TOM_MEMBER = "tom.becker@acme.example", "H8WUhhEkx6ovMdH47QgTdStLR9pIP"
TOM_DECIDED = "  decisions: {tom.becker@acme.example: deactivate}\n"


def test_a_member_an_earlier_wave_archived_is_not_asked_again(tmp_path, capsys, monkeypatch):
    from .conftest import run_cli, run_cli_with_environ
    from .execute_support import sandbox_env
    from .sandbox_fixture import sample_sandbox
    from planner.planfile import read_plan

    reviewed = (ACME / "policy-okta-reviewed.yaml").read_text(encoding="utf-8")
    assert TOM_DECIDED in reviewed
    (tmp_path / "decided.yaml").write_text(reviewed, encoding="utf-8")
    (tmp_path / "asks.yaml").write_text(reviewed.replace(TOM_DECIDED, ""), encoding="utf-8")  # idp_suspended: review
    okta = str(ACME / "okta")

    def plan(export: str, policy: str, *more: str):
        out = tmp_path / f"{export}-{policy}.json"
        code, _, err = run_cli(capsys, "plan", "--sigma", str(tmp_path / export), "--idp", okta, "--policy",
                               str(tmp_path / f"{policy}.yaml"), "--out", str(out), *more)
        assert code == 0, err
        return read_plan(out)

    with sample_sandbox(ACME / "sigma") as server:
        env = sandbox_env(server)
        urls = ("--rest-base-url", server.base_url, "--scim-base-url", server.scim_base_url)
        fetch = ("fetch", "--base-url", server.base_url, "--policy", str(tmp_path / "decided.yaml"), "--no-progress")
        assert run_cli_with_environ(capsys, monkeypatch, env, *fetch, "--out", str(tmp_path / "e1"))[0] == 0
        v1 = plan("e1", "decided")
        assert [a.id for a in v1.actions if getattr(a.target, "member_id", None) == TOM_MEMBER] == [
            f"members.deactivate:{TOM_MEMBER}"]
        assert run_cli(capsys, "approve", str(tmp_path / "e1-decided.json"), "--by", "T15")[0] == 0
        code, out, err = run_cli_with_environ(capsys, monkeypatch, env, "apply", str(tmp_path / "e1-decided.json"),
                                              "--only", f"email:{TOM}", *urls)
        assert code == 0, out + err
        assert run_cli_with_environ(capsys, monkeypatch, env, *fetch, "--out", str(tmp_path / "e2"))[0] == 0

    # before the wave, a policy without the decision asks about Tom; after it, Tom is archived: nothing to ask
    before = plan("e1", "asks")
    assert [(i.id, i.blocking) for i in before.review_items if i.subject.member_id == TOM_MEMBER] == [
        (f"unmatched.suspended:{TOM_MEMBER}", True)]
    after = plan("e2", "asks", "--applied", str(tmp_path / "e1-decided.json"))
    assert [i.id for i in after.review_items if i.subject.member_id == TOM_MEMBER] == []
    assert [a.id for a in after.actions if getattr(a.target, "member_id", None) == TOM_MEMBER] == []
    row = next(r for r in after.people if r.member_id == TOM_MEMBER)
    assert (row.sigma_status, row.idp_status, row.actions, row.review_items) == ("archived", "SUSPENDED", (), ())


def test_a_suspended_word_the_inactive_words_lack_is_a_mapping_error(tmp_path):
    idp = tmp_path / "idp"
    idp.mkdir()
    (idp / "users.csv").write_text(ONELOGIN_CSV, encoding="utf-8")
    (idp / "mapping.yaml").write_text(ONELOGIN_MAP.replace("inactive_statuses: ['0', '2']",
                                                           "inactive_statuses: ['0', '6']"), encoding="utf-8")
    directory, findings = load_idp(idp)
    assert [(f.code, Path(f.file).name, f.location, f.field, f.message) for f in findings
            if f.severity.value == "error"] == [(
                "invalid-mapping", "mapping.yaml", "line 12", "suspended_statuses",
                "suspended_statuses lists '2', which inactive_statuses does not: a suspended user is inactive; list "
                "the word in inactive_statuses too")]
    assert directory.users == ()
