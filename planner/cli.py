"""The ``sigma-migrate`` command line: click commands that parse, call the pipeline, and print.

No decision logic lives here (style.md "Habits"): each command calls one
function of the stage module it fronts. Every :class:`planner.errors.UserError`
becomes ``sigma-migrate: error: <one line>`` on stderr and a non-zero exit.
"""

from __future__ import annotations

import sys

import click

from . import __version__
from .errors import UserError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sigma-migrate")
def cli() -> None:
    """Plan and apply the move of a Sigma organization to SCIM provisioning.

    Typical flow: check -> plan -> show / report -> approve -> apply.
    """


# --------------------------------------------------------------------------- report (issue 4)


@cli.command("report")
@click.argument("plan_file", metavar="PLAN", type=click.Path(dir_okay=False))
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False),
              help="Write the self-contained HTML report here.")
@click.option("--csv", "csv_out", type=click.Path(dir_okay=False),
              help="Also write the CSV of actions (one row per action) here.")
def report_command(plan_file: str, out: str, csv_out: str | None) -> None:
    """Render PLAN (a plan.json) as an HTML report, and optionally a CSV of actions."""
    from .planfile import read_plan
    from .report import report_headline, write_actions_csv, write_html

    plan = read_plan(plan_file)
    click.echo(f"Report: {write_html(plan, out)}")
    if csv_out:
        click.echo(f"Actions CSV: {write_actions_csv(plan, csv_out)}")
    click.echo(report_headline(plan))


# --------------------------------------------------------------------------- approve / apply / demo (issue 6)


@cli.command("approve")
@click.argument("plan_file", metavar="PLAN", type=click.Path(dir_okay=False))
@click.option("--by", "by", required=True, help="Who approves the plan (name or email), recorded with its digest.")
def approve_command(plan_file: str, by: str) -> None:
    """Record that PLAN was reviewed and approved (writes PLAN.approval beside it)."""
    from .execute.approve import approval_path, approve

    approval = approve(plan_file, by)
    click.echo(f"Approved plan {approval.digest} by {approval.approver} at {approval.approved_at}")
    click.echo(f"Approval: {approval_path(plan_file)}")


@cli.command("apply")
@click.argument("plan_file", metavar="PLAN", type=click.Path(dir_okay=False))
@click.option("--auto-approve", is_flag=True, help="Apply without an approval file (CI); the summary is still shown.")
@click.option("--dry-run", is_flag=True, help="Print the write requests in order (tokens redacted); send and write nothing.")
@click.option("--resume", is_flag=True, help="Continue an interrupted apply from its journal.")
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
def apply_command(
    plan_file: str, auto_approve: bool, dry_run: bool, resume: bool, parallelism: int, as_json: bool,
    rest_base_url: str | None, scim_base_url: str | None, backoff_base: float, backoff_cap: float,
    max_attempts: int,
) -> None:
    """Apply the approved PLAN to Sigma (REST v2 + SCIM 2.0), journaled and resumable.

    Credentials come from SIGMA_CLIENT_ID / SIGMA_CLIENT_SECRET (REST) and
    SIGMA_SCIM_TOKEN (SCIM). Exit status: 0 converged, 3 ran but did not
    converge (see the result file), 1 refused (nothing written).
    """
    import json as _json

    from .execute.apply import ApplyOptions, apply_plan, dry_run_lines, outcome_lines
    from .execute.progress import make_progress
    from .execute.retry import RetryPolicy

    options = ApplyOptions(
        auto_approve=auto_approve, resume=resume, parallelism=parallelism,
        rest_base_url=rest_base_url, scim_base_url=scim_base_url,
        retry=RetryPolicy(max_attempts=max_attempts, backoff_base=backoff_base, backoff_cap=backoff_cap),
    )
    if dry_run:
        for line in dry_run_lines(plan_file, options):
            click.echo(line)
        return
    echo = (lambda line: click.echo(line, err=True)) if as_json else click.echo
    report = apply_plan(plan_file, options, progress=make_progress(), echo=echo)
    if as_json:
        click.echo(_json.dumps(report.summary_dict(), indent=2, sort_keys=True))
    else:
        for line in outcome_lines(report):
            click.echo(line)
    raise click.exceptions.Exit(report.exit_code)


@cli.command("demo")
@click.option("--workdir", type=click.Path(file_okay=False),
              help="Where to write plan, report and results (default: a new temporary folder).")
def demo_command(workdir: str | None) -> None:
    """Plan the bundled sample organization, approve, apply to an in-process sandbox, verify."""
    from .execute.demo import run_demo

    raise click.exceptions.Exit(run_demo(workdir, echo=click.echo))


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: run :func:`cli`, turning UserError into one line."""
    try:
        cli.main(args=argv, prog_name="sigma-migrate", standalone_mode=False)
    except UserError as exc:
        click.echo(f"sigma-migrate: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("sigma-migrate: aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
