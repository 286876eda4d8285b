"""The benchmark's floor (bench/baseline.py) and its own measurement (bench/_measure.py, bench/_peak.py).

Small scale only: a 400-member generated organization and literal records; no
timing is asserted, the benchmark prints its figures (docs/performance.md).
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
ALIAS = "oldcorp.example=example.com"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", REPO / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


generate = _load("generate")
baseline = _load("baseline")
measure = _load("_measure")
plan_bench = _load("plan_bench")


@pytest.fixture(scope="module")
def org(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("org")
    generate.generate(out, members=400, seed=5)
    return out


# ---------------------------------------------------------------------- the same work as the planner


def test_baseline_links_are_the_planners_link_actions(org):
    """The floor links exactly whom the planner links: it does the same join, not less."""
    from planner.planning import plan_from_paths

    done = subprocess.run([sys.executable, str(REPO / "bench" / "baseline.py"), str(org), "--alias", ALIAS],
                          capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stderr) == (0, "")
    counts = json.loads(done.stdout)
    plan, _ = plan_from_paths(str(org / "sigma"), [str(org / "idp")], str(org / "policy.yaml"))
    kinds = Counter(a.kind for a in plan.actions)
    reviews = Counter(r.code for r in plan.review_items)
    assert counts["links"] > 300
    # the planner joins them all; a link the blocking user_name_guard.mismatch questions is held
    # (planning.hold_questioned), so the floor's links are the planner's plus those
    assert counts["links"] == kinds["scim.link_user"] + reviews["user_name_guard.mismatch"]
    assert counts["user_name_differs"] == reviews["user_name_guard.mismatch"] > 0
    assert counts["teams_mapped"] == kinds["scim.link_group"] > 0
    assert set(counts["cpu"]) == {"load", "join", "flatten", "teams"}


def _member(member_id: str, email: str, **extra) -> dict:
    return {"memberId": member_id, "email": email, "isArchived": False, "isInactive": False,
            "userKind": "internal", **extra}


def _user(user_id: str, user_name: str, *emails: str, active: bool = True) -> dict:
    return {"id": user_id, "userName": user_name, "active": active, "emails": [{"value": e} for e in emails]}


def test_join_rules_on_literal_records():
    data = {
        "members": [
            _member("m-case", "Ana.Silva@Example.com"),
            _member("m-alias", "bo.li@oldcorp.example"),
            _member("m-second", "cy.ng@oldcorp.example"),
            _member("m-dup1", "dee@example.com"), _member("m-dup2", "DEE@example.com"),
            _member("m-archived", "eve@example.com", isArchived=True),
            _member("m-guest", "fay@partner.example", userKind="guest"),
            _member("m-leaver", "gus@example.com"),
            _member("SigmaSchedulerRobot", "scheduler-robot@sigmacomputing.com"),
        ],
        "users": [
            _user("u-case", "ana.silva@example.com"),
            _user("u-alias", "bo.li@example.com"),
            _user("u-second", "cy.ng@example.com", "cy.ng@example.com", "cy.ng@oldcorp.example"),
            _user("u-dee", "dee@example.com"),
            _user("u-eve", "eve@example.com"),
            _user("u-fay", "fay_partner.example#EXT#@tenant.onmicrosoft.com", "fay@partner.example"),
            _user("u-gus", "gus@example.com", active=False),
            _user("u-new", "hal@example.com"),
            _user("u-gone", "ivy@example.com", active=False),
        ],
    }
    out = baseline.join(data, {"oldcorp.example": "example.com"})
    assert out == {
        "links": {"u-case": "m-case", "u-alias": "m-alias", "u-second": "m-second"},
        "held": 2,  # m-dup1, m-dup2: one address, two members
        "user_name_differs": 2,  # m-alias, m-second: the userName is not the Sigma email
        "creates": 3,  # u-dee (its members are held), u-eve (archived member), u-new
    }


def test_flatten_expands_nested_groups_and_team_diffs_map_through_links():
    groups = [
        {"id": "g-all", "displayName": "Analysts", "members": [{"value": "u1", "type": "User"},
                                                               {"value": "g-emea", "type": "Group"}]},
        {"id": "g-emea", "displayName": "EMEA", "members": [{"value": "u2", "type": "User"}]},
    ]
    flat = baseline.flatten(groups)
    assert flat == {"g-all": {"u1", "u2"}, "g-emea": {"u2"}}
    data = {"groups": groups,
            "teams": [{"teamId": "t1", "name": "analysts"}, {"teamId": "t2", "name": "Sales"}],
            "team_members": {"t1": {"entries": [{"userId": "m2"}, {"userId": "m9"}]}}}
    assert baseline.team_diffs(data, flat, {"u1": "m1", "u2": "m2"}) == {
        "teams_mapped": 1, "team_adds": 1, "team_removes": 1}  # add m1, remove m9; Sales has no group


def test_load_only_stops_after_loading(org, capsys):
    assert baseline.main([str(org), "--load-only"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (sorted(out), sorted(out["cpu"])) == (["cpu", "idp_groups", "idp_users", "members", "teams"], ["load"])
    assert (out["members"], out["idp_users"]) == (400, 440)


def test_a_missing_file_is_one_line_and_exit_2(tmp_path, capsys):
    (tmp_path / "sigma").mkdir()
    assert baseline.main([str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err == (f"baseline: {tmp_path / 'sigma' / 'members.json'}: missing "
                   "(the baseline reads the SCIM layout only)\n")


# ---------------------------------------------------------------------- the bench's own measurement


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="VmHWM and exec's maxrss are Linux's")
def test_a_childs_peak_rss_is_its_own_not_the_parents(org, tmp_path):
    ballast = b"\x01" * (300 * 2**20)  # the parent's peak is now above 300 MiB
    env = measure.child_env(tmp_path / "pyc")
    del env["PYTHONPYCACHEPREFIX"]  # the usual byte code: a fresh prefix would compile the stdlib (slow)
    own = measure.run_child([sys.executable, str(REPO / "bench" / "_plan_child.py"), "check",
                             "--sigma", str(org / "sigma"), "--idp", str(org / "idp")],
                            log_dir=tmp_path / "check", env=env)
    silent = measure.run_child([sys.executable, "-c", "pass"], log_dir=tmp_path / "silent", env=env)
    assert len(ballast) == 300 * 2**20
    assert (own.returncode, own.peak_rss_source) == (0, "child")
    assert 10 * 2**20 < own.peak_rss < 250 * 2**20
    # what wait4 reports for a child that says nothing: the parent's peak (the fault measured in the child)
    assert (silent.peak_rss_source, silent.peak_rss >= 300 * 2**20) == ("wait4", True)


def test_children_get_one_byte_code_cache_whatever_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    monkeypatch.setenv("PYTHONPYCACHEPREFIX", str(tmp_path / "elsewhere"))
    env = measure.child_env(tmp_path / "pyc")
    assert env["PYTHONPYCACHEPREFIX"] == str(tmp_path / "pyc")
    assert "PYTHONDONTWRITEBYTECODE" not in env
    measure.prepare_bytecode(env)
    tag = sys.implementation.cache_tag
    for source in (REPO / "planner" / "cli.py", REPO / "bench" / "baseline.py"):
        compiled = tmp_path / "pyc" / source.parent.relative_to("/") / f"{source.stem}.{tag}.pyc"
        assert compiled.is_file(), compiled


def test_pairs_alternate_their_order():
    calls = []

    def step(name: str, i: int):
        return lambda: calls.append((name, i)) or name[0]

    pairs = [plan_bench.paired(step("plan", i), step("base", i), i) for i in range(3)]
    assert pairs == [("p", "b")] * 3
    assert calls == [("plan", 0), ("base", 0), ("base", 1), ("plan", 1), ("plan", 2), ("base", 2)]


def _size(cpu: float, base: float, rss: float, actions: int) -> dict:
    return {"median_cpu": cpu, "baseline": {"median_cpu": base}, "ratio_cpu": cpu / base,
            "max_peak_rss": rss, "actions": actions, "cpu_per_action_ms": cpu / actions * 1e3}


def test_targets_at_100k_met_and_missed():
    results = {"sizes": {"10000": _size(2.0, 0.2, 2e8, 13_000), "100000": _size(15.0, 3.0, 1.1e9, 120_000)},
               "check": {"members": 100_000, "median_cpu": 3.3, "baseline_load": {"median_cpu": 2.0},
                         "ratio_cpu": 1.65}}
    assert plan_bench.targets(results, [10_000, 100_000]) == [
        {"target": "plan + HTML at 100k: CPU <= 2.0x the baseline's", "met": False,
         "value": "5.00x (15.00 s / 3.00 s)"},
        {"target": "plan + HTML at 100k: peak RSS <= 1.2 GB", "met": True, "value": "1.10 GB (the child's own VmHWM)"},
        {"target": "plan at 100k: CPU per planned action <= 1 ms", "met": True,
         "value": "0.125 ms (120,000 actions); apply's CPU per applied action is bench/apply_bench.py's"},
        {"target": "check at 100k: CPU <= 1.5x the baseline's load", "met": False, "value": "1.65x (3.30 s / 2.00 s)"},
    ]


def test_targets_below_100k_are_marked_indicative():
    results = {"sizes": {"10000": _size(2.0, 1.0, 2e8, 13_000)}}
    names = [t["target"] for t in plan_bench.targets(results, [10_000])]
    assert names[0] == "plan + HTML at 10k (indicative: the targets are set at 100k): CPU <= 2.0x the baseline's"
    assert len(names) == 3  # no check figures, no check target


def test_no_plan_reports_the_check_target_only(capsys):
    results = {"sizes": {}, "check": {"members": 100_000, "median_cpu": 2.4, "median_wall": 2.5,
                                      "max_peak_rss": 6e8, "baseline_load": {"median_cpu": 1.6},
                                      "ratio_cpu": 1.5, "ratio_cpu_per_run": [1.5, 1.49, 1.52]}}
    plan_bench.report(results, [])
    assert results["targets"] == [
        {"target": "check at 100k: CPU <= 1.5x the baseline's load", "met": True, "value": "1.50x (2.40 s / 1.60 s)"}]
    out = capsys.readouterr().out
    assert "check at 100,000: median wall 2.50 s, CPU 2.40 s" in out
    assert "members" not in out.split("check at")[0]  # no plan table


def test_no_plan_needs_check_runs():
    with pytest.raises(SystemExit):
        plan_bench.main(["--no-plan", "--check-runs", "0"])
