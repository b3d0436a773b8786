"""`sunshine web`: serve the web application (adapters/web) with the deadline worker beside it."""

from __future__ import annotations

import click

from adapters.cli.common import Ctx, cli, pass_ctx

# uvicorn, FastAPI and the engine are imported inside the verb (see common.py).


@cli.command("web")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0: every network interface).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on.")
@click.option("--no-worker", is_flag=True,
              help="Serve only; the deadlines are swept by a `sunshine worker` elsewhere (several "
                   "web processes on one PostgreSQL).")
@pass_ctx
def web(ctx: Ctx, host: str, port: int, no_worker: bool) -> None:
    """Serve the web application and run the deadline worker in the same process."""
    import threading
    import time

    import uvicorn

    from adapters.config import load_settings
    from adapters.sql.pii import refuse_without_key
    from adapters.web.app import create_app
    from engine.errors import ConfigError

    settings = load_settings(db=ctx.db)
    refuse_without_key(settings.data_key, settings.mode)  # no ID numbers in clear by default
    app = create_app(ctx.env, seal_dir=settings.seal_dir)
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="info",
                                           proxy_headers=True, lifespan="off"))
    if no_worker:
        click.echo(f"阳光审批 web: {_address(host, port)} (Ctrl-C to stop)")
        server.run()
        return
    # The worker's scheduler must own the main thread (it installs the SIGTERM handler), so
    # the server runs beside it; both use the app's Env and its SQLite lock.
    thread = threading.Thread(target=server.run, name="web", daemon=True)
    thread.start()
    try:
        from adapters.scheduler import run_worker

        while not server.started:
            if not thread.is_alive():
                raise ConfigError(f"the web server could not listen on {host}:{port} (is the "
                                  f"port in use? choose another with --port)")
            time.sleep(0.05)
        every = settings.sweep_interval_seconds
        bound = server.servers[0].sockets[0].getsockname()[1] if server.servers else port
        click.echo(f"阳光审批 web: {_address(host, bound)}  — the deadline worker sweeps every "
                   f"{every:g} s (Ctrl-C to stop both)")
        run_worker(app.state.env, every, seal_key=settings.seal_key, seal_dir=settings.seal_dir)
    except KeyboardInterrupt:
        pass  # Ctrl-C before the worker's scheduler took over (it handles its own): stop too
    finally:
        server.should_exit = True
        thread.join(10)


def _address(host: str, port: int) -> str:
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"
