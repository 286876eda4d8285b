"""Issue 14 items 8-11 end to end: small literal exports on disk, `plan --detailed-exitcode`, then
`approve`: each doubt is a blocking review item in the written plan, and approval is refused."""

from __future__ import annotations

import json

import pytest

from planner.execute.approve import approval_path

from .conftest import run_cli


SCHEMA_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
SCHEMA_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"


def write_org(root, *, members, teams=(), team_members=None, users, groups, account_types=None, policy=""):
    """Sigma REST export + SCIM ListResponse IdP export + policy under ``root``; returns the CLI args."""
    sigma, idp = root / "sigma", root / "idp"
    sigma.mkdir(parents=True)
    idp.mkdir()
    (sigma / "members.json").write_text(json.dumps([
        {"memberId": mid, "email": email, "firstName": mid, "lastName": "X", "memberType": member_type,
         "userKind": "internal", "isArchived": False, "isInactive": False, "organizationId": "org-1"}
        for mid, email, member_type in members]))
    (sigma / "teams.json").write_text(json.dumps([{"teamId": tid, "name": name, "isArchived": False}
                                                  for tid, name in teams]))
    (sigma / "team_members.json").write_text(json.dumps(
        {tid: [{"userId": mid, "isTeamAdmin": False} for mid in mids]
         for tid, mids in {**{tid: [] for tid, _ in teams}, **(team_members or {})}.items()}))
    if account_types is not None:
        (sigma / "account_types.json").write_text(json.dumps({"entries": [
            {"accountTypeId": f"at-{name}", "accountTypeName": name, "isCustom": custom}
            for name, custom in account_types], "nextPageToken": None}))
    resources = [{"schemas": [SCHEMA_USER], "id": uid, "userName": email, "active": True,
                  "name": {"givenName": uid, "familyName": "X"}, "emails": [{"value": email, "primary": True}]}
                 for uid, email in users]
    resources += [{"schemas": [SCHEMA_GROUP], "id": gid, "displayName": name,
                   "members": [{"value": v, "type": "Group" if v.startswith("g") else "User"} for v in values]}
                  for gid, name, values in groups]
    (idp / "scim.json").write_text(json.dumps({"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
                                               "totalResults": len(resources), "Resources": resources}))
    (root / "policy.yaml").write_text(
        "organization:\n  scim_setup_admin: root@example.com\n  api_credential_owner: root@example.com\n"
        "  document_owner: root@example.com\n" + policy)
    return ["--sigma", str(sigma), "--idp", str(idp), "--policy", str(root / "policy.yaml")]


ROOT = ("root", "root@example.com", "Admin")
ROOT_USER = ("u-root", "root@example.com")

CASES = {
    # 8: y is in Finance only through the nested group Contractors; expansion is off
    "nested_only": dict(
        members=[ROOT, ("x", "x@example.com", "View"), ("y", "y@example.com", "View")],
        teams=[("tF", "Finance")], team_members={"tF": ["x", "y"]},
        users=[ROOT_USER, ("ux", "x@example.com"), ("uy", "y@example.com")],
        groups=[("g-admins", "Sigma-Admins", ["u-root"]), ("gF", "Finance", ["ux", "gC"]),
                ("gC", "Contractors", ["uy"])],
        policy="teams:\n  flatten_nested: false\n",
        item="teams.nested_only:tF"),
    # 9: the policy maps the SCIM-setup admin to Build
    "protected_account": dict(
        members=[ROOT], users=[ROOT_USER], groups=[("g-build", "Sigma-Build", ["u-root"])],
        account_types=[("Admin", False), ("Build", False)],
        policy="account_types:\n  group_map: {Sigma-Build: Build}\n  on_downgrade: allow\n",
        item="account_types.protected_account:root"),
    # 10: a custom type replaced by Analyze, downgrades allowed
    "custom_replacement": dict(
        members=[ROOT, ("f", "f@example.com", "Finance Power User")], users=[ROOT_USER, ("uf", "f@example.com")],
        groups=[("g-admins", "Sigma-Admins", ["u-root"]), ("g-an", "Sigma-Analyze", ["uf"])],
        account_types=[("Admin", False), ("Analyze", False), ("Finance Power User", True)],
        policy="account_types:\n  group_map: {Sigma-Admins: Admin, Sigma-Analyze: Analyze}\n  on_downgrade: allow\n",
        item="account_types.custom_replacement:f"),
    # 11: team Finance's group was renamed sigma-team-FP&A; a regex rule would create a second team
    "likely_rename": dict(
        members=[ROOT, ("x", "x@example.com", "View"), ("y", "y@example.com", "View")],
        teams=[("tF", "Finance")], team_members={"tF": ["x", "y"]},
        users=[ROOT_USER, ("ux", "x@example.com"), ("uy", "y@example.com")],
        groups=[("g-admins", "Sigma-Admins", ["u-root"]), ("gR", "sigma-team-FP&A", ["ux", "uy"])],
        policy="teams:\n  rules: [{match: exact}, {match: regex, pattern: '^sigma-team-(.+)$', replace: '\\1'}]\n"
               "  mode: create\n",
        item="teams.likely_rename:gR"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_doubt_is_a_blocking_item_and_approval_is_refused(case, capsys, tmp_path):
    spec = dict(CASES[case])
    item = spec.pop("item")
    args = write_org(tmp_path, **spec)
    out_file = tmp_path / "plan.json"
    code, out, err = run_cli(capsys, "plan", *args, "--out", str(out_file), "--detailed-exitcode")
    assert (code, err.count("Traceback")) == (3, 0), err  # 3: changes (the links) blocked by the review item
    plan = json.loads(out_file.read_text())
    assert [(r["id"], r["blocking"]) for r in plan["review_items"] if r["blocking"]] == [(item, True)]
    assert "1 blocking review item(s)" in out
    code, out, err = run_cli(capsys, "approve", str(out_file), "--by", "Ada")
    assert code == 1
    assert f"plan has 1 blocking review item(s), first {item}" in err
    assert not approval_path(out_file).exists()
