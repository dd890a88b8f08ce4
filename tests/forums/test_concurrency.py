"""Concurrent replies to one topic never share a post number."""

from __future__ import annotations

import threading

import sqlalchemy as sa

from app.accounts.models import User
from app.forums import services
from app.forums.models import Post, Topic
from tests.factories import make_topic, make_user

THREADS = 10


def test_ten_concurrent_replies_get_distinct_numbers(app, db):
    users = [make_user() for _ in range(THREADS)]
    topic = make_topic()
    db.session.commit()
    topic_id, user_ids = topic.id, [u.id for u in users]
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def reply(user_id: int, n: int) -> None:
        with app.app_context():
            try:
                actor = db.session.get(User, user_id)
                target = db.session.get(Topic, topic_id)
                barrier.wait(timeout=10)
                services.create_reply(actor, target, f"reply from thread {n}")
                db.session.commit()
            except Exception as error:  # noqa: BLE001 - collected and asserted below
                db.session.rollback()
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=reply, args=(uid, n)) for n, uid in enumerate(user_ids)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    db.session.expire_all()
    numbers = list(db.session.scalars(sa.select(Post.number).where(Post.topic_id == topic_id)))
    assert sorted(numbers) == list(range(1, THREADS + 2))
    topic = db.session.get(Topic, topic_id)
    assert topic.highest_post_number == THREADS + 1
    assert topic.post_count == THREADS + 1
