"""An archived guest linked again is reactivated, converted, then linked, against the sandbox over HTTP
(issue 10 finding 3: the plan had no members.convert_guest and apply failed with 409 "guest users
cannot be managed with SCIM")."""

from __future__ import annotations

from planner.execute.apply import apply_plan
from planner.execute.approve import approve
from planner.planfile import write_plan

from .execute_support import counting_sandbox, member_state, options_for
from .plan_factory import member, plan, snapshot, user


def test_an_archived_guest_an_override_links_is_applied_reactivated_converted_and_linked(tmp_path):
    snap = snapshot([member("g1", "carol@partner.example", "Carol", "Nguyen", user_kind="guest", archived=True)],
                    [user("u9", "carol@partner.example", first="Carol", last="Nguyen")])
    p = plan(snap, "linking:\n  overrides: [{idp: u9, member: g1}]\nguests:\n  action: convert\n")
    path = tmp_path / "plan.json"
    write_plan(p, path)
    approve(path, "Ada Admin")
    server, counter = counting_sandbox(snap.sigma)
    try:
        result = apply_plan(path, options_for(server, only=("email:carol@partner.example",)))
        assert (result.status, result.counts["done"], result.counts.get("failed", 0)) == ("converged", 3, 0)
        state = member_state(server, "g1")
        assert (state["userKind"], state["isArchived"]) == ("internal", False)
        assert counter.writes["POST /scim/v2/Users carol@partner.example"] == 1
    finally:
        server.close()
