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
