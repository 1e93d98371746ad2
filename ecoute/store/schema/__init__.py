"""All tables. Each area keeps its tables in its own module; importing this package
registers every one of them on ``Base.metadata`` (Alembic and tests rely on that)."""

from ecoute.store.schema import (  # noqa: F401
    datasets,
    owner,
    platform,
    ratelimit,
    review,
    review_qc,  # noqa: F401
)
from ecoute.store.schema.base import Base

__all__ = ["Base"]
