"""A plan is bound to its target (issue 12, item 6): the organization it was made for, the base
URLs it was approved for, and one apply at a time.

Against the real sandbox over HTTP. Each refusal is one line, exit 1, and the sandbox saw no write.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time

import msgspec
import pytest

from planner.execute.apply import apply_plan, dry_run_lines
from planner.execute.approve import approval_path, approve
from planner.execute.errors import ApplyRefused
from planner.execute.journal import journal_path, lock_path
from planner.model import SigmaExport

from .conftest import run_cli
from .execute_support import (
    ORG_ID,
    counting_sandbox,
    options_for,
    sandbox_env,
    small_org,
    write_test_plan,
)


def cli_env(monkeypatch, server):
    for name, value in sandbox_env(server).items():
        monkeypatch.setenv(name, value)


def apply_argv(plan, server, *extra):
    return ["apply", str(plan), "--rest-base-url", server.base_url, "--scim-base-url", server.scim_base_url,
            "--backoff-base", "0.01", "--backoff-cap", "0.05", *extra]


def org_with_id(organization_id: str) -> SigmaExport:
    """:func:`small_org`, every member carrying ``organization_id`` (another organization, same export)."""
    export = small_org()
    members = tuple(msgspec.structs.replace(m, organization_id=organization_id) for m in export.members)
    return dataclasses.replace(export, members=members)


@pytest.fixture
def servers():
    started = []

    def start(export=None, **kwargs):
        server, counter = counting_sandbox(export, **kwargs)
        started.append(server)
        return server, counter

    yield start
    for server in started:
        server.close()


def test_a_plan_applied_to_another_organization_is_refused_before_any_write(tmp_path, servers, capsys, monkeypatch):
    other, counter = servers(org_with_id("org-other"))  # same members, same ids: only the organizationId differs
    plan = write_test_plan(tmp_path)
    approve(plan, "Ada Admin")
    cli_env(monkeypatch, other)

    code, _, err = run_cli(capsys, *apply_argv(plan, other))

    assert code == 1
    assert err == (f"sigma-migrate: error: {plan}: plan was made for organization org-test, but the REST API at "
                   f"{other.base_url} serves organization org-other; apply it to the organization it was planned "
                   "for, or plan again from this organization's export; nothing was written\n")
    assert counter.total() == 0
    assert other.request_counts["GET /v2/whoami"] == 1
    assert not journal_path(plan).exists()


def test_the_same_organization_passes_the_check(tmp_path, servers):
    server, counter = servers()
    plan = write_test_plan(tmp_path)
    approve(plan, "Ada Admin")

    said: list[str] = []
    report = apply_plan(plan, options_for(server), echo=said.append)

    assert report.status == "converged" and counter.total() == 8
    assert server.request_counts["GET /v2/whoami"] == 1
    assert f"Target: organization {ORG_ID}, REST {server.base_url}, SCIM {server.scim_base_url}" in said


def test_a_plan_without_organization_id_is_refused(tmp_path, servers):
    server, counter = servers()
    plan = write_test_plan(tmp_path, organization={"organizationId": "", "name": "Test Org"})
    approve(plan, "Ada Admin")

    with pytest.raises(ApplyRefused) as refused:
        apply_plan(plan, options_for(server))

    assert str(refused.value) == (
        f"{plan}: the plan does not record the organizationId of the Sigma organization it was made for "
        "(its Sigma export has none), so apply cannot check it talks to that organization; "
        "plan again from an export with organizationId (`sigma-migrate fetch`, or an organizationId column in a "
        "flattened members.csv: docs/formats.md §1f); nothing was written"
    )
    assert counter.total() == 0 and dict(server.request_counts) == {}


def test_the_approval_records_the_target_and_refuses_another_base_url(tmp_path, servers, capsys, monkeypatch):
    approved_for, _ = servers()
    elsewhere, counter = servers()  # same export, same organizationId, another API host
    plan = write_test_plan(tmp_path)

    code, out, _ = run_cli(capsys, "approve", str(plan), "--by", "Ada Admin", "--rest-base-url", approved_for.base_url,
                           "--scim-base-url", approved_for.scim_base_url)
    assert code == 0
    assert out.splitlines()[2] == (f"For organization {ORG_ID} at {approved_for.base_url}, "
                                   f"{approved_for.scim_base_url}")
    recorded = json.loads(approval_path(plan).read_text(encoding="utf-8"))["target"]
    assert recorded == {"organization_id": ORG_ID, "rest_base_url": approved_for.base_url,
                        "scim_base_url": approved_for.scim_base_url}

    cli_env(monkeypatch, elsewhere)
    code, _, err = run_cli(capsys, *apply_argv(plan, elsewhere))

    assert code == 1
    assert err == (f"sigma-migrate: error: {approval_path(plan)}: plan was approved for the REST base URL "
                   f"{approved_for.base_url}, not {elsewhere.base_url}; apply it there, or approve it again "
                   f"for {elsewhere.base_url}\n")
    assert counter.total() == 0 and dict(elsewhere.request_counts) == {}
    dry = dry_run_lines(plan, options_for(elsewhere))
    assert dry[1] == (f"# note: apply will refuse: {approval_path(plan)}: plan was approved for the REST base URL "
                      f"{approved_for.base_url}, not {elsewhere.base_url}; apply it there, or approve it again "
                      f"for {elsewhere.base_url}")

    # the approved host, written differently (case, trailing slash), is the same target
    report = apply_plan(plan, dataclasses.replace(
        options_for(approved_for), rest_base_url=approved_for.base_url.upper().replace("HTTP://", "http://") + "/"))
    assert report.status == "converged"


def test_a_second_apply_of_the_same_plan_while_one_runs_is_refused(tmp_path, servers):
    server, counter = servers(faults="latency_ms=150")
    plan = write_test_plan(tmp_path)
    approve(plan, "Ada Admin")
    reports = []
    first = threading.Thread(target=lambda: reports.append(apply_plan(plan, options_for(server, parallelism=1))))
    first.start()
    deadline = time.monotonic() + 30
    while not journal_path(plan).exists() and time.monotonic() < deadline:  # the journal is opened under the lock
        time.sleep(0.02)
    assert first.is_alive()

    with pytest.raises(ApplyRefused) as refused:
        apply_plan(plan, options_for(server, resume=True))
    first.join(60)

    assert str(refused.value) == (
        f"{plan}: another apply of this plan is running (it holds {lock_path(plan).name}); "
        f"let it finish, then run `sigma-migrate apply {plan} --resume` if it did not converge"
    )
    assert reports[0].status == "converged"
    assert counter.total() == 8 and max(counter.writes.values()) == 1
    # the lock is released with the run: the next apply starts (and, all done, writes nothing)
    assert apply_plan(plan, options_for(server)).writes == 0
