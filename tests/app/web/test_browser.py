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
    assert "无报" in " ".join(cell.text for cell in no_paper)
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
    indicator's usual unit) and one per period and area for growth rates; comparisons, and periods the paper
    named without dates, stay in the table."""
    plotted = [o for o in observations if not o["relative"] and o["period_end"]]
    units = [o["unit"] for o in plotted if o["value"] is not None and o["unit"]]
    unit = max(set(units), key=units.count) if units else ""
    values = {(o["period_label"], o["scope"]) for o in plotted if o["value"] is not None and o["unit"] == unit}
    growth = {(o["period_label"], o["scope"]) for o in plotted if o["growth"] is not None}
    return len(values) + len(growth)


COUNT_POINTS = """
const chart = echarts.getInstanceByDom(document.getElementById('chart'));
if (!chart) return null;
return chart.getOption().series.reduce((n, s) => n + s.data.filter(p => p && p.point).length, 0);
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
          if (series[i].id.indexOf('growth') === 0 && series[i].data.length) {
            const at = 0; chart.dispatchAction({type: 'showTip', seriesIndex: i, dataIndex: at}); return; }
        }""")
    tip = wait_for(
        browser,
        """
        const tips = [...document.querySelectorAll('#chart div')].filter(d => d.textContent.includes('增速 '));
        return tips.length ? tips[tips.length - 1].textContent : null;""",
    )
    assert any(o["source"]["title"] in tip for o in observations), tip
    assert first["source"]["issue_date"][:4] in tip
    table = browser.find_element(By.ID, "observations").text
    assert all(o["source"]["title"] in table for o in observations)  # every report, grouped by figure
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


# ---------------------------------------------------------------------------------------------- phones

PHONE, DESKTOP = (390, 844), (1280, 900)
OVERFLOW = """
const width = document.documentElement.clientWidth;
const wide = [...document.querySelectorAll(arguments[0])].filter(el => {
  const box = el.getBoundingClientRect();
  return box.width > 0 && (box.right > width + 1 || el.scrollWidth > el.clientWidth + 1);
});
return {page: document.documentElement.scrollWidth, width: width, wide: wide.map(el => el.textContent.trim().slice(0, 30))};
"""


def viewport(browser: Any, size: tuple[int, int]) -> None:
    """The page as a phone (or a desktop) lays it out: the viewport's CSS width, not the window's."""
    width, height = size
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})  # fmt: skip


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    viewport(browser, PHONE)
    yield browser
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def fits(browser: Any, selector: str) -> dict[str, Any]:
    return browser.execute_script(OVERFLOW, selector)  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("path", "cells"),
    [
        ("/issues?month=2024-05", "#calendar td"),
        ("/alerts", "#alerts td"),
        ("/status", "#crawls td, #status-facts td"),
        ("/watches/zhongmei-olefin", "#facts td, #mentions td"),
        ("/watches/gdp", "#observations td"),
        ("/watches", "#projects td, #indicators td"),
    ],
)
def test_at_390_px_every_page_fits_the_phone(phone: Any, web: WebServer, path: str, cells: str):
    open_page(phone, web, path)
    layout = fits(phone, cells)

    assert layout["page"] <= layout["width"] == PHONE[0]  # no sideways scrolling of the page
    assert layout["wide"] == []  # no cell spills out of its box or past the screen's edge
    assert phone.execute_script("return document.documentElement.lang") == "zh-CN"
    name = path.strip("/").split("?")[0].replace("/", "-")
    shoot(phone, f"phone-{name}")
    assert problems(phone) == []


def test_at_390_px_a_table_is_cards_that_name_their_columns(phone: Any, web: WebServer):
    from selenium.webdriver.common.by import By

    open_page(phone, web, "/alerts")
    first = phone.find_element(By.CSS_SELECTOR, "#alerts tbody tr")
    labels = phone.execute_script(
        "return [...arguments[0].children].map(td => getComputedStyle(td, '::before').content)", first
    )
    assert labels == ['"#"', '"时间"', '"类型"', '"监测对象"', '"报道"', '"发送"']
    assert first.find_elements(By.CSS_SELECTOR, "td")[2].text in {"新提及", "新数据", "数据修订", "项目进展"}


def test_at_390_px_the_chart_resizes_with_its_legend_below(phone: Any, web: WebServer):
    open_page(phone, web, "/watches/gdp")
    wait_for(phone, "return document.getElementById('chart').getAttribute('data-rendered') === 'true'")
    chart = phone.execute_script("""
        const el = document.getElementById('chart');
        const chart = echarts.getInstanceByDom(el);
        const option = chart.getOption();
        const legend = chart.getModel().getComponent('legend').__viewRect
          || {y: el.clientHeight - option.legend[0].bottom};
        const lower = chart.getModel().getComponent('grid', 1).coordinateSystem.getRect();
        const labels = chart.getModel().getComponent('xAxis', 1).axis.getViewLabels().length;
        return {width: chart.getWidth(), box: el.clientWidth, legendBottom: option.legend[0].bottom,
                gridBottom: lower.y + lower.height, height: el.clientHeight, labels: labels,
                names: option.legend[0].data};
    """)

    assert chart["width"] == chart["box"] <= PHONE[0]
    assert chart["legendBottom"] is not None and chart["gridBottom"] < chart["height"] - 40  # room for the legend
    assert chart["labels"] >= 3  # the time axis shows several dates
    assert "全市·年度" in chart["names"] and any(n.endswith("·累计") for n in chart["names"])
    shoot(phone, "phone-chart")
    phone.execute_script("document.getElementById('observations').scrollIntoView()")
    shoot(phone, "phone-indicator-table")
    assert problems(phone) == []


def test_the_indicator_table_names_the_area_a_figure_is_compared_with(browser: Any, web: WebServer):
    from selenium.webdriver.common.by import By

    open_page(browser, web, "/watches/fai")
    table = browser.find_element(By.ID, "observations").text

    assert "较全省" in table and "+3.5个百分点" in table
    assert "vs area" not in table and "pp" not in table


def test_at_1280_px_places_and_amounts_stay_on_one_line(browser: Any, web: WebServer):
    viewport(browser, DESKTOP)
    try:
        open_page(browser, web, "/watches/gdp")
        wait_for(browser, "return document.getElementById('chart').getAttribute('data-rendered') === 'true'")
        broken = browser.execute_script("""
            const cells = [...document.querySelectorAll('#observations td[data-label="地区"], #observations td.num')];
            return cells.filter(td => {
              const range = document.createRange();
              range.selectNodeContents(td.firstChild || td);
              return range.getClientRects().length > 1;
            }).map(td => td.textContent.trim());
        """)
        assert broken == []  # 怀仁市 and 628.7亿元 are not split across lines
        shoot(browser, "desktop-indicator-gdp")
        for path, name in (("/issues?month=2024-05", "issues"), ("/alerts", "alerts")):
            open_page(browser, web, path)
            shoot(browser, f"desktop-{name}")
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["1280", "390"])
def test_an_issue_shows_each_page_as_printed_beside_its_articles(browser: Any, web: WebServer, size: tuple[int, int]):
    """Readers ask for the printed page next to the text: each 版面 shows its picture (linking to the full picture)
    and its PDF, labelled in Chinese, and the page still fits a phone."""
    from selenium.webdriver.common.by import By

    viewport(browser, size)
    try:
        open_page(browser, web, "/issues/2024-05-07")
        wait_for(browser, "return [...document.querySelectorAll('figure.print img')].every(i => i.complete)")
        figures = browser.find_elements(By.CSS_SELECTOR, "section.page figure.print")
        pictures = browser.execute_script(
            "return [...document.querySelectorAll('figure.print img')].map(i => [i.naturalWidth, i.width])"
        )
        links = [f.find_element(By.CSS_SELECTOR, "a.print-image").get_attribute("href") for f in figures]
        pdfs = browser.find_elements(By.CSS_SELECTOR, "figure.print a.print-pdf")
        layout = fits(browser, "section.page, figure.print")
        shoot(browser, f"{'phone' if size == PHONE else 'desktop'}-issue")
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

    assert len(figures) == 4 and all("版面原样" in f.text and "大图" in f.text for f in figures)
    assert all(natural > 0 and 0 < shown <= 120 for natural, shown in pictures)  # loaded, shown as a thumbnail
    assert [link.rsplit("/", 1)[1] for link in links] == [f"A{n}.jpg" for n in range(1, 5)]  # the full picture
    assert pdfs == []  # 朔州日报's old site offers no PDF (the other systems do: see the issue JSON)
    assert layout["page"] <= layout["width"] <= size[0] and layout["wide"] == []  # (a desktop has a scrollbar)
    assert problems(browser) == []
