"""The accounts feature's header navigation entry."""

from app.accounts import hooks


def test_organizations_nav_item_links_to_the_list(app, client):
    manager = app.extensions["guildhall_plugins"]
    if not manager.is_registered(hooks):
        manager.register(hooks)
    page = client.get("/orgs")
    assert b'href="/orgs">Organizations</a>' in page.data
