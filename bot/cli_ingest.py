"""`paperwire ingest` and `paperwire fetch` (owned by the sources work)."""
