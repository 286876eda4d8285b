"""What an IdP user's inactive state means (planner.rules.idp_status; issue 10, tester3 findings 4 and 8).

An Okta user STAGED (never activated) whose Sigma member is active is a blocking
``unmatched.never_activated`` item, never a deactivation; reasons name the export's field and value
(``is STAGED (never activated)``, ``is SUSPENDED``, ``was deleted (deletedDateTime ...)``), never
"is deactivated" for a state that is not one. End-to-end cases plan the bundled Acme sample with one
person (Mateo Marsh) changed, in real files.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import msgspec
import pytest

from .conftest import run_cli
from .plan_factory import member, policy, snapshot, user
from planner.directory import Person, PersonStatus, build_directory
from planner.rules.idp_status import inactive_because, never_activated, suspended
from planner.rules.unmatched import choose, decide_member, settings

REPO = Path(__file__).resolve().parent.parent
SIGMA = REPO / "samples" / "acme" / "sigma"
MATEO = "mateo.marsh@acme.example"
MATEO_MEMBER = "E6Cwzz30oBCQzpkV71M6PlfQx9oKM"
MATEO_OKTA = "00uKDgm93GljJdyl0cM0"
MATEO_ENTRA = "abb45145-38c4-410e-81ab-724d16f12d93"


# --------------------------------------------------------------------------- the words, unit by unit


@pytest.mark.parametrize(("status", "attributes", "idp_format", "said"), [
    ("STAGED", {}, "okta-api", "is STAGED (never activated)"),
    ("SUSPENDED", {}, "okta-api", "is SUSPENDED"),
    ("DEPROVISIONED", {}, "okta-api", "is DEPROVISIONED (deactivated)"),
    ("Deactivated", {}, "okta-api", "is Deactivated (deactivated)"),
    ("Archived", {}, "google-csv", "is Archived"),
    ("Suspended", {}, "google-api", "is Suspended (suspended: true)"),
    ("Archived", {}, "google-api", "is Archived (archived: true)"),
    ("Suspended", {}, "google-csv", "is Suspended"),
    (None, {"deletedDateTime": "2025-05-01T00:00:00Z"}, "entra-csv",
     "was deleted (deletedDateTime 2025-05-01T00:00:00Z)"),
    (None, {}, "entra-graph", "is disabled (accountEnabled: false)"),
    (None, {}, "scim", "is inactive (active: false)"),
    (None, {}, "generic-csv", "is inactive (active: false)"),
])
def test_inactive_because_names_the_field_and_value(status, attributes, idp_format, said):
    inactive = msgspec.structs.replace(user("u1", "a@example.com", active=False, **attributes), status=status)
    assert inactive_because(inactive, idp_format) == said


def test_a_tombstone_upn_is_a_deleted_user():
    tomb = msgspec.structs.replace(user(MATEO_ENTRA, "abb4514538c4410e81ab724d16f12d93mateo@acme.example",
                                        active=False), status=None)
    assert inactive_because(tomb, "entra-csv") == "was deleted (its userPrincipalName is a deleted user's)"


@pytest.mark.parametrize(("status", "expected"), [
    ("STAGED", True), ("staged", True), ("Staged", True), ("SUSPENDED", False), ("DEPROVISIONED", False),
    ("PROVISIONED", False), (None, False)])
def test_never_activated_is_okta_staged(status, expected):
    inactive = msgspec.structs.replace(user("u1", "a@example.com", active=False), status=status)
    assert never_activated(inactive) is expected


# --------------------------------------------------------------------------- the rule, one person

ANA = member("m1", "ana@example.com", "Ana", "Ruiz")
STAGED = user("u1", "ana@example.com", active=False, status="STAGED")


def _decide(extra: str, idp_user=STAGED, person=ANA):
    """The unmatched family's decision for leaver ``person`` of ``idp_user`` under ``extra``."""
    p = policy(extra)
    config = settings(p, build_directory(snapshot([person], [idp_user]), p))
    return decide_member(Person("m:m1", person, idp_user, None, PersonStatus.LEAVER), config)


def test_a_staged_user_of_an_active_member_is_a_blocking_item_not_a_deactivation():
    d = _decide("unmatched:\n  idp_inactive: deactivate\n")
    assert (d.decision, d.rule, d.action) == ("review", "unmatched.never_activated", None)
    assert d.reason == ("IdP user u1 (ana@example.com) is STAGED (never activated); unmatched.idp_inactive is "
                        "deactivate, held for review")
    item = d.review_item
    assert (item.id, item.code, item.blocking, item.rule) == (
        "unmatched.never_activated:m1", "unmatched.never_activated", True, "unmatched.never_activated")
    assert item.message == (
        "ana@example.com: IdP user u1 (ana@example.com) is STAGED (never activated), while this member is active "
        "in Sigma: the account may have been made by hand, or the export predates the activation, so it is not "
        "deactivated on this alone; decide whether to keep or deactivate this member")
    assert item.resolution == ("unmatched:\n  decisions:\n    ana@example.com: deactivate\n# or:\n# unmatched:\n"
                               "#   decisions:\n#     ana@example.com: keep\n")


@pytest.mark.parametrize(("extra", "expected"), [
    ("unmatched:\n  idp_inactive: deactivate\n  decisions: {ana@example.com: deactivate}\n",
     ("deactivate", "unmatched.decisions")),
    ("unmatched:\n  idp_inactive: deactivate\n  decisions: {ana@example.com: keep}\n", ("keep", "unmatched.decisions")),
    ("unmatched:\n  idp_inactive: keep\n", ("keep", "unmatched.idp_inactive")),
    ("unmatched:\n  idp_inactive: review\n", ("review", "unmatched.idp_inactive")),
])
def test_the_policy_settles_a_staged_user(extra, expected):
    p = policy(extra)
    config = settings(p, build_directory(snapshot([ANA], [STAGED]), p))
    assert choose(Person("m:m1", ANA, STAGED, None, PersonStatus.LEAVER), config)[:2] == expected


SUSPENDED_ANA = user("u1", "ana@example.com", active=False, status="SUSPENDED")


def test_a_generic_word_the_mapping_calls_suspended_is_named_so():
    onelogin = msgspec.structs.replace(SUSPENDED_ANA, status="2", suspended=True)
    assert (inactive_because(onelogin, "generic-csv"), suspended(onelogin)) == ("is 2 (suspended)", True)
    assert suspended(msgspec.structs.replace(onelogin, active=True)) is False  # an active user is never suspended


@pytest.mark.parametrize(("changes", "said", "never", "held"), [
    ({"status": "0", "never_activated": True}, "is 0 (never activated)", True, False),
    ({"status": "0", "never_activated": True, "status_label": "Unactivated"},
     "was never activated: status is 0 (Unactivated)", True, False),
    ({"status": "2", "suspended": True, "status_label": "Suspended"}, "is suspended: status is 2 (Suspended)", False,
     True),
    ({"status": "9", "status_label": "Retired"}, "is inactive: status is 9 (Retired)", False, False),
])
def test_a_coded_word_the_mapping_means_is_named_with_its_label(changes, said, never, held):
    """Tester16a finding 1: OneLogin's numbers (the onelogin layout, a mapping's never_activated_statuses and
    status_labels) are named with the IdP's label, and 0 is never activated as Okta's STAGED is."""
    coded = msgspec.structs.replace(SUSPENDED_ANA, **changes)
    assert (inactive_because(coded, "onelogin"), never_activated(coded), suspended(coded)) == (said, never, held)


@pytest.mark.parametrize(("status", "expected"), [
    ("SUSPENDED", True), ("Suspended", True), ("suspended", True), ("STAGED", False), ("DEPROVISIONED", False),
    ("Archived", False), ("Deactivated", False), (None, False)])
def test_suspended_is_the_word_suspended_of_an_inactive_user(status, expected):
    assert suspended(msgspec.structs.replace(SUSPENDED_ANA, status=status)) is expected


def _decide_suspended(extra: str, person=ANA):
    return _decide(extra, SUSPENDED_ANA, person)


def test_a_suspended_user_is_held_under_idp_inactive_deactivate():
    d = _decide_suspended("unmatched:\n  idp_inactive: deactivate\n")
    assert (d.decision, d.rule, d.action) == ("review", "unmatched.idp_suspended", None)
    assert d.reason == ("IdP user u1 (ana@example.com) is SUSPENDED; unmatched.idp_suspended is review, held for "
                        "review")
    assert (d.review_item.id, d.review_item.code, d.review_item.blocking, d.review_item.rule) == (
        "unmatched.suspended:m1", "unmatched.suspended", True, "unmatched.idp_suspended")


def test_idp_suspended_deactivate_is_todays_deactivation_naming_its_key():
    d = _decide_suspended("unmatched:\n  idp_suspended: deactivate\n  idp_inactive: keep\n")
    assert (d.decision, d.rule, d.review_item) == ("deactivate", "unmatched.idp_suspended", None)
    assert d.reason == "IdP user u1 (ana@example.com) is SUSPENDED; unmatched.idp_suspended is deactivate"
    assert d.action.reason == "deactivate: IdP user u1 (ana@example.com) is SUSPENDED; documents go to root@example.com"


@pytest.mark.parametrize(("extra", "member", "expected"), [
    ("unmatched:\n  idp_suspended: keep\n", ANA, ("keep", "unmatched.idp_suspended")),
    ("unmatched:\n  decisions: {ana@example.com: deactivate}\n", ANA, ("deactivate", "unmatched.decisions")),
    ("unmatched:\n  idp_suspended: deactivate\n  decisions: {ana@example.com: keep}\n", ANA,
     ("keep", "unmatched.decisions")),
    ("unmatched:\n  idp_suspended: deactivate\n  exclude_patterns: ['^ana@']\n", ANA,
     ("keep", "unmatched.exclude_patterns")),
    ("unmatched:\n  idp_suspended: deactivate\n", member("m1", "ana@example.com", "Ana", "Ruiz", user_kind="embed"),
     ("keep", "unmatched.embed")),
    ("organization:\n  name: Example\n  scim_setup_admin: root@example.com\n  api_credential_owner: ana@example.com\n"
     "  document_owner: root@example.com\nunmatched:\n  idp_suspended: deactivate\n", ANA,
     ("keep", "guards.protected_members")),
])
def test_what_precedes_idp_inactive_precedes_idp_suspended(extra, member, expected):
    d = _decide_suspended(extra, member)
    assert (d.decision, d.rule, d.review_item) == (*expected, None)
    assert ([d.action.id] if d.action else []) == (["members.deactivate:m1"] if expected[0] == "deactivate" else [])


# --------------------------------------------------------------------------- end to end, real files


def _okta_with_mateo(tmp_path: Path, status: str) -> Path:
    """The Acme Okta export with Mateo's status ``status`` in users.json and in every group answer."""
    idp = tmp_path / "okta"
    shutil.copytree(REPO / "samples" / "acme" / "okta", idp)
    users = json.loads((idp / "users.json").read_text(encoding="utf-8"))
    next(u for u in users if u["id"] == MATEO_OKTA)["status"] = status
    (idp / "users.json").write_text(json.dumps(users), encoding="utf-8")
    answers = json.loads((idp / "group_members.json").read_text(encoding="utf-8"))
    for answer in answers.values():
        for rec in answer:
            if isinstance(rec, dict) and rec.get("id") == MATEO_OKTA:
                rec["status"] = status
    (idp / "group_members.json").write_text(json.dumps(answers), encoding="utf-8")
    return idp


def _plan(capsys, tmp_path: Path, idp: Path, policy_file: str) -> tuple[int, dict]:
    out = tmp_path / "plan.json"
    code, _, _ = run_cli(capsys, "plan", "--sigma", str(SIGMA), "--idp", str(idp),
                         "--policy", str(REPO / "policies" / "examples" / policy_file), "--out", str(out))
    return code, json.loads(out.read_text(encoding="utf-8"))


def _about_mateo(plan: dict) -> tuple[list, list]:
    actions = [(a["kind"], a["reason"]) for a in plan["actions"] if a["target"].get("memberId") == MATEO_MEMBER]
    items = [(i["code"], i["blocking"], i["message"]) for i in plan["review_items"]
             if i["subject"].get("memberId") == MATEO_MEMBER]
    return actions, items


def test_okta_staged_mateo_is_blocking_and_not_deactivated(capsys, tmp_path):
    code, plan = _plan(capsys, tmp_path, _okta_with_mateo(tmp_path, "STAGED"), "okta.yaml")
    assert code == 0
    actions, items = _about_mateo(plan)
    assert actions == []
    assert items == [("unmatched.never_activated", True,
                      f"{MATEO}: IdP user {MATEO_OKTA} ({MATEO}) is STAGED (never activated), while this member is "
                      "active in Sigma: the account may have been made by hand, or the export predates the "
                      "activation, so it is not deactivated on this alone; decide whether to keep or deactivate "
                      "this member")]
    assert [i["code"] for i in plan["review_items"] if i["blocking"]] == ["unmatched.never_activated"]
    code, out, _ = run_cli(capsys, "approve", str(tmp_path / "plan.json"), "--by", "t")
    assert code == 1


def test_okta_suspended_mateo_is_blocking_with_the_status_named(capsys, tmp_path):
    code, plan = _plan(capsys, tmp_path, _okta_with_mateo(tmp_path, "SUSPENDED"), "okta.yaml")
    assert code == 0
    actions, items = _about_mateo(plan)
    assert actions == []
    assert items == [("unmatched.suspended", True,
                      f"{MATEO}: IdP user {MATEO_OKTA} ({MATEO}) is SUSPENDED, a hold the IdP can lift (leave, a "
                      "security hold, an investigation), while deactivating archives this member and moves their "
                      "documents to another owner, which unsuspending does not undo; decide whether to keep or "
                      "deactivate this member")]


def test_entra_soft_deleted_mateo_names_deleted_date_time(capsys, tmp_path):
    idp = tmp_path / "entra"
    shutil.copytree(REPO / "samples" / "acme" / "entra", idp)
    users = idp / "users.csv"
    lines = users.read_text(encoding="utf-8-sig").splitlines()
    lines = [lines[0] + ",deletedDateTime"] + [
        line + (",2025-05-01T00:00:00Z" if line.startswith(MATEO_ENTRA + ",") else ",") for line in lines[1:]]
    users.write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")
    code, plan = _plan(capsys, tmp_path, idp, "entra.yaml")
    assert code == 0
    actions, items = _about_mateo(plan)
    assert ("members.deactivate", f"deactivate: IdP user {MATEO_ENTRA} ({MATEO}) was deleted (deletedDateTime "
            "2025-05-01T00:00:00Z); documents go to tomasz.nowak@acme.example") in actions
    assert items == []
