"""Channel kinds, looked up by the ``type`` of a ``[[channel]]`` section.

Each kind is one module here that owns its settings (a frozen dataclass and ``parse``) and its ``send``;
the delivery worker and the settings loader only look kinds up. Adding a kind is adding a module and a
line to ``KINDS``. Modules are imported when first used, so commands that never send pay nothing for them.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from szwatch.monitor.alerts.channels.base import ChannelConfig, SettingsReader

KINDS: dict[str, str] = {
    "email": "szwatch.monitor.alerts.channels.email",
    "webhook": "szwatch.monitor.alerts.channels.webhook",
    "wecom": "szwatch.monitor.alerts.channels.wecom",
    "dingtalk": "szwatch.monitor.alerts.channels.dingtalk",
    "feishu": "szwatch.monitor.alerts.channels.feishu",
    "apprise": "szwatch.monitor.alerts.channels.apprise",  # optional extra
}


def module(kind: str) -> ModuleType:
    return importlib.import_module(KINDS[kind])


def parse(reader: SettingsReader, raw: dict[str, Any], env: dict[str, str]) -> ChannelConfig:
    kind = raw.get("type")
    if kind not in KINDS:
        name = raw.get("name", "?")
        raise reader.error("channel.type", f"{name}: one of {', '.join(repr(k) for k in KINDS)}")
    config: ChannelConfig = module(kind).parse(reader, raw, env)
    return config
