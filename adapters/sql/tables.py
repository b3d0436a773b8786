"""The database schema (SQLAlchemy Core). Alembic migrations in adapters/sql/migrations follow it.

A case row holds its own workflow state (compressed serializer output without the spec) plus
the columns queries need; the spec is stored once per definition version. Due deadlines live
in ``timers`` with an index on (status, due_at), so a sweep reads only what is due.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

metadata = sa.MetaData(naming_convention={
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware UTC datetimes on every backend (SQLite stores naive text, PostgreSQL timestamptz)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored; the engine works in aware UTC datetimes")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer, primary_key=True, autoincrement=True)


powers = sa.Table(
    "powers", metadata,
    sa.Column("code", sa.String(36), primary_key=True),
    sa.Column("process_id", sa.String(200), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # active, withdrawn
    sa.Column("latest_definition_id", sa.Integer, nullable=False),
    sa.Column("withdrawn_at", UTCDateTime, nullable=True),
    sa.Column("withdrawn_by", sa.String(64), nullable=True),
    sa.Column("withdrawn_reason", sa.Text, nullable=True),
    sa.Column("reinstated_at", UTCDateTime, nullable=True),
    sa.Column("reinstated_by", sa.String(64), nullable=True),
    sa.Column("reinstated_reason", sa.Text, nullable=True),
)

definitions = sa.Table(
    "definitions", metadata, _id(),
    sa.Column("power_code", sa.String(36), nullable=False, index=True),
    sa.Column("process_id", sa.String(200), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("file", sa.String(500), nullable=False),
    sa.Column("xml", sa.LargeBinary, nullable=False),
    sa.Column("power", sa.JSON, nullable=False),
    sa.Column("spec", sa.JSON, nullable=False),
    sa.Column("deployed_at", UTCDateTime, nullable=False),
    sa.Column("deployed_by", sa.String(100), nullable=False),
    sa.UniqueConstraint("power_code", "version", name="uq_definitions_code_version"),
    sa.UniqueConstraint("power_code", "content_hash", name="uq_definitions_code_hash"),
)

serials = sa.Table(
    "serials", metadata,
    sa.Column("key", sa.String(100), primary_key=True),
    sa.Column("value", sa.Integer, nullable=False),
)

cases = sa.Table(
    "cases", metadata, _id(),
    sa.Column("number", sa.String(50), nullable=False, unique=True),
    sa.Column("query_code", sa.String(16), nullable=False),
    sa.Column("power_code", sa.String(36), nullable=False, index=True),
    sa.Column("definition_id", sa.Integer, sa.ForeignKey("definitions.id"), nullable=False),
    sa.Column("process_id", sa.String(200), nullable=False),
    sa.Column("applicant", sa.String(200), nullable=False),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("mode", sa.String(10), nullable=False),
    sa.Column("state", sa.String(20), nullable=False, index=True),
    sa.Column("clock", sa.String(16), nullable=False),
    sa.Column("received_at", UTCDateTime, nullable=False),
    sa.Column("accepted_at", UTCDateTime),
    sa.Column("deemed_accepted", sa.Boolean, nullable=False, default=False),
    sa.Column("promised_due", UTCDateTime),
    sa.Column("promised_day", sa.Date),
    sa.Column("statutory_due", UTCDateTime),
    sa.Column("statutory_day", sa.Date),
    sa.Column("provisional", sa.Boolean, nullable=False, default=False),
    sa.Column("deadlines", sa.JSON),  # each deadline's basis (start, days, provisional)
    sa.Column("parts", sa.JSON),  # how many stops, extensions, cards, breaches the case has
    sa.Column("suspended_since", UTCDateTime),
    sa.Column("stopped_days", sa.Integer, nullable=False, default=0),
    sa.Column("extended_days", sa.Integer, nullable=False, default=0),
    sa.Column("result", sa.String(20)),
    sa.Column("deemed", sa.Boolean, nullable=False, default=False),
    sa.Column("deemed_pending", sa.Boolean, nullable=False, default=False),
    sa.Column("closed_at", UTCDateTime),
    sa.Column("erased_at", UTCDateTime),  # personal data erased, its retention over (0013)
    sa.Column("data", sa.JSON, nullable=False),
    sa.Column("workflow_state", sa.LargeBinary, nullable=False),
    sa.Column("serializer_version", sa.String(40), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    # Partial indexes are created by their migrations with their WHERE clauses; they are named
    # here without them, because declaring dialect options makes SQLAlchemy load every dialect's
    # module on import, which every CLI verb would pay for.
    sa.Index("ix_cases_open_due", "definition_id", "promised_due", "clock",  # WHERE open (0007)
             "suspended_since"),
    sa.Index("ix_cases_retention", "erased_at", "closed_at"),
)

steps = sa.Table(
    "steps", metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=False, index=True),
    sa.Column("case_number", sa.String(50), nullable=False),
    sa.Column("power_code", sa.String(36), nullable=False),
    sa.Column("spec_id", sa.String(200), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("post", sa.String(100)),
    sa.Column("role", sa.String(20)),
    sa.Column("department", sa.String(100)),
    sa.Column("ready_at", UTCDateTime, nullable=False),
    sa.Column("limit_days", sa.Integer),
    sa.Column("counted", sa.Boolean, nullable=False),
    sa.Column("due_at", UTCDateTime),
    sa.Column("due_day", sa.Date),
    sa.Column("due_basis", sa.JSON),  # the due's basis (start, days, provisional)
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("assignee", sa.String(100)),
    sa.Column("completed_at", UTCDateTime),
    sa.Column("completed_by", sa.String(100)),
    sa.Column("outcome", sa.String(20)),
    sa.Column("opinion", sa.Text),
    sa.Column("data", sa.JSON, nullable=False),
    # the task list reads waiting steps only: WHERE status = 'ready' (0006)
    sa.Index("ix_steps_ready_post", "post"),
    sa.Index("ix_steps_ready_assignee", "assignee"),
)

timers = sa.Table(
    "timers", metadata, _id(),
    sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=False, index=True),
    sa.Column("task_id", sa.String(36)),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("due_at", UTCDateTime, nullable=False),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("fired_at", UTCDateTime),
    # the sweep claims pending rows in due order (0006); spent rows are deleted
    sa.Index("ix_timers_pending_due", "due_at", "id"),  # WHERE status = 'pending' (0006)
)

audit_events = sa.Table(
    "audit_events", metadata, _id(),
    sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("actor", sa.String(100), nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Column("hash_version", sa.Integer, nullable=False, server_default="1"),  # engine/audit.py
    sa.Column("salt", sa.Text),  # sealed with the data key (adapters/sql/pii.py)
    sa.UniqueConstraint("case_id", "seq", name="uq_audit_case_seq"),
)

cards = sa.Table(
    "cards", metadata, _id(),
    sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=False, index=True),
    sa.Column("kind", sa.String(12), nullable=False),
    sa.Column("against", sa.String(12), nullable=False),
    sa.Column("issued_at", UTCDateTime, nullable=False),
    sa.Column("task_id", sa.String(36)),
    sa.Column("post", sa.String(100)),
    sa.Column("person", sa.String(100)),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("dedupe", sa.String(120), nullable=False, unique=True),
    sa.Column("reply", sa.Text),
    sa.Column("replied_by", sa.String(64)),
    sa.Column("replied_at", UTCDateTime),
    sa.Column("appeal", sa.Text),
    sa.Column("appealed_by", sa.String(64)),
    sa.Column("appealed_at", UTCDateTime),
    sa.Column("decision", sa.String(12)),
    sa.Column("decided_by", sa.String(64)),
    sa.Column("decided_at", UTCDateTime),
    sa.Column("decision_reasons", sa.Text),
)

breaches = sa.Table(
    "breaches", metadata, _id(),
    sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=True, index=True),
    sa.Column("case_number", sa.String(50), nullable=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("occurred_at", UTCDateTime, nullable=False),
    sa.Column("facts", sa.Text, nullable=False),
    sa.Column("task_id", sa.String(36)),
    sa.Column("step_name", sa.String(200)),
    sa.Column("post", sa.String(100)),
    sa.Column("person", sa.String(100)),
    sa.Column("measure", sa.String(20)),
    sa.Column("reasons", sa.Text),
    sa.Column("decided_by", sa.String(100)),
    sa.Column("decided_at", UTCDateTime),
    sa.Column("dedupe", sa.String(120), nullable=False, unique=True),
    sa.Column("ref", sa.String(40)),
    sa.Column("person_basis", sa.String(20)),
    sa.Column("power_code", sa.String(36)),
    sa.Column("unit", sa.String(100)),
    sa.Column("recorded_by", sa.String(64)),
)

clock_stops = sa.Table(
    "clock_stops", metadata, _id(),
    sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=False, index=True),
    sa.Column("kind", sa.String(12), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("basis", sa.Text, nullable=False),
    sa.Column("special", sa.String(20)),
    sa.Column("expected_days", sa.Integer),
    sa.Column("started_at", UTCDateTime, nullable=False),
    sa.Column("started_by", sa.String(100), nullable=False),
    sa.Column("ended_at", UTCDateTime),
    sa.Column("ended_by", sa.String(100)),
    sa.Column("result", sa.Text),
    sa.Column("working_days", sa.Integer),
    sa.Column("task_id", sa.String(36)),
)

extensions = sa.Table(
    "extensions", metadata, _id(),
    sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=False, index=True),
    sa.Column("requested_by", sa.String(100), nullable=False),
    sa.Column("requested_at", UTCDateTime, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("days", sa.Integer, nullable=False),
    sa.Column("decision", sa.String(10)),
    sa.Column("decided_by", sa.String(100)),
    sa.Column("decided_at", UTCDateTime),
    sa.Column("decision_reason", sa.Text),
)

calendar_years = sa.Table(
    "calendar_years", metadata,
    sa.Column("year", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("holidays", sa.JSON, nullable=False),
    sa.Column("workdays", sa.JSON, nullable=False),
    sa.Column("imported_at", UTCDateTime, nullable=False),
)

applicant_flags = sa.Table(
    "applicant_flags", metadata, _id(),
    sa.Column("applicant", sa.String(200), nullable=False, index=True),
    sa.Column("kind", sa.String(30), nullable=False),
    sa.Column("case_number", sa.String(50), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
)

# -- who may act (migration 0008) ------------------------------------------------------------

users = sa.Table(
    "users", metadata, _id(),
    sa.Column("login", sa.String(64), nullable=False, unique=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("unit", sa.String(200), nullable=False),
    sa.Column("roles", sa.JSON, nullable=False),  # stable codes: window, handler, …
    sa.Column("posts", sa.JSON, nullable=False),  # lane names held (岗位)
    sa.Column("leads", sa.JSON, nullable=False),  # posts this user leads (may reassign within)
    sa.Column("password_hash", sa.Text, nullable=True),  # argon2id
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("disabled_at", UTCDateTime, nullable=True),
    sa.Column("disabled_by", sa.String(64), nullable=True),
    sa.Column("disabled_reason", sa.Text, nullable=True),
)

api_keys = sa.Table(
    "api_keys", metadata, _id(),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("prefix", sa.String(16), nullable=False, unique=True),  # shown, looked up
    sa.Column("secret_hash", sa.Text, nullable=False),  # argon2id of the whole key
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("revoked_at", UTCDateTime, nullable=True),
    sa.Column("revoked_by", sa.String(64), nullable=True),
    sa.Column("last_used_at", UTCDateTime, nullable=True),
)

# Refused attempts (权限不足): who tried what, on which case, and the rule that said no.
access_denials = sa.Table(
    "access_denials", metadata, _id(),
    sa.Column("at", UTCDateTime, nullable=False),  # the acting time (may be --now in test mode)
    sa.Column("written_at", UTCDateTime, nullable=False),  # the wall clock
    sa.Column("login", sa.String(64), nullable=False, index=True),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("rule", sa.String(40), nullable=False),
    sa.Column("target", sa.String(100), nullable=False),  # case number, breach #, power code …
    sa.Column("message", sa.Text, nullable=False),
)

# Idempotent start: the request key a front end sends with `case start`, and the case it made.
start_requests = sa.Table(
    "start_requests", metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

# Notices to applicants, written in the same transaction as the change that caused them and
# delivered by a worker (print queue, e-mail, SMS); ``dedupe`` makes "sent twice" impossible.
outbox = sa.Table(
    "outbox", metadata, _id(),
    sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=True, index=True),
    sa.Column("case_number", sa.String(50), nullable=False),
    sa.Column("dedupe", sa.String(120), nullable=False, unique=True),
    sa.Column("kind", sa.String(40), nullable=False),  # stable code: acceptance_notice, …
    sa.Column("channel", sa.String(20), nullable=False),  # print, email, sms
    sa.Column("recipient", sa.String(200), nullable=False),
    sa.Column("document", sa.JSON, nullable=False),  # the notice as the core wrote it
    sa.Column("status", sa.String(20), nullable=False),  # pending, sent, failed
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", UTCDateTime, nullable=False),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("sent_at", UTCDateTime, nullable=True),
)
sa.Index("ix_outbox_due", outbox.c.status, outbox.c.next_attempt_at)

# -- the web's sessions (migration 0009) -------------------------------------------------------

# A signed-in browser (adapters/web/sessions.py): the cookie holds a random token, the row only
# its SHA-256, so a copy of the database opens no session. Idle and absolute limits are counted
# from created_at and last_seen_at; a revoked row stays as a record of who was signed in when.
web_sessions = sa.Table(
    "web_sessions", metadata,
    sa.Column("id", sa.String(64), primary_key=True),  # sha256 hex of the cookie's token
    sa.Column("login", sa.String(64), nullable=False, index=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("last_seen_at", UTCDateTime, nullable=False),
    sa.Column("revoked_at", UTCDateTime, nullable=True),
)


# -- supervision reports (migration 0011) ------------------------------------------------------

# A report a supervisor signed off: the figures as they stood (engine.stats.to_dict), with the
# SHA-256 of their canonical JSON, so that the same report is printed again unchanged later.
reports = sa.Table(
    "reports", metadata, _id(),
    sa.Column("period_from", sa.Date, nullable=False),
    sa.Column("period_to", sa.Date, nullable=False),
    sa.Column("figures", sa.JSON, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("signed_by", sa.String(64), nullable=False),
    sa.Column("signed_at", UTCDateTime, nullable=False),
    sa.Column("written_at", UTCDateTime, nullable=False),
    sa.Index("ix_reports_period", "period_from", "period_to"),
)

ratings = sa.Table(
    "ratings", metadata, _id(),
    sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=False, unique=True),
    sa.Column("case_number", sa.String(50), nullable=False),
    sa.Column("power_code", sa.String(36), nullable=False),
    sa.Column("unit", sa.String(100), nullable=False),
    sa.Column("score", sa.Integer, nullable=False),
    sa.Column("rated_at", UTCDateTime, nullable=False),
    sa.Column("channel", sa.String(12), nullable=False),
    sa.Column("words", sa.Text, nullable=False),
    sa.Column("review_due", sa.Date),
    sa.Column("reply", sa.Text),
    sa.Column("replied_by", sa.String(64)),
    sa.Column("replied_at", UTCDateTime),
    sa.Column("carded_at", UTCDateTime),
    sa.Index("ix_ratings_rated_at", "rated_at"),
)

complaints = sa.Table(
    "complaints", metadata, _id(),
    sa.Column("number", sa.String(20), nullable=False, unique=True),
    sa.Column("received_at", UTCDateTime, nullable=False),
    sa.Column("received_by", sa.String(64), nullable=False),
    sa.Column("channel", sa.String(12), nullable=False),
    sa.Column("complainant", sa.String(100), nullable=False),
    sa.Column("contact", sa.Text, nullable=False),  # sealed with the data key (0013)
    sa.Column("facts", sa.Text, nullable=False),
    sa.Column("due_day", sa.Date, nullable=False),
    sa.Column("case_number", sa.String(50), index=True),
    sa.Column("task_id", sa.String(36)),
    sa.Column("step_name", sa.String(200)),
    sa.Column("against_unit", sa.String(100)),
    sa.Column("against_post", sa.String(100)),
    sa.Column("against_person", sa.String(64)),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("findings", sa.Text),
    sa.Column("measure", sa.String(20)),
    sa.Column("decided_by", sa.String(64)),
    sa.Column("decided_at", UTCDateTime),
    sa.Column("breach_id", sa.Integer),
    sa.Index("ix_complaints_status_due", "status", "due_day"),
)

exchange_exports = sa.Table(
    "exchange_exports", metadata, _id(),
    sa.Column("mode", sa.String(12), nullable=False),  # period, incremental
    sa.Column("since", UTCDateTime),  # exclusive lower bound of the changes exported
    sa.Column("until", UTCDateTime, nullable=False),  # inclusive upper bound
    sa.Column("records", sa.Integer, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("exported_by", sa.String(64), nullable=False),
    sa.Column("exported_at", UTCDateTime, nullable=False),
)
