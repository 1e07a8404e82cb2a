"""What detection stores and reads: findings (mentions, observations, project facts) and the runs that made them.

``detections`` writes a story's findings batch by batch; ``finding_reads`` reads them with plain SQL for the CLI,
the exports and the web view; ``detect_runs`` tracks detection runs (pid, heartbeat, interrupted); ``watchlists``
remembers the watchlist a store was detected with.
"""
