"""``szwatch web``: a read-only web view of the archive, the watches and the indicator series, with its JSON API.

Imported only by the ``web`` command (lazily: the CLI's start-up stays light)."""
