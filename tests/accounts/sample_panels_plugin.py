"""A plug-in for the panel tests: titled cards on profiles and organization pages.

It answers only for viewers who are signed in, and puts the viewer's name in the
card, so a test can tell that the core passed the right viewer and subject."""

from markupsafe import escape

from app.plugins import hookimpl


@hookimpl
def profile_panels(user, viewer):
    if not getattr(viewer, "is_authenticated", False):
        return []
    return [
        {"title": "Second card", "html": f"<p>seen by {escape(viewer.username)}</p>", "order": 20},
        {"title": "First card", "html": f"<p>profile of {escape(user.username)}</p>", "order": 10},
        {"title": "", "html": "<p>untitled cards are dropped</p>"},
    ]


@hookimpl
def organization_panels(organization, viewer):
    return [{"title": "Org card <b>", "html": f"<p>org {escape(organization.slug)}</p>"}]
