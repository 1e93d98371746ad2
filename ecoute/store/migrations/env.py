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
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run()
