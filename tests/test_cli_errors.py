"""Errors of the command line: one line `sigma-migrate: error: ...`, the exit status, nothing left behind.

The output rule (planner/output.py): an output's parent directory must exist; an output
directory (fetch --out, demo --workdir) is created, its parent must exist; an output may
not be an input or another output; a command writing several files writes all or none.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from planner.output import OutputError, Outputs, write_all
from planner.planfile import write_plan

from .conftest import run_cli
from .execute_support import make_plan, small_plan_actions, write_test_plan

REPO = Path(__file__).resolve().parent.parent
SIGMA = REPO / "samples" / "acme" / "sigma"
OKTA = REPO / "samples" / "acme" / "okta"
POLICY = REPO / "policies" / "examples" / "okta.yaml"
PROC = pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")


def files(folder: Path) -> list[str]:
    """Every entry under ``folder`` (hidden temporary files included), relative, sorted."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def plan_argv(out: Path | str, *extra: str) -> list[str]:
    return ["plan", "--sigma", str(SIGMA), "--idp", str(OKTA), "--policy", str(POLICY), "--out", str(out), *extra]


@pytest.fixture
def in_tmp(tmp_path, monkeypatch) -> Path:
    """Run in ``tmp_path`` so relative paths in the arguments read like the user's."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


# --------------------------------------------------------------------------- 10: unwritable locations


def test_plan_out_in_a_missing_directory_is_refused_before_planning(capsys, in_tmp):
    code, out, err = run_cli(capsys, *plan_argv("nodir/sub/p.json"))
    assert (code, out) == (1, "")
    assert err == "sigma-migrate: error: cannot write nodir/sub/p.json: directory nodir/sub does not exist " \
                  "(create it first)\n"
    assert files(in_tmp) == []


@PROC
def test_plan_out_where_no_file_can_be_created(capsys, in_tmp):
    code, out, err = run_cli(capsys, *plan_argv("/proc/p.json"))
    assert code == 1
    assert err == "sigma-migrate: error: cannot write /proc/p.json: cannot create files in /proc " \
                  "(No such file or directory)\n"


def test_report_out_in_a_missing_directory(capsys, in_tmp):
    write_test_plan(in_tmp)
    code, out, err = run_cli(capsys, "report", "plan.json", "--out", "nodir/r.html")
    assert code == 1
    assert err == "sigma-migrate: error: cannot write nodir/r.html: directory nodir does not exist (create it first)\n"
    assert files(in_tmp) == ["plan.json"]


@PROC
def test_fetch_out_that_cannot_be_created(capsys, in_tmp, monkeypatch):
    monkeypatch.setenv("SIGMA_CLIENT_ID", "cid")
    monkeypatch.setenv("SIGMA_CLIENT_SECRET", "csecret")
    # the location is checked before any request (nothing listens on port 9)
    code, out, err = run_cli(capsys, "fetch", "--out", "/proc/x", "--base-url", "http://127.0.0.1:9")
    assert code == 1
    assert err == "sigma-migrate: error: cannot write /proc/x: cannot create files in /proc (No such file or directory)\n"


def test_fetch_out_is_created_but_not_its_parents_and_removed_again_on_failure(capsys, in_tmp, monkeypatch, sandbox):
    monkeypatch.setenv("SIGMA_CLIENT_ID", sandbox.client_id)
    monkeypatch.setenv("SIGMA_CLIENT_SECRET", "wrong")
    code, out, err = run_cli(capsys, "fetch", "--out", "nodir/export", "--base-url", sandbox.base_url)
    assert (code, err) == (1, "sigma-migrate: error: cannot write nodir/export: directory nodir does not exist "
                              "(create it first)\n")
    code, out, err = run_cli(capsys, "fetch", "--out", "export", "--base-url", sandbox.base_url)
    assert code == 1 and err.startswith("sigma-migrate: error: ") and err.count("\n") == 1
    assert files(in_tmp) == []  # the empty directory it made is gone again

    monkeypatch.setenv("SIGMA_CLIENT_SECRET", sandbox.client_secret)
    monkeypatch.delenv("SIGMA_SCIM_TOKEN", raising=False)
    code, out, err = run_cli(capsys, "fetch", "--out", "export", "--base-url", sandbox.base_url)
    assert code == 1 and err.startswith("sigma-migrate: error: GET /v2.1/members: 1 member(s) are inactive")
    assert files(in_tmp) == []  # refused once the members were read: the directory is gone again
    code, out, err = run_cli(capsys, "fetch", "--out", "export", "--base-url", sandbox.base_url, "--no-scim-state")
    assert (code, err) == (0, "")
    assert files(in_tmp) == ["export", "export/account_types.json", "export/fetch-manifest.json", "export/members.json",
                             "export/team_members.json", "export/teams.json"]


@PROC
def test_sandbox_db_that_cannot_be_created(capsys, in_tmp):
    code, out, err = run_cli(capsys, "sandbox", "serve", "--db", "/proc/x.sqlite")
    assert code == 1
    assert err == "sigma-migrate: error: cannot write /proc/x.sqlite: cannot create files in /proc " \
                  "(No such file or directory)\n"


def test_sandbox_db_in_a_missing_directory(capsys, in_tmp):
    code, out, err = run_cli(capsys, "sandbox", "serve", "--db", "nodir/x.sqlite")
    assert (code, err) == (1, "sigma-migrate: error: cannot write nodir/x.sqlite: directory nodir does not exist "
                              "(create it first)\n")


def test_sandbox_db_that_is_not_a_database_is_refused_and_kept(capsys, in_tmp):
    (in_tmp / "garbage.sqlite").write_text("garbage\n")
    code, out, err = run_cli(capsys, "sandbox", "serve", "--db", "garbage.sqlite")
    assert code == 1
    assert err == "sigma-migrate: error: cannot use --db garbage.sqlite: file is not a database\n"
    assert files(in_tmp) == ["garbage.sqlite"]
    assert (in_tmp / "garbage.sqlite").read_text() == "garbage\n"


def test_sandbox_with_a_bad_seed_leaves_no_new_database(capsys, in_tmp):
    code, out, err = run_cli(capsys, "sandbox", "serve", "--db", "new.sqlite", "--seed", "missing")
    assert (code, err) == (1, "sigma-migrate: error: missing: seed directory does not exist\n")
    assert files(in_tmp) == []


@PROC
def test_demo_workdir_that_cannot_be_written(capsys, in_tmp):
    code, out, err = run_cli(capsys, "demo", "--workdir", "/proc/sys")
    assert (code, out) == (1, "")
    assert err == "sigma-migrate: error: cannot write /proc/sys: cannot create files in /proc/sys " \
                  "(No such file or directory)\n"


def test_demo_workdir_in_a_missing_directory(capsys, in_tmp):
    code, out, err = run_cli(capsys, "demo", "--workdir", "nodir/work")
    assert (code, out) == (1, "")
    assert err == "sigma-migrate: error: cannot write nodir/work: directory nodir does not exist (create it first)\n"
    assert files(in_tmp) == []


def test_write_plan_refuses_a_missing_directory_with_one_line(tmp_path):
    with pytest.raises(OutputError) as raised:
        write_plan(make_plan(small_plan_actions()), tmp_path / "nodir" / "p.json")
    assert str(raised.value) == f"cannot write {tmp_path / 'nodir' / 'p.json'}: directory {tmp_path / 'nodir'} " \
                                "does not exist (create it first)"
    assert files(tmp_path) == []


# --------------------------------------------------------------------------- 11: all or nothing


@PROC
def test_plan_with_an_unwritable_report_writes_no_plan_either(capsys, in_tmp):
    (in_tmp / "px.json").write_text("old plan\n")
    code, out, err = run_cli(capsys, *plan_argv("px.json", "--report", "/proc/r.html"))
    assert (code, out) == (1, "")
    assert err == "sigma-migrate: error: cannot write /proc/r.html: cannot create files in /proc " \
                  "(No such file or directory)\n"
    assert files(in_tmp) == ["px.json"]
    assert (in_tmp / "px.json").read_text() == "old plan\n"


@PROC
def test_report_with_an_unwritable_csv_writes_no_html_either(capsys, in_tmp):
    write_test_plan(in_tmp)
    code, out, err = run_cli(capsys, "report", "plan.json", "--out", "rr.html", "--csv", "/proc/cc.csv")
    assert code == 1
    assert err == "sigma-migrate: error: cannot write /proc/cc.csv: cannot create files in /proc " \
                  "(No such file or directory)\n"
    assert files(in_tmp) == ["plan.json"]


def test_report_writes_both_files(capsys, in_tmp):
    write_test_plan(in_tmp)
    code, out, err = run_cli(capsys, "report", "plan.json", "--out", "rr.html", "--csv", "cc.csv")
    assert (code, err) == (0, "")
    assert out.splitlines()[:2] == ["Report: rr.html", "Actions CSV: cc.csv"]
    assert files(in_tmp) == ["cc.csv", "plan.json", "rr.html"]
    assert (in_tmp / "cc.csv").read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: Excel reads accents


def test_ctrl_c_while_planning_is_one_line_exit_130_and_leaves_nothing(capsys, in_tmp, monkeypatch):
    import planner.planning

    def interrupted(*args, **kwargs):
        assert len(files(in_tmp)) == 2  # the two temporary files exist while planning
        raise KeyboardInterrupt

    monkeypatch.setattr(planner.planning, "plan_from_paths", interrupted)
    code, out, err = run_cli(capsys, *plan_argv("p.json", "--report", "r.html"))
    assert (code, out, err) == (130, "", "sigma-migrate: interrupted\n")
    assert files(in_tmp) == []


def test_outputs_failing_midway_leave_existing_files_untouched_and_no_temporary_file(tmp_path):
    (tmp_path / "a.txt").write_text("old a\n")
    with pytest.raises(RuntimeError, match="disk full"):
        with Outputs() as outputs:
            outputs.add("--out", tmp_path / "a.txt")
            outputs.add("--csv", tmp_path / "b.csv")
            outputs.write_text(tmp_path / "a.txt", "new a\n")
            raise RuntimeError("disk full")
    assert files(tmp_path) == ["a.txt"]
    assert (tmp_path / "a.txt").read_text() == "old a\n"

    assert write_all({tmp_path / "a.txt": b"new a\n", tmp_path / "b.csv": b"b\n"}) == [
        tmp_path / "a.txt", tmp_path / "b.csv"]
    assert files(tmp_path) == ["a.txt", "b.csv"]
    assert (tmp_path / "a.txt").read_bytes() == b"new a\n"


# --------------------------------------------------------------------------- 12: an output is never an input


@pytest.mark.parametrize("argv, message", [
    (plan_argv("same.x", "--report", "./same.x"), "cannot write ./same.x: --out and --report name the same file"),
    (["plan", "--sigma", str(SIGMA), "--idp", str(OKTA), "--policy", "p.yaml", "--out", "p.yaml"],
     "cannot write p.yaml: it is the --policy input p.yaml"),
    (["plan", "--sigma", "sg", "--idp", str(OKTA), "--out", "sg/members.json"],
     "cannot write sg/members.json: it is inside the --sigma input directory sg"),
    (["plan", "--sigma", "sg", "--idp", str(OKTA), "--out", "sg/new.json"],
     "cannot write sg/new.json: it is inside the --sigma input directory sg"),
    (["plan", "--sigma", str(SIGMA), "--idp", "users.csv", "--out", "./users.csv"],
     "cannot write ./users.csv: it is the --idp input users.csv"),
    (["report", "g2.json", "--out", "g2.json"], "cannot write g2.json: it is the PLAN input g2.json"),
    (["report", "g2.json", "--out", "r.html", "--csv", "sub/../r.html"],
     "cannot write sub/../r.html: --out and --csv name the same file"),
])
def test_an_output_that_is_an_input_or_another_output_is_refused(capsys, in_tmp, argv, message):
    (in_tmp / "p.yaml").write_text("version: 1\n")
    (in_tmp / "sg").mkdir()
    (in_tmp / "sg" / "members.json").write_text("[]")
    (in_tmp / "sub").mkdir()
    (in_tmp / "users.csv").write_text("email\n")
    write_plan(make_plan(small_plan_actions()), in_tmp / "g2.json")
    before = {name: (in_tmp / name).read_bytes() for name in files(in_tmp) if (in_tmp / name).is_file()}

    code, out, err = run_cli(capsys, *argv)

    assert (code, out, err) == (1, "", f"sigma-migrate: error: {message}\n")
    assert {name: (in_tmp / name).read_bytes() for name in files(in_tmp) if (in_tmp / name).is_file()} == before


# --------------------------------------------------------------------------- 13: usage errors on one line


@pytest.mark.parametrize("argv, line", [
    (["apply", "p.json", "--parallelism", "0"],
     "Invalid value for '--parallelism': 0 is not in the range 1<=x<=64 (see 'sigma-migrate apply --help')"),
    (["plan", "--sigma", "sg", "--idp", "sg", "--policy", "sg", "--out", "x.json"],
     "Invalid value for '--policy': File 'sg' is a directory (see 'sigma-migrate plan --help')"),
    (["plan", "--sigma", "sg", "--idp", "sg", "--out", "sg"],
     "Invalid value for '--out': File 'sg' is a directory (see 'sigma-migrate plan --help')"),
    (["plan", "--sigma", "f.txt", "--idp", "sg", "--out", "x.json"],
     "Invalid value for '--sigma': Directory 'f.txt' is a file (see 'sigma-migrate plan --help')"),
    (["show", "."], "Invalid value for 'PLAN': File '.' is a directory (see 'sigma-migrate show --help')"),
    (["sandbox", "serve", "--port", "-1"],
     "Invalid value for '--port': -1 is not in the range 0<=x<=65535 (see 'sigma-migrate sandbox serve --help')"),
    (["plan", "--sigma", "sg", "--out", "x.json"], "Missing option '--idp' (see 'sigma-migrate plan --help')"),
    (["plna"], "No such command 'plna'. Did you mean 'plan'? (see 'sigma-migrate --help')"),
    (["approve", "p.json", "--by", "Eve\nApproved by CEO"],
     "Invalid value for '--by': contains the control character U+000A at position 4; give one line "
     "(see 'sigma-migrate approve --help')"),
    (["approve", "p.json", "--by", "Eve\x1b[2K"],
     "Invalid value for '--by': contains the control character U+001B at position 4; give one line "
     "(see 'sigma-migrate approve --help')"),
])
def test_usage_errors_are_one_line_and_exit_1(capsys, in_tmp, argv, line):
    (in_tmp / "sg").mkdir()
    (in_tmp / "f.txt").write_text("x")
    code, out, err = run_cli(capsys, *argv)
    assert (code, out, err) == (1, "", f"sigma-migrate: error: {line}\n")
    assert files(in_tmp) == ["f.txt", "sg"]


def test_usage_error_with_detailed_exitcode_is_exit_1(capsys, in_tmp):
    code, out, err = run_cli(capsys, "plan", "--sigma", str(SIGMA), "--out", "p.json", "--detailed-exitcode")
    assert (code, err) == (1, "sigma-migrate: error: Missing option '--idp' (see 'sigma-migrate plan --help')\n")


@pytest.mark.parametrize("argv, line", [
    (["verify", "p.json", "--bogus"], "No such option '--bogus' (see 'sigma-migrate verify --help')"),
    (["verify"], "Missing argument 'PLAN' (see 'sigma-migrate verify --help')"),
    (["verify", "p.json", "--max-attempts", "3"],
     "No such option '--max-attempts' (see 'sigma-migrate verify --help')"),
    (["apply", "p.json", "--zzz"], "No such option '--zzz' (see 'sigma-migrate apply --help')"),
    (["apply"], "Missing argument 'PLAN' (see 'sigma-migrate apply --help')"),
    (["diff", "p.json"], "Missing argument 'NEW' (see 'sigma-migrate diff --help')"),
    (["plan", "--sigma", "sg", "--out", "x.json", "--detailed-exitcode"],
     "Missing option '--idp' (see 'sigma-migrate plan --help')"),
    (["check", "--bogus"], "No such option '--bogus' (see 'sigma-migrate check --help')"),
])
def test_a_usage_error_exits_1_for_every_command_whose_exit_codes_mean_something(capsys, in_tmp, argv, line):
    """tester14b #2: `verify --bogus` exited 2, verify's "drift", while plan --detailed-exitcode and diff gave 1:
    one mapping (planner.cli.USAGE_ERROR_EXIT) for every command, so a mistyped flag never reads as drift."""
    (in_tmp / "sg").mkdir()
    (in_tmp / "p.json").write_text("{}")
    code, out, err = run_cli(capsys, *argv)
    assert (code, out, err) == (1, "", f"sigma-migrate: error: {line}\n")


def test_approve_refuses_a_name_with_a_newline_and_writes_nothing(capsys, in_tmp):
    write_test_plan(in_tmp)
    code, out, err = run_cli(capsys, "approve", "plan.json", "--by", "Eve\nApproved by CEO")
    assert code == 1 and err.count("\n") == 1
    assert files(in_tmp) == ["plan.json"]
    code, out, err = run_cli(capsys, "approve", "plan.json", "--by", "Ève Núñez <eve@example.com>")
    assert (code, err) == (0, "")
    assert json.loads((in_tmp / "plan.json.approval").read_text())["approver"] == "Ève Núñez <eve@example.com>"


def test_sandbox_port_in_use_is_one_line_exit_1(capsys, in_tmp):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, out, err = run_cli(capsys, "sandbox", "serve", "--port", str(port), "--db", "state.sqlite")
    assert (code, out, err) == (1, "", f"sigma-migrate: error: port {port} is in use\n")
    assert files(in_tmp) == []  # the database it had created is removed again


def test_no_arguments_print_the_help(tmp_path):
    done = subprocess.run([sys.executable, "-m", "planner"], cwd=REPO, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith("Usage: sigma-migrate [OPTIONS] COMMAND [ARGS]...\n")
    assert "  plan " in done.stdout and "  apply " in done.stdout


def test_a_group_without_its_command_prints_its_help(capsys):
    code, out, err = run_cli(capsys, "sandbox")
    assert (code, err) == (0, "")
    assert out.startswith("Usage: sigma-migrate sandbox [OPTIONS] COMMAND [ARGS]...\n")


# --------------------------------------------------------------------------- 25: wording


def test_missing_rest_credentials_are_named_with_are(capsys, in_tmp, monkeypatch):
    for name in ("SIGMA_CLIENT_ID", "SIGMA_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SIGMA_SCIM_TOKEN", "stoken")
    write_test_plan(in_tmp)
    code, out, err = run_cli(capsys, "apply", "plan.json", "--auto-approve", "--rest-base-url", "http://127.0.0.1:9",
                             "--scim-base-url", "http://127.0.0.1:9/scim/v2")
    assert code == 1
    assert err.endswith("the plan has REST actions but SIGMA_CLIENT_ID and SIGMA_CLIENT_SECRET are not set in the "
                        "environment\n")
    assert err.count("\n") == 1


GUESSED = ("sigma-migrate: error: SIGMA_SCIM_TOKEN is set but no SCIM Directory Base URL is given: pass the one Sigma "
           "showed when provisioning was set up (--scim-base-url, or --policy with targets.scim_base_url); its form "
           "is not published, so the token is not sent to a guessed address (docs/sigma-api.md §10)\n")


def test_fetch_never_sends_the_scim_token_to_a_guessed_address(capsys, in_tmp, monkeypatch, sandbox):
    # tester13 nit 19: without --scim-base-url, the token went to {base-url}/scim/v2 of any host, a form
    # docs/sigma-api.md §10 lists as not established for real Sigma; refused before any request (nothing listens)
    monkeypatch.setenv("SIGMA_CLIENT_ID", sandbox.client_id)
    monkeypatch.setenv("SIGMA_CLIENT_SECRET", sandbox.client_secret)
    monkeypatch.setenv("SIGMA_SCIM_TOKEN", sandbox.scim_token)
    monkeypatch.delenv("SIGMA_SCIM_BASE_URL", raising=False)
    code, out, err = run_cli(capsys, "fetch", "--out", "export", "--base-url", "https://sigma.invalid")
    assert (code, out, err) == (1, "", GUESSED)
    assert files(in_tmp) == []
    # the policy's targets.scim_base_url is the address used (was: the flag's only, else the guess)
    (in_tmp / "policy.yaml").write_text(f"version: 1\ntargets:\n  rest_base_url: {sandbox.base_url}\n"
                                        f"  scim_base_url: {sandbox.base_url}/not-scim\n")
    code, out, err = run_cli(capsys, "fetch", "--out", "export", "--base-url", sandbox.base_url,
                             "--policy", "policy.yaml")
    assert (code, err) == (1, "sigma-migrate: error: SCIM GET /Users: 404 not_found: No such endpoint: "
                              "/not-scim/Users\n")
