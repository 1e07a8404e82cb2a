"""Reads in plain SQL for the short read commands (and the web view pages that show the same): no ORM to import.

``alerts`` (the alert list with its deliveries), ``articles`` (every article, for ``export articles``), ``runs``,
``health`` and ``pending`` (what ``status`` and ``sources`` show, and the health check judges), ``stories`` (what
detection and the preview of a watch read); the findings' reads live with the findings
(``store/findings/finding_reads.py``), the search index's with the index.
"""
