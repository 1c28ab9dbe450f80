"""Migration of logs, metrics, patterns and the audit log between SQLite and PostgreSQL.

plan (dry run) -> copy (keyset batches, each committed with its checkpoint; bad rows
quarantined) -> verify (counts, order-independent hashes on both sides, samples) ->
switch (storeroom.yaml rewritten atomically, source archived read-only) -> undo.
The public entry points are in :mod:`backend.migrate.service`.
"""
