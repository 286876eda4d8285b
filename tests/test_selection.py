"""Waves (issue 11 item 3): --only selectors and --limit, shared by show, report and apply."""

from __future__ import annotations

import pytest

from planner.cli import main
from planner.planfile import write_plan
from planner.model import Lockout
from planner.selection import SelectionError, parse_selector, select, wave_heading

from .plan_factory import UNCONFIRMED_POLICY, by_id, group, member, plan, snapshot, team, user

TEAMS = "teams: {rules: [{match: exact}]}"


def finance_plan():
    snap = snapshot(
        [member("m1", "alice@example.com", "Alice", "A"), member("m2", "bob@example.com", "Bob", "B"),
         member("m3", "carol@example.com", "Carol", "C")],
        [user("u1", "alice@example.com", first="Alice", last="A"), user("u2", "bob@example.com", first="Bob", last="B"),
         user("u3", "carol@example.com", first="Carol", last="C"), user("u4", "dan@example.com", first="Dan", last="D")],
        [group("g1", "Finance", users=["u1", "u4"])], teams=[team("t1", "Finance")], memberships={"t1": ["m1"]},
    )
    return plan(snap, TEAMS)


def test_an_email_selects_the_person_and_pulls_in_nothing_else():
    wave = select(finance_plan(), ["email:BOB@example.com"])
    assert wave.action_ids == ("scim.link_user:m2",)
    assert (wave.pulled_in, wave.label) == ((), "only email:BOB@example.com")


def test_a_team_pulls_in_the_links_and_creates_it_depends_on():
    p = finance_plan()
    wave = select(p, ["team:Finance"])
    assert wave.chosen == ("scim.link_group:t1", "scim.set_group_members:g1")
    assert wave.pulled_in == ("scim.create_user:u4", "scim.link_user:m1")
    assert [a.id for a in p.actions if a.id in wave.action_ids] == list(wave.action_ids)  # plan order


def test_kinds_groups_and_several_selectors_are_a_union():
    p = finance_plan()
    assert select(p, ["kind:scim.create_user"]).action_ids == ("scim.create_user:u4",)
    assert set(select(p, ["group:Finance"]).chosen) == {"scim.create_user:u4", "scim.link_user:m1"}
    both = select(p, ["email:carol@example.com", "kind:scim.create_*"])
    assert set(both.action_ids) == {"scim.link_user:m3", "scim.create_user:u4"}


def test_limit_is_a_canary_of_the_first_people_in_plan_order():
    p = finance_plan()
    order = [r.member_id or r.idp_id for r in p.people if r.actions]
    wave = select(p, [], 2)
    people = {a.split(":")[1] for a in wave.chosen}
    assert people == set(order[:2]) and wave.label == "limit 2"


@pytest.mark.parametrize("selector, message", [
    ("email:nobody@example.com", "--only email:nobody@example.com: matches no action of the plan"),
    ("team:Nope", "--only team:Nope: matches no action of the plan"),
    ("kind:scim.nothing", "--only 'kind:scim.nothing': no action kind is called 'scim.nothing'"),
    ("colour:blue", "--only 'colour:blue': expected email:ADDRESS, group:NAME, team:NAME or kind:KIND"),
])
def test_a_selector_matching_nothing_is_a_one_line_error(selector, message):
    with pytest.raises(SelectionError) as exc:
        select(finance_plan(), [selector])
    assert str(exc.value).startswith(message) and "\n" not in str(exc.value)


@pytest.mark.parametrize("selector, hint", [
    ("group:finance", "; did you mean group:Finance? group names are matched exactly, letter case included"),
    ("team:FINANCE", "; did you mean team:Finance? team names are matched exactly, letter case included"),
    ("team:Finanse", "; did you mean team:Finance? team names are matched exactly, letter case included"),
    ("team:Nope", ""),
    # a look-alike (Cyrillic і, U+0456) is said to differ, never proposed (tester7 NEW-4)
    ("team:F\u0456nance", "; the plan's team 'Finance' looks like 'F\u0456nance' and differs: U+0456 CYRILLIC "
                           "SMALL LETTER BYELORUSSIAN-UKRAINIAN I at position 2; never take one for the other"),
])
def test_a_group_or_team_differing_in_letter_case_is_named_never_matched(selector, hint):
    # tester6 finding 12b: names are matched exactly (Sigma does not document team names as
    # case-insensitive; only emails are), so the error names the plan's spelling
    p = finance_plan()
    with pytest.raises(SelectionError) as exc:
        select(p, [selector])
    assert str(exc.value) == f"--only {selector}: matches no action of the plan ({p.digest or 'unsaved plan'}){hint}"


def test_a_bare_address_is_an_email_selector():
    assert parse_selector("ada@example.com") == parse_selector("email:ada@example.com")


def test_show_only_prints_the_sections_restricted_to_the_wave(tmp_path, capsys):
    path = tmp_path / "plan.json"
    write_plan(finance_plan(), path)
    main(["show", str(path), "--only", "team:Finance", "--all"])
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == ("Wave only team:Finance: 4 of 7 action(s) (2 chosen, 2 pulled in as dependencies) of 2 "
                        "person(s) (0 chosen, 2 pulled in); the plan's approval covers it")
    # the sections of `show`, in its order, restricted to the wave
    heads = [line.split(":")[0] for line in lines if line and not line.startswith(" ")]
    assert heads[1:] == ["Plan for Example (org-1)", "Summary", "Pre-flight (Sigma's SCIM prerequisites)",
                         "Blocking review items", "Cannot sign in after the switch", "Admins losing Admin",
                         "Admin types gained or changed", "Downgrades", "Other people", "Informational review items", "Teams",
                         "Protected owners", "Guards", "Plan"]
    people = out[out.index("Other people:"):out.index("Informational review items")]
    assert "alice@example.com" in people and "dan@example.com" in people
    assert "bob@example.com" not in people and "carol@example.com" not in people  # not in the wave
    assert people.count("pulled in as a dependency") == 2
    teams = out[out.index("Teams:"):out.index("Protected owners:")]
    assert "scim.link_group, teams.rules[0].exact)" in teams and "scim.set_group_members" in teams
    with pytest.raises(SystemExit) as exc:
        main(["show", str(path), "--only", "email:zed@example.com"])
    assert exc.value.code == 1
    assert capsys.readouterr().err.startswith("sigma-migrate: error: --only email:zed@example.com: matches no action")


def test_report_only_adds_the_wave_section(tmp_path, capsys):
    path = tmp_path / "plan.json"
    write_plan(finance_plan(), path)
    main(["report", str(path), "--out", str(tmp_path / "report.html"), "--only", "team:Finance"])
    html = (tmp_path / "report.html").read_text()
    section = html[html.index('<section id="wave"'):html.index("</section>", html.index('<section id="wave"'))]
    assert "Wave: only team:Finance" in section and "<code>sigma-migrate apply PLAN --only team:Finance</code>" in section
    assert section.count("<tr><td class=\"mono\">") == 4 and section.count("<td>dependency</td>") == 2
    with pytest.raises(SystemExit):
        main(["report", str(path), "--out", str(tmp_path / "other.html"), "--limit", "0"])
    assert not (tmp_path / "other.html").exists()
    assert "--limit 0: give a number of people, 1 or more" in capsys.readouterr().err


def test_a_wave_of_a_plan_that_cannot_be_approved_says_so_first(tmp_path, capsys):
    """tester9 F7: `show --limit 15` of a plan with a blocking item said "the plan's approval covers it"
    before saying approve and apply refuse it."""
    from planner.model import ActionKind

    path = tmp_path / "plan.json"
    snap = snapshot([member("m1", "alice@example.com", "Alice", "A"), member("m5", "eve@example.com"),
                     member("m6", "Eve@example.com")],  # one address, two members: a blocking item
                    [user("u1", "alice@example.com", first="Alice", last="A"), user("u5", "eve@example.com")])
    blocked = plan(snap, TEAMS, base=UNCONFIRMED_POLICY)
    assert not blocked.approvable and {a.kind for a in blocked.actions} >= {ActionKind.SCIM_LINK_USER}
    write_plan(blocked, path)
    main(["show", str(path), "--limit", "1"])
    lines = capsys.readouterr().out.splitlines()
    refusal = "2 pre-flight check(s) unmet, 1 blocking review item(s), 0 failed guard(s)"
    assert lines[0] == (f"Wave limit 1: 1 of {len(blocked.actions)} action(s) (1 chosen, 0 pulled in as dependencies) "
                        "of 1 person(s) (1 chosen, 0 pulled in); "
                        f"the plan cannot be approved yet ({refusal}), so neither can this wave run")
    assert f"  approve and apply refuse this plan: {refusal}" in lines
    assert not any("approval covers" in line for line in lines)

    main(["report", str(path), "--out", str(tmp_path / "wave.html"), "--limit", "1"])
    html = (tmp_path / "wave.html").read_text()
    banner = html[html.index('id="wave-summary"'):html.index("</div>", html.index('id="wave-summary"'))]
    assert " ".join(banner.split()) == (
        f'id="wave-summary"> 1 of {len(blocked.actions)} action(s): 1 chosen, 0 pulled in as dependencies, of 1 '
        "person(s): 1 chosen, 0 pulled in. "
        f"The plan cannot be approved yet ({refusal}), so neither can this wave run; once it is approved: "
        "<code>sigma-migrate apply PLAN --limit 1</code>.")
    assert '<div class="banner blocked" id="wave-summary">' in html


def test_show_json_of_a_wave_is_the_wave_as_json(tmp_path, capsys):
    """tester13 F5: `show --json --only ...` printed the text view (exit 0); a script reading it got no JSON."""
    import json

    path = tmp_path / "plan.json"
    p = finance_plan()
    digest = write_plan(p, path)
    main(["show", str(path), "--json", "--only", "team:Finance"])
    document = json.loads(capsys.readouterr().out)
    assert {k: v for k, v in document.items() if k != "actions"} == {
        "plan_digest": digest, "label": "only team:Finance", "selectors": ["team:Finance"], "limit": None,
        "approvable": True,
        "action_ids": ["scim.create_user:u4", "scim.link_user:m1", "scim.link_group:t1", "scim.set_group_members:g1"],
        "chosen": ["scim.link_group:t1", "scim.set_group_members:g1"],
        "pulled_in": ["scim.create_user:u4", "scim.link_user:m1"], "people_chosen": 0, "people_pulled_in": 2}
    on_file = {a["id"]: a for a in json.loads(path.read_text())["actions"]}
    assert document["actions"] == [on_file[i] for i in document["action_ids"]]  # as the plan file holds them
    main(["show", str(path), "--json", "--limit", "1"])
    assert json.loads(capsys.readouterr().out)["action_ids"] == ["scim.link_user:m1"]


def test_report_csv_of_a_wave_marks_the_wave_rows(tmp_path, capsys):
    """tester13 F5: `report --only ... --csv` wrote every action of the plan with nothing telling the wave's 4 of
    7 apart; the CSV stays the whole plan (as the report is) with a last column ``wave``."""
    import csv

    path = tmp_path / "plan.json"
    write_plan(finance_plan(), path)
    main(["report", str(path), "--out", str(tmp_path / "r.html"), "--only", "team:Finance",
          "--csv", str(tmp_path / "w.csv")])
    assert capsys.readouterr().out.splitlines()[1] == (
        f"Actions CSV: {tmp_path / 'w.csv'} (every action of the plan; the wave's 4 marked in column wave)")
    with open(tmp_path / "w.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["id"], r["wave"]) for r in rows] == [
        ("scim.create_user:u4", "pulled in"), ("scim.link_user:m1", "pulled in"), ("scim.link_user:m2", ""),
        ("scim.link_user:m3", ""), ("scim.link_user:root", ""), ("scim.link_group:t1", "chosen"),
        ("scim.set_group_members:g1", "chosen")]
    main(["report", str(path), "--out", str(tmp_path / "r2.html"), "--csv", str(tmp_path / "all.csv")])
    with open(tmp_path / "all.csv", encoding="utf-8-sig", newline="") as fh:
        assert next(csv.reader(fh)) == ["id", "kind", "target", "before", "after", "rule", "reason"]  # no wave column


def test_a_canary_takes_the_people_who_keep_access_first():
    """tester13 finding 13: `--limit 15` took the first 15 people by email, deactivations included (their documents
    moved for good); a canary now takes the people the plan leaves able to sign in first, then the others."""
    snap = snapshot([member("m0", "aaron@example.com"), member("m1", "alice@example.com", "Alice", "A"),
                     member("m2", "bob@example.com", "Bob", "B")],
                    [user("u1", "alice@example.com", first="Alice", last="A"),
                     user("u2", "bob@example.com", first="Bob", last="B")])
    p = plan(snap, TEAMS + "\nunmatched: {action: deactivate}")
    assert [(x.email, x.lockout) for x in p.people if x.actions][:2] == [
        ("aaron@example.com", Lockout.DEACTIVATED), ("alice@example.com", None)]
    assert select(p, limit=2).chosen == ("scim.link_user:m1", "scim.link_user:m2")  # was: aaron's deactivation
    last = select(p, limit=len([x for x in p.people if x.actions])).chosen
    assert "members.deactivate:m0" in last  # the people it locks out come last, not never


def test_a_canary_takes_first_the_people_whose_actions_pull_in_nobody_and_counts_the_people():
    """tester14b finding 4: `--limit 50` chose 3 team members whose removal by their team's push needs the link of
    every member the push sends, and ran 272 people; a canary now takes first the people whose actions need no
    other person's, and the wave says how many people it runs."""
    snap = snapshot([member("m0", "aaron@example.com", "Aaron", "A"), member("m1", "alice@example.com", "Alice", "A"),
                     member("m2", "bob@example.com", "Bob", "B")],
                    [user("u0", "aaron@example.com", first="Aaron", last="A"),
                     user("u1", "alice@example.com", first="Alice", last="A"),
                     user("u2", "bob@example.com", first="Bob", last="B")],
                    [group("g1", "Finance", users=["u2"])], teams=[team("t1", "Finance")],
                    memberships={"t1": ["m0", "m2"]})
    p = plan(snap, TEAMS)
    assert by_id(p)["teams.remove_member:t1:m0"].depends_on == ("scim.set_group_members:g1",)
    assert [x.email for x in p.people if x.actions][:2] == ["aaron@example.com", "alice@example.com"]
    wave = select(p, limit=1)
    assert (wave.chosen, wave.pulled_in, wave.people_chosen, wave.people_pulled_in) == (
        ("scim.link_user:m1",), (), 1, 0)  # was: aaron's link and removal, pulling in the push and bob's link
    everyone = select(p, limit=3)
    assert (everyone.people_chosen, everyone.people_pulled_in) == (3, 0)
    aaron = select(p, ["email:aaron@example.com"])
    assert (aaron.people_chosen, aaron.people_pulled_in) == (1, 1)  # bob's link, which the push needs
    assert wave_heading(p, aaron).startswith(
        f"Wave only email:aaron@example.com: {len(aaron.action_ids)} of {len(p.actions)} action(s) "
        f"({len(aaron.chosen)} chosen, {len(aaron.pulled_in)} pulled in as dependencies) of 2 person(s) "
        "(1 chosen, 1 pulled in); ")
