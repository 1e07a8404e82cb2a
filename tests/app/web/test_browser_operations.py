"""The operations as a person does them, in headless Chromium against ``szwatch web --token``: add a watch, see its
preview, save it, see it detected after the next stories arrive; retry a failed alert; pause a channel — and the
same forms refused without the token and with a forged CSRF token. Pages at 390 px fit the phone. Screenshots
of the new pages at 1280 and 390 px go to build/screenshots/."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from typing import Any

import pytest

from szwatch.store.db import open_store
from tests.app.web.test_browser import (  # noqa: F401  (the module's browser)
    DESKTOP,
    PHONE,
    browser,
    fits,
    open_page,
    problems,
    pytestmark,
    shoot,
    viewport,
    wait_for,
)
from tests.app.web.test_operations import TOKEN, Site, deliveries, site  # noqa: F401
from tests.conftest import store_story

NEXT_DAY = date(2024, 6, 20)


@pytest.fixture(scope="module")
def signed_in(browser: Any, site: Site) -> Any:  # noqa: F811
    """The browser after opening the view once with ?token= (from then on an HttpOnly cookie)."""
    browser.get(f"{site.server.url}/watches?token={TOKEN}")
    return browser


def both_sizes(driver: Any, name: str, cells: str, show: str | None = None) -> None:
    """Screenshots at 1280 and 390 px; at either nothing scrolls sideways and no cell spills out."""
    for size, prefix in ((DESKTOP, "desktop"), (PHONE, "phone")):
        viewport(driver, size)
        layout = fits(driver, cells)
        assert layout["page"] <= layout["width"] and layout["wide"] == [], (prefix, layout)
        if show:  # the part worth seeing, at the top of the shot
            driver.execute_script("document.querySelector(arguments[0]).scrollIntoView()", show)
        shoot(driver, f"{prefix}-{name}")
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_add_a_watch_see_its_preview_save_it_and_see_it_detected(signed_in: Any, site: Site):  # noqa: F811
    from selenium.webdriver.common.by import By

    driver = signed_in
    open_page(driver, site.server, "/watches")
    driver.find_element(By.ID, "add-watch").click()
    form = driver.find_element(By.ID, "watch-form")
    form.find_element(By.NAME, "id").send_keys("pingshuo-group")
    form.find_element(By.NAME, "name").send_keys("平朔集团")
    form.find_element(By.NAME, "aliases").send_keys("中煤平朔集团")
    form.find_element(By.NAME, "tags").send_keys("能源")
    driver.find_element(By.ID, "preview").click()
    wait_for(driver, "return document.getElementById('preview-hits') !== null")
    hits = driver.find_elements(By.CSS_SELECTOR, "#preview-hits tbody tr")
    assert hits and all("平朔集团" in hit.text for hit in hits)
    assert "pingshuo-group" not in site.watchlist.read_text(encoding="utf-8")  # nothing saved by a preview
    both_sizes(driver, "watch-form", "#preview-hits td, form.watch-form *", show="label.check")

    driver.find_element(By.ID, "save").click()
    wait_for(driver, "return document.getElementById('done') !== null")
    assert "已保存 平朔集团（pingshuo-group）" in driver.find_element(By.ID, "done").text
    assert 'id = "pingshuo-group"' in site.watchlist.read_text(encoding="utf-8")

    # The next stories arrive (through the store's write path, as a crawl stores them), and detection runs as
    # the daemon or cron runs it, reading the saved file.
    engine = open_store(site.db_url)
    store_story(engine, NEXT_DAY, 1, "平朔集团一季度安全生产", ["平朔集团一季度实现安全生产，产销两旺。"])
    engine.dispose()
    detect = subprocess.run([sys.executable, "-m", "szwatch", "--db", site.db_url, "detect", "--watchlist",
                             str(site.watchlist)], capture_output=True, text=True, timeout=300)  # fmt: skip
    assert detect.returncode == 0, detect.stderr
    open_page(driver, site.server, "/watches/pingshuo-group")
    assert "平朔集团一季度安全生产" in driver.find_element(By.ID, "mentions").text
    assert problems(driver) == []


def test_retry_a_failed_alert(signed_in: Any, site: Site):  # noqa: F811
    from selenium.webdriver.common.by import By

    driver = signed_in
    open_page(driver, site.server, "/alerts?status=failed")
    failed = {d.id for d in deliveries(site) if d.status == "failed"}
    assert failed
    button = driver.find_element(By.CSS_SELECTOR, "button.retry-one")
    chosen = int(button.get_attribute("value"))
    button.click()
    wait_for(driver, "return document.getElementById('done') !== null")
    assert "已重新排队 1 条失败的发送" in driver.find_element(By.ID, "done").text
    states = {d.id: d.status for d in deliveries(site)}
    assert states[chosen] == "pending" and all(states[i] == "failed" for i in failed - {chosen})
    assert problems(driver) == []


def test_pause_a_channel_and_writes_refused_without_csrf_or_token(signed_in: Any, site: Site):  # noqa: F811
    from selenium.webdriver.common.by import By

    driver = signed_in
    open_page(driver, site.server, "/operations")
    row = 'tr[data-channel="team-hook"]'
    driver.find_element(By.CSS_SELECTOR, f"{row} button.pause").click()
    wait_for(driver, "return document.getElementById('done') !== null")
    assert "渠道 team-hook 已暂停" in driver.find_element(By.ID, "done").text
    assert "已暂停" in driver.find_element(By.CSS_SELECTOR, f"{row} td.state").text
    both_sizes(driver, "operations", "#channels td, #routes td, #sources td, #audit td")

    forged = "document.querySelector('tr[data-channel=\"team-hook\"] input[name=csrf]').value = 'forged'"
    driver.execute_script(forged)
    driver.find_element(By.CSS_SELECTOR, f"{row} button.pause").click()
    # the refusal is a new page: wait for it rather than read the page the click left
    wait_for(driver, "return document.body.innerText.includes('CSRF')")
    open_page(driver, site.server, "/operations")
    driver.delete_cookie("szwatch_token")
    driver.find_element(By.CSS_SELECTOR, f"{row} button.pause").click()
    wait_for(driver, "return document.body.innerText.includes('禁止：修改需要访问令牌')")
    driver.get(f"{site.server.url}/operations?token={TOKEN}")
    assert "已暂停" in driver.find_element(By.CSS_SELECTOR, f"{row} td.state").text  # neither forged post resumed it
