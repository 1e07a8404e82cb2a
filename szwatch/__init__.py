"""szwatch — reads 朔州日报 (Shuozhou Daily) so that its readers do not have to."""

__version__ = "0.1.0"
