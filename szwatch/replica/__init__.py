"""Stand-ins for the outside world, for tests, bench and demo: the replica of 朔州日报's digital edition
(``build``, ``templates``, ``corpus/``, ``server``) and the local receivers of alerts (``sinks``: webhook,
SMTP and chat robots).

This wing imports nothing of ours except ``common``, so production code never depends on a stand-in.

The real site cannot be reached from where szwatch is built and tested, so this replica reproduces its
known shape (URL layout, selectors) and its likely quirks (meta-refresh entry page, gb2312 declared over
GB18030 bytes, stories continued across pages, picture captions, days without a paper). The articles are
our own writing in the paper's style (``corpus/``), composed into issues by ``build``.
"""
