"""`sunshine db copy --to URL`: move an installation (the SQLite file of --db) to PostgreSQL.

The work is in adapters/sql/copy.py (one target transaction, verified before it commits);
this verb only names the two databases and prints the report. SQLAlchemy and Alembic are
imported inside the verb, so that `--help` stays fast (see common.py).
"""

from __future__ import annotations

import click

from adapters.cli.admin import db
from adapters.cli.common import Ctx, pass_ctx


@db.command("copy")
@click.option("--to", "target", required=True, metavar="URL",
              help="The empty PostgreSQL database to fill, postgresql://USER:PASSWORD@HOST:5432/DBNAME.")
@pass_ctx
def db_copy(ctx: Ctx, target: str) -> None:
    """Copy every case, event and chain of the --db installation into an empty PostgreSQL
    database (schema created there), verify it, then commit; any error or difference leaves
    the target as it was. Stop the worker first (docs/operations.md)."""
    from adapters.config import load_settings
    from adapters.sql import pii
    from adapters.sql.copy import copy_database

    settings = load_settings(db=ctx.db)
    report = copy_database(settings.database_url, target, progress=click.echo,
                           data_key=pii.from_settings(settings))
    click.echo(f"verified: {report.cases:,} cases, {report.events:,} events, every chain intact; "
               f"row counts and checksums equal in all {len(report.tables)} tables")
    click.echo(f"committed in {report.seconds:.1f} s: {sum(n for _, n in report.tables):,} rows "
               f"in {report.target}")
    click.echo("next: point SUNSHINE_DATABASE_URL (or --db) at it and start the worker again")
