"""Characters a written value may not carry (issue 10, tester4 finding 5): one class
(:data:`planner.unsafe_characters.UNSAFE`: controls, line separators, bidi embeddings/overrides/
isolates/marks, invisible format characters), one treatment per kind of output:

- a name the plan sends to SCIM is sent without them, with an informational ``scim.cleaned_name``
  item naming each; a userName carrying one holds the person (blocking ``scim.unclean_user_name``);
- every CSV the tool writes and the HTML report write them visibly (``\\u202e``), as a terminal does;
- a name is data otherwise: ``=HYPERLINK(...)`` is sent as the IdP holds it, and neutralized in CSVs.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import unicodedata
from pathlib import Path

import pytest
from msgspec import to_builtins as wire

from planner.csv_cells import csv_text
from planner.planfile import read_plan
from planner.report import actions_csv, render_html
from planner.sources.values import clean_text
from planner.unsafe_characters import UNSAFE, escape

from .conftest import REPO, run_cli

AMELIA = "00ujdzhQuqdtsq1OAaZg"
HYPERLINK = '=HYPERLINK("http://evil.example","x")'
HOSTILE = "\x1b]0;PWNED\x07\x1b[31mRED\u202eevil"


def okta_with_hostile_amelia(tmp_path: Path, **profile: str) -> Path:
    """The sample Okta export with Amelia Clarke's profile fields set to ``profile`` (tester4's okta_xss)."""
    root = tmp_path / "okta"
    shutil.copytree(REPO / "samples/acme/okta", root)
    users = json.loads((root / "users.json").read_text(encoding="utf-8"))
    (amelia,) = [u for u in users if u["id"] == AMELIA]
    amelia["profile"].update(profile)
    (root / "users.json").write_text(json.dumps(users, ensure_ascii=False), encoding="utf-8")
    groups = json.loads((root / "group_members.json").read_text(encoding="utf-8"))
    for listed in groups.values():  # the group members file lists the same profile (one export)
        for entry in listed:
            if entry["id"] == AMELIA:
                entry["profile"].update(profile)
    (root / "group_members.json").write_text(json.dumps(groups, ensure_ascii=False), encoding="utf-8")
    return root


def plan_of(capsys, tmp_path: Path, idp: Path) -> tuple[int, Path]:
    out = tmp_path / "plan.json"
    code, _, _ = run_cli(capsys, "plan", "--sigma", str(REPO / "samples/acme/sigma"), "--idp", str(idp),
                         "--policy", str(REPO / "samples/acme/policy-okta.yaml"), "--out", str(out))
    return code, out


def test_a_bidi_override_in_a_family_name_is_not_sent_and_an_item_says_so(capsys, tmp_path):
    idp = okta_with_hostile_amelia(tmp_path, firstName=HYPERLINK, lastName=HOSTILE)
    code, out = plan_of(capsys, tmp_path, idp)
    assert code == 0
    plan = read_plan(out)
    (create,) = [a for a in plan.actions if a.id == f"scim.create_user:{AMELIA}"]
    assert wire(create.after) == {"userName": "amelia.clarke@acme.example", "givenName": HYPERLINK,
                                  "familyName": "]0;PWNED[31mREDevil", "active": True, "userType": "Analyze"}
    (item,) = [r for r in plan.review_items if r.code == "scim.cleaned_name"]
    differences = ["name.familyName: U+001B CONTROL CHARACTER at position 1",
                   "name.familyName: U+0007 CONTROL CHARACTER at position 10",
                   "name.familyName: U+001B CONTROL CHARACTER at position 11",
                   "name.familyName: U+202E RIGHT-TO-LEFT OVERRIDE at position 19"]
    assert (item.id, item.blocking, item.rule) == (f"scim.cleaned_name:{AMELIA}", False, "scim.cleaned_name")
    assert item.evidence.differences == differences
    assert item.message == (
        f"IdP user {AMELIA} (amelia.clarke@acme.example) has control, bidi or invisible characters in its names "
        f"({'; '.join(differences)}): the plan sends the names without them, and the IdP, which still holds them, "
        "sends them as they are at its next update of this user; remove them in the IdP")

    rows = list(csv.reader(io.StringIO(actions_csv(plan))))
    (row,) = [r for r in rows if r[0] == f"scim.create_user:{AMELIA}"]
    assert row[4] == ('userName=amelia.clarke@acme.example; givenName==HYPERLINK("http://evil.example","x"); '
                      "familyName=]0;PWNED[31mREDevil; active=true; userType=Analyze")


def test_the_report_shows_a_bidi_override_as_text_and_never_raw(capsys, tmp_path):
    idp = okta_with_hostile_amelia(tmp_path, lastName="Cl\u202earke", firstName="Ame\u200blia",
                                   displayName="Ame\u200blia Cl\u202earke")
    code, out = plan_of(capsys, tmp_path, idp)
    assert code == 0
    html = render_html(read_plan(out))
    assert UNSAFE.search(html.replace("\n", "").replace("\t", "").replace("\r", "")) is None
    # the people table's JSON: the page's script reads the text 'Ame\u200blia Cl\u202earke' and shows it so
    assert '["Ame\\\\u200blia Cl\\\\u202earke","amelia.clarke@acme.example"' in html


def test_a_user_name_carrying_a_bidi_override_holds_the_person(capsys, tmp_path):
    idp = okta_with_hostile_amelia(tmp_path, login="amelia.clarke\u202e@acme.example")
    code, out = plan_of(capsys, tmp_path, idp)
    assert code == 0
    plan = read_plan(out)
    assert [a.id for a in plan.actions if AMELIA in a.id] == []  # never sent with another userName
    (item,) = [r for r in plan.review_items if AMELIA in r.id]
    assert (item.id, item.blocking) == (f"user_name_guard.invalid_user_name:{AMELIA}", True)
    assert item.message.startswith(f"IdP user {AMELIA} would send userName 'amelia.clarke\\u202e@acme.example', "
                                   "which is not an email address")


def test_every_csv_cell_escapes_the_class_and_neutralizes_formulas():
    text = csv_text(["name", "n"], [["gpj.\u202eexe", 1], [HYPERLINK, "a\x1bb\u200bc"], ["-1", None],
                                    ["\u0645\u06cc\u200c\u062e", True]])
    assert text == ('name,n\r\n'
                    'gpj.\\u202eexe,1\r\n'
                    '"\'=HYPERLINK(""http://evil.example"",""x"")",a\\x1bb\\u200bc\r\n'
                    "'-1,\r\n"
                    "\u0645\u06cc\u200c\u062e,yes\r\n")


@pytest.mark.parametrize("name, cleaned", [
    ("Cl\u202earke", "Clarke"), ("\u2066Ann\u2069", "Ann"), ("An\u200bn", "Ann"), ("\ufeffAnn", "Ann"),
    ("Ann\u00ad", "Ann"), ("A\x1bnn\x07", "Ann"), ("A\u2028nn", "Ann"),
    ("\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645", "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"),
    ("\u0915\u094d\u200d\u0937", "\u0915\u094d\u200d\u0937"),  # Devanagari half form: ZWJ kept
    ("\u200cAnn\u200d", "Ann"), ("Ame\u0301lie", "Amélie"),
])
def test_clean_text_removes_the_class_and_keeps_the_joiners_inside(name, cleaned):
    assert clean_text(name) == cleaned


def test_the_class_is_every_control_separator_and_invisible_format_character_but_the_joiners():
    """:data:`UNSAFE` written out as ranges equals its definition over every code point of this Python's
    Unicode: Cc, Zl, Zp, and the Cf characters of the Basic Multilingual Plane that are bidi controls or
    drawn as nothing (the visible ones: Arabic number signs, Syriac abbreviation mark, interlinear
    annotation)."""
    visible_cf = {0x0600, 0x0601, 0x0602, 0x0603, 0x0604, 0x0605, 0x06DD, 0x070F, 0x0890, 0x0891, 0x08E2,
                  0xFFF9, 0xFFFA, 0xFFFB}
    for code in range(0x10000):
        ch = chr(code)
        category = unicodedata.category(ch)
        expected = (category in ("Cc", "Zl", "Zp")
                    or (category == "Cf" and code not in visible_cf and code not in (0x200C, 0x200D)))
        assert (UNSAFE.fullmatch(ch) is not None) is expected, f"U+{code:04X} {category}"
    assert escape("a\u202eb\x85c\u200bd") == "a\\u202eb\\x85c\\u200bd"


def test_an_invisible_character_in_the_email_of_a_user_to_create_holds_the_person(capsys, tmp_path):
    idp = okta_with_hostile_amelia(tmp_path, email="amelia.clarke\u200b@acme.example")
    code, out = plan_of(capsys, tmp_path, idp)
    assert code == 0
    plan = read_plan(out)
    assert [a.id for a in plan.actions if AMELIA in a.id] == []  # never created with an email the IdP lacks
    (item,) = [r for r in plan.review_items if AMELIA in r.id]
    assert (item.id, item.blocking) == (f"scim.unclean_email:{AMELIA}", True)
    assert item.evidence.differences == ["U+200B ZERO WIDTH SPACE at position 14"]
    assert item.message == (
        f"IdP user {AMELIA} would be created with email 'amelia.clarke\\u200b@acme.example', which is not clean "
        "(U+200B ZERO WIDTH SPACE at position 14): the plan does not change an email silently (the IdP keeps "
        "sending it as it holds it); held (not created) until the IdP stores the email without them")
