"""apply tells SCIM users apart as Sigma does, letter case aside and nothing else (tester6 finding 4):
``straße@`` is not ``strasse@``, so a run that links one and creates the other makes two users."""

from __future__ import annotations

import pytest

from planner.execute.apply import apply_plan
from planner.execute.approve import approve
from planner.execute.indexes import UserIndex
from planner.model import SigmaExport

from .execute_support import counting_sandbox, create, link, member, options_for, small_org, write_test_plan

SHARP = "stra\u00dfe@example.com"


def test_the_user_index_keys_a_user_name_by_letter_case_only():
    index = UserIndex()
    index.put("strasse@example.com", "the strasse user")
    assert index.lookup("STRASSE@example.com") == (True, "the strasse user")
    assert index.lookup(SHARP) == (False, None)  # casefold() would have found the strasse user


@pytest.fixture
def sb():
    org = small_org()
    server, counter = counting_sandbox(SigmaExport(members=org.members + (member("m9", "strasse@example.com"),),
                                                   teams=org.teams, team_memberships=org.team_memberships,
                                                   account_types=org.account_types))
    yield server, counter
    server.close()


def test_a_link_of_strasse_and_a_create_of_strasse_with_sharp_s_make_two_users(tmp_path, sb):
    server, counter = sb
    org = server.state
    plan = write_test_plan(tmp_path, [link("u9", "m9", "strasse@example.com"), create("c1", SHARP)],
                           export=SigmaExport(members=small_org().members + (member("m9", "strasse@example.com"),)))
    approve(plan, "Ada Admin")

    report = apply_plan(plan, options_for(server))

    assert (report.status, report.counts["done"], report.writes) == ("converged", 2, 2)
    # one object each: casefold() made both "user:strasse@example.com", one verified for the other
    assert sorted(o.key for o in report.verification.objects) == ["user:strasse@example.com", f"user:{SHARP}"]
    page, _, _ = org.list_members(include_archived=True, include_inactive=True)
    by_email = {m["email"]: m for m in page}
    assert by_email["strasse@example.com"]["memberId"] == "m9"
    assert by_email[SHARP]["memberId"] not in ("m9", None)
    assert counter.total() == 2
