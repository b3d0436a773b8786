"""The schema the migrations build is the schema the code declares (adapters/sql/tables.py), on
SQLite and PostgreSQL: a column added to one and not the other fails here, not in a county."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from adapters.bootstrap import upgrade_database
from adapters.sql.tables import metadata
from adapters.sql.uow import make_engine


def test_the_migrated_database_has_exactly_the_declared_tables_and_columns(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade_database(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()
    # indexes declared with a dialect-specific WHERE are compared by name only elsewhere
    tables_and_columns = [d for d in diff if d[0] in (
        "add_table", "remove_table", "add_column", "remove_column")]
    assert tables_and_columns == []
