"""``szwatch scrapyd deploy``: put this szwatch on the Scrapyd nodes the daemon hands crawls to."""

from __future__ import annotations

import sys

import click

from szwatch.app.cli.base import cli, config_option


@cli.group("scrapyd")
def scrapyd_group() -> None:
    """Scrapyd nodes that crawl for the daemon ([crawl] dispatcher = "scrapyd")."""


@scrapyd_group.command("deploy")
@click.option(
    "--node", "nodes", multiple=True, metavar="URL", help="A Scrapyd node (repeatable); default: [crawl] nodes."
)
@config_option
def deploy_command(nodes: tuple[str, ...], config_path: str | None) -> None:
    """Build the egg (the job spider's entry point, pinned to this szwatch version) and upload it to every node
    with addversion.json; exit 1 if a node did not take it. Each node needs this szwatch installed.

    Example: szwatch scrapyd deploy --node http://10.0.0.5:6800
    """
    from szwatch.app.settings import load_settings
    from szwatch.crawler.dispatch.egg import egg_version
    from szwatch.crawler.dispatch.scrapyd_api import NodeError, ScrapydClient

    crawl = load_settings(config_path).crawl
    targets = [n.rstrip("/") for n in nodes] or list(crawl.nodes)
    if not targets:
        raise click.UsageError("no Scrapyd node: give --node URL or set [crawl] nodes in the settings")
    client = ScrapydClient((crawl.username, crawl.password) if crawl.username else None)
    version, failed = egg_version(), 0
    for node in targets:
        try:
            answer = client.deploy(node, version)
        except NodeError as exc:
            click.echo(f"{node}: not deployed: {exc.problem}", err=True)
            failed += 1
            continue
        click.echo(f"{node}: szwatch {version} deployed (spiders: {answer.get('spiders', '?')})")
    sys.exit(1 if failed else 0)
