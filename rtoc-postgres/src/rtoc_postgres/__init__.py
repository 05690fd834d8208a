"""rtoc's PostgreSQL storage backend (``backup`` goes here when ``postgresql.active``)."""

__version__ = "0.1.0"
