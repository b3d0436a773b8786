"""The web application (阳光审批 on the web): pages for window staff, handlers and the public, and
a JSON API under /api/, over the application layer in engine/services.

Every route parses input, calls one service and renders a view; errors are turned into HTTP
statuses in one place (errors.py). ``create_app(env)`` in app.py is the only entry point; nothing
is built at import time.
"""
