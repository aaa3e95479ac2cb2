"""The search page: static HTML, CSS and ES modules served at `/`, calling the public API."""
