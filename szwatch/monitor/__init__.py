"""The monitor: the ``szwatch`` command line (and, later, matching, alerts and the daemon)."""
