"""A first create journals its before-image and ids in one transaction (planner/execute/journal.py,
runner.py, actions.py): the POST was its first request, so its before-image (``{"exists": false}``)
is known only from the answer, together with the ids; the run commits ``running``, then
ids + before-image, then ``done``: three transactions, not four. Against the sandbox."""

from __future__ import annotations

from planner.execute.actions import Clients, Executor
from planner.execute.journal import Journal
from planner.execute.runner import run_actions
from planner.execute.scim_client import SigmaScimClient

from .execute_support import counting_sandbox, create


def commits_of(journal: Journal) -> list[str]:
    """The COMMIT statements the journal's connection runs from now on (SQLite's statement trace)."""
    seen: list[str] = []
    journal._db.set_trace_callback(lambda sql: seen.append(sql) if sql == "COMMIT" else None)
    return seen


def test_a_first_create_passes_its_before_image_with_its_ids():
    server, _ = counting_sandbox()
    try:
        scim = SigmaScimClient(server.scim_base_url, server.scim_token)
        calls: list[tuple] = []

        outcome, ids = Executor(Clients(rest=None, scim=scim), first_attempts=frozenset({"C1"})).execute(
            create("C1", "new@example.com"),
            lambda image: calls.append(("before", dict(image))),
            lambda new_ids, before=None: calls.append(("ids", dict(new_ids), before)))

        assert outcome == "written" and ids["scimUserId"]
        assert calls == [("ids", {"scimUserId": ids["scimUserId"]}, {"exists": False})]
    finally:
        server.close()


def test_ids_with_a_before_image_are_one_transaction_and_an_earlier_image_stays(tmp_path):
    journal = Journal.open(tmp_path / "plan.json", "sha256:t", [("C1", "scim.create_user"), ("C2", "scim.create_user")])
    journal.record_before("C2", {"exists": True, "userType": "Pro"})
    commits = commits_of(journal)

    journal.record_ids("C1", {"scimUserId": "u1"}, before={"exists": False})
    journal.record_ids("C2", {"scimUserId": "u2"}, before={"exists": False})

    rows = journal.rows()
    journal.close()
    assert commits == ["COMMIT", "COMMIT"]
    assert (rows["C1"].ids, rows["C1"].before_image) == ({"scimUserId": "u1"}, {"exists": False})
    assert (rows["C2"].ids, rows["C2"].before_image) == ({"scimUserId": "u2"}, {"exists": True, "userType": "Pro"})


def test_a_run_commits_three_transactions_for_a_first_create(tmp_path):
    server, counter = counting_sandbox()
    action = create("C1", "new@example.com")
    journal = Journal.open(tmp_path / "plan.json", "sha256:t", [("C1", action.kind.value)])
    try:
        journal.start_run("apply")
        scim = SigmaScimClient(server.scim_base_url, server.scim_token)
        commits = commits_of(journal)

        results = run_actions([action], Executor(Clients(rest=None, scim=scim), first_attempts=frozenset({"C1"})),
                              journal)

        row = journal.rows()["C1"]
        assert (results["C1"].state, results["C1"].outcome) == ("done", "written")
        assert commits == ["COMMIT"] * 3  # running; ids + before-image; done
        assert (row.state, row.outcome, row.before_image) == ("done", "written", {"exists": False})
        assert row.ids == {"scimUserId": results["C1"].ids["scimUserId"]}
        assert counter.writes["POST /scim/v2/Users new@example.com"] == 1
    finally:
        journal.close()
        server.close()
