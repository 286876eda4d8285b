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
