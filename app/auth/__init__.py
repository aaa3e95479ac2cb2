"""API keys: who may write (and, optionally, read) the archive."""
