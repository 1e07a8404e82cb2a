"""Transports: each takes a rendered message and says sent / retry later / failed for good."""
