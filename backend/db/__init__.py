"""Database plumbing shared by the concerns that keep rows (audit, logs, metrics)."""
