"""Saved searches and alerts: new articles matched against stored /search parameters, delivered
by signed webhook and Atom feed."""
