from adapters.cli.common import cli  # noqa: F401
