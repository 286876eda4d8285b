"""A review item's message and snippet never carry an unclean character raw (words18).

An item's ``message`` and ``resolution`` quote export values and are read in a terminal, a ticket, a CI log, the
plan JSON: a zero-width space, a bidi override, a control or a no-break character in them can hide or reorder what
the reader sees. Every item is made through :class:`planner.model.ReviewItem`, which writes them escaped
(:func:`planner.unsafe_characters.escape_message`, :func:`~planner.unsafe_characters.escape_snippet`); the values
the plan acts on (an action's target, an item's subject and evidence) stay exact.
"""

from __future__ import annotations

import json

import pytest

from planner.model import NO_EVIDENCE, ItemRef, ReviewItem
from planner.planfile import read_plan
from planner.rules import yaml_snippet
from planner.unsafe_characters import escape_message, escape_snippet
from planner.yamlsafe import bounded_load

from .conftest import run_cli, write
from .tiny_org import ANN, MARCUS, POLICY, ZERO, member

UNCLEAN = "zero.lead\u200b\u202e@acme.example"
SHOWN = "zero.lead\\u200b\\u202e@acme.example"
ZERO_IDP = "a12ae23d-e684-4205-92f6-d60434d1357b"
CONTRACTORS = "3f9699b8-d500-4448-ae73-afaa4db9a9be"


def _organization(tmp_path):
    """Sigma: Marcus, Ann and Zero, whose email holds U+200B and U+202E; an Entra users CSV whose Zero has that
    userPrincipalName and mail, in scope.groups' Sigma-Users only through the nested group Contractors."""
    sigma = tmp_path / "sigma"
    write(sigma / "members.json", json.dumps([member(MARCUS, "Admin", "Marcus", "marcus.webb@acme.example"),
                                              member(ANN, "View", "Ann", "ann.active@acme.example"),
                                              member(ZERO, "View", "Zero", UNCLEAN)]))
    write(sigma / "teams.json", '{"entries": [], "nextPage": null}')
    write(sigma / "team_members.json", "{}")
    entra, when = tmp_path / "entra", "2020-01-01T00:00:00Z"
    write(entra / "users.csv",
          "id,userPrincipalName,displayName,surname,mail,givenName,userType,accountEnabled,createdDateTime\n"
          f"1e0952bf-fc29-4d08-9b72-0c50bbe5f3c5,marcus.webb@acme.example,Marcus X,X,marcus.webb@acme.example,Marcus,"
          f"Member,True,{when}\n"
          f"0d1241fc-f95c-465b-9ddf-8e01b1feb609,ann.active@acme.example,Ann X,X,ann.active@acme.example,Ann,Member,"
          f"True,{when}\n"
          f"{ZERO_IDP},{UNCLEAN},Zero X,X,{UNCLEAN},Zero,Member,True,{when}\n")
    write(entra / "groups.csv", "Object ID,Display name,Mail,Group type,Membership type\n"
                                "7b1a1001-a754-4b36-93ca-354c78949265,Sigma-Users,,Security,Assigned\n"
                                f"{CONTRACTORS},Contractors,,Security,Assigned\n")
    write(entra / "group_members" / "Sigma-Users.csv",
          "Object ID,User principal name,Display name,Member type\n"
          "1e0952bf-fc29-4d08-9b72-0c50bbe5f3c5,marcus.webb@acme.example,Marcus X,User\n"
          "0d1241fc-f95c-465b-9ddf-8e01b1feb609,ann.active@acme.example,Ann X,User\n"
          f"{CONTRACTORS},,Contractors,Group\n")
    write(entra / "group_members" / "Contractors.csv",
          f"Object ID,User principal name,Display name,Member type\n{ZERO_IDP},{UNCLEAN},Zero X,User\n")
    # individual_assignments: none: nobody is assigned to the app directly, so Zero, in scope only through a nested
    # group, is deactivated beside the informational scope.nested_only item, not asked about (tester18 finding 7)
    policy = write(tmp_path / "policy.yaml", POLICY + "scope:\n  groups: [Sigma-Users]\n  nested_only: keep\n"
                   "  individual_assignments: none\n")
    return sigma, entra, policy


def test_an_entra_address_with_zero_width_and_bidi_characters_is_escaped_in_the_message_only(tmp_path, capsys):
    sigma, entra, policy = _organization(tmp_path)
    out = tmp_path / "plan.json"
    code, _, err = run_cli(capsys, "plan", "--sigma", str(sigma), "--idp", str(entra), "--policy", str(policy),
                           "--out", str(out))
    assert code == 0, err
    document = json.loads(out.read_text(encoding="utf-8"))
    [item] = document["review_items"]
    assert (item["id"], item["blocking"], item["message"]) == (
        f"scope.nested_only:{ZERO_IDP}", False,
        f"{SHOWN}: Entra ID provisions only the direct members of an assigned group; in scope.groups only through "
        "nested groups (Sigma-Users > Contractors): not provisioned; add them to 'Sigma-Users' directly to change that")
    assert item["subject"] == {"idpId": ZERO_IDP, "userName": UNCLEAN}  # the value, exact
    deactivate = {a["id"]: a for a in document["actions"]}[f"members.deactivate:{ZERO}"]
    assert deactivate["target"] == {"email": UNCLEAN, "memberId": ZERO}  # what apply acts on, exact
    # left19 item 5: an action's reason is escaped where the action is made, as an item's message
    assert deactivate["reason"] == (f"deactivate: IdP user {ZERO_IDP} ({SHOWN}) is outside scope.groups; documents "
                                    "go to marcus.webb@acme.example")
    assert {a.id: a.reason for a in read_plan(out).actions}[f"members.deactivate:{ZERO}"] == deactivate["reason"]
    # read back, the plan is the same: escaping twice changes nothing
    assert read_plan(out).review_items[0].message == item["message"]
    code, shown, _ = run_cli(capsys, "show", str(out))
    assert code == 0
    assert f"      i scope.nested_only:{ZERO_IDP}: {SHOWN}: Entra ID provisions" in shown
    assert "\u200b" not in shown and "\u202e" not in shown


@pytest.mark.parametrize(("raw", "escaped"), [
    ("ann\u200b@x", "ann\\u200b@x"), ("ann\u202e@x", "ann\\u202e@x"), ("ann\u00a0@x", "ann\\xa0@x"),
    ("ann\x1b[2J@x", "ann\\x1b[2J@x"), ("a\nb", "a\\nb"), ("Ann Lee\u3000", "Ann Lee\\u3000"),
    ("plain words, one space", "plain words, one space"), ("\u0645\u06cc\u200c\u062e", "\u0645\u06cc\u200c\u062e"),
])
def test_escape_message(raw, escaped):
    """Each character of the unclean class and every white space but U+0020 is written visibly; a zero-width
    non-joiner, which a Persian name needs, stays."""
    assert escape_message(raw) == escaped
    assert escape_message(escaped) == escaped


def test_a_snippet_is_escaped_and_reads_back_as_the_exact_values():
    value = "ann\u200b\u202e\u00a0\x7f@acme.example"
    text = yaml_snippet({"linking": {"excluded_idp_users": [value]}}, notes=[f"exclude {value}"])
    assert escape_snippet(text) == ("# exclude ann\\u200b\\u202e\\xa0\\x7f@acme.example\nlinking:\n"
                                    '  excluded_idp_users:\n    - "ann\\u200b\\u202e\\xa0\\x7f@acme.example"\n')
    assert bounded_load(escape_snippet(text)) == {"linking": {"excluded_idp_users": [value]}}


def test_every_item_is_escaped_where_it_is_made():
    item = ReviewItem("x:1", "x", True, ItemRef(email="ann\u200b@x"), "member 'ann\u200b@x' (\u202e)", (), NO_EVIDENCE,
                      "x", 'linking:\n  excluded_idp_users:\n    - "ann\u200b@x"\n')
    assert (item.message, item.resolution, item.subject.email) == (
        "member 'ann\\u200b@x' (\\u202e)", 'linking:\n  excluded_idp_users:\n    - "ann\\u200b@x"\n', "ann\u200b@x")
