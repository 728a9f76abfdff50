"""chainrule's database (SQLAlchemy 2 + Alembic): the records of course-platform launches."""

from chainrule.db.session import database_url, migrate, session_scope, utcnow

__all__ = ["database_url", "migrate", "session_scope", "utcnow"]
