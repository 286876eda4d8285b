"""planner.sources.formulas: names a spreadsheet reads as formulas are warnings naming file:line and
field (tester B14: givenName '@SUM(A1)' was sent to Sigma; a team '=cmd|...' created, unnoticed)."""

from __future__ import annotations

import msgspec

from .plan_factory import group, member, team, user
from planner.model import IdpDirectory, SigmaExport, SourceRef
from planner.sources.formulas import idp_formula_findings, looks_like_formula, sigma_formula_findings


def test_a_formula_start_is_one_of_equals_plus_minus_at_after_spaces():
    assert [looks_like_formula(v) for v in ("=1+1", " @SUM(A1)", "+33 1", "-x", "Ann", "", None, "a=b")] == [
        True, True, True, True, False, False, False, False]


def test_each_formula_like_name_is_a_warning_naming_the_file_line_and_field():
    at = SourceRef("users.csv", "line 17")
    kenji = msgspec.structs.replace(user("u1", "kenji@x.example", first="@SUM(A1)", last="Mori"), source=at)
    teams = msgspec.structs.replace(group("g1", "=cmd|' /C calc'!A0"), source=SourceRef("groups.csv", "line 4"))
    found = idp_formula_findings(IdpDirectory(users=(kenji,), groups=(teams,)))
    assert [str(f) for f in found] == [
        "warning: users.csv:line 17 [givenName]: IdP user givenName '@SUM(A1)' starts with '@', which a spreadsheet "
        "reads as a formula (Excel damage, or a value planted to run when the file is opened); it is sent to Sigma "
        "as written: correct it in the source (formula-like-value)",
        "warning: users.csv:line 17 [displayName]: IdP user displayName '@SUM(A1) Mori' starts with '@', which a "
        "spreadsheet reads as a formula (Excel damage, or a value planted to run when the file is opened); it is "
        "sent to Sigma as written: correct it in the source (formula-like-value)",
        "warning: groups.csv:line 4 [displayName]: IdP group displayName \"=cmd|' /C calc'!A0\" starts with '=', "
        "which a spreadsheet reads as a formula (Excel damage, or a value planted to run when the file is opened); "
        "it is sent to Sigma as written: correct it in the source (formula-like-value)",
    ]
    members = (msgspec.structs.replace(member("m1", "a@x.example", "+Ann", "Lee"), source=SourceRef("members.csv", "line 2")),)
    export = SigmaExport(members=members, teams=(team("t1", "Finance"),))
    assert [(f.file, f.location, f.field, f.severity.value) for f in sigma_formula_findings(export)] == [
        ("members.csv", "line 2", "firstName", "warning")]


def test_a_team_a_regex_rule_names_like_a_formula_is_an_informational_item():
    # tester B14: okta group 'sigma-team-=cmd|' /C calc'!A0' became team "=cmd|' /C calc'!A0", unnoticed
    from .plan_factory import kinds, plan, snapshot

    snap = snapshot([], [user("u1", "a@example.com")], groups=[group("g2", "sigma-team-=cmd|x", ["u1"])])
    p = plan(snap, "teams:\n  mode: create\n  rules: [{match: regex, pattern: '^sigma-team-(.*)$', replace: '\\1'}]\n")
    assert ("scim.create_group", "scim.create_group:g2") in kinds(p)
    (item,) = [r for r in p.review_items if r.code == "teams.formula_like_name"]
    assert (item.id, item.blocking) == ("teams.formula_like_name:g2", False)
    assert item.message == ("team '=cmd|x' (from group 'sigma-team-=cmd|x', teams.rules[0].regex) starts with '=', "
                            "which a spreadsheet reads as a formula; Sigma stores it as text, but rename the group in "
                            "the IdP if the name is not meant")


def test_the_first_character_screen_finds_what_the_per_record_test_finds():
    """planner.sources.formulas.may_look_like_formulas (the first characters of each name field,
    planner.sources.screens.FieldScreen) runs before the per-record pass: it must say True for every name
    looks_like_formula flags, whatever space leads it (str.lstrip's whitespace, Unicode included), and False
    for a side without one (was: a regex over the names joined by newlines, unsure of a name holding one)."""
    from planner.sources.formulas import may_look_like_formulas
    from planner.sources.screens import field_screen

    def screened(*values):
        return may_look_like_formulas([field_screen(["Ann", None, ""]), field_screen(values)])

    leads = [chr(c) for c in range(0x3100) if not 0xD800 <= c < 0xE000] + ["\u3000", "\ufeff", "\U0001F600"]
    for lead in leads:
        for value in (lead + "=1", lead + " @x", "x" + lead + "+1"):
            assert screened(value) is looks_like_formula(value), repr(value)
    assert screened("Ann", "Lee", None, "", "a=b", "O'Hara", "Jo\n=x") is False
    assert screened("  Jo") is True  # white space first: the per-record pass decides (no finding)
    assert screened("Ann", "", "-x") is True
    kenji = user("u1", "kenji@x.example", first="Kenji", last="Mori")
    assert idp_formula_findings(IdpDirectory(users=(kenji,), groups=(group("g1", "=SUM(1)"),)))[0].field == "displayName"
    assert sigma_formula_findings(SigmaExport(members=(member("m1", "a@x.example", "Ann", "Lee"),),
                                              teams=(team("t1", "@team"),)))[0].field == "name"


def test_the_per_record_pass_visits_only_the_records_with_a_formula_like_name(monkeypatch):
    """planner.sources.screens.records_with (issue 10 item 5): on a screen hit, only the users, groups, members
    and teams with a name that looks like a formula are passed on to name their warnings (was: every record of
    the side once one name did), in record order, the users' before the groups', the members' before the
    teams'; a name with white space first and no formula start passes the screen, is tested and not visited."""
    from planner.sources import formulas

    visited, named = [], formulas._named
    monkeypatch.setattr(formulas, "_named", lambda fields, source, what, findings: visited.append(
        (what, [v for _, v in fields])) or named(fields, source, what, findings))
    users = (user("u1", "a@x.example", first="Ann", last="Lee"), user("u2", "b@x.example", first="Bo", last="-Lee"),
             user("u3", "c@x.example", first="Cy", last="Lee"), user("u4", "d@x.example", first=" =Di", last="Lee"),
             user("u5", "e@x.example", first=" Ed", last="Lee"))
    found = idp_formula_findings(IdpDirectory(users=users, groups=(group("g1", "Sales"), group("g2", "@all"))))
    assert visited == [("IdP user", ["Bo", "-Lee", "Bo -Lee"]), ("IdP user", [" =Di", "Lee", "=Di Lee"]),
                       ("IdP group", ["@all"])]
    assert [(f.field, f.message.split(" starts")[0]) for f in found] == [
        ("familyName", "IdP user familyName '-Lee'"), ("givenName", "IdP user givenName ' =Di'"),
        ("displayName", "IdP user displayName '=Di Lee'"), ("displayName", "IdP group displayName '@all'")]
    visited.clear()
    export = SigmaExport(members=(member("m1", "a@x.example", "Ann", "Lee"), member("m2", "b@x.example", "+Bo", "Li")),
                         teams=(team("t1", "Sales"),))
    assert [f.field for f in sigma_formula_findings(export)] == ["firstName"]
    assert visited == [("member", ["+Bo", "Li"])]
    visited.clear()
    assert idp_formula_findings(IdpDirectory(users=users[:1], groups=(group("g1", "Sales"),))) == []
    assert visited == []
