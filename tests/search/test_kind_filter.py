"""The search page's kind filter lists only kinds some enabled feature provides (issue
19: it offered "Events" before any events feature existed)."""

from __future__ import annotations

from app.plugins import hookimpl


class EventsPlugin:
    """Stands in for an events plug-in: it declares the kind it indexes."""

    @hookimpl
    def search_kinds(self) -> dict[str, str]:
        return {"event": "Events"}


def test_the_search_page_offers_no_kind_that_no_feature_provides(client):
    html = client.get("/search?q=anything").get_data(as_text=True)
    assert 'value="event"' not in html and "Events" not in html
    for kind in ("topic", "question", "post", "answer", "member", "organization"):
        assert f'id="kind-{kind}" name="kind" value="{kind}"' in html


def test_a_plugin_that_declares_a_kind_gets_a_filter_for_it(app, client):
    app.extensions["guildhall_plugins"].register(EventsPlugin())
    html = client.get("/search?q=anything").get_data(as_text=True)
    assert 'id="kind-event" name="kind" value="event"' in html and "> Events</label>" in html
