"""The `sunshine` command: thin verbs that parse input, call one service, and print the result.

Errors are translated in one place (``main``): a SunshineError prints one line and exits with
its exit code; nothing else is caught, so a bug still shows its traceback.
"""

from __future__ import annotations

import sys

import click

from adapters.cli.common import cli
from engine.errors import SunshineError

# Register the verb groups (each module adds its commands to ``cli``).
from adapters.cli import admin, cases, publishing, supervision  # noqa: E402,F401


def main(argv: list[str] | None = None) -> int:
    try:
        rv = cli.main(args=argv, prog_name="sunshine", standalone_mode=False)
    except SunshineError as err:
        click.echo(f"错误 error: {err}", err=True)
        return err.exit_code
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 1
    except click.ClickException as err:
        err.show()
        return err.exit_code
    except click.exceptions.Exit as err:
        return err.exit_code
    return rv if isinstance(rv, int) else 0


def entry() -> None:
    sys.exit(main())
