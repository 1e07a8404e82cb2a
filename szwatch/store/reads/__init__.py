"""Reads in plain SQL for the short read commands (and the web view pages that show the same): no ORM to import.

``alerts`` (the alert list with its deliveries) and ``articles`` (every article, for ``export articles``); the
findings' reads live with the findings (``store/findings/finding_reads.py``), the search index's with the index.
"""
