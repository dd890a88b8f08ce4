"""A tiny plug-in declaring notification kinds: enabled by its dotted name in
``PLUGINS`` (``@pytest.mark.app_config``), so its tests run with any plug-in set."""

from app.plugins import hookimpl

SECRET_PREFIX = "/sample/secret"


@hookimpl
def notification_kinds():
    return {
        # The old contract: a label alone (in-app only until the member chooses email).
        "sample_digest": "A sample digest is ready",
        "sample_alert": {"label": "A sample alert fired", "group": "Sample plug-in", "email": True},
    }


@hookimpl
def notification_may_reach(user, kind, url):
    """The sample's private things: nobody may be emailed about them any longer."""
    if kind.startswith("sample_") and url.startswith(SECRET_PREFIX):
        return False
    return None
