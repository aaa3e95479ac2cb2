"""Entities domain."""
