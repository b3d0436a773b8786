"""The `sunshine` command: thin verbs that parse input, call one service, and print the result.

Errors are translated in one place (``main``): a SunshineError prints one line and exits with
its exit code; nothing else is caught, so a bug still shows its traceback.
"""

from __future__ import annotations

import sys

import click

# Register the verb groups (each module adds its commands to ``cli``). They import only click
# and cheap modules at the top, so that `--help` answers at once (see common.py).
from adapters.cli import (  # noqa: F401
    admin,
    audit,
    cases,
    dbcopy,
    exchange,
    feedback,
    layout,
    notices,
    overview,
    personal_data,
    publishing,
    report,
    stats,
    supervision,
    users,
    web,
)
from adapters.cli.common import cli
from engine.errors import SunshineError

GLOBAL_OPTIONS = ("--now", "--db")


def hoist_global_options(argv: list[str]) -> list[str]:
    """Let --now and --db go anywhere on the line (`case accept N --as 王 --now 2026-03-02`):
    clerks type them after the verb as often as before it."""
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        name = arg.split("=", 1)[0]
        if name in GLOBAL_OPTIONS:
            if "=" in arg:
                front.append(arg)
            elif i + 1 < len(argv):
                front.extend(argv[i:i + 2])
                i += 1
            else:
                rest.append(arg)
        else:
            rest.append(arg)
        i += 1
    return front + rest


# The core names the field a message is about; the CLI says which option gives it.
FIELD_OPTIONS = {
    "applicant": "pass --applicant NAME",
    "reason": "pass --reason TEXT",
    "reasons": "pass --reasons TEXT",
    "result": "pass --result TEXT",
    "items": "pass --item TEXT once per missing item",
    "why_not_in_first_notice": "pass --why TEXT",
    "decision": "pass --data decision=approve or --data decision=refuse",
    "missing": "pass --missing NAME once per material",
    "commitment_signed": "pass --commitment-signed once it is signed",
    "expected_days": "pass --expected-days N",
    "licence_expires": "pass --data licence_expires=YYYY-MM-DD (the date on the current licence)",
    "assignee": "the claimant (or the post's leader) hands it back with `sunshine task release TASK --as LOGIN`",
    "actor": "pass --as LOGIN (a registered user: `sunshine user list`)",
    "id_type": "pass --id-type 身份证 (or 统一社会信用代码, 护照 …)",
    "id_number": "pass --id-number NUMBER as printed on the certificate",
    "received_on": "pass --received-on YYYY-MM-DD",
    "until": "pass --until YYYY-MM-DD",
    "login": "choose another login with `sunshine user add LOGIN`",
    "role": "pass --role ROLE (window, handler, approver, head, supervisor, designer, publisher, admin)",
    "post": "pass --post with a lane name of a deployed power",
    "lead": "give the post with --post as well",
    "kind": "pass --type with one of the grounds listed",
    "measure": "pass --measure with one of the measures listed",
    "request_key": "pass a shorter --request-key",
    "received_by": "pass --received-by NAME",
    "method": "pass --method 窗口领取, 邮寄送达 or 电子送达",
    "since_last": "pass --from and --to for a period, or --since-last alone",
}


# Exit codes, by the error's stable code (engine/errors.py), in one place for the CLI. A code not
# listed takes its nearest listed ancestor's; anything else a user can fix exits 1.
EXIT_CODES = {
    "config_error": 2,
    "definition_error": 3,
    "not_found": 4,
    "invalid_action": 5,
    "not_publishable": 5,
    "conflict": 6,
    "calendar_error": 7,
    "script_error": 8,
    "permission_denied": 9,
    "copy_not_verified": 10,
    "render_error": 11,
    "trail_altered": 12,
}


def exit_code(err: SunshineError) -> int:
    for cls in type(err).__mro__:
        code = getattr(cls, "code", None)
        if code in EXIT_CODES:
            return EXIT_CODES[code]
    return 1


def main(argv: list[str] | None = None) -> int:
    argv = hoist_global_options(list(sys.argv[1:] if argv is None else argv))
    try:
        rv = cli.main(args=argv, prog_name="sunshine", standalone_mode=False)
    except SunshineError as err:
        hint = FIELD_OPTIONS.get(getattr(err, "field", None) or "")
        click.echo(f"错误 error: {err}" + (f" — {hint}" if hint else ""), err=True)
        return exit_code(err)
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
