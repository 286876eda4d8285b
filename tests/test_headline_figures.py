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
    "entra": ("Cannot sign in after the switch: 15 (8 deactivated, 3 guests disabled, "
              "4 with no IdP identity (2 in review))",
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
