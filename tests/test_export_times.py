"""The exports' times (tester8 finding 21): an IdP export read long before the Sigma export is a blocking
item naming both times; an unknown time is said so; apply refuses a plan whose IdP export grew too old."""

from __future__ import annotations

import json
from dataclasses import replace

import msgspec
import pytest

from planner.execute.apply import check_idp_export_age
from planner.execute.errors import ApplyRefused
from planner.model import FetchManifest
from planner.show import exports_read_line
from planner.sources import load_idp
from planner.sources.manifest import manifest_document

from .plan_factory import plan, snapshot

SIGMA_AT = "2026-12-06T09:00:00Z"


def dated(sigma_at: str | None, idp_at: str | None):
    snap = snapshot()
    sigma = replace(snap.sigma, fetch_manifest=FetchManifest("export/fetch-manifest.json", "not_read", sigma_at))
    return replace(snap, sigma=sigma, idp=replace(snap.idp, fetched_at=idp_at))


def test_an_idp_export_older_than_the_bound_is_one_blocking_item_naming_both_times():
    p = plan(dated(SIGMA_AT, "2026-11-29T08:30:00Z"))
    assert [(r.id, r.blocking) for r in p.review_items] == [("inputs.idp_export_old:idp", True)]
    (item,) = p.review_items
    assert item.message == (
        "the IdP export was read at 2026-11-29T08:30:00Z, 168.5 hours before the Sigma export (2026-12-06T09:00:00Z), "
        "more than guards.max_idp_export_age_hours 24: people who left or joined since are not in it, and the IdP's "
        "push would disagree with the plan; export the IdP again (`sigma-migrate fetch-idp`, which records when it "
        "read it), close in time to the Sigma export, then plan again")
    assert item.resolution.startswith("# no policy setting settles this: export the IdP again")
    assert (p.organization.sigma_fetched_at, p.organization.idp_fetched_at) == (SIGMA_AT, "2026-11-29T08:30:00Z")


@pytest.mark.parametrize("idp_at, extra", [
    ("2026-12-05T09:00:00Z", ""),                                 # exactly 24 hours: within the bound
    ("2026-12-06T10:00:00Z", ""),                                 # read after the Sigma export
    ("2026-11-29T08:30:00Z", "guards:\n  max_idp_export_age_hours: 200\n"),
    (None, ""),                                                   # unknown: not judged, show says so
])
def test_no_item_within_the_bound_without_one_or_without_a_time(idp_at, extra):
    assert plan(dated(SIGMA_AT, idp_at), extra).review_items == ()


def test_with_the_sigma_exports_time_unknown_the_idp_export_is_judged_against_the_plans_own_time():
    """tester10 finding 17: an IdP export read 97 days before the plan, beside a Sigma export saved by hand (no
    fetchedAt), was approvable and only apply refused it; the plan judges it against its created_at."""
    from planner.planning import build_plan

    from .plan_factory import policy

    old = build_plan(dated(None, "2026-09-01T00:00:00Z"), policy(""), created_at="2026-12-06T21:00:00Z")
    assert [(r.id, r.blocking) for r in old.review_items] == [("inputs.idp_export_old:idp", True)]
    assert old.review_items[0].message.startswith(
        "the IdP export was read at 2026-09-01T00:00:00Z, 2325.0 hours before this plan (2026-12-06T21:00:00Z; the "
        "Sigma export's time is unknown), more than guards.max_idp_export_age_hours 24: ")
    fresh = build_plan(dated(None, "2026-12-06T08:00:00Z"), policy(""), created_at="2026-12-06T21:00:00Z")
    assert fresh.review_items == ()


@pytest.mark.parametrize("manifest", ["fetch-idp-manifest.json", "fetch-manifest.json"])
def test_a_fetched_at_later_than_now_is_a_manifest_error(tmp_path, manifest):
    """tester10 finding 17: a fetchedAt in the future (a wrong clock, an edited manifest) has no age to judge."""
    from datetime import datetime, timezone

    from planner.sources.files import Findings
    from planner.sources.manifest import read_fetched_at

    now = datetime(2026, 12, 6, 21, 0, tzinfo=timezone.utc)
    findings = Findings()
    path = tmp_path / manifest
    assert read_fetched_at({"fetchedAt": "2026-12-06T21:09:59Z"}, path, findings, now) == (
        True, "2026-12-06T21:09:59Z")  # within CLOCK_SKEW (10 minutes)
    assert read_fetched_at({"fetchedAt": "2027-01-01T00:00:00Z"}, path, findings, now) == (False, None)
    assert [(f.code, f.field, f.message) for f in findings] == [(
        "manifest-mismatch", "fetchedAt", "2027-01-01T00:00:00Z is later than now (2026-12-06T21:00:00Z): the clock "
        "where it was fetched was wrong, or the manifest was edited; fetch again")]


def test_a_pulled_export_read_in_the_future_is_refused_by_the_loader(tmp_path):
    folder = tmp_path / "okta"
    folder.mkdir()
    (folder / "users.json").write_text(json.dumps([{"id": "00u1", "status": "ACTIVE", "profile": {
        "login": "ann@example.com", "email": "ann@example.com", "firstName": "Ann", "lastName": "Lee"}}]))
    (folder / "fetch-idp-manifest.json").write_text(json.dumps(
        manifest_document("okta", {"users.json": 1}, "2099-01-01T00:00:00Z")))
    _, findings = load_idp(folder)
    errors = [(f.code, f.field, f.message) for f in findings if f.severity.value == "error"]
    assert len(errors) == 1 and errors[0][:2] == ("manifest-mismatch", "fetchedAt")
    assert errors[0][2].startswith("2099-01-01T00:00:00Z is later than now (")


def test_show_says_when_each_export_was_read_and_which_time_is_unknown():
    assert exports_read_line(plan(dated(SIGMA_AT, "2026-12-06T08:00:00Z"))) == (
        "exports read: Sigma 2026-12-06T09:00:00Z, IdP 2026-12-06T08:00:00Z")
    assert exports_read_line(plan(dated(None, None))) == (
        "exports read: Sigma at an unknown time (no fetchedAt in fetch-manifest.json), IdP at an unknown time (no "
        "fetchedAt in fetch-idp-manifest.json: saved by hand, or pulled by an older version; "
        "guards.max_idp_export_age_hours not judged)")


def test_an_undo_plan_reads_no_export_so_nothing_is_said_or_checked_of_its_time():
    """An undo plan keeps the migration plan's organization, export times included, but reverses what the
    apply wrote and reads no export: show and the report say nothing of the exports, apply does not refuse
    it when the migration plan's IdP export has grown old (it did, before: an undo a day later was refused)."""
    from planner.report import render_html

    p = plan(dated(SIGMA_AT, "2026-12-06T08:00:00Z"))
    undo = msgspec.structs.replace(p, summary=msgspec.structs.replace(p.summary, undoes="sha256:" + "0" * 64))
    assert exports_read_line(undo) is None
    assert 'id="exports-read"' not in render_html(undo)
    with pytest.raises(ApplyRefused):
        check_idp_export_age(p, "plan.json", now="2026-12-09T08:00:00Z")
    check_idp_export_age(undo, "undo.json", now="2026-12-09T08:00:00Z")  # passes


def test_a_pulled_export_carries_its_manifests_time(tmp_path):
    folder = tmp_path / "okta"
    folder.mkdir()
    (folder / "users.json").write_text(json.dumps([{"id": "00u1", "status": "ACTIVE", "profile": {
        "login": "ann@example.com", "email": "ann@example.com", "firstName": "Ann", "lastName": "Lee"}}]))
    (folder / "fetch-idp-manifest.json").write_text(json.dumps(
        manifest_document("okta", {"users.json": 1}, "2026-12-06T08:00:00Z")))
    directory, findings = load_idp(folder)
    assert [f for f in findings if f.severity.value == "error"] == []
    assert directory.fetched_at == "2026-12-06T08:00:00Z"
    (folder / "fetch-idp-manifest.json").write_text(json.dumps(
        {**manifest_document("okta", {"users.json": 1}), "fetchedAt": "yesterday"}))
    _, findings = load_idp(folder)
    assert [(f.code, f.field, f.message) for f in findings if f.severity.value == "error"] == [
        ("manifest-mismatch", "fetchedAt", "'yesterday' is not a UTC time like 2026-12-06T17:40:00Z; fetch again")]


def test_apply_refuses_a_plan_whose_idp_export_grew_older_than_the_bound():
    p = plan(dated(SIGMA_AT, "2026-12-06T08:00:00Z"))
    check_idp_export_age(p, "plan.json", now="2026-12-07T08:00:00Z")  # 24 hours: still within
    with pytest.raises(ApplyRefused) as refused:
        check_idp_export_age(p, "plan.json", now="2026-12-08T08:00:00Z")
    assert str(refused.value) == (
        "plan.json: the plan's IdP export was read at 2026-12-06T08:00:00Z, 48.0 hours ago, more than "
        "guards.max_idp_export_age_hours 24: people may have left or joined since; export the IdP again "
        "(`sigma-migrate fetch-idp`, which records when it read it), close in time to the Sigma export, then plan "
        "again; nothing was written")
    check_idp_export_age(plan(dated(SIGMA_AT, None)), "plan.json", now="2030-01-01T00:00:00Z")  # unknown: passes


def test_the_report_says_when_each_export_was_read():
    from planner.report import render_html

    html = render_html(plan(dated(SIGMA_AT, None)))
    assert ('<dd id="exports-read">Sigma 2026-12-06T09:00:00Z, IdP at an unknown time (no fetchedAt in '
            'fetch-idp-manifest.json: saved by hand, or pulled by an older version; guards.max_idp_export_age_hours not '
            'judged)</dd>') in html
