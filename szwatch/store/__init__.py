"""The store: tables, the database connection and idempotent writes. Imports nothing else of ours."""
