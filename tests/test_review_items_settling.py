"""How a blocking review item is settled, said by the item and repeated by ``approve`` (issue 10, fix-items items 1, 2).

An item no policy setting settles (an export to redo, a change in the IdP) says so in its resolution
(``# no policy setting settles this: <step>``, :func:`planner.rules.outside_policy`); ``approve`` reads that back
instead of telling the reviewer to "decide them in the policy". An ``inputs.truncated`` item names the cause the
finding code says (cut short, files that disagree, ...), not "a truncated or incomplete export" for every one.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import msgspec

from .conftest import run_cli
from planner.execute.approve import how_to_settle
from planner.model import ActionKind, Finding, ItemRef, Severity
from planner.rules import make_review, outside_policy, settled_outside_policy, yaml_snippet
from planner.rules.inputs import truncation_items
from planner.payloads import ACTION_TYPES
from planner.sources.page_sizes import OKTA_WAYS_OUT as FULL_PAGE_WAYS_OUT

REPO = Path(__file__).resolve().parent.parent
ACME = REPO / "samples" / "acme"
FETCH_AGAIN = ("export the members with organizationId (`sigma-migrate fetch`; without API access, add an "
               "organizationId column to a flattened members.csv, docs/formats.md §1f), then plan again")


def sigma_without_organization_id(tmp_path: Path) -> Path:
    sigma = tmp_path / "sigma"
    shutil.copytree(ACME / "sigma", sigma)
    pages = json.loads((sigma / "members.json").read_text(encoding="utf-8"))
    for page in pages:
        for entry in page["entries"]:
            del entry["organizationId"]
    (sigma / "members.json").write_text(json.dumps(pages), encoding="utf-8")
    return sigma


def plan_and_approve(capsys, tmp_path: Path, sigma: Path, policy: str) -> tuple[dict, int, str]:
    out = tmp_path / "plan.json"
    code, _, _ = run_cli(capsys, "plan", "--sigma", str(sigma), "--idp", str(ACME / "okta"), "--policy",
                         str(ACME / policy), "--out", str(out))
    assert code == 0
    plan = json.loads(out.read_text(encoding="utf-8"))
    code, _, err = run_cli(capsys, "approve", str(out), "--by", "T")
    return plan, code, err


def test_an_export_without_organization_id_is_settled_by_exporting_again_not_by_the_policy(capsys, tmp_path):
    plan, code, err = plan_and_approve(capsys, tmp_path, sigma_without_organization_id(tmp_path),
                                       "policy-okta-reviewed.yaml")
    assert [i["id"] for i in plan["review_items"] if i["blocking"]] == ["organization.id_missing:organizationId"]
    assert code == 1
    assert err.startswith(f"sigma-migrate: error: {tmp_path / 'plan.json'}: plan has 1 blocking review item(s), "
                          "first organization.id_missing:organizationId [organization.id_missing]: ")
    assert err.endswith(f"; no policy setting settles it: {FETCH_AGAIN}\n")
    assert "decide them in the policy" not in err


def test_items_of_both_kinds_say_which_the_policy_settles(capsys, tmp_path):
    plan, code, err = plan_and_approve(capsys, tmp_path, sigma_without_organization_id(tmp_path), "policy-okta.yaml")
    blocking = [i for i in plan["review_items"] if i["blocking"]]
    assert len(blocking) == 13  # 12 before unmatched.suspended (Tom Becker, Okta SUSPENDED)
    assert code == 1
    assert err.endswith(f"(and 12 more); no policy setting settles organization.id_missing:organizationId: "
                        f"{FETCH_AGAIN}; decide the other 12 in the policy\n")


def test_items_the_policy_settles_say_decide_them_in_the_policy(capsys, tmp_path):
    _, code, err = plan_and_approve(capsys, tmp_path, ACME / "sigma", "policy-okta.yaml")
    assert code == 1
    assert err.endswith("(and 11 more); decide them in the policy and plan again\n")


def item(code: str, resolution: str):
    return make_review(code, "k", blocking=True, subject=ItemRef(), message="m", rule=code, resolution=resolution)


def test_the_resolution_is_the_one_source_of_how_an_item_is_settled():
    policy = item("guards.x", yaml_snippet({"guards": {"max_deactivations": 5}}))
    fetch = item("organization.id_missing", outside_policy(FETCH_AGAIN))
    idp = item("scim.managed_member", outside_policy("make this change in the identity provider, then fetch and "
                                                     "plan again"))
    remove_entry = item("linking.duplicates", "# remove the entry at policy.yaml:3\n")  # a policy edit
    assert fetch.resolution == f"# no policy setting settles this: {FETCH_AGAIN}\n"
    assert [settled_outside_policy(i) for i in (policy, fetch, remove_entry)] == [None, FETCH_AGAIN, None]
    assert how_to_settle([policy, remove_entry]) == "decide them in the policy and plan again"
    assert how_to_settle([fetch, fetch]) == f"no policy setting settles them: {FETCH_AGAIN}"
    assert how_to_settle([fetch, idp, policy]) == (
        f"no policy setting settles 2 of them: {FETCH_AGAIN} (that is organization.id_missing:k's resolution; each "
        "item gives its own); decide the other 1 in the policy")


def finding(code: str, file: str, message: str) -> Finding:
    return Finding(Severity.WARNING, code, file, "", "", message)


def test_the_truncation_item_names_the_cause_its_finding_code_says(capsys, tmp_path):
    plan, _, _ = plan_and_approve(capsys, tmp_path, ACME / "sigma", "policy-okta.yaml")
    wire = next(a for a in plan["actions"] if a["kind"] == "members.deactivate")
    action = msgspec.convert(wire, ACTION_TYPES[ActionKind.MEMBERS_DEACTIVATE])
    lead = f"members.deactivate ({action.reason}) rests on an export "
    disagree = finding("users-disagree", "gm.json", "1 user(s) listed in gm.json differ")
    cut = finding("incomplete-pages", "users.json", "the last page still has link set")
    (only,) = truncation_items([disagree], [action])
    assert only.message == (lead + "whose users file and group members disagree (saved at different times), so "
                            "what is missing or stale may change it: gm.json: 1 user(s) listed in gm.json differ")
    (both,) = truncation_items([cut, disagree, cut], [action])
    assert both.message.startswith(lead + "cut short (a listing saved without all its pages) and whose users file "
                                   "and group members disagree (saved at different times), so what is missing")
    assert settled_outside_policy(both) == ("export again, whole (every page, every user, every group's and team's "
                                            "members), gm.json, users.json; then plan again")
    # tester7 finding 17: a listing ending on a full page gives the same file again: the line names the other ways
    full = finding("incomplete-pages", "users.json", "Okta users file: exactly 200 users ...; " + FULL_PAGE_WAYS_OUT)
    (item,) = truncation_items([full], [action])
    assert settled_outside_policy(item) == (
        "export again, whole (every page, every user, every group's and team's members), users.json; if that is "
        "really all, save the empty answer of the next page too (the file a JSON array of pages ending with []) or "
        "pull with `sigma-migrate fetch-idp okta` (its manifest vouches for every page); then plan again")
