"""Storage: typed SQLAlchemy models, one async engine, Alembic migrations, PTB persistence."""
