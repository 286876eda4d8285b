"""tester17 finding 10: ``check``'s duplicate-userName / duplicate-email warning says what ``plan`` does.

A generic CSV holds one person twice, letter case and padding aside: the live row (``u3``) and an old, disabled one
(``dup-0001``, ``active`` false). ``check`` warned that the inactive one is "ignored: the plan links or creates u3",
while ``plan`` held the member both match by userName on a blocking ``linking.ambiguous``. ``check`` judges the IdP
export alone, so its words now say both outcomes, and the plan is pinned in each: the Sigma member Zero, whom both
rows match by userName, is held with both users; without that member, ``u3`` is created and ``dup-0001`` is not.
"""

from __future__ import annotations

import json
from pathlib import Path

from .conftest import write
from .tiny_org import ANN, MARCUS, ZERO, actions, member, plan_and_check, sigma_export

ROWS = ("id,userName,email,first,last,active\n"
        "u1,marcus.webb@acme.example,marcus.webb@acme.example,Marcus,Webb,true\n"
        "u2,ann.active@acme.example,ann.active@acme.example,Ann,Active,true\n"
        "u3,zero.lead@acme.example,zero.lead@acme.example,Zero,Lead,true\n"
        "dup-0001, Zero.Lead@ACME.example ,,Zero,Lead,false\n")
WARNING = ("warning: {idp}/users.csv:line 4 [userName]: 2 users have the same userName zero.lead@acme.example: u3, "
           "dup-0001; dup-0001 is inactive (never provisioned): a Sigma member both match by the same match key is "
           "held with them by a blocking linking.ambiguous until linking.overrides pairs it with one; otherwise the "
           "plan links or creates u3 like any other user (duplicate-user-name)")
EMPTY = "warning: {idp}/users.csv:line 5 [emails]: user dup-0001 ('Zero.Lead@ACME.example') has no email (empty-email)"


def _idp(tmp_path: Path) -> Path:
    folder = tmp_path / "csv"
    write(folder / "mapping.yaml", "columns:\n  id: id\n  userName: userName\n  emails: email\n  givenName: first\n"
                                   "  familyName: last\n  active: active\n")
    write(folder / "users.csv", ROWS)
    return folder


def test_the_member_both_rows_match_is_held_and_check_says_so(tmp_path, capsys):
    idp = _idp(tmp_path)
    plan, lines = plan_and_check(capsys, tmp_path, idp)
    assert lines == [EMPTY.format(idp=idp), WARNING.format(idp=idp)]
    assert actions(plan) == [f"scim.link_user:{ANN}", f"scim.link_user:{MARCUS}"]
    blocking = [(r["id"], r["message"], sorted(c.get("idpId") or c.get("memberId") for c in r["candidates"]))
                for r in plan["review_items"] if r["blocking"]]
    assert blocking == [("linking.ambiguous:dup-0001", "2 IdP user(s) and 1 Sigma member(s) are joined by "
                         "user_name: linking any of them would be a guess", [ZERO, "dup-0001", "u3"])]
    zero = [p for p in plan["people"] if p["member_id"] == ZERO or p["idp_id"] in ("u3", "dup-0001")]
    assert [(p["member_id"], p["idp_id"], p["actions"], p["review_items"]) for p in zero] == [
        (None, "dup-0001", [], ["linking.ambiguous:dup-0001"]),
        (None, "u3", [], ["linking.ambiguous:dup-0001"]),
        (ZERO, None, [], ["linking.ambiguous:dup-0001"]),
    ]


def test_without_such_a_member_the_active_row_is_created_and_check_says_the_same(tmp_path, capsys):
    idp = _idp(tmp_path)
    sigma = sigma_export(tmp_path)
    write(sigma / "members.json", json.dumps([member(MARCUS, "Admin", "Marcus", "marcus.webb@acme.example"),
                                              member(ANN, "View", "Ann", "ann.active@acme.example")]))
    plan, lines = plan_and_check(capsys, tmp_path, idp, sigma=sigma)
    assert lines == [EMPTY.format(idp=idp), WARNING.format(idp=idp)]
    assert actions(plan) == ["scim.create_user:u3", f"scim.link_user:{ANN}", f"scim.link_user:{MARCUS}"]
    assert [r["id"] for r in plan["review_items"] if r["blocking"]] == []
