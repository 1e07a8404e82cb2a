"""The ``[crawl]`` settings section (who runs the crawls) and the dispatcher it makes.

``dispatcher = "local"`` (the default) keeps today's child process; ``"scrapyd"`` sends crawls to the ``nodes``,
which write to the database the daemon uses (or ``database``, the same one as the nodes reach it). The password
for Scrapyd's basic auth comes from the environment variable ``password_env`` names, never from the file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from szwatch.monitor.alerts.channels.base import SettingsReader

if TYPE_CHECKING:  # the settings are read by every command; the crawler only by those that crawl
    from sqlalchemy.engine import Engine

    from szwatch.crawler.dispatch import Dispatcher

KINDS = ("local", "scrapyd")


@dataclass(frozen=True)
class CrawlSettings:
    dispatcher: str = "local"
    nodes: tuple[str, ...] = ()
    username: str = ""
    password_env: str = ""  # the environment variable holding the nodes' password
    password: str = ""  # read from it (not a key)
    database: str = ""  # the database URL as the nodes reach it; empty: the daemon's own
    cancel_on_shutdown: bool = True  # False: jobs run on when the daemon stops, and the next daemon follows them
    poll_seconds: float = 2.0


CRAWL_KEYS = set(CrawlSettings.__dataclass_fields__) - {"password"}


def parse_crawl(reader: SettingsReader, raw: Any, env: dict[str, str]) -> CrawlSettings:
    """The ``[crawl]`` table, every problem named with its file, line and key."""
    reader.only(raw, CRAWL_KEYS, "crawl")
    kind = raw.get("dispatcher", "local")
    if kind not in KINDS:
        raise reader.error("crawl.dispatcher", f'"local" or "scrapyd", not {kind!r}')
    nodes = raw.get("nodes", [])
    if not isinstance(nodes, list) or not all(isinstance(n, str) and n.startswith(("http://", "https://"))
                                              for n in nodes):  # fmt: skip
        raise reader.error("crawl.nodes", 'a list of Scrapyd addresses like "http://10.0.0.5:6800"')
    if len(set(nodes)) < len(nodes):
        raise reader.error("crawl.nodes", "a node is listed twice")
    if kind == "scrapyd" and not nodes:
        raise reader.error("crawl.nodes", 'dispatcher = "scrapyd" needs at least one node, like "http://host:6800"')
    texts = {key: raw.get(key, "") for key in ("username", "password_env", "database")}
    for key, value in texts.items():
        if not isinstance(value, str):
            raise reader.error(f"crawl.{key}", "must be text")
    password = _password(reader, texts["username"], texts["password_env"], env)
    cancel = raw.get("cancel_on_shutdown", True)
    if not isinstance(cancel, bool):
        raise reader.error("crawl.cancel_on_shutdown", "true or false")
    poll = float(reader.signed_number(raw, "poll_seconds", "crawl")) if "poll_seconds" in raw else 2.0
    if not 0 < poll <= 600:
        raise reader.error("crawl.poll_seconds", "seconds, more than 0 and at most 600")
    return CrawlSettings(kind, tuple(n.rstrip("/") for n in nodes), texts["username"], texts["password_env"],
                         password, texts["database"], cancel, poll)  # fmt: skip


def _password(reader: SettingsReader, username: str, variable: str, env: dict[str, str]) -> str:
    if username and not variable:
        raise reader.error("crawl.username", "give password_env too: the variable that holds the nodes' password")
    if variable and variable not in env:
        raise reader.error("crawl.password_env", f"environment variable {variable} is not set")
    return env.get(variable, "") if variable else ""


def make_dispatcher(
    crawl: CrawlSettings, engine: Engine, on_node_down: Callable[[str, str], None] | None = None
) -> Dispatcher:
    if crawl.dispatcher == "local":
        from szwatch.crawler.dispatch import LocalDispatcher

        return LocalDispatcher(engine)
    from szwatch.crawler.scrapyd import ScrapydClient
    from szwatch.crawler.scrapyd_dispatch import ScrapydDispatcher

    auth = (crawl.username, crawl.password) if crawl.username else None
    database = crawl.database or engine.url.render_as_string(hide_password=False)
    return ScrapydDispatcher(engine, crawl.nodes, ScrapydClient(auth), database, crawl.poll_seconds,
                             crawl.cancel_on_shutdown, on_node_down)  # fmt: skip
