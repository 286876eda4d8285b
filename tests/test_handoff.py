"""`sigma-migrate handoff` (issue 13 item 3): what the IdP admin configures, rendered from the plan."""

from __future__ import annotations

import csv
import io

import pytest

from planner.cli import main
from planner.handoff import csv_files, handoff_pack, markdown
from planner.planfile import write_plan

from .plan_factory import UNCONFIRMED_POLICY, group, member, plan, snapshot, team, user

POLICY = """
scope:
  groups: [Sigma-Admins, Sigma-Analysts, Finance, "re:^team-.+$"]
account_types:
  group_map: {Sigma-Admins: Admin, Sigma-Analysts: Analyze}
  default: View
  on_downgrade: allow
  overrides: {bob@example.com: Admin}
teams:
  mode: create
  rules:
    - match: exact
    - {match: regex, pattern: '^team-(.+)$', replace: '\\1'}
user_name_guard:
  overrides: {npatel@example.com: use_sigma_email}
"""


def small_plan(base=UNCONFIRMED_POLICY):
    snap = snapshot(
        [member("m1", "ann@example.com"), member("m2", "bob@example.com", member_type="Admin"),
         member("m3", "nina.patel@example.com", "Given", "Family")],  # u3 by her second address: one name
        [user("u1", "ann@example.com", first="Ann", last="Lee"), user("u2", "bob@example.com"),
         user("u3", "npatel@example.com", emails=["npatel@example.com", "nina.patel@example.com"]),
         user("u4", "dan@example.com", first="Dan", last="Ray")],
        groups=[group("gA", "Sigma-Analysts", ["u1", "u3", "u4"]), group("gF", "Finance", ["u1", "u2"]),
                group("gR", "team-Revenue", ["u4"])],
        teams=[team("tF", "Finance")],
        memberships={"tF": ["m1"]},
        account_types=["Admin", "Analyze", "View"],
    )
    return plan(snap, POLICY, base=base)


def rows(text):
    return list(csv.reader(io.StringIO(text)))


def test_the_lists_come_from_the_plans_decisions():
    pack = handoff_pack(small_plan(), "okta")
    files = csv_files(pack)
    assert rows(files["teams.csv"]) == [
        ["team", "team_id", "group", "plan", "idp_step", "pushed_name", "renamed_by_idp", "members_after"],
        ["Finance", "tF", "Finance", "linked", "Push Groups > Link Group to the team named 'Finance'", "Finance",
         "no", "2"],
        ["Revenue", "(created by apply)", "team-Revenue", "created",
         "Push Groups > Link Group to the team named 'Revenue'", "team-Revenue", "yes", "1"],
    ]
    assert rows(files["groups.csv"]) == [
        ["group", "match", "assign", "push", "purpose"],
        ["Finance", "name", "yes", "yes", "scope: its members are assigned to the Sigma app; team Finance"],
        ["team-Revenue", "name", "yes", "yes", "scope: its members are assigned to the Sigma app; team Revenue"],
        ["Sigma-Admins", "name", "yes", "no", "scope: its members are assigned to the Sigma app; account type Admin"],
        ["Sigma-Analysts", "name", "yes", "no",
         "scope: its members are assigned to the Sigma app; account type Analyze"],
        ["^team-.+$", "pattern", "yes", "no", "scope: assign every group whose displayName fully matches this "
                                             "pattern; of the plan's team groups: team-Revenue"],
    ]
    # root is in Sigma-Admins, bob's Admin is his override's (he is in no type group): counted apart
    assert rows(files["account_types.csv"]) == [["priority", "account_type", "groups", "people", "individual"],
                                                ["1", "Admin", "Sigma-Admins", "1", "1"],
                                                ["2", "Analyze", "Sigma-Analysts", "3", "0"]]
    assert rows(files["user_names.csv"])[1][:4] == ["u3", "npatel@example.com", "nina.patel@example.com",
                                                    "nina.patel@example.com"]
    assert rows(files["individual_assignments.csv"])[1:] == [
        ["bob@example.com", "u2", "bob@example.com", "Admin", "", "overrides",
         "account_types.overrides gives Admin, which no account-type group of theirs gives"]]
    assert rows(files["attribute_mappings.csv"])[1][:2] == ["userName", "Okta username (login)"]
    assert rows(files["attribute_mappings.csv"])[2][2].startswith("exactly one of: Admin, Analyze (case-sensitive")


def test_type_groups_are_ranked_as_the_plan_ranks_them_and_each_idp_is_told_how():
    """tester8 finding 8: alphabetical order (Act, Admins, Analyze, Build, ...) assigned as Okta's group priority
    would push daniel.kim (Build and Analyze) Analyze and the SCIM-setup admin (Admins and Viewers) View."""
    from planner.handoff import highest_first

    names = ["View", "Act", "Admin", "Build", "Analyze", "Reporter"]
    assert highest_first(names, [], ()) == ["Admin", "Build", "Analyze", "Act", "View", "Reporter"]
    assert highest_first(names, ["Reporter", "Analyze"], ()) == ["Reporter", "Analyze", "Admin", "Build", "Act", "View"]
    assert highest_first(["Org Admin", "Build"], [], ("org admin",)) == ["Org Admin", "Build"]
    steps = {idp: markdown(handoff_pack(small_plan(), idp)) for idp in ("okta", "entra", "generic")}
    assert ("Okta sends a person in several type groups the userType of their highest-priority group (the Sigma app > "
            "Assignments > Groups, Prioritize;") in steps["okta"]
    assert "Entra sends one app role per person (SingleAppRoleAssignment)" in steps["entra"]
    assert "make it send each of them the highest type of account_types.csv's priority column" in steps["generic"]
    assert ("| priority | account type | IdP groups | people by group | people individually |\n|---|---|---|---|---|\n"
            "| 1 | Admin |") in steps["okta"]


def test_each_idp_gets_its_own_steps_and_sources():
    p = small_plan()
    entra = handoff_pack(p, "entra")
    assert entra.attributes[0].source == "userPrincipalName"
    assert [(t.idp_step, t.pushed_name, t.renamed_by_idp) for t in entra.teams] == [
        ("assign the group; Entra finds the team by its displayName 'Finance'", "Finance", False),
        ("rename the Entra group 'team-Revenue' to 'Revenue' before assigning it: Entra finds the team by "
         "displayName, and under another name creates a second team", "Revenue", False)]
    entra_note = ("; Entra provisions every assigned group: this one also becomes a team named after it (assign its "
                  "members individually with their app role instead, if that team is unwanted)")
    assert [(g.group, g.push, g.purpose) for g in entra.groups][1:3] == [
        ("Sigma-Admins", True, "scope: its members are assigned to the Sigma app; account type Admin" + entra_note),
        ("Sigma-Analysts", True, "scope: its members are assigned to the Sigma app; account type Analyze" + entra_note)]
    assert "Set the app usernames" not in markdown(entra)
    assert "| IdP user | the assumed attribute holds | userName the mapping must send | Sigma member |" in markdown(entra)
    generic = handoff_pack(p, "generic")
    assert generic.teams[1].idp_step == "find the group with GET /Groups?filter=displayName eq \"Revenue\" and keep its id"
    okta = markdown(handoff_pack(p, "okta"))
    order = ["Apply the approved plan", "Set the app usernames", "In Okta > the Sigma app > Provisioning",
             "Assign the groups", "Push Groups: for each of the 2 team(s) in teams.csv use Link Group"]
    assert [okta.index(s) for s in order] == sorted(okta.index(s) for s in order)
    assert "**The plan is not approvable yet**" in okta  # nothing confirmed in the pre-flight section
    from .plan_factory import BASE_POLICY

    assert "not approvable" not in markdown(handoff_pack(small_plan(BASE_POLICY), "okta"))


def test_cli_writes_the_pack_and_the_report_links_it(tmp_path, capsys):
    from .plan_factory import BASE_POLICY

    path = tmp_path / "plan.json"
    write_plan(small_plan(BASE_POLICY), path)
    main(["handoff", str(path), "--idp", "okta", "--out", str(tmp_path / "handoff")])
    out = capsys.readouterr()
    assert out.out == (f"Hand-off for okta: {tmp_path / 'handoff' / 'README.md'} (5 group(s), 2 team(s), "
                       "1 user(s) in user_names.csv)\n")
    assert sorted(p.name for p in (tmp_path / "handoff").iterdir()) == [
        "README.md", "account_types.csv", "attribute_mappings.csv", "groups.csv", "individual_assignments.csv",
        "not_provisioned.csv", "several_type_groups.csv", "teams.csv", "user_names.csv"]
    main(["report", str(path), "--out", str(tmp_path / "report.html"), "--handoff", str(tmp_path / "handoff")])
    assert '<a href="handoff/README.md">handoff/README.md</a>' in (tmp_path / "report.html").read_text()


def test_bad_input_is_one_line_and_writes_nothing(tmp_path, capsys):
    bad = tmp_path / "plan.json"
    bad.write_text("<html>not a plan</html>")
    with pytest.raises(SystemExit) as exc:
        main(["handoff", str(bad), "--idp", "okta", "--out", str(tmp_path / "out")])
    assert exc.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith("sigma-migrate: error: ") and err.count("\n") == 1
    assert not (tmp_path / "out").exists()
    with pytest.raises(SystemExit) as exc:
        main(["handoff", str(bad), "--idp", "onelogin", "--out", str(tmp_path / "out")])
    assert exc.value.code == 1  # a usage error (cli.USAGE_ERROR_EXIT, b81020b)
    assert "'onelogin' is not one of 'okta', 'entra', 'google', 'generic'" in capsys.readouterr().err


# --------------------------------------------------------------------------- unsettled plans: refused, or --draft


def blocked_plan():
    """Two groups map to team Finance (a blocking teams.conflict) and nothing is confirmed (2 unmet checks)."""
    snap = snapshot([member("m1", "ann@example.com")], [user("u1", "ann@example.com")],
                    groups=[group("gF", "Finance", ["u1"]), group("gf", "finance", ["u1"])],
                    teams=[team("tF", "Finance")], memberships={"tF": ["m1"]})
    return plan(snap, "teams:\n  rules: [{match: case_insensitive}]\n", base=UNCONFIRMED_POLICY)


def test_a_plan_that_cannot_be_approved_gets_no_pack(tmp_path, capsys):
    path = tmp_path / "plan.json"
    write_plan(blocked_plan(), path)
    with pytest.raises(SystemExit) as exc:
        main(["handoff", str(path), "--idp", "okta", "--out", str(tmp_path / "handoff")])
    assert exc.value.code == 1
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err == (
        f"sigma-migrate: error: {path}: plan has 1 blocking review item(s), first teams.conflict:tF [teams.conflict]: "
        "groups 'Finance', 'finance' all map to team 'Finance': 2 groups share the display name 'Finance' letter case "
        "aside (ids gF, gf), and teams.map names a group by its display name, so no entry can say which one the team "
        "follows: rename one of them in the IdP, export again and plan again; decide them in the policy and plan again; "
        "no hand-off written (--draft writes one marked DRAFT)\n")
    assert not (tmp_path / "handoff").exists()
    # unmet pre-flight checks alone refuse too
    write_plan(small_plan(), path)
    with pytest.raises(SystemExit) as exc:
        main(["handoff", str(path), "--idp", "entra", "--out", str(tmp_path / "handoff")])
    assert exc.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith(f"sigma-migrate: error: {path}: pre-flight check saml_only is unconfirmed: ")
    assert err.endswith(" (and 1 more); confirm it in the policy's preflight section and plan again; "
                        "no hand-off written (--draft writes one marked DRAFT)\n") and err.count("\n") == 1
    assert not (tmp_path / "handoff").exists()


def test_draft_pack_says_draft_in_every_file(tmp_path, capsys):
    path = tmp_path / "plan.json"
    write_plan(blocked_plan(), path)
    main(["handoff", str(path), "--idp", "okta", "--out", str(tmp_path / "handoff"), "--draft"])
    out = capsys.readouterr()
    assert out.err == "DRAFT: the plan is not approvable yet: make the hand-off again from the settled plan\n"
    readme = (tmp_path / "handoff" / "README.md").read_text().splitlines()
    assert readme[:3] == [
        "# DRAFT: IdP hand-off for Example (Okta)", "",
        "**DRAFT: made from a plan that cannot be approved yet (`--draft`). Do not configure the IdP from it: "
        "settle the plan and make the hand-off again.**"]
    for name in ("groups.csv", "teams.csv", "attribute_mappings.csv", "account_types.csv", "user_names.csv",
                 "individual_assignments.csv"):
        table = rows((tmp_path / "handoff" / name).read_text(encoding="utf-8-sig"))
        assert [r[0] for r in table] == ["DRAFT"] * len(table), name
        # tester13 nit 17: with a BOM, as report --csv (was none: Excel on Windows showed 'zoÃ©' for 'zoé')
        assert (tmp_path / "handoff" / name).read_bytes()[:8] == b"\xef\xbb\xbfDRAFT", name
    assert (tmp_path / "handoff" / "README.md").read_bytes()[:1] == b"#"  # Markdown without one
    assert rows((tmp_path / "handoff" / "groups.csv").read_text(encoding="utf-8-sig")) == [
        ["DRAFT", "group", "match", "assign", "push", "purpose"]]  # the conflict left team Finance unmapped
    assert rows((tmp_path / "handoff" / "attribute_mappings.csv").read_text(encoding="utf-8-sig"))[1][:3] == [
        "DRAFT", "userName", "Okta username (login)"]


def test_names_with_control_characters_are_escaped_and_formulas_neutralized(tmp_path, capsys):
    """An export's team and group names reach the pack as printable text: ESC, BEL, a bidi override and a
    newline escaped visibly in README.md and the CSVs; a leading '=' made text for a spreadsheet."""
    from .plan_factory import BASE_POLICY

    name = "=Fin\x1b[2J\x07\u202eance\nx"
    snap = snapshot([member("m1", "ann@example.com")], [user("u1", "ann@example.com")],
                    groups=[group("gF", name, ["u1"])], teams=[team("tF", name)], memberships={"tF": ["m1"]})
    path = tmp_path / "plan.json"
    write_plan(plan(snap, "organization:\n  name: \"Acme\\e[31m\"\n", base=BASE_POLICY), path)
    main(["handoff", str(path), "--idp", "okta", "--out", str(tmp_path / "handoff")])
    capsys.readouterr()
    shown = "'=Fin\\x1b[2J\\x07\\u202eance\\nx"
    assert rows((tmp_path / "handoff" / "groups.csv").read_text(encoding="utf-8-sig"))[1] == [shown, "name", "yes", "yes",
                                                                          f"team {shown[1:]}"]
    assert rows((tmp_path / "handoff" / "teams.csv").read_text(encoding="utf-8-sig"))[1][:3] == [shown, "tF", shown]
    readme = (tmp_path / "handoff" / "README.md").read_text()
    assert readme.startswith("# IdP hand-off for Acme\\\\x1b\\[31m (Okta)\n")
    md = "=Fin\\\\x1b\\[2J\\\\x07\\\\u202eance\\\\nx"  # Markdown shows the escapes literally
    # the name to type, as the sentences say it: no CSV apostrophe in a Markdown table (tester8 finding 11)
    assert f"| {md} | name | yes | yes | team {md} |" in readme
    team_row = next(line for line in readme.splitlines() if "Link Group to the team" in line)
    assert team_row.startswith(f"| {md} | {md} | ") and f"Link Group to the team named '{md}' |" in team_row
    for f in (tmp_path / "handoff").iterdir():
        text = f.read_text()
        assert not any(c in text for c in "\x1b\x07\u202e"), f.name


def test_markdown_never_carries_an_exports_markup(tmp_path, capsys):
    """tester5 finding 16: `<script>`, an image with onerror and a javascript: link in a team name reach
    README.md as text: every markup character backslash-escaped (CommonMark §2.4)."""
    from .plan_factory import BASE_POLICY

    name = '<script>alert(1)</script> [x](javascript:alert(2)) ![i](x) *b* `c` &amp;'
    snap = snapshot([member("m1", "ann@example.com")], [user("u1", "ann@example.com")],
                    groups=[group("gF", name, ["u1"])], teams=[team("tF", name)], memberships={"tF": ["m1"]})
    path = tmp_path / "plan.json"
    write_plan(plan(snap, "", base=BASE_POLICY), path)
    main(["handoff", str(path), "--idp", "okta", "--out", str(tmp_path / "handoff")])
    capsys.readouterr()
    readme = (tmp_path / "handoff" / "README.md").read_text()
    shown = ("\\<script\\>alert(1)\\</script\\> \\[x\\](javascript:alert(2)) \\!\\[i\\](x) \\*b\\* "
             "\\`c\\` \\&amp;")
    assert f"| {shown} | name | yes | yes | team {shown} |" in readme
    from markdown_it import MarkdownIt  # CommonMark + GFM tables, as a Markdown viewer renders (rich's own parser)

    html = MarkdownIt("commonmark").enable("table").render(readme)
    assert "<script" not in html and "<img" not in html and "<a " not in html and "<em>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; [x](javascript:alert(2))" in html
    assert rows((tmp_path / "handoff" / "groups.csv").read_text(encoding="utf-8-sig"))[1][0] == name  # a CSV cell is no Markdown


def test_a_pack_for_the_other_idp_is_refused(tmp_path, capsys):
    """tester5 finding 15: `--idp okta` on a plan made from an Entra export exits 1, writes nothing and
    names the export; `--idp generic` fits every export."""
    import msgspec

    from planner.model import InputFile

    from .plan_factory import BASE_POLICY

    entra = msgspec.structs.replace(small_plan(BASE_POLICY), inputs=(
        InputFile("exports/sigma/members.json", "sha256:0", "sigma.members", 3),
        InputFile("exports/entra/users.csv", "sha256:1", "entra.users", 4)))
    path = tmp_path / "plan.json"
    write_plan(entra, path)
    with pytest.raises(SystemExit) as exc:
        main(["handoff", str(path), "--idp", "okta", "--out", str(tmp_path / "okta")])
    assert exc.value.code == 1
    assert capsys.readouterr().err == (
        f"sigma-migrate: error: --idp okta: {path} was made from a Microsoft Entra ID export (entra.users: "
        "exports/entra/users.csv); use --idp entra, or --idp generic\n")
    assert not (tmp_path / "okta").exists()
    for idp in ("entra", "generic"):
        main(["handoff", str(path), "--idp", idp, "--out", str(tmp_path / idp)])
        assert (tmp_path / idp / "README.md").exists()


# --------------------------------------------------------------------------- who the IdP must assign individually


INDIVIDUAL_HEADER = ["person", "idp_id", "idp_user_name", "account_type", "protected", "source", "reason"]
BOTH_ROLES = "organization.scim_setup_admin, organization.api_credential_owner"


def test_the_only_admin_kept_by_default_keep_is_assigned_individually(tmp_path, capsys):
    """tester9 finding 1 (tiny org): the one member, SCIM-setup admin and API credential owner, is in no
    group and keeps Admin by `account_types.default: keep` (the default): listed first with Admin, and counted
    under no group (was '(individual assignment), 1' with an empty individual_assignments.csv)."""
    from .plan_factory import BASE_POLICY

    snap = snapshot([member("root", "root@example.com", "Root", "Admin", member_type="Admin")],
                    [user("u-root", "root@example.com", first="Root", last="Admin")], with_root=False)
    path = tmp_path / "plan.json"
    write_plan(plan(snap, "", base=BASE_POLICY), path)
    main(["handoff", str(path), "--idp", "okta", "--out", str(tmp_path / "handoff")])
    capsys.readouterr()
    folder = tmp_path / "handoff"
    assert rows((folder / "account_types.csv").read_text(encoding="utf-8-sig")) == [
        ["priority", "account_type", "groups", "people", "individual"],
        ["1", "Admin", "(no group: individual assignment)", "0", "1"]]
    assert rows((folder / "individual_assignments.csv").read_text(encoding="utf-8-sig")) == [INDIVIDUAL_HEADER, [
        "root@example.com", "u-root", "root@example.com", "Admin", BOTH_ROLES, "keep",
        "in no account-type group: account_types.default: keep keeps their current type Admin"]]
    readme = (folder / "README.md").read_text()
    assert ("No default userType serves the 1 people in no account-type group who keep their current type "
            "(account_types.default: keep; Admin 1): assign each individually.\n") in readme
    assert "| root@example.com | u-root | root@example.com | Admin | " in readme
    assert "must be exactly" not in readme


def default_view_plan(base=None):
    """root in Sigma-Admins; ann in Sigma-Analysts; zoe in Supply Chain only (no type group, View by
    account_types.default); bob in Sigma-Analysts with an Admin override; cid created in no group."""
    from .plan_factory import BASE_POLICY

    snap = snapshot(
        [member("m1", "ann@example.com"), member("m2", "zoe@example.com", member_type="Analyze"),
         member("m3", "bob@example.com")],
        [user("u1", "ann@example.com"), user("u2", "zoe@example.com"), user("u3", "bob@example.com"),
         user("u4", "cid@example.com")],
        groups=[group("gA", "Sigma-Analysts", ["u1", "u3"]), group("gS", "Supply Chain", ["u2", "u4"])],
        account_types=["Admin", "Analyze", "View"])
    policy_text = """
account_types:
  group_map: {Sigma-Admins: Admin, Sigma-Analysts: Analyze}
  default: View
  on_downgrade: allow
  overrides: {bob@example.com: Admin}
"""
    return plan(snap, policy_text, base=base or BASE_POLICY)


def test_people_in_no_type_group_are_listed_with_their_type_and_counted_under_no_group():
    """tester9 finding 1 addendum: zoe (Supply Chain only, View by account_types.default) was counted under
    Sigma-Viewers... here under no group, and listed; the README says the one default the IdP may send."""
    p = default_view_plan()
    assert [(r.email, r.account_type_after, r.account_type_source.rule, r.account_type_source.groups)
            for r in p.people] == [
        ("ann@example.com", "Analyze", "group_map", ("Sigma-Analysts",)),
        ("bob@example.com", "Admin", "overrides", ()),
        ("cid@example.com", "View", "default", ()),
        ("root@example.com", "Admin", "group_map", ("Sigma-Admins",)),
        ("zoe@example.com", "View", "default", ())]
    pack = handoff_pack(p, "okta")
    files = csv_files(pack)
    assert rows(files["account_types.csv"])[1:] == [["1", "Admin", "Sigma-Admins", "1", "1"],
                                                    ["2", "Analyze", "Sigma-Analysts", "1", "0"],
                                                    ["3", "View", "(no group: individual assignment)", "0", "2"]]
    assert rows(files["individual_assignments.csv"])[1:] == [
        ["bob@example.com", "u3", "bob@example.com", "Admin", "", "overrides",
         "account_types.overrides gives Admin, which no account-type group of theirs gives"],
        ["cid@example.com", "u4", "cid@example.com", "View", "", "default",
         "in no account-type group: account_types.default gives View"],
        ["zoe@example.com", "u2", "zoe@example.com", "View", "", "default",
         "in no account-type group: account_types.default gives View"]]
    readme = markdown(pack)
    assert ("Where the IdP can only send one default userType to the people in no account-type group, it must be "
            "exactly \"View\" (account_types.default: the plan's type for the 2 of them below); the other people "
            "listed still need their own assignment.\n") in readme
    assert "In Okta: the Sigma app > Assignments > Assign to People, each with the User Type listed" in readme


def test_a_protected_admin_kept_against_their_type_group_is_listed_first():
    """The SCIM-setup admin in Sigma-Viewers only keeps Admin (account_types.protected_account): no group of
    theirs gives Admin, so they head individual_assignments.csv, naming both roles (draft: the item blocks)."""
    snap = snapshot([member("root", "root@example.com", "Root", "Admin", member_type="Admin"),
                     member("m1", "ann@example.com")],
                    [user("u-root", "root@example.com", first="Root", last="Admin"), user("u1", "ann@example.com")],
                    groups=[group("gV", "Sigma-Viewers", ["u-root", "u1"])], with_root=False)
    p = plan(snap, "account_types:\n  group_map: {Sigma-Viewers: View}\n  default: View\n")
    pack = handoff_pack(p, "entra", draft=True)
    assert rows(csv_files(pack)["individual_assignments.csv"])[1:] == [
        ["DRAFT", "root@example.com", "u-root", "root@example.com", "Admin", BOTH_ROLES, "protected",
         "a protected admin the plan keeps at Admin (account_types.protected_account): their account-type groups "
         "give another type"]]
    assert [r[1:] for r in rows(csv_files(pack)["account_types.csv"])[1:]] == [
        ["1", "Admin", "(no group: individual assignment)", "0", "1"], ["2", "View", "Sigma-Viewers", "1", "0"]]
    assert ("a person listed here who is also in an account-type group must leave it." in markdown(pack))


# --------------------------------------------------------------------------- Entra ID: one userName mapping


def test_entra_is_told_the_one_user_name_mapping_never_an_app_username():
    """tester9 finding 4: a B2B guest linked with her Sigma email: the Entra pack maps userName from mail (the
    plan's user_name_guard.idp_mapping), lists her with what userPrincipalName holds and never asks for a UPN
    change or an "app username" (was: userPrincipalName, and "set the Sigma app username of IdP user ...")."""
    from .test_rules_user_name_mapping import CAROL_UPN, GUARD, entra_plan, entra_user

    p = entra_plan([entra_user("u-carol", CAROL_UPN, "carol@north.example", guest=True)],
                   [member("m1", "carol@north.example")], GUARD)
    pack = handoff_pack(p, "entra")
    files = csv_files(pack)
    assert rows(files["attribute_mappings.csv"])[1][:2] == ["userName", "mail"]
    assert rows(files["user_names.csv"]) == [
        ["idp_id", "idp_user_name", "user_name", "member_email", "reason"],
        ["u-carol", CAROL_UPN, "carol@north.example", "carol@north.example",
         f"userPrincipalName holds '{CAROL_UPN}', not the planned userName 'carol@north.example': the userName "
         "mapping from mail sends it"]]
    readme = markdown(pack)
    assert pack.steps[2] == (
        "Before provisioning is enabled, map userName from mail (attribute_mappings.csv; Entra ID has one userName "
        "mapping for every user): it sends each user in user_names.csv the Sigma email listed and every other user "
        "the userName the plan linked. Change no user's userPrincipalName for Sigma: a B2B guest's "
        "(x_domain#EXT#@tenant) cannot be an address of another domain, and a member's is their sign-in everywhere.")
    assert ("## Users the userName mapping must send another userName than the assumed attribute (user_names.csv)\n\n"
            "| IdP user | the assumed attribute holds | userName the mapping must send | Sigma member |") in readme
    for text in [readme, *files.values()]:
        assert "app username" not in text.lower()


def test_entra_without_a_single_mapping_says_so_and_who_is_left():
    from .test_rules_user_name_mapping import CAROL_UPN, GUARD, entra_plan, entra_user

    p = entra_plan([entra_user("u-carol", CAROL_UPN, "carol@north.example", guest=True),
                    entra_user("u-ann", "ann@example.com", "ann.lee@example.com")],
                   [member("m1", "carol@north.example"), member("m2", "ann@example.com")], GUARD)
    pack = handoff_pack(p, "entra", draft=True)
    files = csv_files(pack)
    assert rows(files["attribute_mappings.csv"])[1][1:3] == [
        "userName", "(no single attribute: user_name_guard.no_single_mapping:userName)"]
    assert rows(files["user_names.csv"])[1:] == [
        ["DRAFT", "u-carol", CAROL_UPN, "carol@north.example", "carol@north.example",
         f"userPrincipalName holds '{CAROL_UPN}', not the planned userName 'carol@north.example': no single "
         "attribute sends it (user_name_guard.no_single_mapping:userName)"]]
    assert pack.steps[2].startswith(
        "No single attribute sends every user the userName the plan links (user_name_guard.no_single_mapping:userName): "
        "settle it in the policy and make the hand-off again; until then do not enable provisioning.")


# --------------------------------------------------------------------------- Google Workspace; the IdP a plan came from


def plan_from(path, *kinds):
    """``small_plan`` (settled) as if made from the Sigma export and IdP files of ``kinds``, written to ``path``."""
    import msgspec

    from planner.model import InputFile

    from .plan_factory import BASE_POLICY

    inputs = tuple(InputFile(f"exports/{k.replace('.', '/')}.json", "sha256:0", k, 3) for k in kinds)
    write_plan(msgspec.structs.replace(small_plan(BASE_POLICY), inputs=inputs), path)
    return path


@pytest.mark.parametrize("idp", ["okta", "entra"])
def test_a_google_plan_gets_no_okta_or_entra_pack(tmp_path, capsys, idp):
    """tester9 finding 7: a plan made from a Google export was given Okta's console steps."""
    path = plan_from(tmp_path / "plan.json", "sigma.members", "google.users", "google.groups")
    with pytest.raises(SystemExit) as exc:
        main(["handoff", str(path), "--idp", idp, "--out", str(tmp_path / idp)])
    assert exc.value.code == 1
    assert capsys.readouterr().err == (
        f"sigma-migrate: error: --idp {idp}: {path} was made from a Google Workspace export (google.users: "
        "exports/google/users.json); use --idp google, or --idp generic\n")
    assert not (tmp_path / idp).exists()


def test_the_sigma_exports_own_scim_state_names_no_idp_and_a_scim_export_fits_every_pack(tmp_path, capsys):
    """Sigma's SCIM state (the export's scim/) is sigma.scim_state, never read as the IdP's export: an Okta plan
    with it still refuses --idp google; a plan from an IdP's SCIM export names no console."""
    okta = plan_from(tmp_path / "okta.json", "sigma.members", "sigma.scim_state", "okta.users")
    with pytest.raises(SystemExit):
        main(["handoff", str(okta), "--idp", "google", "--out", str(tmp_path / "g")])
    assert "was made from an Okta export (okta.users: exports/okta/users.json); use --idp okta" in capsys.readouterr().err
    scim = plan_from(tmp_path / "scim.json", "sigma.members", "scim.resources")
    main(["handoff", str(scim), "--idp", "google", "--out", str(tmp_path / "scim")])
    assert (tmp_path / "scim" / "README.md").exists()


def test_the_loader_records_sigmas_scim_state_as_its_own(tmp_path):
    from planner.sources import load_sigma_export

    from .test_incomplete_sigma import scim_state, seed

    sigma = seed(tmp_path)
    scim_state(sigma, [], [])
    export, _ = load_sigma_export(sigma)
    assert [(i.kind, i.records) for i in export.inputs if "scim" in i.kind] == [
        ("sigma.scim_state", 0), ("sigma.scim_state", 0)]


def test_google_gets_its_own_pack_saying_what_is_not_established(tmp_path, capsys):
    path = plan_from(tmp_path / "plan.json", "sigma.members", "google.users", "google.groups")
    main(["handoff", str(path), "--idp", "google", "--out", str(tmp_path / "handoff")])
    capsys.readouterr()
    folder = tmp_path / "handoff"
    readme = (folder / "README.md").read_text()
    assert readme.startswith("# IdP hand-off for Example (Google Workspace)\n")
    assert ("5. In the Google Admin console > Apps > Web and mobile apps > the Sigma app > Auto-provisioning (Google "
            "offers it for the apps of its catalogue; that it offers Sigma is not established, docs/sigma-api.md "
            "§6.3): authorize it with the Directory Base URL and the same bearer token, set the attribute mappings "
            "below, the provisioning scope to the groups in groups.csv and the deprovisioning settings, then turn "
            "auto-provisioning on (users sync every few hours).\n") in readme
    assert ("6. The groups in groups.csv (assign = yes) are the provisioning scope of step 5: Google assigns no person "
            "individually (its scope is groups or organizational units, docs/sigma-api.md §6.3), so the people in "
            "individual_assignments.csv get their account type from their Directory attribute (step 4).\n") in readme
    assert "all users" not in readme  # scope.groups names groups: the scope is those (tester11 finding 4)
    assert rows((folder / "attribute_mappings.csv").read_text(encoding="utf-8-sig"))[1:3] == [
        ["userName", "primaryEmail", "must equal the Sigma email the plan linked; changing it later creates a second "
                                     "account (docs/sigma-api.md §5.3)"],
        ["userType", "a Directory attribute of each user holding their type (e.g. a custom attribute); whether "
                     "Google's mapping can send userType is not established (docs/sigma-api.md §10.14)",
         "exactly one of: Admin, Analyze (case-sensitive Sigma spellings; no value means Sigma's default type, "
         "docs/sigma-api.md §5.2)"]]
    assert rows((folder / "teams.csv").read_text(encoding="utf-8-sig"))[1][4] == (
        "keep the team 'Finance' as apply left it: whether Google pushes groups as teams is not established "
        "(docs/sigma-api.md §6.3)")
    assert [(r[0], r[3]) for r in rows((folder / "groups.csv").read_text(encoding="utf-8-sig"))[1:]] == [
        ("Finance", "no"), ("Sigma-Admins", "no"), ("Sigma-Analysts", "no"), ("team-Revenue", "no"), ("^team-.+$", "no")]
    body = readme.split("\nSources:")[0]
    for other in ("Okta >", "In Okta", "Push Groups", "Entra", "Link Group", "app username"):  # Okta's guide cited only
        assert other not in body, other


TYPE_GROUPS_STEP = {
    "okta": "Okta sends a person in several type groups the userType of their highest-priority group (the Sigma app > "
            "Assignments > Groups, Prioritize; help.okta.com \"Assign attribute group priority\"): order the type groups "
            "as account_types.csv's priority column, 1 first, so they get the type the plan gave them.",
    "entra": "Entra sends one app role per person (SingleAppRoleAssignment) and does not let you choose which of "
             "several: before any group is assigned and before provisioning is on (Entra then provisions each assigned "
             "person at once, with any one of their roles), leave each person in one type group (a person assigned "
             "individually: one app role), the plan's type (account_types.csv's priority column ranks them, 1 "
             "highest).",
    "google": "Google sends each user the value of the Directory attribute its userType mapping reads, not a group's "
              "(no group assignment that sets one is documented, docs/sigma-api.md §6.3): before auto-provisioning is "
              "turned on, give every person that attribute with the type the plan gave them, exactly as spelled: the "
              "type of their account-type group (a person in several: the lowest number of account_types.csv's "
              "priority column) or of individual_assignments.csv.",
    "generic": "Which type a SCIM IdP sends a person in several type groups is its own rule: before provisioning is "
               "enabled, make it send each of them the highest type of account_types.csv's priority column (1 first), "
               "as the plan decided.",
}


@pytest.mark.parametrize("idp, enable, type_groups, assign", [
    ("okta", 4, 6, 5), ("entra", 5, 4, 6), ("google", 5, 4, 6), ("generic", 5, 4, 6)])
def test_several_type_groups_are_resolved_before_entra_or_google_provision_and_readme_says_each_idps_rule(
        idp, enable, type_groups, assign):
    """tester13 finding 14: Entra's and Google's step resolving a person in several type groups came after
    'Provisioning Status: On' and the assignment, though Entra provisions an assigned person at once with any one of
    their app roles and Google sends the Directory attribute from its first sync; Okta's priority orders assigned
    groups, so it stays after the assignment. README.md said for every IdP 'A person in several type groups gets the
    type of the lowest priority number', true of Okta's group priority only."""
    pack = handoff_pack(small_plan(), idp)
    assert (pack.step_numbers["enable"], pack.step_numbers["type_groups"], pack.step_numbers["assign"]) == (
        enable, type_groups, assign)
    assert pack.steps[type_groups - 1] == TYPE_GROUPS_STEP[idp]
    assert pack.steps[enable - 1].startswith({"okta": "In Okta > the Sigma app > Provisioning",
                                              "entra": "In Entra > Enterprise applications",
                                              "google": "In the Google Admin console",
                                              "generic": "In the IdP's SCIM client"}[idp])
    assert pack.steps[assign - 1].startswith("The groups in groups.csv" if idp == "google" else "Assign the groups")
    readme = markdown(pack)
    assert f"\n{type_groups}. {TYPE_GROUPS_STEP[idp]}\n" in readme
    rule = TYPE_GROUPS_STEP[idp].split(": ")[0]  # the IdP's own rule, before what the admin does
    account_types = readme.split("## Account types (account_types.csv)\n\n")[1].split("\n")[0]
    assert account_types == (
        "Send these values exactly as spelled (Sigma compares them case-sensitively). The priority column ranks the "
        f"types as the plan does (its `account_types.precedence`, else Sigma's ranking), 1 highest. {rule}: see step "
        f"{type_groups} of the order of operations.")
    assert "lowest priority number" not in readme


def test_the_steps_name_each_other_by_their_numbers_when_the_keep_out_step_comes_first():
    """Google's assignment step named 'step 4' and 'next step' written out: with not_provisioned.csv's step before the
    userName step, step 4 was the userName step."""
    from planner.handoff import KEEP_OUT_STEP, _steps

    steps, numbers = _steps("google", 2, "Send the userNames.", kept_out=True)
    assert numbers == {"check": 1, "apply": 2, "keep_out": 3, "user_name": 4, "type_groups": 5, "enable": 6,
                       "assign": 7, "push": 8, "again": 9}
    assert (steps[2], steps[3], steps[4]) == (KEEP_OUT_STEP, "Send the userNames.", TYPE_GROUPS_STEP["google"])
    assert steps[6] == (
        "The groups in groups.csv (assign = yes) are the provisioning scope of step 6: Google assigns no person "
        "individually (its scope is groups or organizational units, docs/sigma-api.md §6.3), so the people in "
        "individual_assignments.csv get their account type from their Directory attribute (step 5).")
