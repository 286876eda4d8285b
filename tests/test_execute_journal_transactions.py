"""A first create journals its before-image and ids with ``done`` (planner/execute/journal.py,
runner.py, actions.py): the POST was its first and last request, so its before-image
(``{"exists": false}``) is known only from the answer, together with the ids, and ``done`` is the
next step; the run commits ``running``, then ``done`` + ids + before-image: two transactions (four
before b814406, three before issue 10 item 5's sp-apply5). Against the sandbox."""

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


def test_a_run_commits_two_transactions_for_a_first_create(tmp_path):
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
        assert commits == ["COMMIT"] * 2  # running; done + ids + before-image
        assert (row.state, row.outcome, row.before_image) == ("done", "written", {"exists": False})
        assert row.ids == {"scimUserId": results["C1"].ids["scimUserId"]}
        assert counter.writes["POST /scim/v2/Users new@example.com"] == 1
    finally:
        journal.close()
        server.close()


def test_done_stores_ids_and_a_before_image_in_its_transaction_and_an_earlier_image_stays(tmp_path):
    journal = Journal.open(tmp_path / "plan.json", "sha256:t", [("C1", "scim.create_user"), ("C2", "scim.create_user")])
    journal.record_before("C2", {"exists": True, "userType": "Pro"})
    journal.record_ids("C2", {"memberId": "m2"})
    commits = commits_of(journal)

    journal.mark_done("C1", "written", ids={"scimUserId": "u1"}, before={"exists": False})
    journal.mark_done("C2", "written", ids={"scimUserId": "u2"}, before={"exists": False})

    rows = journal.rows()
    journal.close()
    assert commits == ["COMMIT", "COMMIT"]
    assert (rows["C1"].state, rows["C1"].ids, rows["C1"].before_image) == ("done", {"scimUserId": "u1"},
                                                                          {"exists": False})
    assert (rows["C2"].ids, rows["C2"].before_image) == ({"memberId": "m2", "scimUserId": "u2"},
                                                         {"exists": True, "userType": "Pro"})


class _AnswersThenFails:
    """An executor whose create was answered (ids passed on) and which then fails (a bug after the
    answer): the failed row keeps what the answer said."""

    def execute(self, action, on_before, on_ids):
        on_ids({"scimUserId": "u1"}, before={"exists": False})
        raise RuntimeError("after the answer")


def test_a_failure_after_the_answer_keeps_its_ids_and_before_image_in_one_transaction(tmp_path):
    journal = Journal.open(tmp_path / "plan.json", "sha256:t", [("C1", "scim.create_user")])
    journal.start_run("apply")
    commits = commits_of(journal)

    results = run_actions([create("C1", "new@example.com")], _AnswersThenFails(), journal)

    row = journal.rows()["C1"]
    journal.close()
    assert commits == ["COMMIT"] * 2  # running; failed + ids + before-image
    assert (results["C1"].state, results["C1"].error) == ("failed", "RuntimeError: after the answer")
    assert (row.state, row.ids, row.before_image, row.error) == ("failed", {"scimUserId": "u1"}, {"exists": False},
                                                                 "RuntimeError: after the answer")


def test_done_with_ids_writes_the_row_once(tmp_path):
    """``done``, its ids and before-image are one UPDATE of the row (its ids read first, to merge):
    SQLite's statements are most of the journal's CPU (docs/performance.md, ``apply``)."""
    journal = Journal.open(tmp_path / "plan.json", "sha256:t", [("C1", "scim.create_user")])
    journal.start_run("apply")
    statements: list[str] = []
    journal._db.set_trace_callback(lambda sql: statements.append(" ".join(sql.split()[:2])))

    journal.mark_running("C1")
    journal.mark_done("C1", "written", ids={"scimUserId": "u1"}, before={"exists": False})

    row = journal.rows()["C1"]
    journal.close()
    assert statements[:9] == ["BEGIN IMMEDIATE", "UPDATE actions", "INSERT INTO", "COMMIT",  # running
                              "BEGIN IMMEDIATE", "SELECT ids", "UPDATE actions", "INSERT INTO", "COMMIT"]  # done
    assert (row.state, row.ids, row.before_image) == ("done", {"scimUserId": "u1"}, {"exists": False})
