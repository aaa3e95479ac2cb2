"""newsarchive: a self-hostable REST API for a searchable news archive."""
