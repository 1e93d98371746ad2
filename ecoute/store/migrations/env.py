"""Alembic environment: runs on the engine handed over by ``ecoute.store.db.migrate``."""

from alembic import context

from ecoute.store.schema import Base

target_metadata = Base.metadata


def include_object(obj, name, type_, reflected, compare_to):
    # procrastinate's own tables are managed by procrastinate, not by our models
    return not (type_ == "table" and name.startswith("procrastinate_"))


def run() -> None:
    engine = context.config.attributes["engine"]
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # A batch migration rebuilds a table (copy, drop, rename): with foreign keys on,
            # SQLite would apply the children's ON DELETE actions to the dropped table. Off
            # before the transaction begins (a no-op inside one); checked before commit.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()
        if sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
            if broken:
                connection.rollback()
                raise RuntimeError(f"migration left dangling foreign keys: {broken[:5]}")
        connection.commit()
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")


run()
