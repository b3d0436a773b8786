"""The one exception tree of Sunshine. Each error carries a stable ``code`` (and the ``field`` its
message is about, if any); each adapter maps codes to its own exit codes or HTTP statuses in one
place (adapters/cli/__init__.py ``EXIT_CODES``).

    SunshineError                       anything the user can fix; carries a one-line message
    ├── DefinitionError                 a BPMN file cannot be used (file, element id, fix)
    │   └── LintFailed                  one or more lint findings (``findings``)
    ├── NotFound                        a power, case, task or breach that does not exist
    │   └── PowerNotAvailable           power not deployed, or withdrawn
    ├── InvalidAction                   the action does not fit the case's current state
    │   └── Conflict                    someone else changed it first; reload and retry
    ├── CalendarError                   working-day calendar problems
    │   └── CalendarYearMissing         no holiday schedule for a year (``year``)
    ├── Forbidden                       the actor may not do this (权限不足), the rule named
    ├── ScriptError                     a BPMN condition or script failed or was refused
    └── ConfigError                     bad configuration or command-line input
"""

from __future__ import annotations


class SunshineError(Exception):
    """Base of every error a user can act on. ``str(err)`` is a one-line explanation."""

    code = "error"


    def __init__(self, *args: object, field: str | None = None) -> None:
        super().__init__(*args)
        self.field = field  # the form field or input the message is about, if any


class DefinitionError(SunshineError):
    """A BPMN definition cannot be loaded, validated or deployed."""

    code = "definition_error"


    def __init__(self, message: str, *, file: str | None = None, element: str | None = None):
        self.file = file
        self.element = element
        where = ":".join(p for p in (file, element) if p)
        super().__init__(f"{where}: {message}" if where else message)
        self.bare_message = message


class LintFailed(DefinitionError):
    """Lint found problems; ``findings`` holds each one."""

    code = "lint_failed"

    def __init__(self, findings: list) -> None:  # list[engine.lint.Finding]
        self.findings = findings
        first = findings[0] if findings else None
        extra = f" (and {len(findings) - 1} more)" if len(findings) > 1 else ""
        super().__init__(f"{first}{extra}" if first else "lint failed")


class NotFound(SunshineError):
    """Something named by the user does not exist."""

    code = "not_found"



class PowerNotAvailable(NotFound):
    """A case cannot start: the power is not deployed, or it is withdrawn (未列入职权目录不得行使)."""

    code = "power_not_available"


class InvalidAction(SunshineError):
    """The action is not allowed in the case's or task's current state."""

    code = "invalid_action"



class Conflict(InvalidAction):
    """Someone else changed the case first (e.g. completed the same task). Nothing was written."""

    code = "conflict"



class CalendarError(SunshineError):
    """Working-day calendar problems."""

    code = "calendar_error"



class CalendarYearMissing(CalendarError):
    """A deadline needs a year whose holiday schedule is not loaded."""

    code = "calendar_year_missing"

    def __init__(self, year: int) -> None:
        self.year = year
        super().__init__(
            f"no working-day calendar for {year}: the State Council schedule for {year} is not "
            f"loaded; import it with `sunshine calendar import FILE` (see docs/operations.md), "
            f"or set SUNSHINE_CALENDAR_FALLBACK=weekends-only to compute provisional deadlines"
        )


class Forbidden(SunshineError):
    """The actor's roles or posts do not allow the action (权限不足). The attempt is recorded."""

    code = "permission_denied"

    def __init__(self, message: str, *, action: str = "", target: str = "",
                 login: str = "") -> None:
        super().__init__(message)
        self.action = action
        self.target = target
        self.login = login


class ScriptError(SunshineError):
    """A condition or script in a BPMN file failed, was refused, or ran too long."""

    code = "script_error"



class TrailAltered(SunshineError):
    """The audit trail no longer matches what was sealed (or the seal itself is not sound)."""

    code = "trail_altered"

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} problem(s): " + "; ".join(problems[:5])
                         + (" …" if len(problems) > 5 else ""))
        self.problems = problems


class ConfigError(SunshineError):
    """Bad configuration or command-line input."""

    code = "config_error"

