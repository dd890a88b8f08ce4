"""Connection services: request, accept, decline, remove and cancel, the quiet
decline with its 30-day cool-down, and who may take part."""

from __future__ import annotations

import pytest

from app.accounts.models import Anonymous
from app.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from app.extensions import db
from app.network import connections
from app.network.connections import (
    STATE_CONNECTED,
    STATE_INCOMING,
    STATE_NONE,
    STATE_OUTGOING,
    STATE_SELF,
    state_between,
)
from app.network.models import Connection
from tests.network.conftest import age_decline, connection_rows, count, notifications_for


def ask(actor, user, message=""):
    row = connections.request_connection(actor, user, message)
    db.session.commit()
    return row


def test_request_creates_a_pending_row_and_notifies_the_addressee(alice, bob):
    ask(alice, bob, "We met at the partner summit.")
    [row] = connection_rows()
    assert (row.requester_id, row.addressee_id, row.status) == (alice.id, bob.id, "pending")
    assert row.message == "We met at the partner summit."
    [note] = notifications_for(bob)
    assert note.message == "Alice Archer asked to connect with you."
    assert note.url == "/connections"
    assert note.actor_id == alice.id
    assert state_between(alice, bob) == STATE_OUTGOING
    assert state_between(bob, alice) == STATE_INCOMING


def test_asking_twice_changes_nothing(alice, bob):
    ask(alice, bob, "first note")
    ask(alice, bob, "second note")
    [row] = connection_rows()
    assert row.message == "first note"
    assert len(notifications_for(bob)) == 1


def test_accept_connects_and_notifies_the_requester(alice, bob):
    ask(alice, bob)
    connections.accept_request(bob, alice)
    db.session.commit()
    [row] = connection_rows()
    assert row.status == "accepted" and row.responded_at is not None
    assert state_between(alice, bob) == state_between(bob, alice) == STATE_CONNECTED
    [note] = notifications_for(alice)
    assert note.message == "Bob Baker accepted your connection request."
    assert note.url == "/u/bob"


def test_accepting_twice_is_harmless(alice, bob):
    ask(alice, bob)
    connections.accept_request(bob, alice)
    connections.accept_request(bob, alice)
    db.session.commit()
    assert connection_rows()[0].status == "accepted"
    assert len(notifications_for(alice)) == 1


def test_asking_someone_who_already_asked_you_connects_you(alice, bob):
    ask(alice, bob)
    ask(bob, alice)
    [row] = connection_rows()
    assert row.status == "accepted"
    assert (row.requester_id, row.addressee_id) == (alice.id, bob.id)
    assert [n.message for n in notifications_for(alice)] == ["Bob Baker accepted your connection request."]


def test_only_the_addressee_can_accept(alice, bob, carol):
    ask(alice, bob)
    with pytest.raises(NotFound):
        connections.accept_request(alice, bob)  # your own request
    with pytest.raises(NotFound):
        connections.accept_request(carol, alice)  # not addressed to carol
    with pytest.raises(NotFound):
        connections.decline_request(carol, alice)
    assert connection_rows()[0].status == "pending"


def test_decline_is_quiet(alice, bob):
    ask(alice, bob)
    connections.decline_request(bob, alice)
    db.session.commit()
    [row] = connection_rows()
    assert row.status == "declined"
    assert notifications_for(alice) == []
    # To Alice the request still looks pending, everywhere.
    assert state_between(alice, bob) == STATE_OUTGOING
    assert connections.outgoing_requests(alice) == [row]
    assert state_between(bob, alice) == STATE_NONE
    assert connections.incoming_requests(bob) == []


def test_declining_an_accepted_connection_is_refused(alice, bob):
    ask(alice, bob)
    connections.accept_request(bob, alice)
    with pytest.raises(Conflict):
        connections.decline_request(bob, alice)


def test_asking_again_during_the_cool_down_writes_nothing(alice, bob):
    ask(alice, bob)
    connections.decline_request(bob, alice)
    db.session.commit()
    before = connection_rows()[0].responded_at
    ask(alice, bob, "please?")
    [row] = connection_rows()
    assert row.status == "declined" and row.responded_at == before and row.message == ""
    assert len(notifications_for(bob)) == 1
    assert state_between(alice, bob) == STATE_OUTGOING


def test_asking_again_after_the_cool_down_is_a_fresh_request(alice, bob):
    ask(alice, bob)
    connections.decline_request(bob, alice)
    db.session.commit()
    age_decline(connection_rows()[0], days=31)
    notifications_for(bob)[0].read_at = notifications_for(bob)[0].created_at
    db.session.commit()
    ask(alice, bob, "It has been a while.")
    [row] = connection_rows()
    assert (row.status, row.responded_at, row.message) == ("pending", None, "It has been a while.")
    assert len(notifications_for(bob)) == 2
    assert connections.incoming_requests(bob) == [row]


def test_the_one_who_declined_can_still_connect_by_asking(alice, bob):
    ask(alice, bob)
    connections.decline_request(bob, alice)
    ask(bob, alice)
    assert connection_rows()[0].status == "accepted"


def test_cancelling_a_pending_request_deletes_it(alice, bob):
    ask(alice, bob)
    connections.remove_connection(alice, bob)
    db.session.commit()
    assert connection_rows() == []
    assert state_between(alice, bob) == state_between(bob, alice) == STATE_NONE


def test_asking_cancelling_and_asking_again_does_not_pile_up_notifications(alice, bob):
    ask(alice, bob)
    connections.remove_connection(alice, bob)
    ask(alice, bob)
    assert len(notifications_for(bob)) == 1
    assert connection_rows()[0].status == "pending"


def test_cancelling_a_declined_request_keeps_the_cool_down(alice, bob):
    ask(alice, bob)
    connections.decline_request(bob, alice)
    connections.remove_connection(alice, bob)
    db.session.commit()
    [row] = connection_rows()
    assert row.status == "declined"
    assert state_between(alice, bob) == STATE_NONE
    assert connections.outgoing_requests(alice) == []
    # Asking again within 30 days looks like a sent request, but bob hears nothing.
    ask(alice, bob)
    assert state_between(alice, bob) == STATE_OUTGOING
    assert connections.incoming_requests(bob) == []
    assert len(notifications_for(bob)) == 1


def test_cancelling_an_old_declined_request_deletes_it(alice, bob):
    ask(alice, bob)
    connections.decline_request(bob, alice)
    db.session.commit()
    age_decline(connection_rows()[0], days=40)
    connections.remove_connection(alice, bob)
    db.session.commit()
    assert connection_rows() == []


def test_a_request_withdrawn_after_a_decline_does_not_connect_when_the_other_asks(alice, bob):
    ask(alice, bob)
    connections.decline_request(bob, alice)
    connections.remove_connection(alice, bob)  # alice withdrew
    ask(bob, alice)
    [row] = connection_rows()
    assert (row.requester_id, row.addressee_id, row.status) == (bob.id, alice.id, "pending")
    assert state_between(alice, bob) == STATE_INCOMING
    assert [n.message for n in notifications_for(alice)] == ["Bob Baker asked to connect with you."]


def test_either_side_can_remove_a_connection(alice, bob, carol):
    ask(alice, bob)
    connections.accept_request(bob, alice)
    ask(carol, alice)
    connections.accept_request(alice, carol)
    connections.remove_connection(bob, alice)  # the addressee removes
    connections.remove_connection(carol, alice)  # the requester removes
    db.session.commit()
    assert connection_rows() == []


def test_removing_nothing_is_not_an_error(alice, bob):
    connections.remove_connection(alice, bob)
    assert connection_rows() == []


def test_the_addressee_removing_a_pending_request_declines_it(alice, bob):
    ask(alice, bob)
    connections.remove_connection(bob, alice)
    db.session.commit()
    assert connection_rows()[0].status == "declined"


def test_you_cannot_connect_to_yourself(alice):
    with pytest.raises(Invalid, match="yourself"):
        connections.request_connection(alice, alice)
    assert state_between(alice, alice) == STATE_SELF
    assert count(Connection) == 0


@pytest.mark.parametrize("target", ["unconfirmed", "suspended"])
def test_you_cannot_connect_to_an_unconfirmed_or_suspended_member(request, alice, target):
    other = request.getfixturevalue(target)
    with pytest.raises(Invalid, match="cannot be reached"):
        connections.request_connection(alice, other)
    db.session.rollback()
    assert count(Connection) == 0


@pytest.mark.parametrize("who", ["unconfirmed", "suspended", "anonymous"])
def test_unconfirmed_suspended_and_anonymous_actors_cannot_act(request, alice, who):
    actor = Anonymous() if who == "anonymous" else request.getfixturevalue(who)
    for action in (
        connections.request_connection,
        connections.accept_request,
        connections.decline_request,
        connections.remove_connection,
    ):
        with pytest.raises(PermissionDenied):
            action(actor, alice)
    assert count(Connection) == 0


def test_accepting_a_request_from_a_since_suspended_member_is_refused(alice, bob):
    ask(alice, bob)
    from tests.network.conftest import suspend

    suspend(alice)
    with pytest.raises(Invalid):
        connections.accept_request(bob, alice)
    db.session.rollback()
    assert connection_rows()[0].status == "pending"


def test_the_note_is_cleaned_and_bounded(alice, bob):
    with pytest.raises(Invalid, match="at most 300"):
        connections.request_connection(alice, bob, "x" * 301)
    db.session.rollback()
    assert count(Connection) == 0
    ask(alice, bob, "  hello\x00\n\n  there  ")
    assert connection_rows()[0].message == "hello there"


def test_connection_events_fire(app, alice, bob):
    from app.plugins import hookimpl, plugin_manager

    seen: list[tuple] = []

    class Listener:
        @hookimpl
        def connection_accepted(self, connection, actor):
            seen.append(("accepted", connection.requester_id, actor.id))

        @hookimpl
        def connection_removed(self, user, other, actor):
            seen.append(("removed", user.id, other.id))

    plugin_manager(app).register(Listener())
    ask(alice, bob)
    connections.accept_request(bob, alice)
    connections.remove_connection(alice, bob)
    assert seen == [("accepted", alice.id, bob.id), ("removed", alice.id, bob.id)]


def test_one_row_per_pair_whichever_way_round(db, alice, bob):
    """The pair key makes a second row for the same two members impossible, even if
    two requests race past the service's check."""
    import pytest
    from sqlalchemy.exc import IntegrityError

    from app.network.models import Connection

    first, second = alice, bob
    db.session.add(Connection(requester_id=first.id, addressee_id=second.id))
    db.session.commit()
    db.session.add(Connection(requester_id=second.id, addressee_id=first.id))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
