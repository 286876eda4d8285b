"""The real entry point (:func:`planner.cli.entry`: ``python -m planner``, the console script) ends a
``plan`` without freeing the plan (``os._exit``): what it prints, writes, exits with and what
``atexit`` does must be exactly what :func:`planner.cli.main` gives in-process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from planner.planfile import read_plan

from .conftest import run_cli

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "samples" / "acme"
POLICY = REPO / "policies" / "examples" / "entra.yaml"


BUFFERED = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
"""The environment with stdout block-buffered into a pipe (as usual): lost unless flushed before os._exit."""


def plan_argv(out: Path) -> list[str]:
    return ["plan", "--sigma", str(SAMPLE / "sigma"), "--idp", str(SAMPLE / "entra"), "--policy", str(POLICY),
            "--out", str(out / "plan.json"), "--report", str(out / "report.html"), "--detailed-exitcode"]


def test_python_m_planner_plan_prints_writes_and_exits_as_main_does(capsys, tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "sub").mkdir()
    code, stdout, stderr = run_cli(capsys, *plan_argv(tmp_path / "in"))
    done = subprocess.run([sys.executable, "-m", "planner", *plan_argv(tmp_path / "sub")], cwd=REPO,
                          capture_output=True, text=True, timeout=120, env=BUFFERED)
    assert (code, done.returncode) == (2, 2)  # changes, ready to approve
    assert done.stdout.replace(str(tmp_path / "sub"), "DIR") == stdout.replace(str(tmp_path / "in"), "DIR")
    assert done.stderr == stderr
    assert done.stdout.splitlines()[-1] == f"Report: {tmp_path / 'sub' / 'report.html'}"
    assert read_plan(tmp_path / "sub" / "plan.json").digest == read_plan(tmp_path / "in" / "plan.json").digest
    assert (tmp_path / "sub" / "report.html").read_bytes().endswith(b"</html>")


def test_entry_runs_the_atexit_functions_before_ending_the_process(tmp_path):
    script = ("import atexit, sys\n"
              "atexit.register(lambda: print('atexit ran'))\n"
              "from planner.cli import entry\n"
              "entry(sys.argv[1:])\n")
    done = subprocess.run([sys.executable, "-c", script, *plan_argv(tmp_path)], cwd=REPO,
                          capture_output=True, text=True, timeout=120, env=BUFFERED)
    assert done.returncode == 2
    assert done.stdout.splitlines()[-2:] == [f"Report: {tmp_path / 'report.html'}", "atexit ran"]


def test_entry_exits_as_main_on_an_error_and_on_other_commands(tmp_path):
    missing = subprocess.run([sys.executable, "-m", "planner", "plan", "--sigma", str(tmp_path / "nope"),
                              "--idp", str(tmp_path / "nope"), "--out", str(tmp_path / "plan.json")],
                             cwd=REPO, capture_output=True, text=True, timeout=120)
    assert missing.returncode == 1
    assert missing.stderr.startswith("sigma-migrate: error: ") and len(missing.stderr.splitlines()) == 1
    version = subprocess.run([sys.executable, "-m", "planner", "--version"], cwd=REPO, capture_output=True,
                             text=True, timeout=60)
    assert (version.returncode, version.stdout.split()[0]) == (0, "sigma-migrate,")


def test_python_m_planner_report_and_show_write_what_main_does(capsys, tmp_path):
    run_cli(capsys, *plan_argv(tmp_path))
    plan = str(tmp_path / "plan.json")
    code, stdout, _ = run_cli(capsys, "report", plan, "--out", str(tmp_path / "in.html"))
    done = subprocess.run([sys.executable, "-m", "planner", "report", plan, "--out", str(tmp_path / "sub.html")],
                          cwd=REPO, capture_output=True, text=True, timeout=120, env=BUFFERED)
    assert (code, done.returncode) == (0, 0)
    assert done.stdout.replace("sub.html", "in.html") == stdout
    assert (tmp_path / "sub.html").read_bytes() == (tmp_path / "in.html").read_bytes()
    code, stdout, _ = run_cli(capsys, "show", plan)
    done = subprocess.run([sys.executable, "-m", "planner", "show", plan], cwd=REPO, capture_output=True,
                          text=True, timeout=120, env=BUFFERED)
    assert (code, done.returncode, done.stdout) == (0, 0, stdout)


def test_output_the_terminal_cannot_encode_is_escaped_never_a_traceback(tmp_path):
    # tester6 finding 20: a redirect on Windows (ANSI code page), LANG=C or PYTHONIOENCODING=latin-1
    # cannot encode a Cyrillic or Polish letter; the entry point writes a backslash escape instead of
    # raising UnicodeEncodeError half-way
    import shutil

    export = tmp_path / "eksport\u015b"
    shutil.copytree(SAMPLE / "sigma", export / "sigma")
    policy = tmp_path / "polityka\u015b.yaml"
    policy.write_text("version: 1\nscope:\n  groups: [x]\n  gru\u043fpen: []\n", encoding="utf-8")
    env = {**BUFFERED, "PYTHONIOENCODING": "latin-1"}
    done = subprocess.run([sys.executable, "-m", "planner", "policy", "lint", str(policy)], cwd=REPO,
                          capture_output=True, text=True, timeout=120, env=env, encoding="latin-1")
    escaped = str(policy).replace("\u015b", "\\u015b")
    assert (done.returncode, done.stderr) == (1, "1 problem(s)\n")
    assert done.stdout == (f"{escaped}:4:3: scope: unknown key 'gru\\u043fpen' (did you mean 'groups'?); "
                           "allowed here: groups, nested_only, individual_assignments\n")
    done = subprocess.run([sys.executable, "-m", "planner", "check", "--sigma", str(export / "sigma"),
                           "--idp", str(SAMPLE / "okta")], cwd=REPO, capture_output=True, text=True, timeout=120,
                          env=env, encoding="latin-1")
    assert (done.returncode, "Traceback" in done.stderr) == (0, False)
    assert str(export / "sigma" / "members.json").replace("\u015b", "\\u015b") in done.stdout + done.stderr


def test_build_plan_holds_its_working_records_only_under_the_entry_point(monkeypatch):
    """planner.held: in-process (tests, the demo) build_plan keeps nothing; once the entry point started
    holding, it hands its directory, decisions and action index over (freed with the process, not one by
    one: 0.22-0.25 s at 100k members)."""
    from planner import held
    from planner.directory import Directory
    from planner.planning import ActedOn, Decisions, build_plan
    from planner.policy_reader import load_policy
    from planner.sources import load_snapshot

    snapshot = load_snapshot(str(SAMPLE / "sigma"), [str(SAMPLE / "entra")], None)
    policy = load_policy(POLICY)
    monkeypatch.setattr(held, "_held", None)
    plan = build_plan(snapshot, policy, created_at="1970-01-01T00:00:00Z")
    assert held._held is None and not held.holding()
    held.start()
    again = build_plan(snapshot, policy, created_at="1970-01-01T00:00:00Z")
    assert [type(o) for o in held._held] == [Directory, Decisions, ActedOn]
    assert held.holding()
    assert again == plan


def test_python_m_planner_check_prints_and_exits_as_main_does(capsys, tmp_path):
    """``check`` under the entry point keeps its snapshot to the end (planner.held; not freed object by object,
    0.1-0.2 s of CPU at 100k members): its output and exit status, 0 and 1 (an error finding), are main's."""
    import json
    import shutil

    sigma = tmp_path / "sigma"
    shutil.copytree(SAMPLE / "sigma", sigma)
    members = json.loads((sigma / "members.json").read_text(encoding="utf-8"))
    members[0]["entries"][0]["firstName"] = "n" * 300  # value-too-long: an error, exit 1
    (sigma / "members.json").write_text(json.dumps(members), encoding="utf-8")
    for sigma_dir, status in ((SAMPLE / "sigma", 0), (sigma, 1)):
        for output in ((), ("--json",)):
            argv = ["check", "--sigma", str(sigma_dir), "--idp", str(SAMPLE / "okta"), *output]
            code, stdout, stderr = run_cli(capsys, *argv)
            done = subprocess.run([sys.executable, "-m", "planner", *argv], cwd=REPO, capture_output=True,
                                  text=True, timeout=120, env=BUFFERED)
            assert (code, done.returncode) == (status, status)
            assert (done.stdout, done.stderr) == (stdout, stderr)
    assert '"code": "value-too-long"' in stdout


def test_check_holds_its_snapshot_only_under_the_entry_point(monkeypatch, capsys):
    """planner.held: in-process, check.run keeps nothing; once the entry point started holding, it hands its
    result (the snapshot and summary) over, to be freed with the process."""
    from planner import held
    from planner.check import CheckResult, run

    monkeypatch.setattr(held, "_held", None)
    assert run(SAMPLE / "sigma", [SAMPLE / "okta"], as_json=True) == 0
    assert held._held is None and not held.holding()
    held.start()
    assert run(SAMPLE / "sigma", [SAMPLE / "okta"], as_json=True) == 0
    assert [type(o) for o in held._held] == [CheckResult]
    capsys.readouterr()


def _with_reader_gone(argv: list[str]) -> subprocess.CompletedProcess:
    """``python -m planner ARGV`` writing its stdout into a pipe whose reader has left (``... | head -0``): the
    read end is closed before the process starts, so its first write to stdout is refused (EPIPE)."""
    read, write = os.pipe()
    os.close(read)
    try:
        return subprocess.run([sys.executable, "-m", "planner", *argv], cwd=REPO, stdout=write,
                              stderr=subprocess.PIPE, text=True, timeout=120, env=BUFFERED)
    finally:
        os.close(write)


def test_a_reader_leaving_the_pipe_changes_no_exit_status(tmp_path):
    # tester13 N6: `plan ... --detailed-exitcode | head -1` exited 1 ("error") with no word, `show | head` too
    plan = _with_reader_gone(plan_argv(tmp_path))
    assert (plan.returncode, plan.stderr) == (2, "2 loader warning(s): `sigma-migrate check` lists them\n")  # as when read
    assert read_plan(tmp_path / "plan.json").digest.startswith("sha256:") and (tmp_path / "report.html").is_file()
    show = _with_reader_gone(["show", str(tmp_path / "plan.json")])
    assert (show.returncode, show.stderr) == (0, "")
    refused = _with_reader_gone(["show", str(tmp_path / "nothing.json")])  # an error still says so, on stderr
    assert refused.returncode == 1 and refused.stderr.startswith("sigma-migrate: error: ")
