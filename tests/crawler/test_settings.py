"""Scrapy's settings for a crawl: what is switched off costs CPU and would tell us nothing."""

from __future__ import annotations

import pytest
from scrapy.utils.misc import is_generator_with_return_value

from szwatch.crawler.profile import load_profile
from szwatch.crawler.settings import scrapy_settings
from szwatch.crawler.spiders.paper import PaperSpider

CALLBACKS = ["parse_entry", "parse_page", "parse_article", "entry_failed", "page_failed", "article_failed"]


@pytest.mark.parametrize("name", CALLBACKS)
def test_no_callback_returns_a_value_from_its_generator(name: str):
    """Scrapy's warning for a generator that returns a value parses the callback's source on nearly every
    response (its cache is keyed by short-lived bound methods); it is off because ours never return one."""
    assert not is_generator_with_return_value(getattr(PaperSpider, name))


def test_the_generator_return_check_is_off():
    settings = scrapy_settings(load_profile(), "sqlite:///x.db", 1)
    assert settings["WARN_ON_GENERATOR_RETURN_VALUE"] is False
    assert settings["CONCURRENT_ITEMS"] == 1
