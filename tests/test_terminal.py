"""Issue 12 item 2: every value from an export is made printable before it reaches the terminal.

Hostile names (ESC [2J, an OSC 8 hyperlink to another host, U+202E, a newline) go through
``show``, ``show --json``, ``check`` and ``apply --dry-run``: the terminal receives escapes it
shows as text (``\\x1b``, ``\\u202e``), never the raw characters; the HTML report and every CSV show
them the same way (:mod:`planner.unsafe_characters`).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from planner.planfile import write_plan
from planner.report import actions_csv, render_html
from planner.terminal import printable, printable_json

from .conftest import run_cli
from .execute_support import link, write_test_plan
from .plan_factory import member, plan, snapshot, team, user

CLEAR = "\x1b[2J"
LINK = "\x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\"
RLO = "\u202e"
RAW = ("\x1b", "\u202e", "\x9b", "\x07")


def test_printable_escapes_controls_bidi_and_separators_visibly():
    assert printable(f"Eve{CLEAR}") == "Eve\\x1b[2J"
    assert printable(LINK) == "\\x1b]8;;http://evil.example/\\x1b\\click\\x1b]8;;\\x1b\\"
    assert printable(f"gpj.{RLO}exe") == "gpj.\\u202eexe"
    assert printable("a\nb\tc\rd\x7fe\x9bf\u2028g") == "a\\nb\\tc\\rd\\x7fe\\x9bf\\u2028g"
    assert printable("Zoë Ångström 山田 o'brien") == "Zoë Ångström 山田 o'brien"


def test_printable_json_keeps_the_document_and_its_values():
    text = json.dumps({"name": f"x{RLO}y\x9bz", "n": 1}, ensure_ascii=False, indent=1)
    safe = printable_json(text)
    assert "\u202e" not in safe and "\\u202e" in safe
    assert json.loads(safe) == json.loads(text)


def hostile_plan(tmp_path: Path) -> Path:
    snap = snapshot(
        [member("m1", "eve@example.com", f"Eve{CLEAR}", f"{RLO}Lee", member_type="View")],
        [user("u1", "eve@example.com", first=f"Eve{CLEAR}", last=f"{RLO}Lee")],
        teams=[team("t1", f"Fin{LINK}")],
        memberships={"t1": ["m1"]},
    )
    path = tmp_path / "plan.json"
    write_plan(plan(snap, "unmatched:\n  action: deactivate\n"), path)
    return path


def test_show_prints_hostile_names_escaped(tmp_path, capsys):
    path = hostile_plan(tmp_path)
    code, out, _ = run_cli(capsys, "show", str(path), "--all")  # --all: eve is a plain link
    assert code == 0
    assert not any(ch in out for ch in RAW)
    assert "  ~ eve@example.com  Eve\\x1b[2J \\u202eLee  [member m1 <-> IdP u1] by email  View" in out
    assert "Fin\\x1b]8;;http://evil.example/\\x1b\\click\\x1b]8;;\\x1b\\" in out


def test_show_json_escapes_bidi_and_parses_to_the_plan_file(tmp_path, capsys):
    path = hostile_plan(tmp_path)
    code, out, _ = run_cli(capsys, "show", str(path), "--json")
    assert code == 0
    assert not any(ch in out for ch in RAW)
    assert json.loads(out) == json.loads(path.read_text(encoding="utf-8"))


def test_html_report_and_csv_stay_inert(tmp_path):
    from planner.planfile import read_plan

    loaded = read_plan(hostile_plan(tmp_path))
    html = render_html(loaded)
    assert '<a href="http://evil.example/' not in html  # an OSC 8 link is text, not a link, in a page
    assert not any(ch in html for ch in RAW)  # the page shows them as the terminal does (issue 10, tester4 5)
    assert "Fin\\x1b]8;;http://evil.example/" in html
    assert not any(ch in actions_csv(loaded) for ch in RAW)


def test_check_prints_hostile_export_values_escaped(tmp_path, capsys):
    sigma = tmp_path / "sigma"
    shutil.copytree(Path(__file__).parent / "fixtures" / "sandbox_seed", sigma)
    members = json.loads((sigma / "members.json").read_text(encoding="utf-8"))
    entries = members[0]["entries"]  # pages as the API gives them; entry 0 is the scheduler robot
    entries[1]["memberType"] = f"View{CLEAR}{RLO}"
    (sigma / "members.json").write_text(json.dumps(members, ensure_ascii=False), encoding="utf-8")
    idp = tmp_path / "Users.json"
    idp.write_text(json.dumps({"Resources": [
        {"id": "u1", "userName": "eve@example.com", "name": {"givenName": f"Eve{CLEAR}", "familyName": LINK}},
        {"id": "u1", "userName": f"{RLO}eve@example.com", "active": f"yes{CLEAR}"},
    ]}), encoding="utf-8")

    code, out, _ = run_cli(capsys, "check", "--sigma", str(sigma), "--idp", str(idp), "--idp-format", "scim")

    assert not any(ch in out for ch in RAW)
    assert "View\\x1b[2J\\u202e" in out.replace("\n", "")  # a table cell may wrap
    code, out, _ = run_cli(capsys, "check", "--sigma", str(sigma), "--idp", str(idp), "--idp-format", "scim", "--json")
    assert not any(ch in out for ch in RAW)
    assert json.loads(out)["summary"]["sigma"]["members"]["by_account_type"][f"View{CLEAR}{RLO}"]


def test_apply_dry_run_prints_hostile_values_escaped(tmp_path, capsys):
    path = write_test_plan(tmp_path, [link("u1", "m1", "eve@example.com", given=f"{RLO}Eve"),
                                      link("u2", "m2", f"eve{CLEAR}@example.com")])
    code, out, _ = run_cli(capsys, "apply", str(path), "--dry-run", "--rest-base-url", "http://127.0.0.1:9",
                           "--scim-base-url", "http://127.0.0.1:9/scim/v2")
    assert code == 1  # not approved: apply would refuse it
    assert not any(ch in out for ch in RAW)
    assert '"givenName": "\\u202eEve"' in out
    assert "# 2/2 u2 scim.link_user eve\\x1b[2J@example.com: test u2" in out
    assert ("# cannot be sent, apply will fail this action: action u2 (scim.link_user): the SCIM User cannot be "
            "built: value: value is not a valid email address: The email address contains invalid "
            "characters before the @-sign: '[', U+001B.") in out
