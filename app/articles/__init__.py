"""Articles domain."""
