"""A tiny plug-in for the admin tests: enabled by its dotted name in ``PLUGINS``."""

from app.plugins import hookimpl

__version__ = "1.2.3"


@hookimpl
def admin_pages(actor):
    return [{"label": "Sample plug-in", "endpoint": "admin.plugins", "permission": "admin.plugins"}]
