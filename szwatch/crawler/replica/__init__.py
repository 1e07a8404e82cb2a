"""A local replica of 朔州日报's digital edition, in the real site's shape, for tests, bench and demo.

The real site cannot be reached from where szwatch is built and tested, so this replica reproduces its
known shape (URL layout, selectors) and its likely quirks (meta-refresh entry page, gb2312 declared over
GB18030 bytes, stories continued across pages, picture captions, days without a paper). The articles are
our own writing in the paper's style (``corpus/``), composed into issues by ``build``.
"""
