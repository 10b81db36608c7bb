"""Build-time helpers for the MkDocs site: hooks, vendored browser assets, generated pages."""
