"""The crawler: navigation (spiders), extraction (page views) and persistence (pipeline) kept apart.

Only ``szwatch.crawler.run`` is meant to be called from outside; it hides Scrapy and Twisted.
"""
