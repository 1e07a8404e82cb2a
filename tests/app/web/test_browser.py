"""``szwatch web`` driven by headless Chromium (Debian's chromium and chromium-driver, through Selenium):
the issue list, an article, a two-character search, an indicator chart with the right number of points,
and hostile text. Screenshots go to build/screenshots/ (or $SZWATCH_SCREENSHOTS) to be looked at."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.app.web.conftest import EVIL_TITLE, SCREENSHOTS, Archive, WebServer

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and DRIVER),
    reason="Chromium is not installed (apt-get install chromium chromium-driver fonts-noto-cjk; .ci/run does it)",
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM or ""
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,1000", "--lang=zh-CN", "--no-first-run"):  # fmt: skip
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(DRIVER or ""))
    driver.set_page_load_timeout(60)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()


def open_page(browser: Any, web: WebServer, path: str) -> None:
    browser.get_log("browser")  # forget what earlier pages said
    browser.get(web.url + path)


def problems(browser: Any) -> list[str]:
    """Console errors: a script refused by the CSP, a failed script, a missing file."""
    return [entry["message"] for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]


def wait_for(browser: Any, script: str, timeout: float = 20) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, timeout).until(lambda d: d.execute_script(script))


def shoot(browser: Any, name: str) -> None:
    browser.save_screenshot(str(SCREENSHOTS / f"{name}.png"))


def test_issue_list_and_an_issue(browser: Any, web: WebServer, archive: Archive):
    from selenium.webdriver.common.by import By

    open_page(browser, web, "/issues?month=2024-05")
    complete = browser.find_elements(By.CSS_SELECTOR, "td.day.complete")
    no_paper = browser.find_elements(By.CSS_SELECTOR, "td.day.no_issue")
    assert len(complete) == len(archive.manifest.dates)
    assert "no paper" in " ".join(cell.text for cell in no_paper)
    shoot(browser, "issues")
    complete[1].find_element(By.TAG_NAME, "a").click()
    wait_for(browser, "return document.querySelectorAll('section.page').length === 4")
    assert browser.find_element(By.TAG_NAME, "h1").text.startswith("朔州日报 2024-05-07")
    assert problems(browser) == []


def test_article_reads_as_stored(browser: Any, web: WebServer):
    from selenium.webdriver.common.by import By

    stored = httpx.get(f"{web.url}/api/articles/2").json()
    open_page(browser, web, "/articles/2")
    assert browser.find_element(By.ID, "title").text == stored["title"]
    shown = [p.text for p in browser.find_elements(By.CSS_SELECTOR, "#body p")]
    assert shown == stored["paragraphs"]
    assert browser.find_element(By.ID, "original").get_attribute("href") == stored["url"]
    shoot(browser, "article")
    assert problems(browser) == []


def test_two_character_search_highlights_the_hits(browser: Any, web: WebServer):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    open_page(browser, web, "/search")
    box = browser.find_element(By.CSS_SELECTOR, "form.search input[name=q]")
    box.send_keys("平朔", Keys.ENTER)
    wait_for(browser, "return document.getElementById('results') !== null")
    expected = httpx.get(f"{web.url}/api/search", params={"q": "平朔"}).json()
    hits = browser.find_elements(By.CSS_SELECTOR, "#results li.hit")
    assert len(hits) == min(20, expected["total"]) and expected["total"] > 0
    marks = {m.text for m in browser.find_elements(By.CSS_SELECTOR, "#results mark")}
    assert marks == {"平朔"}
    assert all(h.find_elements(By.CSS_SELECTOR, ".snippet mark") for h in hits if "平朔" not in h.text.split("\n")[0])
    assert browser.find_element(By.ID, "total").text.startswith(str(expected["total"]))
    shoot(browser, "search")
    assert problems(browser) == []


def expected_points(observations: list[dict[str, Any]]) -> int:
    """Points the chart must draw, counted from the API: one per period and area for values (in the
    indicator's usual unit) and one per period and area for growth rates; comparisons stay in the table."""
    plotted = [o for o in observations if not o["relative"]]
    units = [o["unit"] for o in plotted if o["value"] is not None and o["unit"]]
    unit = max(set(units), key=units.count) if units else ""
    values = {(o["period_label"], o["scope"]) for o in plotted if o["value"] is not None and o["unit"] == unit}
    growth = {(o["period_label"], o["scope"]) for o in plotted if o["growth"] is not None}
    return len(values) + len(growth)


COUNT_POINTS = """
const chart = echarts.getInstanceByDom(document.getElementById('chart'));
if (!chart) return null;
return chart.getOption().series.reduce((n, s) => n + s.data.filter(p => p !== null && p !== undefined).length, 0);
"""


@pytest.mark.parametrize("indicator", ["gdp", "fai"])
def test_indicator_chart_renders_every_point(browser: Any, web: WebServer, indicator: str):
    from selenium.webdriver.common.by import By

    observations = httpx.get(f"{web.url}/api/indicators/{indicator}").json()["observations"]
    open_page(browser, web, f"/watches/{indicator}")
    wait_for(browser, "return document.getElementById('chart').getAttribute('data-rendered') === 'true'")
    drawn = browser.execute_script(COUNT_POINTS)
    assert drawn == expected_points(observations) > 3
    assert browser.find_elements(By.CSS_SELECTOR, "#chart canvas")
    # hovering a point shows its source article
    first = next(o for o in observations if not o["relative"] and o["growth"] is not None)
    browser.execute_script("""
        const chart = echarts.getInstanceByDom(document.getElementById('chart'));
        const series = chart.getOption().series;
        for (let i = 0; i < series.length; i++) {
          const at = series[i].data.findIndex(p => p && p.kind === 'growth');
          if (at >= 0) { chart.dispatchAction({type: 'showTip', seriesIndex: i, dataIndex: at}); return; }
        }""")
    tip = wait_for(
        browser,
        """
        const tips = [...document.querySelectorAll('#chart div')].filter(d => d.textContent.includes('growth 增速'));
        return tips.length ? tips[tips.length - 1].textContent : null;""",
    )
    assert any(o["source"]["title"] in tip for o in observations), tip
    assert first["source"]["issue_date"][:4] in tip
    rows = browser.find_elements(By.CSS_SELECTOR, "#observations tbody tr")
    assert len(rows) == len(observations)
    shoot(browser, f"indicator-{indicator}")
    assert problems(browser) == []


def test_project_timeline_renders(browser: Any, web: WebServer):
    open_page(browser, web, "/watches/dongli-polysilicon")
    wait_for(browser, "return document.getElementById('timeline').getAttribute('data-rendered') === 'true'")
    bars = browser.execute_script(
        "return echarts.getInstanceByDom(document.getElementById('timeline')).getOption().series[0].data"
    )
    months = httpx.get(f"{web.url}/api/watches/dongli-polysilicon").json()["mentions_by_month"]
    assert bars == [n for _, n in months] and sum(bars) > 0
    shoot(browser, "project")
    assert problems(browser) == []


def test_hostile_title_shows_as_text_and_runs_nothing(browser: Any, web: WebServer, archive: Archive):
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    for path in (f"/articles/{archive.evil_id}", "/search?q=alert", "/issues/2024-06-03"):
        open_page(browser, web, path)
        with pytest.raises(NoAlertPresentException):
            browser.switch_to.alert.text  # noqa: B018  (no alert() ran)
        assert browser.title != "pwned"  # no onerror handler ran
        assert browser.execute_script("return document.querySelectorAll('img[src=\"x\"], b, i').length") == 0
        assert EVIL_TITLE in browser.find_element(By.TAG_NAME, "main").text
    open_page(browser, web, f"/articles/{archive.evil_id}")
    assert browser.find_element(By.ID, "title").text == EVIL_TITLE
    assert '<img src=x onerror="document.title=' in browser.find_element(By.ID, "subtitle").text
    shoot(browser, "escaping")
