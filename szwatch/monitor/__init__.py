"""The monitor: ``detection/`` reads stories against the watchlist and decides what is news; ``alerts/`` keeps
the outbox and delivers it through the channels. Detection may use alerts, never the other way round."""
