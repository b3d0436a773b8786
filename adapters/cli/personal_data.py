"""`sunshine data-key …`: the operator's key for personal data at rest (adapters/sql/pii.py);
`sunshine data retention`: personal data kept only as long as the retention says."""

from __future__ import annotations

import click

from adapters.cli.common import Ctx, cli, pass_ctx

# SQLAlchemy, cryptography and the engine are imported inside the verbs (see common.py).


@cli.group("data-key")
def data_key() -> None:
    """The data key that seals ID numbers, phones, e-mail and postal addresses in the database."""


@data_key.command("generate")
@click.option("--out", required=True, type=click.Path(dir_okay=False),
              help="The new key file (never overwritten; mode 0600). Keep a copy apart from the "
                   "database backups.")
def generate(out: str) -> None:
    """Make a new data key file; point SUNSHINE_DATA_KEY at it."""
    from adapters.sql import pii

    key = pii.generate(out)
    click.echo(f"数据密钥已生成 data key {key.kid} written to {out} (mode 0600): set "
               f"SUNSHINE_DATA_KEY={out} and back the file up apart from the database — without it "
               f"the sealed personal data cannot be read")


@data_key.command("encrypt-existing")
@click.option("--batch", type=click.IntRange(1, 100_000), default=500, show_default=True,
              help="Rows per transaction.")
@pass_ctx
def encrypt_existing(ctx: Ctx, batch: int) -> None:
    """Seal the personal data of rows written before the key was configured (stop the web and
    the worker first; resumable: run it again after an interruption)."""
    from adapters.config import load_settings
    from adapters.sql import pii
    from adapters.sql.pii_rewrite import encrypt_existing as run

    key = pii.load(load_settings(db=ctx.db).data_key)
    done = run(ctx.env.engine, key, batch=batch)  # type: ignore[attr-defined]
    tables = ", ".join(f"{name} {n}" for name, n in done.rows.items())
    click.echo(f"已加密 sealed with data key {key.kid if key else '-'}: {done.total} row(s) "
               f"({tables}); every other row was sealed already")
