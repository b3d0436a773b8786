"""`sunshine audit`: seal the audit trail with the operator's key and check it against a seal."""

from __future__ import annotations

import click

from adapters.cli.common import Ctx, cli, echo_json, pass_ctx


@cli.group("audit")
def audit() -> None:
    """The audit trail anchored outside the database (签章): keygen, seal, verify."""


@audit.command("keygen")
@click.option("--private", "private", required=True, type=click.Path(dir_okay=False),
              help="Where to write the private key (PEM, mode 0600): keep it off the database "
                   "server's backups.")
@click.option("--public", "public", required=True, type=click.Path(dir_okay=False),
              help="Where to write the public key (base64): publish it.")
def keygen(private: str, public: str) -> None:
    """Create the Ed25519 key pair that signs the seals (once per installation)."""
    from adapters.sealing import generate_key

    key = generate_key(private, public)
    click.echo(f"签章密钥已生成 key pair written: private {private} (keep it secret and outside "
               f"the database), public {public}\n公钥 public key: {key}")


@audit.command("seal")
@click.option("--key", "key", envvar="SUNSHINE_SEAL_KEY", required=True,
              type=click.Path(dir_okay=False), help="The private key file (SUNSHINE_SEAL_KEY).")
@click.option("--out", "out", envvar="SUNSHINE_SEAL_DIR", default="seals", show_default=True,
              type=click.Path(file_okay=False), help="Directory of seal files (SUNSHINE_SEAL_DIR).")
@pass_ctx
def seal(ctx: Ctx, key: str, out: str) -> None:
    """Seal every case's chain head into one signed Merkle root and write the seal file."""
    from adapters.sealing import load_signer, write_seal
    from engine.services import anchoring

    sealed = anchoring.seal(ctx.env, load_signer(key), now=ctx.now)
    path = write_seal(sealed, out)
    click.echo(f"已签章 sealed {len(sealed.heads)} cases, {sealed.events} events; root "
               f"{sealed.root}; key {sealed.key_id}\n{path}")


@audit.command("verify")
@click.argument("numbers", nargs=-1)
@click.option("--all", "every", is_flag=True,
              help="Replay every case's trail against its rows (a page of cases at a time).")
@click.option("--against", "against", default=None, type=click.Path(dir_okay=False),
              help="A seal file (seal-….json) to check the stored trail against.")
@click.option("--public-key", "public_key", default=None, type=click.Path(dir_okay=False),
              help="The published public key; without it the key inside the seal is used, "
                   "which proves only that the file is unchanged since it was signed.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@pass_ctx
def verify(ctx: Ctx, numbers: tuple[str, ...], every: bool, against: str | None,
           public_key: str | None, as_json: bool) -> None:
    """Replay the trail against the rows supervisors read (CASE… or --all), or prove against a
    seal (--against FILE) that no sealed event was altered, removed or reordered; exit 12
    naming each case, row and field when something was."""
    from engine.errors import ConfigError

    if against is not None:
        if numbers or every:
            raise ConfigError("--against checks the whole sealed trail: give it without case "
                              "numbers or --all")
        _verify_seal(ctx, against, public_key, as_json)
        return
    if public_key is not None:
        raise ConfigError("--public-key goes with --against FILE (the seal it checks)")
    if bool(numbers) == every:
        raise ConfigError("name the cases to check (audit verify 2026-食品-000123 …) or give "
                          "--all, not both")
    _verify_replay(ctx, numbers, as_json)


def _verify_replay(ctx: Ctx, numbers: tuple[str, ...], as_json: bool) -> None:
    from engine.errors import TrailAltered
    from engine.services.audit_check import check

    counts = {"matches": 0, "not_covered": 0, "altered": 0}
    problems: list[str] = []
    results = []
    for found in check(ctx.env, numbers):
        counts[found.status] += 1
        problems += [f"{found.number}: {p}" for p in found.problems]
        if as_json:
            results.append({"case": found.number, "status": found.status, "events": found.events,
                            "covered_since": found.covered_since,
                            "problems": list(found.problems)})
        elif found.status == "altered":
            click.echo(f"✗ {found.number} 记录被改动 altered ({found.events} events)")
            for problem in found.problems:
                click.echo(f"    {problem}")
        elif numbers:
            text = ("与记录一致 rows match the trail" if found.status == "matches" else
                    "未覆盖 not covered: recorded before the trail carried what supervisors "
                    "read; covered from its next change")
            click.echo(f"✓ {found.number} {text} ({found.events} events)")
    total = sum(counts.values())
    if as_json:
        echo_json({"cases": total, **counts, "results": results})
    else:
        click.echo(f"审计回放 trail replayed for {total} cases: {counts['matches']} match, "
                   f"{counts['not_covered']} not covered (recorded before the replay), "
                   f"{counts['altered']} altered")
    if problems:
        raise TrailAltered(problems)


def _verify_seal(ctx: Ctx, against: str, public_key: str | None, as_json: bool) -> None:
    from adapters.sealing import read_public_key, read_seal
    from adapters.sealing import verify as check_signature
    from engine.errors import TrailAltered
    from engine.services import anchoring

    sealed = read_seal(against)
    trusted = read_public_key(public_key) if public_key else None
    problems = anchoring.check(ctx.env, sealed, check_signature, trusted_key=trusted)
    if as_json:
        echo_json({"seal": against, "sealed_at": sealed.sealed_at.isoformat(),
                   "cases": len(sealed.heads), "events": sealed.events, "root": sealed.root,
                   "key_id": sealed.key_id, "key_pinned": trusted is not None,
                   "problems": problems})
    else:
        for problem in problems:
            click.echo(f"  ✗ {problem}")
    if problems:
        raise TrailAltered(problems)
    if not as_json:
        pinned = "" if trusted else "（未指定公布的公钥：只证明签章文件自签发后未改 no --public-key)"
        click.echo(f"审计链与签章一致 trail matches the seal of {sealed.sealed_at:%Y-%m-%d %H:%M}: "
                   f"{len(sealed.heads)} cases, {sealed.events} events, key {sealed.key_id}"
                   f"{pinned}")
