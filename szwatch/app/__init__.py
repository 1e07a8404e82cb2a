"""The application shell: the ``szwatch`` command, the daemon, the demo and the local sinks they use.

It ties the crawler and the monitor together; nothing else imports it.
"""
