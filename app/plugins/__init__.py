"""The plug-in mechanism: pluggy, one manager per application, never global.

In-tree plug-ins live in sub-packages and are enabled by name in ``PLUGINS``;
external ones register under the ``guildhall.plugins`` entry-point group. Core never
imports a plug-in package; it only fires hooks through ``fire``.
"""

from __future__ import annotations

import importlib
from typing import Any

import pluggy
from flask import Flask, current_app

from app.plugins import hookspecs
from app.plugins.cli import plugins_cli
from app.plugins.info import EXTENSION_KEY

hookimpl = pluggy.HookimplMarker("guildhall")

ENTRY_POINT_GROUP = "guildhall.plugins"


def build_plugin_manager(app: Flask, internal: list[Any] | None = None) -> pluggy.PluginManager:
    """Create the app's plug-in manager: core listeners, in-tree and external plug-ins."""
    manager = pluggy.PluginManager("guildhall")
    manager.add_hookspecs(hookspecs)
    for module in internal or []:
        manager.register(module)
    for name in app.config.get("PLUGINS", []):
        # A bare name is an in-tree plug-in; a dotted path names any importable module.
        module = importlib.import_module(name if "." in name else f"app.plugins.{name}")
        manager.register(module, name=name)
    if app.config.get("LOAD_ENTRY_POINT_PLUGINS", True):
        manager.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    app.extensions[EXTENSION_KEY] = manager
    app.cli.add_command(plugins_cli)
    return manager


def plugin_manager(app: Flask | None = None) -> pluggy.PluginManager:
    return (app or current_app).extensions[EXTENSION_KEY]


def fire(event: str, **kwargs: Any) -> list[Any]:
    """Fire a domain event (see hookspecs) on the current app's plug-in manager."""
    return getattr(plugin_manager().hook, event)(**kwargs)
