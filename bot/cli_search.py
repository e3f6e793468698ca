"""`paperwire search` (owned by the search work)."""
