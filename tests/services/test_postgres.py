"""PostgreSQL: the same app and data model work on the production database.

The whole normal suite also runs on PostgreSQL under ``make test-services``; these
tests make sure that run really is on PostgreSQL and cover what only matters there.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.forums.models import Post, Topic
from tests.factories import make_category, make_post, make_topic, make_user

pytestmark = [pytest.mark.services, pytest.mark.usefixtures("postgres_url")]


def test_the_app_runs_on_postgresql(db):
    assert db.engine.dialect.name == "postgresql"


def test_healthz_answers_ok_on_postgresql(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "ok"


def test_a_topic_with_replies_round_trips(db):
    author = make_user(display_name="Zoë Ünïcode")
    topic = make_topic(author=author, category=make_category(), title="Ünïcode and “quotes” survive")
    for n in range(3):
        make_post(topic, body=f"Reply {n} with a `code span` and émoji 🎉")
    db.session.commit()
    topic_id = topic.id
    db.session.expunge_all()

    loaded = db.session.get(Topic, topic_id)
    posts = db.session.scalars(sa.select(Post).where(Post.topic_id == topic_id).order_by(Post.number)).all()
    assert loaded.title == "Ünïcode and “quotes” survive"
    assert loaded.author.display_name == "Zoë Ünïcode"
    assert [p.number for p in posts] == [1, 2, 3, 4]
    assert loaded.post_count == loaded.highest_post_number == 4
    assert "<code>code span</code>" in posts[-1].body_html
    assert "🎉" in posts[-1].body


def test_demo_bulk_load_works_on_postgresql(runner, db):
    result = runner.invoke(args=["seed-demo", "--posts", "300"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Post)) == 300
    # Identity sequences advanced past the bulk insert: an ordinary insert still works.
    topic = db.session.scalars(sa.select(Topic).order_by(Topic.id.desc())).first()
    make_post(topic, body="One more, through the ORM.")
    db.session.commit()
