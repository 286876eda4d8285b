"""The result files of a wave say what the plan has left (tester12 finding 5 and 5b), against the sandbox
over HTTP: the terminal's last line, the result JSON (``plan_left``, ``plan_left_by_kind``, ``next_step``,
``next_step_lines``) and the result page all render :func:`planner.execute.apply.wave_left_line`; a wave's page
never says "every action is done ... the plan's end state"; a whole-plan apply's page and JSON are as before."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from planner.execute.apply import apply_plan, outcome_lines, result_path
from planner.execute.approve import approve
from planner.state import STATE_DIR_ENV

from .execute_support import counting_sandbox, options_for, write_test_plan


@pytest.fixture
def server():
    server, _ = counting_sandbox()
    yield server
    server.close()


def result_section(page: str) -> str:
    """The text of the page's "Apply result" section, tags dropped, white space made single spaces."""
    section = page[page.index('<section id="result"'):]
    section = section[:section.index("</section>")]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", section)).split())


def wave_line(plan: Path, wave: str, left: int, kinds: str) -> str:
    return (f"Wave '{wave}' converged; {left} of 8 action(s) of the plan not applied yet ({kinds}): "
            f"`sigma-migrate apply {plan}` applies the rest, or `sigma-migrate apply {plan} --only ...` the next wave")


@pytest.mark.parametrize("selection, wave, in_wave, left, kinds", [
    ({"only": ("team:Finance",)}, "only team:Finance", 4, 4,
     {"members.deactivate": 1, "members.disable_guest": 1, "scim.link_user": 1, "scim.set_account_type": 1}),
    ({"limit": 1}, "limit 1", 1, 7,
     {"members.deactivate": 1, "members.disable_guest": 1, "scim.link_group": 1, "scim.link_user": 2,
      "scim.set_account_type": 1, "teams.remove_member": 1}),
])
def test_a_wave_result_says_what_the_plan_has_left_and_the_next_step(tmp_path, server, selection, wave, in_wave,
                                                                      left, kinds):
    plan = write_test_plan(tmp_path)
    approve(plan, "Ada Admin")
    report = apply_plan(plan, options_for(server, write_html=True, **selection))
    line = wave_line(plan, wave, left, ", ".join(f"{n} {kind}" for kind, n in kinds.items()))

    assert (report.status, report.exit_code, report.next_step) == ("converged", 0, "apply_rest")
    assert outcome_lines(report)[-1] == line
    document = json.loads(result_path(plan, 1).read_text())
    assert {k: document[k] for k in ("status", "wave", "wave_actions", "plan_actions", "plan_left",
                                     "plan_left_by_kind", "next_step", "next_step_lines")} == {
        "status": "converged", "wave": wave, "wave_actions": in_wave, "plan_actions": 8, "plan_left": left,
        "plan_left_by_kind": kinds, "next_step": "apply_rest", "next_step_lines": [line]}

    text = result_section(Path(report.html_file).read_text(encoding="utf-8"))
    assert text.startswith(
        f"Apply result Wave {wave} applied and verified: its {in_wave} action(s) are done and Sigma converged to "
        f"their planned state; {left} of the plan's 8 action(s) are not applied yet. {line} Run 1: apply (wave {wave}),")
    assert "Actions of this wave by kind" in text
    assert "Actions of this wave not done (0) Every action of this wave is done." in text
    assert "plan's end state" not in text and "Every action is done" not in text


def test_the_rest_of_the_plan_after_a_wave_and_a_whole_plan_apply_say_the_plan_is_done(tmp_path, server,
                                                                                       monkeypatch):
    plan = write_test_plan(tmp_path)
    approve(plan, "Ada Admin")
    apply_plan(plan, options_for(server, only=("team:Finance",)))
    rest = apply_plan(plan, options_for(server, write_html=True))

    other = tmp_path / "whole"
    other.mkdir()
    whole_plan = write_test_plan(other)  # the same plan, for another sandbox: a state directory of its own
    monkeypatch.setenv(STATE_DIR_ENV, str(tmp_path / "other-state"))  # (docs/apply.md "Where a plan's history lives")
    approve(whole_plan, "Ada Admin")
    fresh, _ = counting_sandbox()
    try:
        whole = apply_plan(whole_plan, options_for(fresh, write_html=True))
    finally:
        fresh.close()

    for report, path, run in ((rest, plan, 2), (whole, whole_plan, 1)):
        assert (report.status, report.exit_code, report.next_step, report.plan_left) == ("converged", 0, None, 0)
        assert outcome_lines(report)[-1] == f"Report with result: {report.html_file}"
        document = json.loads(result_path(path, run).read_text())
        assert {k: document[k] for k in ("status", "wave", "plan_actions", "plan_left", "plan_left_by_kind",
                                         "next_step", "next_step_lines")} == {
            "status": "converged", "wave": "", "plan_actions": 8, "plan_left": 0, "plan_left_by_kind": {},
            "next_step": None, "next_step_lines": []}
        text = result_section(Path(report.html_file).read_text(encoding="utf-8"))
        assert text.startswith("Apply result Applied and verified: every action is done and Sigma converged to "
                               f"the plan's end state. Run {run}: apply, ")
        assert "Actions by kind" in text and "Actions not done (0) Every action is done." in text
        assert "wave" not in text.lower()


def test_apply_json_of_a_wave_does_not_say_the_plan_converged(tmp_path, server, capsys, monkeypatch):
    """Tester12: ``apply --only ... --json`` said ``converged: true`` beside ``next_step: apply_rest``. Its
    ``converged`` is the plan's (:attr:`ApplyReport.plan_converged`): false while actions of the plan are left, true
    once the rest is applied; ``status``, ``counts`` and ``verification`` are the run's (its ``wave_actions``), and
    the summary names the plan's size and what it has left as the result file does."""
    from .conftest import run_cli_with_environ
    from .execute_support import sandbox_env

    plan = write_test_plan(tmp_path)
    approve(plan, "Ada Admin")
    env, urls = sandbox_env(server), ("--rest-base-url", server.base_url, "--scim-base-url", server.scim_base_url)
    code, out, _ = run_cli_with_environ(capsys, monkeypatch, env, "apply", str(plan), "--only", "team:Finance",
                                        "--json", *urls)
    kinds = {"members.deactivate": 1, "members.disable_guest": 1, "scim.link_user": 1, "scim.set_account_type": 1}
    line = wave_line(plan, "only team:Finance", 4, ", ".join(f"{n} {kind}" for kind, n in kinds.items()))
    summary = json.loads(out)
    assert code == 0
    assert {k: summary[k] for k in ("status", "converged", "wave", "wave_actions", "plan_actions", "plan_left",
                                    "plan_left_by_kind", "next_step", "next_step_lines", "counts")} == {
        "status": "converged", "converged": False, "wave": "only team:Finance", "wave_actions": 4, "plan_actions": 8,
        "plan_left": 4, "plan_left_by_kind": kinds, "next_step": "apply_rest", "next_step_lines": [line],
        "counts": {"done": 4, "failed": 0, "skipped": 0, "pending": 0, "running": 0}}

    code, out, _ = run_cli_with_environ(capsys, monkeypatch, env, "apply", str(plan), "--json", *urls)
    summary = json.loads(out)
    assert code == 0
    assert {k: summary[k] for k in ("status", "converged", "wave", "wave_actions", "plan_actions", "plan_left",
                                    "plan_left_by_kind", "next_step", "next_step_lines")} == {
        "status": "converged", "converged": True, "wave": "", "wave_actions": 8, "plan_actions": 8, "plan_left": 0,
        "plan_left_by_kind": {}, "next_step": None, "next_step_lines": []}
