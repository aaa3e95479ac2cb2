"""newsarchive: a self-hostable REST API for a searchable news archive."""

__version__ = "0.1.0"
