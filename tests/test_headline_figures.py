"""The headline figures about people (who cannot sign in after the switch, by why; admins losing
Admin, by how) are the plan summary's ``outcomes``, and ``show``, the HTML report, the ``plan`` and
``report`` command lines print those same figures in the same words (tester9 F3: for one digest
``show`` said "Lock-outs 5 / Admin changes 0" and the report "cannot sign in (16) / Admins losing
Admin (1)")."""

from __future__ import annotations

import html as html_lib
import re

import pytest

from planner.planfile import read_plan

from .conftest import run_cli

SAMPLE_FIGURES = {
    # Tom Becker, Okta SUSPENDED, is held for review (unmatched.suspended), no longer deactivated: 8 -> 7
    "okta": ("Cannot sign in after the switch: 13 (7 deactivated, 2 guests disabled, "
             "4 with no IdP identity (2 in review))",
             "Admins losing Admin: 2 (1 deactivated, 1 downgraded)"),
    "okta-reviewed": ("Cannot sign in after the switch: 14 (10 deactivated, 2 guests disabled, 2 with no IdP identity)",
                      "Admins losing Admin: 2 (1 deactivated, 1 downgraded)"),
    # Carol Nguyen, a guest the blocking user_name_guard.invalid_user_name holds (no action), is held, not
    # disabled: 2 guests disabled, as the plan's 2 members.disable_guest (words18)
    "entra": ("Cannot sign in after the switch: 15 (8 deactivated, 2 guests disabled, "
              "1 guest held by a blocking review item, 4 with no IdP identity (2 in review))",
              "Admins losing Admin: 2 (1 deactivated, 1 downgraded)"),
    "entra-reviewed": ("Cannot sign in after the switch: 14 (10 deactivated, 2 guests disabled, 2 with no IdP identity)",
                       "Admins losing Admin: 2 (1 deactivated, 1 downgraded)"),
}
"""The two headlines of each bundled sample plan (``<idp>`` with ``policy-<idp>.yaml``)."""


def plan_sample(capsys, repo, tmp_path, name):
    idp = name.split("-")[0]
    path = tmp_path / f"{name}.json"
    code, out, err = run_cli(capsys, "plan", "--sigma", str(repo / "samples/acme/sigma"),
                             "--idp", str(repo / f"samples/acme/{idp}"),
                             "--policy", str(repo / f"samples/acme/policy-{name}.yaml"), "--out", str(path))
    assert code == 0, err
    return path, out


def show_sections(text: str) -> dict[str, list[str]]:
    """``{heading: [the email of each person the section lists, in order]}`` of ``show``'s four
    people sections (a subheading by why is not a person)."""
    out = {}
    for title in ("Cannot sign in after the switch:", "Admins losing Admin:", "Admin types gained or changed:",
                  "Downgrades:"):
        start = text.index("\n" + title) + 1
        body = text[start:text.index("\n\n", start)].splitlines()
        out[body[0]] = re.findall(r"^  [-+~?i=] (\S+)", "\n".join(body[1:]), re.M)
    return out


def report_figures(page: str) -> dict[str, str]:
    """The report's lock-out and admin cards' headings and tiles (number, words, breakdown)."""
    text = html_lib.unescape(page)
    tile = r'id="tile-{}">\s*<div class="n">(\d+)</div>\s*<div class="what">([^<]*)</div>\s*<div class="small muted">([^<]*)</div>'
    lock, admins = (re.search(tile.format(t), text) for t in ("lockout", "admins"))
    return {
        "lockout card": re.search(r'id="risk-lockout">\s*<h3>([^<]*)</h3>', text).group(1),
        "admin card": re.search(r'id="risk-admins">\s*<h3>([^<]*)</h3>', text).group(1),
        "lockout tile": " | ".join(lock.groups()),
        "admin tile": " | ".join(admins.groups()),
    }


@pytest.mark.parametrize("name", sorted(SAMPLE_FIGURES))
def test_show_the_report_and_the_command_lines_print_the_summarys_figures(name, repo, tmp_path, capsys):
    lockouts, admins = SAMPLE_FIGURES[name]
    path, planned = plan_sample(capsys, repo, tmp_path, name)
    assert [lockouts, admins] == planned.splitlines()[1:3]  # right after the summary line
    figures = read_plan(path).summary.outcomes

    code, shown, _ = run_cli(capsys, "show", str(path))
    assert code == 0
    sections = show_sections(shown)
    assert list(sections) == [lockouts, admins, "Admin types gained or changed: 0", "Downgrades: 4"]
    # each section lists as many people as its figure: helen (downgraded) and victor (deactivated)
    # are the admins losing Admin in every sample, victor listed in full among the deactivated
    assert len(sections[lockouts]) == figures.lockouts.total
    assert sections[admins] == ["helen.ortiz@acme.example", "victor.hale@acme.example"]
    assert ("  = victor.hale@acme.example  Victor Hale  Admin -> no access  "
            "(listed under Cannot sign in after the switch)") in shown.splitlines()
    assert len(sections["Downgrades: 4"]) == 4 and "helen.ortiz@acme.example" in sections["Downgrades: 4"]

    page = tmp_path / "report.html"
    code, reported, _ = run_cli(capsys, "report", str(path), "--out", str(page), "--csv", str(tmp_path / "a.csv"))
    assert code == 0
    assert reported.splitlines()[-1].startswith(f"{lockouts}; {admins}; 8 account-type changes (4 downgrades), ")
    breakdown = lockouts.partition(" (")[2].removesuffix(")")
    assert report_figures(page.read_text(encoding="utf-8")) == {
        "lockout card": lockouts, "admin card": admins,
        "lockout tile": f"{figures.lockouts.total} | cannot sign in after the switch | {breakdown}",
        "admin tile": "2 | admins losing Admin | 1 deactivated, 1 downgraded",
    }


def test_a_wave_prints_the_plans_figures_and_how_many_of_them_are_in_the_wave(repo, tmp_path, capsys):
    lockouts, admins = SAMPLE_FIGURES["okta-reviewed"]
    path, _ = plan_sample(capsys, repo, tmp_path, "okta-reviewed")
    code, shown, _ = run_cli(capsys, "show", str(path), "--only", "kind:members.deactivate")
    assert code == 0
    sections = show_sections(shown)
    assert list(sections) == [f"{lockouts}; in this wave: 10", f"{admins}; in this wave: 1",
                              "Admin types gained or changed: 0; in this wave: 0", "Downgrades: 4; in this wave: 0"]
    assert sections[f"{admins}; in this wave: 1"] == ["victor.hale@acme.example"]
    assert "  Deactivated by the plan (10):" in shown.splitlines()
    assert "  Guest disabled (SCIM does not support guests) (2):" not in shown  # none in the wave

    page = tmp_path / "wave.html"
    code, _, _ = run_cli(capsys, "report", str(path), "--out", str(page), "--only", "kind:members.deactivate")
    assert code == 0
    figures = report_figures(page.read_text(encoding="utf-8"))
    assert (figures["lockout card"], figures["admin card"]) == (lockouts, admins)


CAROL_GUEST = "1OLfsTOWkRcJMtkNaSgdDd91YEXAg"  # carol.nguyen@northpartners.example, a guest of the sample


@pytest.mark.parametrize("name", sorted(SAMPLE_FIGURES))
def test_a_guest_counted_disabled_is_one_the_plan_disables(name, repo, tmp_path, capsys):
    """Each lock-out a guest counts under comes from the actions the plan holds: ``guest_disabled`` is the
    ``members.disable_guest`` actions, a guest a blocking item holds (no action) is ``guest_held`` (words18: the
    entra sample's Carol Nguyen, held by user_name_guard.invalid_user_name, was one of "3 guests disabled")."""
    path, _ = plan_sample(capsys, repo, tmp_path, name)
    plan = read_plan(path)
    disabled = sorted(a.target.member_id for a in plan.actions if a.kind.value == "members.disable_guest")
    guests = {p.member_id: p for p in plan.people if p.lockout is not None and p.lockout.value.startswith("guest")}
    assert sorted(m for m, p in guests.items() if p.lockout.value == "guest_disabled") == disabled
    assert plan.summary.outcomes.lockouts.guest_disabled == len(disabled) == plan.summary.actions["members.disable_guest"]
    held = {m: p for m, p in guests.items() if p.lockout.value == "guest_held"}
    assert plan.summary.outcomes.lockouts.guest_held == len(held)
    if name != "entra":
        assert held == {}
        return
    carol = held[CAROL_GUEST]
    blocking = {r.id for r in plan.blocking_items}
    assert (carol.email, carol.actions, carol.review_items) == (
        "carol.nguyen@northpartners.example", (), (f"user_name_guard.invalid_user_name:{CAROL_GUEST}",))
    assert set(carol.review_items) <= blocking
    code, shown, _ = run_cli(capsys, "show", str(path))
    assert code == 0
    lines = shown.splitlines()
    heading = lines.index("  Guest held by a blocking review item: no action until it is settled (SCIM disables "
                          "guests unless the decision converts them) (1):")
    assert lines[heading + 1].startswith("  ? carol.nguyen@northpartners.example  Carol Nguyen")
    assert lines[heading + 2].startswith(f"      ! user_name_guard.invalid_user_name:{CAROL_GUEST}: ")
    assert "  Guest disabled (SCIM does not support guests) (2):" in lines


@pytest.mark.parametrize("name", sorted(SAMPLE_FIGURES))
def test_pre_flight_counts_the_guests_the_plan_disables(name, repo, tmp_path, capsys):
    """Pre-flight's "guest member(s) lose access" counts the people the plan counts ``guest_disabled``, never a
    guest a blocking item holds (left19 item 1: the entra sample's Carol Nguyen, ``guest_held`` since words18, was
    one of "3 guest member(s) lose access" while the plan disables 2)."""
    path, _ = plan_sample(capsys, repo, tmp_path, name)
    plan = read_plan(path)
    check = next(c for c in plan.preflight if c.id == "guests")
    disabled = plan.summary.actions["members.disable_guest"]
    assert (disabled, plan.summary.outcomes.lockouts.guest_disabled) == (2, 2)
    told = "reviewed" in name  # the reviewed policies confirm preflight.guests_informed
    whom = "felix.brandt@consultco.example, mei.tanaka@consultco.example"  # whom guests_informed covers (tester20 #9)
    assert (check.count, check.detail) == (
        2, f"2 guest member(s) lose access ({whom}); the policy confirms they were told" if told
        else f"2 guest member(s) lose access when SCIM is enabled ({whom}): tell them, then confirm")
