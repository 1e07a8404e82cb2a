"""The JSON API and the pages over HTTP, against ``szwatch web`` serving a crawled replica."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date

import httpx
import pytest
import yaml

from tests.app.web.conftest import EVIL_DAY, EVIL_TITLE, Archive, WebServer

ROOT = __import__("pathlib").Path(__file__).resolve().parents[3]
PAGES = ["/issues?month=2024-05", "/issues/2024-05-07", "/articles/1", "/search?q=平朔", "/watches", "/watches/gdp",
         "/watches/dongli-polysilicon", "/alerts", "/status"]  # fmt: skip


def test_healthz_and_every_page_answer(client: httpx.Client):
    assert client.get("/healthz").json() == {"ok": True}
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith("text/html")
    assert client.get("/").headers["location"] == "/issues"


def test_issue_calendar_marks_papers_missing_days_and_states(client: httpx.Client, archive: Archive):
    data = client.get("/api/issues", params={"month": "2024-05"}).json()
    states = {i["issue_date"]: i["status"] for i in data["issues"]}
    manifest = archive.manifest
    assert [d for d, s in states.items() if s == "complete"] == [d.isoformat() for d in manifest.dates]
    assert {d.isoformat() for d in manifest.missing} <= {d for d, s in states.items() if s == "no_issue"}
    assert data["newest"] == "2024-06-03" and data["next"] == "2024-06"
    html = client.get("/issues", params={"month": "2024-05"}).text
    holiday = date(2024, 5, 15).isoformat()
    assert re.search(rf'class="day no_issue"\s+data-date="{holiday}"', html)
    assert html.count('<td class="day complete"') == len(manifest.dates)
    assert "/issues/2024-05-07" in html


def test_issue_lists_its_pages_and_articles_in_page_order(client: httpx.Client, archive: Archive):
    issue = client.get("/api/issues/2024-05-07").json()
    assert [p["code"] for p in issue["pages"]] == ["A1", "A2", "A3", "A4"]
    assert all(a["id"] and a["title"] for p in issue["pages"] for a in p["articles"])
    shared = next(path for path in archive.manifest.shared if path.startswith("/shtml/szrb/20240507/"))
    on = [p["code"] for p in issue["pages"] if any(a["url"].endswith(shared) for a in p["articles"])]
    assert on == ["A1", "A3"]  # listed on two pages, stored once
    html = client.get("/issues/2024-05-07").text
    assert 'id="page-A4"' in html and "社会·文化" in html
    assert client.get("/issues/2024-05-11").status_code == 200  # a day without a paper has a row too
    assert client.get("/api/issues/2023-01-01").status_code == 404
    assert client.get("/api/issues/yesterday").json()["error"].startswith("'yesterday' is not a date")
    assert issue["paper"] == "szrb" and all(p["pdf_url"] is None for p in issue["pages"])  # no PDF on this site
    assert all(p["image_url"].endswith(f"/shtml/images/szrb/20240507/{p['code']}.jpg") for p in issue["pages"])
    other = client.get("/api/issues/2024-05-07", params={"paper": "sxrb"})  # another paper: none stored here
    assert other.status_code == 404 and "sxrb" in other.json()["error"]
    assert client.get("/api/issues", params={"month": "2024-05", "paper": "sxrb"}).json()["issues"] == []


def test_article_shows_everything_stored_about_it(client: httpx.Client, archive: Archive):
    head_path, tail_path = next(iter(archive.manifest.continued.items()))
    head_id = next(a["id"] for p in client.get(f"/api/issues/{_day(head_path)}").json()["pages"]
                   for a in p["articles"] if a["url"].endswith(head_path))  # fmt: skip
    head = client.get(f"/api/articles/{head_id}").json()
    assert len(head["paragraphs"]) >= 2
    assert all(part["url"].endswith(path) for part, path in zip(head["parts"], (head_path, tail_path), strict=True))
    html = client.get(f"/articles/{head_id}").text
    tail_id = head["parts"][1]["id"]
    assert f'href="/articles/{tail_id}"' in html and "全文各部分" in html
    assert f'href="{head["url"]}"' in html  # the original
    for paragraph in head["paragraphs"]:
        assert f"<p>{paragraph}</p>" in html
    with_pictures = next(
        a for a in (client.get(f"/api/articles/{i}").json() for i in range(1, 2000)) if a.get("pictures")
    )
    assert any("摄" in (p["caption"] or "") for p in with_pictures["pictures"])
    assert client.get("/articles/999999").status_code == 404


def test_a_continued_story_is_marked_as_the_paper_prints_it(client: httpx.Client, archive: Archive):
    head_path, tail_path = next(iter(archive.manifest.continued.items()))
    lines = [a for p in client.get(f"/api/issues/{_day(head_path)}").json()["pages"] for a in p["articles"]]
    head = next(a for a in lines if a["url"].endswith(head_path))
    tail = next(a for a in lines if a["url"].endswith(tail_path))
    assert re.fullmatch(r"转\w+版", head["continued"]) and re.fullmatch(r"接\w+版", tail["continued"])
    html = client.get(f"/issues/{_day(head_path)}").text
    assert head["continued"] in html and ">to " not in html and ">from " not in html


def _day(path: str) -> str:
    digits = re.search(r"/(\d{8})/", path).group(1)  # type: ignore[union-attr]
    return f"{digits[:4]}-{digits[4:6]}-{digits[6:]}"


def test_changed_article_shows_its_earlier_version(client: httpx.Client, archive: Archive):
    article = client.get(f"/api/articles/{archive.changed_id}").json()
    assert article["title"].endswith("（更新）") and article["paragraphs"] == ["更正后的正文。"]
    [version] = article["versions"]
    assert not version["title"].endswith("（更新）") and version["paragraphs"] != ["更正后的正文。"]
    assert "+08:00" in version["superseded_at"]  # Shanghai time
    assert "历史版本" in client.get(f"/articles/{archive.changed_id}").text


@pytest.mark.parametrize("query", ["煤", "平朔", "多晶硅", "集大原 高铁"])
def test_search_api_finds_terms_of_any_length_with_the_hit_marked(client: httpx.Client, query: str):
    data = client.get("/api/search", params={"q": query}).json()
    first = query.split()[0]
    assert data["total"] >= len(data["results"]) > 0
    assert set(data["results"][0]) >= {"url", "issue_date", "page", "title", "snippet"}
    assert all(first in r["snippet"] or first in r["title"] for r in data["results"])
    assert any(f"【{first}】" in r["snippet"] for r in data["results"])
    dates = [r["issue_date"] for r in data["results"]]
    assert dates == sorted(dates, reverse=True)


def test_search_filters_paging_and_order(client: httpx.Client):
    everything = client.get("/api/search", params={"q": "项目", "limit": 100}).json()
    assert everything["total"] > 20
    window = client.get("/api/search", params={"q": "项目", "from": "2024-05-08", "to": "2024-05-09"}).json()
    assert 0 < window["total"] < everything["total"]
    assert {r["issue_date"] for r in window["results"]} <= {"2024-05-08", "2024-05-09"}
    page = client.get("/api/search", params={"q": "项目", "page": "A3", "limit": 100}).json()
    assert page["total"] and {r["page"] for r in page["results"]} == {"A3"}
    first = client.get("/api/search", params={"q": "项目", "limit": 5}).json()
    second = client.get("/api/search", params={"q": "项目", "limit": 5, "offset": 5}).json()
    assert first["total"] == second["total"] == everything["total"]
    assert [r["url"] for r in first["results"] + second["results"]] == [r["url"] for r in everything["results"][:10]]
    newest = client.get("/api/search", params={"q": "多晶硅", "limit": 100}).json()
    relevance = client.get("/api/search", params={"q": "多晶硅", "order": "relevance", "limit": 100}).json()
    assert 1 < relevance["total"] == newest["total"] <= 100
    assert sorted(r["url"] for r in relevance["results"]) == sorted(r["url"] for r in newest["results"])
    assert [r["url"] for r in relevance["results"]] != [r["url"] for r in newest["results"]]
    html = client.get("/search", params={"q": "项目", "limit": 5}).text
    assert 'id="next"' in html and "offset=5" in html
    assert {r["paper"] for r in everything["results"]} == {"szrb"}  # the archive holds one paper
    assert client.get("/api/search", params={"q": "项目", "paper": "szrb"}).json()["total"] == everything["total"]
    assert client.get("/api/search", params={"q": "项目", "paper": "sxrb"}).json()["total"] == 0


@pytest.mark.parametrize(
    ("params", "message"),
    [({"q": ""}, "nothing to search"), ({"q": "！？"}, "nothing to search"), ({"q": "煤", "from": "May"}, "from:"),
     ({"q": "煤", "limit": "0"}, "limit:"), ({"q": "煤", "order": "random"}, "order:"),
     ({"q": "煤", "from": "2024-05-09", "to": "2024-05-01"}, "from is after to")],
)  # fmt: skip
def test_bad_search_is_a_400_with_a_reason(client: httpx.Client, params: dict, message: str):
    response = client.get("/api/search", params=params)
    assert response.status_code == 400 and message in response.json()["error"]
    if params["q"]:
        assert message in client.get("/search", params=params).text  # the page says it too


def test_indicator_series_has_periods_scopes_values_and_sources(client: httpx.Client):
    data = client.get("/api/indicators/gdp").json()
    assert data["name"] == "地区生产总值" and len(data["observations"]) >= 5
    scopes = {o["scope"] for o in data["observations"]}
    assert "全市" in scopes and len(scopes) >= 3
    for obs in data["observations"]:
        assert set(obs) >= {"period", "period_start", "period_end", "scope", "value", "unit", "growth", "source",
                            "revised", "period_label"}  # fmt: skip
        assert obs["source"]["article_id"] and obs["source"]["title"]
    year = next(o for o in data["observations"] if o["period_label"] == "2023年" and o["scope"] == "全市")
    assert year["value"] == 1285.6 and year["unit"] == "亿元" and year["growth"] == 5.1
    assert (year["period_start"], year["period_end"]) == ("2023-01-01", "2023-12-31")  # a chart's axis
    html = client.get("/watches/gdp").text
    assert '<script type="application/json" id="chart-data">' in html and 'id="observations"' in html
    assert client.get("/api/indicators/dongli-polysilicon").status_code == 404
    assert client.get("/api/indicators/nothing").status_code == 404


def test_watches_mentions_and_facts(client: httpx.Client):
    watches = client.get("/api/watches").json()["watches"]
    by_id = {w["id"]: w for w in watches}
    assert by_id["dongli-polysilicon"]["kind"] == "project" and by_id["dongli-polysilicon"]["found"] > 0
    assert by_id["gdp"]["kind"] == "indicator" and by_id["gdp"]["found"] > 0
    mentions = client.get("/api/watches/dongli-polysilicon/mentions", params={"limit": 3}).json()
    assert mentions["total"] > 3 and len(mentions["mentions"]) == 3
    assert {"name", "variant"} & {m["match_kind"] for m in client.get(
        "/api/watches/dongli-polysilicon/mentions").json()["mentions"]}  # fmt: skip
    one = mentions["mentions"][0]
    assert one["surface"] in one["snippet"] and one["source"]["article_id"]
    project = client.get("/api/watches/zhongmei-olefin").json()
    assert project["facts"] and {f["field"] for f in project["facts"]} <= {"investment", "stage", "progress"}
    assert all(f["source"]["article_id"] for f in project["facts"])
    html = client.get("/watches/zhongmei-olefin").text
    assert 'id="timeline-data"' in html and 'id="facts"' in html and "<mark>" in html


def test_alerts_and_status(client: httpx.Client):
    alerts = client.get("/api/alerts", params={"limit": 5}).json()["alerts"]
    assert len(alerts) == 5 and all("deliveries" in a and a["rule"] for a in alerts)
    assert client.get("/api/alerts", params={"status": "failed"}).json()["alerts"] == []
    assert client.get("/api/alerts", params={"status": "lost"}).status_code == 400
    status = client.get("/api/status").json()
    assert status["newest_issue"] == EVIL_DAY.isoformat() and status["crawls"][0]["status"] == "ok"
    assert status["healthy"] is True and status["conditions"] == {}  # no daemon is configured: none is missing
    assert "+08:00" in status["checked_at"]
    html = client.get("/status").text
    assert "运行正常" in html and 'id="crawls"' in html
    assert ">完成<" in html and "latest" not in html  # the crawl's request and outcome in Chinese; the API keeps "ok"


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_no_route_writes(client: httpx.Client, method: str):
    for path in ("/api/search?q=煤", "/articles/1", "/api/alerts", "/issues"):
        response = client.request(method, path)
        assert response.status_code == 405 and response.headers["allow"] == "GET, HEAD"


def test_every_page_has_a_strict_csp_and_no_inline_script(client: httpx.Client):
    for path in PAGES:
        response = client.get(path)
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "default-src 'none'" in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        for tag in re.findall(r"<script\b[^>]*>", response.text):
            assert 'src="/static/' in tag or 'type="application/json"' in tag, (path, tag)
        assert not re.search(r"<[a-z]+\b[^>]*\son[a-z]+\s*=", response.text), path  # no inline event handlers
    assert client.get("/static/vendor/echarts/echarts.min.js").status_code == 200


def test_hostile_text_is_shown_as_text(client: httpx.Client, archive: Archive):
    for path in (f"/articles/{archive.evil_id}", f"/issues/{EVIL_DAY}", "/search?q=东立多晶硅项目", "/search?q=alert"):
        html = client.get(path).text
        assert "<script>alert" not in html and "<img src=x" not in html and "<b>加粗" not in html, path
    article = client.get(f"/articles/{archive.evil_id}").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in article
    assert "&lt;img src=x onerror=" in article and "&lt;i&gt;引题&lt;/i&gt;" in article
    found = client.get("/api/search", params={"q": "alert"}).json()["results"]
    assert [r["title"] for r in found] == [EVIL_TITLE]  # the API returns the text as stored: JSON is not HTML


def test_loopback_server_answers_only_loopback_host_names(client: httpx.Client):
    assert client.get("/healthz", headers={"Host": "rebound.example"}).status_code == 400
    assert client.get("/healthz", headers={"Host": "localhost"}).status_code == 200


def test_token_is_required_on_every_request_when_set(archive: Archive):
    server = WebServer(archive.db_url, env={"SZWATCH_WEB_TOKEN": "s3cret-token"}).wait()
    try:
        with httpx.Client(base_url=server.url) as c:
            for path in ("/healthz", "/api/search?q=煤", "/issues", "/static/szwatch.css"):
                assert c.get(path).status_code == 401, path
            assert c.get("/api/status", headers={"Authorization": "Bearer wrong"}).status_code == 401
            assert c.get("/api/status", headers={"Authorization": "Bearer s3cret-token"}).status_code == 200
            login = c.get("/search?q=煤&token=s3cret-token")
            assert login.status_code == 303 and login.headers["location"] == "/search?q=%E7%85%A4"
            cookie = login.headers["set-cookie"]
            assert "httponly" in cookie.lower() and "samesite=strict" in cookie.lower()
            assert c.get("/search?q=煤").status_code == 200  # the cookie carries it now
        with httpx.Client(base_url=server.url) as fresh:
            assert fresh.get("/issues?token=wrong").status_code == 401
    finally:
        output = server.stop()
    assert "refused: no valid token" in output and "s3cret-token" not in output


def test_busy_port_is_one_line_error(archive: Archive, web: WebServer):
    result = subprocess.run([sys.executable, "-m", "szwatch", "--db", archive.db_url, "web", "--port", str(web.port)],
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith(f"szwatch: error: cannot listen on 127.0.0.1:{web.port}")


def test_cli_loads_the_web_stack_only_for_the_web_command():
    code = "import sys, szwatch.app.cli; print(sorted({'starlette', 'uvicorn', 'jinja2'} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == "[]"


def test_compose_runs_the_web_view_and_systemd_has_a_unit():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    web = compose["services"]["web"]
    assert web["command"][:2] == ["szwatch", "web"] and "0.0.0.0" in web["command"]
    assert web["environment"]["SZWATCH_DB"].startswith("postgresql+psycopg://")
    assert "SZWATCH_WEB_TOKEN" in web["environment"]
    assert all(port.startswith("127.0.0.1:") for port in web["ports"])  # the host publishes it on loopback only
    unit = (ROOT / "deploy" / "szwatch-web.service").read_text(encoding="utf-8")
    assert "ExecStart=/opt/szwatch/.venv/bin/szwatch web" in unit


def test_ci_installs_the_browser_so_browser_tests_never_skip_there():
    import os
    import shutil

    if os.environ.get("CI") != "true":
        pytest.skip("only CI must have Chromium (.ci/browser.sh installs it)")
    assert shutil.which("chromium") and shutil.which("chromedriver")


@pytest.mark.parametrize("path", ["/api/articles/99999999999999999999", "/articles/99999999999999999999"])
def test_an_id_past_the_databases_range_is_a_400_with_a_reason(client: httpx.Client, path: str):
    response = client.get(path)
    assert response.status_code == 400 and "article id: must be between 1 and" in response.text


@pytest.mark.parametrize("characters", [9_000, 60_000])
def test_an_over_long_request_is_answered_414_not_dropped(web: WebServer, characters: int):
    """60,000 characters of Chinese are 540 KB percent-encoded: the server still reads the request and answers."""
    import socket
    from urllib.parse import quote, urlsplit

    address = urlsplit(web.url)
    target = "/api/search?q=" + quote("硅" * characters)
    with socket.create_connection((address.hostname, address.port), timeout=30) as conn:
        conn.sendall(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        answer = b"".join(iter(lambda: conn.recv(65536), b""))
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 414") and b"at most 8192" in body
