"""A drain batch that names one document twice writes it once.

Whoosh's ``update_document`` replaces copies in committed segments only, so two
changes to one key in one writer used to leave two copies (a topic queued by its own
change and by its first post's), and ``flask search check`` then saw more documents
in the index than in the database.
"""

from __future__ import annotations

from app.search.models import SearchPending
from tests.factories import make_topic


def test_a_key_queued_twice_in_one_batch_is_indexed_once(app, db, runner, member, category):
    topic = make_topic(author=member, category=category)
    db.session.commit()
    assert runner.invoke(args=["search", "reindex"]).exit_code == 0
    db.session.add_all([SearchPending(key=f"topic:{topic.id}"), SearchPending(key=f"topic:{topic.id}")])
    db.session.commit()
    assert runner.invoke(args=["search", "drain"]).exit_code == 0
    result = runner.invoke(args=["search", "check"])
    assert result.exit_code == 0, result.output
