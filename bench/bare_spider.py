"""Baseline for bench/crawl.py: a bare Scrapy CrawlSpider the way public newspaper spiders are written.

It follows the page and article links of the replica, parses each article (title and body text), and
stores nothing. Run as ``python bench/bare_spider.py BASE_URL CONCURRENCY``; prints one JSON line.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.linkextractors import LinkExtractor
from scrapy.spiders import CrawlSpider, Rule


class BareSpider(CrawlSpider):
    name = "bare"
    rules = (
        Rule(LinkExtractor(allow=r"/shtml/szrb/\d{8}/\d+\.shtml$"), callback="parse_article"),
        Rule(LinkExtractor(allow=r"/shtml/szrb/\d{8}/v[A-Z]?\d+\.shtml$"), follow=True),
    )

    def parse_article(self, response: Any) -> Any:
        yield {
            "title": response.css("div.detailCon h1::text").get(),
            "text": "\n".join(response.css("#content_div p[align=left] font::text").getall()),
        }


def main() -> None:
    base_url, concurrency = sys.argv[1], int(sys.argv[2])
    process = CrawlerProcess({
        "LOG_LEVEL": "ERROR", "CONCURRENT_REQUESTS": max(8, concurrency),
        "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency, "DOWNLOAD_DELAY": 0, "TELNETCONSOLE_ENABLED": False,
        "ROBOTSTXT_OBEY": True,
    })  # fmt: skip
    crawler = process.create_crawler(BareSpider)
    started = time.perf_counter()
    process.crawl(crawler, start_urls=[f"{base_url}/shtml/index_szrb.shtml"])
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    print(json.dumps({
        "seconds": time.perf_counter() - started,
        "responses": stats.get("response_received_count", 0),
        "items": stats.get("item_scraped_count", 0),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
