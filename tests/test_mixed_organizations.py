"""A Sigma export whose members name two ``organizationId``s is damaged input (issue 10, tester6 finding 24):
one ``mixed-organization-id`` error per foreign id at its first record, naming file, record and both ids,
the same for members JSON and CSV (:func:`planner.sources.validation.check_sigma`); ``plan`` exits 1 and
writes no plan.
"""

from __future__ import annotations

import json

import pytest

from planner.sources import load_sigma_export

from .conftest import errors, write
from .test_incomplete_exports import plan_with

OWN = "255ae7f7-9a8a-4c14-a5e5-c38f677bcde2"
OTHER = "99999999-9999-9999-9999-999999999999"
PEOPLE = [("Ad4AdminAd4AdminAd4AdminAd4Ad", "ada@example.com", OWN),
          ("Bo4BobBo4BobBo4BobBo4BobBo4Bo", "bob@example.com", OWN),
          ("Cy4CyCy4CyCy4CyCy4CyCy4CyCy4C", "cy@example.com", OTHER)]
MESSAGE = (f"member Cy4CyCy4CyCy4CyCy4CyCy4CyCy4C ('cy@example.com') has organizationId '{OTHER}', the export's "
           f"other members '{OWN}' (1 member(s) name '{OTHER}'): an export holds one organization's members; "
           "export the members of one organization again")


def members_json(root):
    write(root / "members.json", json.dumps([
        {"memberId": i, "email": e, "firstName": "A", "lastName": "B", "memberType": "admin",
         "userKind": "internal", "organizationId": o} for i, e, o in PEOPLE]))
    return "members.json", "$[2]"


def members_csv(root):
    write(root / "members.csv", "memberId,email,firstName,lastName,memberType,userKind,isArchived,isInactive,"
          "organizationId\n" + "".join(f"{i},{e},A,B,admin,internal,false,false,{o}\n" for i, e, o in PEOPLE))
    return "members.csv", "line 4"


@pytest.mark.parametrize("members", [members_json, members_csv])
def test_members_of_two_organizations_are_one_error_naming_the_record_and_both_ids(capsys, tmp_path, members):
    root = tmp_path / "sigma"
    name, where = members(root)
    write(root / "teams.json", "[]")
    write(root / "team_members.json", "[]")
    _, findings = load_sigma_export(root)
    assert errors(findings) == [("mixed-organization-id", name, where, "organizationId", MESSAGE)]

    code, err, result = plan_with(capsys, tmp_path, root)
    assert (code, result) == (1, None)
    assert err == (f"sigma-migrate: error: the inputs have 1 error(s), first: error: {root / name}:{where} "
                   f"[organizationId]: {MESSAGE} (mixed-organization-id); run `sigma-migrate check` to list "
                   "every finding\n")


def test_one_organization_with_a_member_lacking_the_field_is_no_error(tmp_path):
    root = tmp_path / "sigma"
    write(root / "members.json", json.dumps([
        {"memberId": i, "email": e, "firstName": "A", "lastName": "B", "memberType": "admin",
         "userKind": "internal", **({"organizationId": OWN} if o == OWN else {})} for i, e, o in PEOPLE]))
    write(root / "teams.json", "[]")
    write(root / "team_members.json", "[]")
    _, findings = load_sigma_export(root)
    assert errors(findings) == []
