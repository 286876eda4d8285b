"""The ``sigma-migrate`` command line: click commands that parse, call the pipeline, and print.

No decision logic lives here (style.md "Habits"): each command calls one
function of the stage module it fronts. Every :class:`planner.errors.UserError`
becomes ``sigma-migrate: error: <one line>`` on stderr and a non-zero exit.
"""

from __future__ import annotations

import sys

import click

from . import __version__, held
from .errors import UserError
from .terminal import first_unprintable, printable, printable_json, printable_lines, stdout_reader_may_leave


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sigma-migrate")
def cli() -> None:
    """Plan and apply the move of a Sigma organization to SCIM provisioning.

    Typical flow: check -> plan -> show / report -> approve -> apply.
    """


# --------------------------------------------------------------------------- check (issue 2)


@cli.command("check")
@click.option("--sigma", "sigma_dir", required=True, type=click.Path(),
              help="Sigma export directory (members.json, teams.json, team_members.json, account_types.json).")
@click.option("--idp", "idp_paths", required=True, multiple=True, type=click.Path(),
              help="IdP export file or directory; repeat for several parts of one export.")
@click.option("--idp-format", help="Force the IdP format instead of detecting it: okta-api, entra-csv, "
              "entra-graph, google-csv, google-api, scim, generic-csv, onelogin (a OneLogin users CSV, "
              "docs/formats.md §5).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary and every finding as JSON.")
@click.option("--policy", "policy_path", type=click.Path(dir_okay=False),
              help="Policy YAML the exports are checked against (default: the bundled default policy).")
def check_command(sigma_dir: str, idp_paths: tuple[str, ...], idp_format: str | None, as_json: bool,
                  policy_path: str | None) -> None:
    """Load both exports, print a summary and every finding; exit 1 when a finding is an error."""
    from .check import run

    raise click.exceptions.Exit(run(sigma_dir, idp_paths, idp_format, as_json=as_json, policy_path=policy_path))


# --------------------------------------------------------------------------- plan / show (issue 3)


@cli.command("plan")
@click.option("--sigma", "sigma_dir", required=True, type=click.Path(file_okay=False),
              help="Sigma export directory (members.json, teams.json, team_members.json, account_types.json).")
@click.option("--idp", "idp_paths", required=True, multiple=True, type=click.Path(),
              help="IdP export file or directory; repeat for several.")
@click.option("--idp-format", help="Force the IdP format instead of detecting it (see `check --help`); "
              "onelogin reads a OneLogin users CSV, which is never detected (docs/formats.md §5).")
@click.option("--policy", "policy_path", type=click.Path(dir_okay=False),
              help="Policy YAML (default: the bundled policies/default.yaml).")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="Write the plan JSON here.")
@click.option("--report", "report_out", type=click.Path(dir_okay=False), help="Also write the HTML report here.")
@click.option("--detailed-exitcode", is_flag=True,
              help="Exit 0: no changes; 2: changes, ready to approve; 3: changes blocked by review items "
              "(or failed guards); 1: error.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the summary (counts, pre-flight, what blocks approval) as JSON on stdout.")
@click.option("--applied", "applied", multiple=True, type=click.Path(dir_okay=False),
              help="A plan applied to this organization before (its journal beside it, or where sigma-migrate's state "
              "directory records it), apply's or undo's; "
              "a SCIM value one of its runs wrote is named as theirs in a scim.state_conflict item. Repeatable.")
def plan_command(sigma_dir: str, idp_paths: tuple[str, ...], idp_format: str | None, policy_path: str | None,
                 out: str, report_out: str | None, detailed_exitcode: bool, as_json: bool,
                 applied: tuple[str, ...]) -> None:
    """Match, decide and write a reviewed migration plan (nothing is changed in Sigma)."""
    from msgspec.structs import replace

    from .output import Outputs
    from .planfile import dump_plan
    from .planning import plan_from_paths
    from .show import summary_lines

    # all or nothing: both destinations are checked before planning, written beside, renamed at the end
    with Outputs(inputs={"--sigma": sigma_dir, "--idp": idp_paths, "--policy": policy_path,
                         "--applied": applied}) as outputs:
        outputs.add("--out", out)
        if report_out:
            outputs.add("--report", report_out)
        plan, snapshot = plan_from_paths(sigma_dir, idp_paths, policy_path, idp_format, applied)
        _hold_until_exit(plan, snapshot)
        with outputs.open(out) as fh:
            digest = dump_plan(plan, fh)
        if report_out:
            from .report import stream_html

            with outputs.open(report_out) as fh:
                stream_html(replace(plan, digest=digest), fh)
    for note in snapshot.applied.notes:  # which journal --applied read, when not the one beside the plan
        click.echo(printable(note), err=True)
    warnings = sum(1 for f in snapshot.findings if f.severity.value == "warning")
    if warnings:
        click.echo(f"{warnings} loader warning(s): `sigma-migrate check` lists them", err=True)
    if as_json:
        import json as _json_summary

        from .show import summary_document

        document = summary_document(replace(plan, digest=digest), out)
        click.echo(printable_json(_json_summary.dumps(document, indent=2, sort_keys=True, ensure_ascii=False)))
    else:
        for line in summary_lines(plan):
            click.echo(printable(line))
        click.echo(printable(f"Plan written to {out} ({digest})"))
        if report_out:
            click.echo(printable(f"Report: {report_out}"))
    if detailed_exitcode:
        from .show import detailed_exit_code

        raise click.exceptions.Exit(detailed_exit_code(plan))


@cli.command("diff")
@click.argument("old_file", metavar="OLD", type=click.Path(dir_okay=False))
@click.argument("new_file", metavar="NEW", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the differences as JSON.")
def diff_command(old_file: str, new_file: str, as_json: bool) -> None:
    """Show what changed from plan OLD to plan NEW: actions added, removed and changed (field by
    field), review items opened and closed, summary deltas. For NEW made with `plan --applied OLD`,
    each action it no longer has is done, refused or dropped, as OLD's journal (beside OLD, unchanged
    since NEW read it) says; else "not in the new plan".

    Exit 0 when the plans decide the same, 2 when they differ, 1 on an error (an unreadable or
    tampered plan, a migration plan against an undo plan, a usage error), with or without --json (as diff(1)).

    \b
      sigma-migrate diff plan-v1.json plan-v2.json
      sigma-migrate diff plan-v1.json plan-v2.json --json
    """
    import json as _json

    from .applied import journals_read_by
    from .plandiff import check_same_kind, diff_lines, diff_plans
    from .planfile import read_plan

    old, new = read_plan(old_file), read_plan(new_file)
    check_same_kind(old, new, old_file, new_file)
    found = diff_plans(old, new, journals_read_by(new, old, old_file))
    if as_json:
        click.echo(printable_json(_json.dumps(found.to_dict(), indent=2, sort_keys=True, ensure_ascii=False)))
    else:
        for line in diff_lines(found):
            click.echo(printable(line))
    raise click.exceptions.Exit(0 if found.empty else 2)


@cli.command("schema")
def schema_command() -> None:
    """Print the JSON Schema (draft 2020-12) of plan files."""
    import json as _json_schema

    from .planfile import plan_json_schema

    click.echo(_json_schema.dumps(plan_json_schema(), indent=2, sort_keys=True))


@cli.command("show")
@click.argument("plan_file", metavar="PLAN", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True,
              help="Print the plan as JSON (the plan file's content); with --only/--limit, the wave as JSON.")
@click.option("--only", "only", multiple=True, metavar="SELECTOR",
              help="Show the same sections restricted to the wave `apply --only` would run: email:ADDRESS "
              "(or person:ADDRESS), group:NAME, team:NAME, kind:KIND.")
@click.option("--limit", type=int, metavar="N",
              help="Show the sections restricted to the wave of the first N people (`apply --limit`).")
@click.option("--all", "show_all", is_flag=True, help="Also list people whose only change is a plain link.")
def show_command(plan_file: str, as_json: bool, only: tuple[str, ...], limit: int | None, show_all: bool) -> None:
    """Show PLAN for review: summary, pre-flight and blocking items first, then lock-outs, admin
    changes, deactivations, downgrades, other people (plain links as a count unless --all), teams.

    \b
    Show a wave before it runs:
      sigma-migrate show plan.json --only team:Finance --only email:ada@acme.example
      sigma-migrate show plan.json --limit 15
    """
    from .planfile import plan_bytes, read_plan
    from .show import print_plan

    plan = read_plan(plan_file)
    _hold_until_exit(plan)
    ended = _ended_line(plan_file, plan)
    if ended is not None:  # a later plan rolled it back or took over from it: said first (stderr under --json)
        click.echo(ended, err=as_json)
    if only or limit is not None:
        from .selection import select, wave_document

        wave = select(plan, only, limit)
        if as_json:
            from .planfile import canonical_json

            click.echo(printable_json(canonical_json(wave_document(plan, wave)).decode("utf-8")))
        else:
            print_plan(plan, show_all=show_all, wave=wave)
        return
    if as_json:
        click.echo(printable_json(plan_bytes(plan).decode("utf-8")), nl=False)
    else:
        print_plan(plan, show_all=show_all)


def _ended_line(plan_file: str, plan) -> str | None:
    """``show``'s first line of a plan its journal records a later plan ended
    (:func:`planner.execute.reversals.ended_line`); ``None`` otherwise, and for a journal that cannot be read
    (``show`` reads the plan, not the journal). The execute package (pydantic and the HTTP clients) is imported only
    when a journal is beside the plan (the name :func:`planner.execute.journal.journal_path` gives it) or the state
    directory holds a history of its digest (a copy of the plan: :mod:`planner.execute.history`)."""
    from pathlib import Path

    from .state import history_path

    if (not Path(plan_file).with_name(Path(plan_file).name + ".journal.sqlite").is_file()
            and not history_path(plan.digest).is_file()):
        return None
    from .errors import UserError
    from .execute.reversals import ended_line

    try:
        return ended_line(plan_file, plan)
    except UserError:
        return None


# --------------------------------------------------------------------------- IdP hand-off (issue 13)


@cli.command("handoff")
@click.argument("plan_file", metavar="PLAN", type=click.Path(dir_okay=False))
@click.option("--idp", "idp", required=True, type=click.Choice(["okta", "entra", "google", "generic"]),
              help="Whose console the instructions are written for.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Directory for README.md and one CSV per list (created if missing; parent must exist).")
@click.option("--draft", is_flag=True,
              help="Write the pack even though the plan cannot be approved yet, every file marked DRAFT.")
def handoff_command(plan_file: str, idp: str, out_dir: str, draft: bool) -> None:
    """Write what the IdP admin must configure so that what apply did holds: groups to assign and
    push, Link Group per team, attribute mappings, account type spellings, userNames to send
    first, the order of operations (README.md + a CSV per list).

    Exit 1 without writing anything when the plan cannot be approved yet (blocking review items,
    unmet pre-flight checks, failed guards), unless --draft, when --idp names another IdP than
    the Okta, Entra ID or Google Workspace export the plan was made from (generic fits every plan),
    or for an undo plan or a plan an applied undo plan rolled back."""
    from pathlib import Path

    from .handoff import check_idp_matches, check_pack_allowed, check_plan_kind, csv_files, handoff_pack, markdown
    from .output import Outputs, output_directory
    from .planfile import read_plan

    plan = read_plan(plan_file, with_policy=True)
    check_plan_kind(plan, plan_file)
    check_idp_matches(plan, idp, plan_file)
    if not draft:
        check_pack_allowed(plan, plan_file)
    pack = handoff_pack(plan, idp, draft=draft, where=plan_file)
    files = {"README.md": markdown(pack), **csv_files(pack)}
    with output_directory(out_dir) as folder:
        with Outputs(inputs={"PLAN": plan_file}) as outputs:
            for name in files:
                outputs.add("--out", Path(folder) / name)
            for name, text in files.items():  # the CSVs with a BOM, as report --csv: Excel then reads accents
                outputs.write_text(Path(folder) / name, text, encoding="utf-8-sig" if name.endswith(".csv") else "utf-8")
    click.echo(printable(f"Hand-off for {idp}: {Path(out_dir) / 'README.md'} ({len(pack.groups)} group(s), "
                         f"{len(pack.teams)} team(s), {len(pack.user_names)} user(s) in user_names.csv"
                         + (f", {len(pack.not_provisioned)} person(s) the IdP must not provision in "
                            "not_provisioned.csv" if pack.not_provisioned else "") + ")"))
    if not pack.approvable:
        click.echo("DRAFT: the plan is not approvable yet: make the hand-off again from the settled plan", err=True)


# --------------------------------------------------------------------------- policy lint / test (issue 13)


@cli.group("policy")
def policy_group() -> None:
    """Check a policy file without any export (lint) or against small literal organizations (test)."""


@policy_group.command("lint")
@click.argument("policy_files", metavar="FILE...", nargs=-1, required=True, type=click.Path(dir_okay=False))
def policy_lint_command(policy_files: tuple[str, ...]) -> None:
    """Report every problem of each policy FILE as file:line:column: key: message (did you mean ...).

    Exit 0 when every file is a valid policy, 1 when one has a problem. An empty file is a problem.
    A valid file's notes (a short-form linking.scim_state_conflicts entry) are printed before its ok.
    """
    from .policy import policy_notes
    from .policy_reader import lint_policy, load_policy

    problems = 0
    for path in policy_files:
        found = lint_policy(path)
        for problem in found:
            click.echo(printable(str(problem)))
        if not found:
            for note in policy_notes(load_policy(path)):
                click.echo(printable(note))
            click.echo(printable(f"{path}: ok"))
        problems += len(found)
    if problems:
        click.echo(f"{problems} problem(s)", err=True)
        raise click.exceptions.Exit(1)


@policy_group.command("test")
@click.argument("policy_file", metavar="FILE", type=click.Path(dir_okay=False))
@click.argument("fixtures", metavar="FIXTURES...", nargs=-1, required=True, type=click.Path())
def policy_test_command(policy_file: str, fixtures: tuple[str, ...]) -> None:
    """Plan each fixture (a small literal organization, YAML; a directory: its *.yaml) under the
    policy FILE and compare with the fixture's expected decisions; PASS/FAIL per fixture.

    Exit 0 when every fixture passes, 1 when one fails, 2 when the policy or a fixture is unusable.
    """
    from .policy import PolicyError
    from .policy_reader import lint_policy, load_policy
    from .policy_fixtures import FixtureError, fixture_paths, run_fixture

    problems = lint_policy(policy_file)
    if problems:
        for problem in problems:
            click.echo(printable(str(problem)), err=True)
        raise FixtureError(f"{policy_file}: {len(problems)} policy problem(s) (`sigma-migrate policy lint`); "
                           "no fixture was run")
    policy = load_policy(policy_file)
    failed = 0
    paths = fixture_paths(fixtures)
    for path in paths:
        try:
            result = run_fixture(policy, path)
        except PolicyError as exc:
            raise FixtureError(f"{path}: the fixture contradicts the policy: {exc}") from None
        click.echo(printable(f"{'PASS' if result.passed else 'FAIL'} {result.path}: {result.name}"))
        for line in result.differences:
            click.echo(printable(f"  {line}"))
        failed += not result.passed
    click.echo(f"{len(paths) - failed} passed, {failed} failed")
    if failed:
        raise click.exceptions.Exit(1)


# --------------------------------------------------------------------------- report (issue 4)


@cli.command("report")
@click.argument("plan_file", metavar="PLAN", type=click.Path(dir_okay=False))
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False),
              help="Write the self-contained HTML report here.")
@click.option("--csv", "csv_out", type=click.Path(dir_okay=False),
              help="Also write the CSV of actions (one row per action) here.")
@click.option("--only", "only", multiple=True, metavar="SELECTOR",
              help="Add a section listing the wave `apply --only` would run (email:, group:, team:, kind:).")
@click.option("--limit", type=int, metavar="N", help="Add the section of the canary wave of the first N people.")
@click.option("--handoff", "handoff_dir", type=click.Path(file_okay=False),
              help="The IdP hand-off folder (`sigma-migrate handoff --out`) the report links to.")
def report_command(plan_file: str, out: str, csv_out: str | None, only: tuple[str, ...], limit: int | None,
                   handoff_dir: str | None) -> None:
    """Render PLAN (a plan.json) as an HTML report, and optionally a CSV of actions.

    \b
      sigma-migrate report plan.json --out report.html --only team:Finance   # with the wave's content
    """
    from .output import Outputs
    from .planfile import read_plan
    from .report import actions_csv, report_headline, stream_html

    # all or nothing: both destinations are checked first, written beside, renamed at the end
    with Outputs(inputs={"PLAN": plan_file}) as outputs:
        outputs.add("--out", out)
        if csv_out:
            outputs.add("--csv", csv_out)
        plan = read_plan(plan_file)
        _hold_until_exit(plan)
        from .selection import select, wave_marks

        wave = None
        if only or limit is not None:
            wave = select(plan, only, limit)  # a selector matching nothing refuses before anything is written
        link = None
        if handoff_dir:
            import os
            from pathlib import Path

            readme = Path(handoff_dir) / "README.md"
            if not readme.is_file():
                raise UserError(f"--handoff {handoff_dir}: no README.md (write it with `sigma-migrate handoff`)")
            link = Path(os.path.relpath(readme.resolve(), Path(out).resolve().parent)).as_posix()
        with outputs.open(out) as fh:
            stream_html(plan, fh, wave=wave, handoff=link)
        if csv_out:
            marks = None if wave is None else wave_marks(wave)
            outputs.write_text(csv_out, actions_csv(plan, marks), encoding="utf-8-sig")  # BOM: Excel reads accents
    click.echo(printable(f"Report: {out}"))
    if csv_out:
        click.echo(printable(f"Actions CSV: {csv_out}" + ("" if wave is None else
                                                          f" (every action of the plan; the wave's "
                                                          f"{len(wave.action_ids)} marked in column wave)")))
    click.echo(printable(report_headline(plan)))


# --------------------------------------------------------------------------- approve / apply / demo (issue 6)


class OneLine(click.ParamType):
    """A text value of one line: the characters :func:`planner.terminal.printable` escapes (control
    characters, line/paragraph separators, bidirectional formatting) are refused, so a recorded name
    cannot fake more lines or reorder what a terminal shows."""

    name = "text"

    def convert(self, value, param, ctx):  # noqa: ANN001 (click's signature)
        found = first_unprintable(str(value))
        if found is not None:
            i, ch = found
            self.fail(f"contains the control character U+{ord(ch):04X} at position {i + 1}; give one line",
                      param, ctx)
        return str(value)


@cli.command("approve")
@click.argument("plan_file", metavar="PLAN", type=click.Path(dir_okay=False))
@click.option("--by", "by", default=None, type=OneLine(),
              help="Who approves the plan (name or email), recorded with its digest; default "
                   "$SIGMA_MIGRATE_APPROVER, else the OS user.")
@click.option("--rest-base-url", help="The REST API host the plan is approved for (else the policy's targets).")
@click.option("--scim-base-url", help="The SCIM Directory Base URL the plan is approved for (else the policy's targets).")
@click.option("--force", is_flag=True, help="Approve a plan that was already applied (the earlier approvals are kept).")
def approve_command(plan_file: str, by: str | None, rest_base_url: str | None, scim_base_url: str | None,
                    force: bool) -> None:
    """Record that PLAN was reviewed and approved for its organization (writes PLAN.approval beside it;
    earlier approvals are kept in its history)."""
    from .execute.approve import approval_path, approve

    approval = approve(plan_file, by, rest_base_url=rest_base_url, scim_base_url=scim_base_url, force=force)
    click.echo(f"Approved plan {approval.digest} by {approval.approver} at {approval.approved_at}")
    click.echo(f"Approval: {approval_path(plan_file)}")
    if approval.target is not None:
        hosts = ", ".join(u for u in (approval.target.rest_base_url, approval.target.scim_base_url) if u)
        click.echo(printable(f"For organization {approval.target.organization_id or '(none recorded)'}"
                             f"{' at ' + hosts if hosts else ''}"))


@cli.command("apply")
@click.argument("plan_file", metavar="PLAN", type=click.Path(dir_okay=False))
@click.option("--auto-approve", is_flag=True, help="Apply without an approval file (CI); the summary is still shown.")
@click.option("--dry-run", "dry_run_only", is_flag=True, help="Print the write requests in order (tokens redacted); send and write nothing.")
@click.option("--resume", is_flag=True,
              help="Continue an unfinished apply from its journal, given the same --only/--limit it had.")
@click.option("--parallelism", type=click.IntRange(1, 64), default=4, show_default=True,
              help="Actions in flight at once (independent actions only).")
@click.option("--json", "as_json", is_flag=True, help="Print the result summary as JSON on stdout.")
@click.option("--rest-base-url", help="Sigma REST API host, e.g. https://api.sigmacomputing.com (else the policy's targets).")
@click.option("--scim-base-url", help="Sigma SCIM Directory Base URL (else the policy's targets).")
@click.option("--backoff-base", type=click.FloatRange(0), default=0.5, show_default=True,
              help="Seconds; retry n waits about base * 2^(n-1), with jitter.")
@click.option("--backoff-cap", type=click.FloatRange(0), default=30.0, show_default=True,
              help="Seconds; the longest wait between retries (Retry-After is honoured up to 300 s).")
@click.option("--max-attempts", type=click.IntRange(1, 50), default=8, show_default=True,
              help="Tries per request on 429, 5xx and network errors.")
@click.option("--max-rate", type=click.FloatRange(min=0, min_open=True),
              help="At most this many requests per second to each API (default: no cap; Sigma publishes none).")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=30.0, show_default=True,
              help="Seconds to wait for each part of Sigma's answer; longer is a network error, retried up to "
              "--max-attempts (a whole request may take the longer of this and 120 s).")
@click.option("--only", "only", multiple=True, metavar="SELECTOR",
              help="Apply one wave: email:ADDRESS, group:NAME, team:NAME, kind:KIND (repeatable; dependencies "
              "are pulled in; `show --only` previews it).")
@click.option("--limit", type=int, metavar="N", help="Apply a canary wave: N people of the plan (or of --only), those who keep access first.")
@click.option("--verbose", "-v", is_flag=True,
              help="One line per finished action, also on a terminal (default there: a progress bar with "
              "counts and ETA; elsewhere always one line per action).")
def apply_command(
    plan_file: str, auto_approve: bool, dry_run_only: bool, resume: bool, parallelism: int, as_json: bool,
    rest_base_url: str | None, scim_base_url: str | None, backoff_base: float, backoff_cap: float,
    max_attempts: int, max_rate: float | None, timeout: float, only: tuple[str, ...], limit: int | None,
    verbose: bool,
) -> None:
    """Apply the approved PLAN to Sigma (REST v2 + SCIM 2.0), journaled and resumable.

    Credentials come from SIGMA_CLIENT_ID / SIGMA_CLIENT_SECRET (REST) and
    SIGMA_SCIM_TOKEN (SCIM). Exit status: 0 converged, 3 ran but did not
    converge (see the result file), 4 every action done but objects could not be
    read to verify them (run verify later), 5 Sigma refused actions for good and nothing
    else is left (fetch, plan again with --applied), 1 refused (nothing written), 130
    interrupted (Ctrl-C or SIGTERM; a second one stops at once, --resume continues).
    The journal is PLAN.journal.sqlite beside the plan; which journal each plan's runs
    wrote to is also kept by digest in SIGMA_MIGRATE_STATE_DIR (default
    ~/.local/state/sigma-migrate), so a copy of an applied plan is refused.

    \b
    Waves (the approval covers the whole plan; the journal records each wave):
      sigma-migrate apply plan.json --limit 15                 # a canary of 15 people
      sigma-migrate apply plan.json --only group:Finance       # the next wave
      sigma-migrate apply plan.json                            # the rest
    """
    import json as _json

    from .execute.apply import ApplyOptions, apply_plan, dry_run, outcome_lines
    from .execute.progress import make_progress
    from .execute.retry import RetryPolicy
    from .httpio import DEFAULT_DEADLINE

    options = ApplyOptions(
        auto_approve=auto_approve, resume=resume, parallelism=parallelism,
        rest_base_url=rest_base_url, scim_base_url=scim_base_url,
        retry=RetryPolicy(max_attempts=max_attempts, backoff_base=backoff_base, backoff_cap=backoff_cap),
        max_rate=max_rate, only=only, limit=limit, timeout=timeout, deadline=max(DEFAULT_DEADLINE, timeout),
    )
    if dry_run_only:
        shown = dry_run(plan_file, options)
        for line in shown.lines:
            click.echo(printable_lines(line))  # request bodies are indented JSON: keep our line breaks
        raise click.exceptions.Exit(shown.exit_code)  # 1: apply would refuse this plan (docs/apply.md)
    report = apply_plan(plan_file, options, progress=make_progress(verbose=verbose),
                        echo=lambda line: click.echo(printable(line), err=as_json))
    if as_json:
        click.echo(printable_json(_json.dumps(report.summary_dict(), indent=2, sort_keys=True)))
    else:
        for line in outcome_lines(report):
            click.echo(printable(line))
    raise click.exceptions.Exit(report.exit_code)


@cli.command("verify")
@click.argument("plan_file", metavar="PLAN", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print every object's state as JSON on stdout.")
@click.option("--rest-base-url", help="Sigma REST API host (else the policy's targets).")
@click.option("--scim-base-url", help="Sigma SCIM Directory Base URL (else the policy's targets).")
@click.option("--parallelism", type=click.IntRange(1, 64), default=4, show_default=True, help="Reads in flight at once.")
def verify_command(plan_file: str, as_json: bool, rest_base_url: str | None, scim_base_url: str | None,
                   parallelism: int) -> None:
    """Read Sigma live and say, object by object, whether it is still as the applied PLAN left it.

    Read-only, any time after apply (credentials as for apply). Checks the actions the journal
    beside PLAN records as done (each wave gets a status); every action without a journal.
    Exit status: 0 converged (every action of the plan applied and as planned), 2 drifted or
    missing objects or failed actions, 3 the last run was interrupted or killed before it
    finished (apply --resume finishes it), 4 objects could not be read (nothing read differs),
    6 the objects the applied actions touch converged and actions of the plan are not applied
    yet (a wave: apply the rest or the next wave), 1 refused.

    \b
      sigma-migrate verify plan.json
      sigma-migrate verify plan.json --json | jq '.objects[] | select(.state != "converged")'
    """
    import json as _json

    from .execute.apply import ApplyOptions
    from .execute.verify_plan import verify_lines, verify_plan

    def echo(line: str) -> None:
        click.echo(printable(line), err=as_json)

    found = verify_plan(plan_file, ApplyOptions(rest_base_url=rest_base_url, scim_base_url=scim_base_url,
                                                parallelism=parallelism), echo=echo)
    if as_json:
        click.echo(printable_json(_json.dumps(found.to_dict(), indent=2, sort_keys=True)))
    else:
        for line in verify_lines(found):
            click.echo(printable(line))
    raise click.exceptions.Exit(found.exit_code)


@cli.command("undo")
@click.argument("journal_file", metavar="JOURNAL", type=click.Path(dir_okay=False))
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="Write the undo plan JSON here.")
@click.option("--plan", "plan_file", type=click.Path(dir_okay=False),
              help="The plan the journal applied (default: the journal's name without .journal.sqlite).")
@click.option("--rest-base-url", help="Sigma REST API host (else the policy's targets, else the approval's).")
@click.option("--scim-base-url", help="Sigma SCIM Directory Base URL (else the policy's targets, else the approval's).")
def undo_command(journal_file: str, out: str, plan_file: str | None, rest_base_url: str | None,
                 scim_base_url: str | None) -> None:
    """Build a reverse plan from an apply JOURNAL's before-images (what Sigma lets one reverse).

    The undo plan is a normal plan: review it with `show`, approve, apply (stale-checked against
    the state the apply left), verify. What cannot be reversed is listed, with why. With a target
    (flags, the policy's targets or the approval's), Sigma is read now (credentials as for apply):
    a reversal of an object changed since the apply is left out, listed as undo.drifted.

    \b
      sigma-migrate undo plan.json.journal.sqlite --out undo-plan.json
      sigma-migrate show undo-plan.json && sigma-migrate approve undo-plan.json --by "Ada Admin"
    """
    from .execute.undo import build_undo_plan, live_changes, undo_target
    from .output import Outputs
    from .planfile import dump_plan

    options = undo_target(journal_file, plan_file, rest_base_url, scim_base_url)
    with Outputs(inputs={"JOURNAL": journal_file, "--plan": plan_file}) as outputs:
        outputs.add("--out", out)
        undo = build_undo_plan(journal_file, plan_file,
                               changed_since=live_changes(options) if options is not None else None)
        with outputs.open(out) as fh:
            digest = dump_plan(undo, fh)
    click.echo(printable(undo.summary.text))
    if options is None:
        click.echo("Not compared with Sigma now (no target: pass --rest-base-url and --scim-base-url): "
                   "apply refuses it as stale if an object changed since the apply")
    for item in undo.review_items:
        if item.code == "undo.scim_token":  # what it could not do without SCIM, before the rest
            click.echo(printable(item.message))
    for item in undo.review_items[:20]:
        click.echo(printable(f"  {item.message}"))
    if len(undo.review_items) > 20:
        click.echo(f"  ... and {len(undo.review_items) - 20} more (`sigma-migrate show {out}` lists them all)")
    click.echo(f"Undo plan written to {out} ({digest}); review it with `sigma-migrate show {out}`")


@cli.command("demo")
@click.option("--workdir", type=click.Path(file_okay=False),
              help="Where to write plan, report and results (default: a new temporary folder). A folder that "
                   "already holds the demo's files (plan.json, report.html, export/, ...) is refused unless "
                   "--overwrite.")
@click.option("--overwrite", is_flag=True,
              help="Replace the demo's files already in --workdir (an earlier run's plan, report, approval, "
                   "journal and results); other files are left alone.")
def demo_command(workdir: str | None, overwrite: bool) -> None:
    """Plan the bundled sample organization, approve, apply to an in-process sandbox, verify."""
    from .demo import run_demo
    from .output import output_directory

    def echo(line: str) -> None:
        click.echo(printable(line))

    if workdir is None:
        raise click.exceptions.Exit(run_demo(None, echo=echo))
    with output_directory(workdir):  # parent must exist; OSError naming a file -> one line
        code = run_demo(workdir, echo=echo, overwrite=overwrite)
    raise click.exceptions.Exit(code)


# --------------------------------------------------------------------------- sandbox serve / fetch (issue 5)


@cli.group("sandbox")
def sandbox_group() -> None:
    """The local Sigma emulator (REST v2 + SCIM 2.0) for rehearsals and tests."""


@sandbox_group.command("serve")
@click.option("--seed", "seed_dir", type=click.Path(file_okay=False),
              help="Sigma export directory to seed from (default: the bundled samples/acme/sigma).")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="Port on 127.0.0.1 (0 = a free one).")
@click.option("--faults", default="", help="e.g. 'rate=5,error_ratio=0.2,latency_ms=50,page_cap=10,seed=7'.")
@click.option("--client-id", help="REST client id to accept (default: generated).")
@click.option("--client-secret", help="REST client secret to accept (default: generated).")
@click.option("--scim-token", help="SCIM bearer token to accept (default: generated).")
@click.option("--credential-owner", metavar="EMAIL",
              help="Email of the active member the REST credentials belong to (GET /v2/whoami names them); "
                   "give the policy's organization.api_credential_owner, or apply refuses its plans "
                   "(default: the first active Admin member).")
@click.option("--scim-admin", metavar="EMAIL",
              help="Email of the active Admin member who set SCIM up and holds the SCIM token (it dies when they "
                   "are archived, inactive or no longer Admin; SCIM deactivations hand documents to them); give "
                   "the policy's organization.scim_setup_admin (default: the first active Admin member).")
@click.option("--token-lifetime", type=click.IntRange(1), default=3600, show_default=True,
              help="REST access-token lifetime, seconds.")
@click.option("--db", "db_path", type=click.Path(dir_okay=False), default=":memory:",
              help="SQLite file for the state (default: in memory). A file a sandbox left is reopened as it was, "
                   "--seed not loaded (a seed fills only a new database): restart on it to change --faults or "
                   "--scim-token; delete it to start again from the seed.")
def sandbox_serve_command(seed_dir: str | None, port: int, faults: str, client_id: str | None,
                          client_secret: str | None, scim_token: str | None, credential_owner: str | None,
                          scim_admin: str | None, token_lifetime: int, db_path: str) -> None:
    """Serve a seeded Sigma sandbox on 127.0.0.1 until Ctrl-C."""
    import contextlib
    import errno
    import io
    import sqlite3
    from pathlib import Path

    from .output import check_output_file
    from .sandbox.server import SandboxServer, banner, default_seed_dir, reopened_line

    new_db = db_path != ":memory:" and not Path(db_path).exists()
    if db_path != ":memory:":
        check_output_file(db_path, inputs={"--seed": seed_dir})
    try:
        server = SandboxServer(
            seed_dir or default_seed_dir(), port=port, faults=faults or None, client_id=client_id,
            client_secret=client_secret, scim_token=scim_token, credential_owner=credential_owner,
            scim_admin=scim_admin, token_lifetime=token_lifetime, db_path=db_path,
        )
        stderr = io.StringIO()  # Werkzeug prints its bind errors and calls sys.exit(1)
        try:
            with contextlib.redirect_stderr(stderr):
                server.start()
        except (OSError, SystemExit) as exc:
            server.close()
            said = stderr.getvalue().strip().splitlines()
            if getattr(exc, "errno", None) == errno.EADDRINUSE or any("in use" in line for line in said):
                raise UserError(f"port {port} is in use") from None
            reason = getattr(exc, "strerror", None) or (said[0] if said else str(exc))
            raise UserError(f"cannot listen on 127.0.0.1:{port}: {reason}") from None
    except BaseException as exc:
        if new_db:  # leave nothing behind: the database this command created
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(db_path + suffix).unlink(missing_ok=True)
        if isinstance(exc, sqlite3.Error):
            raise UserError(f"cannot use --db {db_path}: {exc}") from None
        raise
    try:  # a Ctrl-C while the banner prints stops the sandbox the same way (was: exit 130)
        if server.reopened:
            click.echo(reopened_line(db_path, seed_dir))
        for line in banner(server):
            click.echo(line)
        server.serve_until_interrupted()
    except KeyboardInterrupt:
        click.echo("sandbox stopped", err=True)
    finally:
        server.close()


@sandbox_group.command("okta")
@click.option("--seed", "seed_dir", type=click.Path(file_okay=False),
              help="Okta export folder to serve (default: the bundled samples/acme/okta).")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="Port on 127.0.0.1 (0 = a free one).")
@click.option("--token", help="API token to accept (default: generated).")
def sandbox_okta_command(seed_dir: str | None, port: int, token: str | None) -> None:
    """Serve a local Okta API emulator on 127.0.0.1 (to rehearse `fetch-idp okta`) until Ctrl-C."""
    import threading

    from .resources import data_dir
    from .sandbox.idp.okta import OktaEmulator, load_seed, okta_banner
    from .sandbox.server import interrupt_on_signals

    interrupt_on_signals()  # stops on SIGTERM, and on SIGINT even as a background job (was: SIGINT ignored there)
    seed = load_seed(seed_dir or data_dir("samples") / "acme" / "okta")
    emulator = OktaEmulator(seed, token=token, port=port)
    try:
        emulator.start()
    except OSError as exc:
        raise UserError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}") from None
    try:
        for line in okta_banner(emulator):
            click.echo(line)
        threading.Event().wait()
    except KeyboardInterrupt:
        click.echo("Okta emulator stopped", err=True)
    finally:
        emulator.stop()


@cli.command("fetch")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Directory to write the Sigma export into.")
@click.option("--base-url", help="Sigma REST API base URL (https; http only for 127.0.0.1 / localhost).")
@click.option("--region", help="Region name instead of --base-url: gcp-us, aws-us-west, aws-eu, azure-us, ...")
@click.option("--scim-base-url", envvar="SIGMA_SCIM_BASE_URL",
              help="SCIM Directory Base URL Sigma showed (env SIGMA_SCIM_BASE_URL; else the --policy's "
                   "targets.scim_base_url; {base-url}/scim/v2, the sandbox's, on a loopback host only).")
@click.option("--force", is_flag=True, help="Write into a directory that already holds files.")
@click.option("--progress/--no-progress", default=None, help="Progress bars on stderr (default: when a terminal).")
@click.option("--policy", "policy_path", type=click.Path(dir_okay=False),
              help="The policy: with preflight.previous_scim: same_setup or targets.scim_base_url set, SIGMA_SCIM_TOKEN "
                   "is required; previous_scim: removed_by_support explains members SCIM made inactive.")
@click.option("--no-scim-state", is_flag=True,
              help="Fetch without Sigma's SCIM state although the policy, --scim-base-url or the members say SCIM "
                   "is on, SIGMA_SCIM_TOKEN set or not (recorded in fetch-manifest.json; a plan whose policy says "
                   "SCIM is on is then held).")
def fetch_command(out_dir: str, base_url: str | None, region: str | None, scim_base_url: str | None,
                  force: bool, progress: bool | None, policy_path: str | None, no_scim_state: bool) -> None:
    """Pull a complete Sigma export (members, teams, team members, account types, SCIM) into --out.

    Credentials come from SIGMA_CLIENT_ID and SIGMA_CLIENT_SECRET; with SIGMA_SCIM_TOKEN
    the SCIM Users and Groups are fetched into OUT/scim/ too. Nothing in a member export
    marks a member as SCIM-managed, so when SCIM is on (--policy with preflight.previous_scim:
    same_setup or targets.scim_base_url, --scim-base-url, or members only SCIM makes inactive
    that the policy's previous_scim: removed_by_support does not explain) fetch refuses without
    SIGMA_SCIM_TOKEN unless --no-scim-state. --no-scim-state leaves the SCIM state out even when
    SIGMA_SCIM_TOKEN is set. OUT/fetch-manifest.json records which it was.
    """
    import os
    from pathlib import Path

    from .credentials import read_credential
    from .fetch import ScimStateRule, check_base_url, fetch_export, region_base_url

    if bool(base_url) == bool(region):
        raise UserError("fetch needs exactly one of --base-url or --region")
    url = check_base_url(base_url) if base_url else region_base_url(region or "")
    # a pasted character no credential holds is one line here, before any request (planner.credentials)
    client_id, client_secret, scim_token = (read_credential(os.environ, name) for name in
                                            ("SIGMA_CLIENT_ID", "SIGMA_CLIENT_SECRET", "SIGMA_SCIM_TOKEN"))
    if not client_id or not client_secret:
        raise UserError("fetch needs SIGMA_CLIENT_ID and SIGMA_CLIENT_SECRET in the environment")
    if no_scim_state:  # left out on purpose: a SIGMA_SCIM_TOKEN in the environment is not used (tester17 #7)
        scim_token = None
    rule = ScimStateRule(scim_base_url=scim_base_url, left_out=no_scim_state)
    if policy_path is not None:
        from .policy_reader import load_policy

        policy = load_policy(policy_path)
        rule = ScimStateRule(policy_path, policy.preflight.previous_scim, policy.targets.scim_base_url,
                             scim_base_url, no_scim_state)
        scim_base_url = scim_base_url or policy.targets.scim_base_url or None  # the flag, else the policy's
    refusal = rule.refusal() if scim_token is None else None  # what the policy and flags say: before any request
    if refusal is not None:
        raise UserError(refusal)
    out = Path(out_dir)
    if out.is_dir() and any(out.iterdir()) and not force:
        raise UserError(f"{out}: directory is not empty (use --force to overwrite the export files)")
    from .output import output_directory

    with output_directory(out):  # parent must exist; OSError naming a file -> one line
        summary = fetch_export(
            out, base_url=url, client_id=client_id, client_secret=client_secret,
            scim_token=scim_token, scim_base_url=scim_base_url, scim_state=rule,
            progress=sys.stderr.isatty() if progress is None else progress,
            note=lambda line: click.echo(printable(line), err=True),
        )
    left = {"left_out": " (without Sigma's SCIM state: --no-scim-state)",
            "not_read": " (without Sigma's SCIM state: no SIGMA_SCIM_TOKEN)"}.get(summary.scim_state, "")
    click.echo(printable(
        f"fetched {summary.members} members ({summary.archived} archived, {summary.inactive} inactive), "
        f"{summary.teams} teams, {summary.memberships} team memberships, {summary.account_types} account types"
        + (f", {summary.scim_users} SCIM users, {summary.scim_groups} SCIM groups"
           if summary.scim_users is not None else "")
        + f" into {out}{left}"
    ))


ERROR_MESSAGE_LIMIT = 1000
"""Characters of an error message at most (a 1 MB header echoed by a server is cut)."""


@cli.command("fetch-idp")
@click.argument("idp", type=click.Choice(["okta", "entra", "google"]))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Directory to write the IdP export into (the layout `check --idp` reads).")
@click.option("--base-url", help="API host: the Okta org URL (else OKTA_ORG_URL); Graph or Google API host "
              "(default https://graph.microsoft.com / https://admin.googleapis.com). https; http only for loopback.")
@click.option("--login-url", help="Entra sign-in host (default https://login.microsoftonline.com).")
@click.option("--force", is_flag=True, help="Replace the export files of an earlier pull in --out.")
def fetch_idp_command(idp: str, out_dir: str, base_url: str | None, login_url: str | None, force: bool) -> None:
    """Pull every user (all statuses), group and group member of an IdP into --out.

    Credentials from the environment only: Okta OKTA_API_TOKEN; Entra ENTRA_TENANT_ID,
    ENTRA_CLIENT_ID, ENTRA_CLIENT_SECRET; Google GOOGLE_APPLICATION_CREDENTIALS (service
    account key file) and GOOGLE_ADMIN_EMAIL. A listing that ends early writes nothing.
    """
    import os
    from pathlib import Path

    from .idp import check_out_dir, pull_idp, write_pull
    from .output import output_directory

    out = Path(out_dir)
    check_out_dir(out, force)
    with output_directory(out):  # parent must exist; removed again if the pull fails
        result = pull_idp(idp, os.environ, base_url=base_url, login_url=login_url,
                          note=lambda line: click.echo(printable(line), err=True))
        write_pull(result, out)
    c = result.counts
    click.echo(f"fetched {c.users} {idp} users ({c.inactive} inactive"
               + (f", {c.guests} guests" if idp == "entra" else "")
               + f"), {c.groups} groups, {c.memberships} group memberships into {out}")


def _one_line(text: str) -> str:
    """An error message as printed: secrets redacted (:func:`planner.redaction.default_redactor`),
    on one line, at most :data:`ERROR_MESSAGE_LIMIT` characters, made printable
    (:func:`planner.terminal.printable`)."""
    from .redaction import clip, default_redactor

    return printable(clip(default_redactor()(str(text)), ERROR_MESSAGE_LIMIT))


def _hold_until_exit(*objects: object) -> None:
    """Keep ``objects`` (a plan and its snapshot: millions of objects at 100k members) until the
    process ends, when the command runs under :func:`entry`: it then exits without freeing them one
    by one (:func:`planner.held.hold`). In-process callers of :func:`main` (tests) keep nothing: the
    objects are freed as usual."""
    held.hold(*objects)


def entry(argv: list[str] | None = None) -> None:
    """The real entry point (the ``sigma-migrate`` console script, ``python -m planner``): :func:`main`,
    then, when the command held its plan (:func:`_hold_until_exit`: ``plan``, ``report``, ``show``; or
    :func:`planner.planning.build_plan` its working records: :mod:`planner.held`),
    the end of the process without freeing it (:func:`_exit_now`; freeing a 100k-member plan object
    by object costs about 0.3 s of CPU, and the operating system takes the memory back whole). Same exit statuses and
    output as :func:`main`; never for in-process callers (click's ``CliRunner``, tests), which call
    :func:`main`. Its stdout goes on when the reader of the pipe leaves (``| head -1``): the command finishes and
    exits with its own status (:func:`planner.terminal.stdout_reader_may_leave`).
    """
    held.start()
    _escape_unencodable_output()
    sys.stdout = stdout_reader_may_leave(sys.stdout)
    try:
        main(argv)
        code: object = 0
    except SystemExit as exc:
        code = exc.code
        if not (held.holding() and (code is None or isinstance(code, int))):
            raise
    if held.holding():
        _exit_now(code or 0)


def _escape_unencodable_output() -> None:
    """Make stdout and stderr write a character their encoding lacks as a backslash escape (``\\u0430``)
    instead of raising :class:`UnicodeEncodeError` mid-output: a redirect on Windows (the ANSI code
    page), ``LANG=C`` or ``PYTHONIOENCODING=latin-1`` cannot encode a Cyrillic userName or the tool's
    own ``§``. The encoding stays the one the environment chose (a review file stays readable there);
    an escape also shows a look-alike letter for what it is. Streams that are not text files with
    ``reconfigure`` (a test's capture) are left alone."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors="backslashreplace")
            except (ValueError, OSError):  # a closed or detached stream: nothing to write to anyway
                pass


def _exit_now(code: int) -> None:
    """End the process with status ``code`` as the interpreter would at exit, without freeing its
    objects: the ``atexit`` functions run (planner registers none; ``logging`` and a caller may),
    then stdout and stderr are flushed, then :func:`os._exit` (as mypy ends its runs). Every output
    file is closed by then (:class:`planner.output.Outputs`). A flush that fails (a reader that left
    the pipe) falls back to the usual exit, which reports it as before."""
    import atexit
    import os

    atexit._run_exitfuncs()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:
        sys.exit(code)
    os._exit(code)


USAGE_ERROR_EXIT = 1
"""The exit status of a usage error (click's :class:`click.UsageError`: an unknown option, a missing argument or
option, an invalid value), whatever the command: 1, an error, as every other refusal (click's own 2 is ``verify``'s
drift, ``diff``'s "the plans differ" and ``plan --detailed-exitcode``'s "changes ready"; tester14b #2)."""


def main(argv: list[str] | None = None) -> None:
    """Run :func:`cli` on ``argv`` (default: the command line); every error is ONE line on stderr.
    The console script calls it through :func:`entry`.

    Exit status: the command's own (0; ``plan --detailed-exitcode`` 2 for changes ready to
    approve, 3 for changes blocked by review items; ``diff`` 2 when the plans differ;
    ``apply`` 3 when not converged; ``verify`` 2 for drift); 1 for a :class:`UserError`, another click
    error and a usage error (an unknown option, a missing argument: :data:`USAGE_ERROR_EXIT`, one mapping for every
    command, since ``plan --detailed-exitcode``, ``diff``, ``apply`` and ``verify`` give 2 and 3 a meaning; was 2
    but for those two, so a mistyped ``verify`` flag read as drift, tester14b #2); 130 on Ctrl-C. No arguments (or a group without its subcommand) print the help, exit 0.
    Errors print ``sigma-migrate: error: <message>``; usage errors add
    ``(see 'sigma-migrate <command> --help')``. Unexpected exceptions (bugs) keep their traceback.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        try:
            # make_context + invoke rather than cli.main(): click's main prints a blank line on Ctrl-C
            with cli.make_context("sigma-migrate", args) as ctx:
                code = cli.invoke(ctx)
        except click.exceptions.Exit as exc:  # --help, --version, commands' exit statuses
            code = exc.exit_code
    except UserError as exc:
        click.echo(f"sigma-migrate: error: {_one_line(str(exc))}", err=True)
        sys.exit(exc.exit_code)
    except getattr(click.exceptions, "NoArgsIsHelpError", ()) as exc:  # `sigma-migrate`, `sigma-migrate sandbox`
        click.echo(exc.ctx.get_help())
        sys.exit(0)
    except click.UsageError as exc:
        command = exc.ctx.command_path if exc.ctx is not None else "sigma-migrate"
        message = _one_line(exc.format_message()).strip().rstrip(".")
        click.echo(f"sigma-migrate: error: {message} (see '{command} --help')", err=True)
        sys.exit(USAGE_ERROR_EXIT)
    except click.ClickException as exc:
        click.echo(f"sigma-migrate: error: {_one_line(exc.format_message())}", err=True)
        sys.exit(exc.exit_code)
    except (KeyboardInterrupt, click.exceptions.Abort):
        click.echo("sigma-migrate: interrupted", err=True)
        sys.exit(130)
    except BrokenPipeError:  # `sigma-migrate show plan.json | head`: the reader left; say nothing more
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    if isinstance(code, int) and code:
        sys.exit(code)
