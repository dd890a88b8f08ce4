"""The councils leak matrix (issue 22, "Privacy"): every way out of Guildhall × every
kind of outsider.

One council is filled with content whose every text carries a canary word (meeting,
agenda item, minutes, motion, ballot, feedback, action item, application, chat
message). Each test below is one *path* out (council routes, site pages and JSON,
search, notifications and email, chat over HTTP, Socket.IO, the page cache) and is
run once per *persona*: an anonymous visitor, a site member, a member of another
council, a former member (term ended by ``flask councils expire-terms``), a lapsed
member (term over, the job not yet run) and a removed member. No canary may reach
any of them, and a council that exists answers them exactly as one that does not.

Former, lapsed and removed members legitimately know the council's name; the
canaries they must not see are those written after they left, and the text of the
notification they received while they were members.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from app.chat.channels import member_ids, sync_plugin_channels
from app.chat.messages import post_message
from app.core.db import utcnow
from app.extensions import db as _db
from app.extensions import socketio
from app.notifications.mail import outbox_messages
from app.plugins.councils import actions, documents, feedback, meetings, motions, services
from tests.factories import browser_session_id, make_org, make_user

PERSONAS = ("visitor", "site member", "other council", "former", "lapsed", "removed")
LEFT = ("former", "lapsed", "removed")
NAME = "EMEA Partner Council"  # the conftest council

# Written after former/removed members left: nobody outside may see any of them.
CANARIES = {
    "meeting": "Quokkameeting",
    "location": "Quokkalocation",
    "item": "Quokkaitem",
    "minutes": "Quokkaminutes",
    "summary": "Quokkasummary",
    "motion": "Quokkamotion",
    "motion text": "Quokkamotiontext",
    "feedback": "Quokkafeedback",
    "problem": "Quokkaproblem",
    "action": "Quokkaaction",
    "statement": "Quokkastatement",
    "chat": "Quokkachat",
    "document": "Quokkadocument",
    "note title": "Quokkanotetitle",
    "note": "Quokkanotebody",
}
EARLY = "Wombatmeeting"  # a meeting announced while everybody was still a member
FLASH = re.compile(r'<p class="flash[^"]*" role="status">.*?</p>', re.S)
NS = "/chat"


def _seat(council, chair, user) -> Any:
    services.grant_seat(chair, council, user)
    services.accept_charter(user, council, council.charter_version)
    return user


@pytest.fixture
def world(db, app, runner, admin, council, chair) -> dict:
    """The council full of canaries, its room, and one person per persona."""
    council.seats = 10
    member = _seat(council, chair, make_user(organization=make_org()))
    other = services.create_council(admin, "Global Council", "Charter")
    elsewhere = make_user(organization=make_org())
    services.grant_seat(admin, other, elsewhere)
    services.accept_charter(elsewhere, other, other.charter_version)
    former, lapsed, removed = (_seat(council, chair, make_user(organization=make_org())) for _ in range(3))
    db.session.commit()
    room = sync_plugin_channels(chair)[0]
    sync_plugin_channels(member)
    db.session.commit()

    # While everybody is a member: a meeting is announced to all of them.
    meetings.create_meeting(chair, council, EARLY, "2027-03-04T15:00", "UTC", location="Berlin")
    db.session.commit()

    # Then three of them leave, each in their own way.
    services.membership_of(former, council).term_end = services.today()
    services.membership_of(lapsed, council).term_end = services.today()
    services.end_membership(chair, services.membership_of(removed, council))
    db.session.commit()
    result = runner.invoke(args=["councils", "expire-terms"])
    assert result.exit_code == 0 and "Ended 2" in result.output, result.output
    services.membership_of(lapsed, council).status = "active"  # as if the job had not run yet
    db.session.commit()

    # Everything written afterwards carries a canary.
    c = CANARIES
    meeting = meetings.create_meeting(
        chair, council, c["meeting"], "2027-05-04T15:00", "Europe/Berlin", location=c["location"]
    )
    item = meetings.add_agenda_item(
        chair,
        council,
        meeting,
        c["item"],
        "decision",
        summary=c["summary"],
        public_after=services.today() + timedelta(days=30),
    )
    meetings.write_minutes(chair, council, item, c["minutes"], publish=True)
    action = actions.add_action(chair, council, meeting, c["action"], member, "2027-06-01")
    motion = motions.create_motion(
        chair,
        council,
        c["motion"],
        c["motion text"],
        closes_at=utcnow() + timedelta(days=2),
        quorum_kind="count",
        quorum_value=1,
    )
    motions.cast_vote(member, motion, "yes")
    raised = feedback.raise_feedback(member, council, c["feedback"], c["problem"], motion_id=motion.id)
    applicant = make_user(organization=make_org())
    council.applications_open_from = services.today() - timedelta(days=1)
    council.applications_open_until = services.today() + timedelta(days=1)
    application = services.apply(applicant, council, c["statement"])
    council.applications_open_until = services.today() - timedelta(days=1)  # window closed again
    invitation = services.invite(chair, council, make_user(organization=make_org()))
    post_message(chair, room, c["chat"])
    documents.add_document(chair, council, c["document"], url=f"https://files.example.com/{c['document']}")
    note = documents.add_document(chair, council, c["note title"], body=f"# {c['note']}")
    db.session.commit()

    people = {
        "visitor": None,
        "site member": make_user(organization=make_org()),
        "other council": elsewhere,
        "former": former,
        "lapsed": lapsed,
        "removed": removed,
    }
    db.session.commit()
    return {
        "council": council,
        "chair": chair,
        "member": member,
        "room": room,
        "people": people,
        "ids": {
            "council_id": council.id,
            "meeting_id": meeting.id,
            "item_id": item.id,
            "motion_id": motion.id,
            "feedback_id": raised.id,
            "action_id": action.id,
            "application_id": application.id,
            "invitation_id": invitation.id,
            "membership_id": services.membership_of(member, council).id,
            "document_id": note.id,
        },
    }


def _forbidden(persona: str) -> tuple[str, ...]:
    words = tuple(CANARIES.values())
    return words if persona in LEFT else (*words, EARLY, NAME)


def _assert_clean(text: str, persona: str, where: str) -> None:
    leaked = [word for word in _forbidden(persona) if word.lower() in text.lower()]
    assert not leaked, f"{persona} sees {leaked} through {where}"


def _page(response) -> str:
    """The body without flashed messages (a visitor's sign-in prompt may linger)."""
    return re.sub(r"\s+", " ", FLASH.sub("", response.get_data(as_text=True)))


def _sign(client, person) -> Any:
    with client.session_transaction() as session:
        session.clear()
        if person is not None:
            session["_user_id"] = browser_session_id(person)
            session["_fresh"] = True
    return client


def _council_routes(app) -> list[tuple[str, Any]]:
    """Every council route but the listing and the admin-only form (method, rule)."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/councils/") or rule.endpoint in ("councils.index", "councils.new"):
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((method, rule))
    return found


def _url(rule, ids: dict, shift: int) -> str:
    values = {}
    for name in rule.arguments:
        if name in ids:
            values[name] = ids[name] + (shift if name in ("council_id", "invitation_id") else 0)
        elif name.endswith("_id"):
            values[name] = 1  # an id this route learned after the matrix was written
        elif name == "decision":
            values[name] = "grant"
        elif name == "answer":
            values[name] = "accept"
    return rule.build(values, append_unknown=False)[1]


def _rows() -> dict[str, int]:
    tables = [t for name, t in _db.metadata.tables.items() if name.startswith(("council", "chat_message"))]
    return {t.name: _db.session.scalar(sa.select(sa.func.count()).select_from(t)) for t in tables}


# --- path: every council route ----------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_council_route_answers_as_for_a_missing_council_and_writes_nothing(app, client, world, persona):
    routes = _council_routes(app)
    assert len(routes) >= 20, routes  # the matrix must grow with the plug-in
    assert {"council_documents.list", "council_documents.show"} <= {rule.endpoint for _, rule in routes}
    before = _rows()
    _sign(client, world["people"][persona])
    form = {
        "title": "x",
        "choice": "yes",
        "statement": "x" * 40,
        "version": 1,
        "body": "x",
        "problem": "x",
        "status": "shipped",
        "username": world["member"].username,
    }
    for method, rule in routes:
        real = client.open(_url(rule, world["ids"], 0), method=method, data=form)
        missing = client.open(_url(rule, world["ids"], 100_000), method=method, data=form)
        where = f"{method} {rule.rule}"
        assert real.status_code == missing.status_code, (persona, where)
        if persona == "visitor":
            assert real.status_code in (302, 401), where
            assert (
                real.headers.get("Location", "").split("?")[0]
                == (missing.headers.get("Location", "").split("?")[0])
            ), where
        else:
            assert real.status_code == 404, (persona, where)
            assert _page(real) == _page(missing), (persona, where)
        _assert_clean(real.get_data(as_text=True), persona, where)
    _db.session.expire_all()
    assert _rows() == before, persona


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_documents_page_and_a_note_answer_as_for_a_missing_council(app, client, world, persona):
    """Spelled out beside the route sweep above: the document list and a note page."""
    _sign(client, world["people"][persona])
    ids = world["ids"]
    for path in ("/councils/{}/documents", "/councils/{}/documents/" + str(ids["document_id"])):
        real = client.get(path.format(ids["council_id"]))
        missing = client.get(path.format(ids["council_id"] + 100_000))
        assert real.status_code == missing.status_code, (persona, path)
        assert real.status_code in ((302, 401) if persona == "visitor" else (404,)), (persona, path)
        _assert_clean(real.get_data(as_text=True), persona, path)


# --- path: site pages, JSON endpoints, directory, profile, feed, notifications ---------------

SITE_PAGES = (
    "/",
    "/councils/",
    "/directory",
    "/directory.json",
    "/directory/suggest.json?q=user",
    "/following",
    "/connections.json",
    "/notifications/",
    "/notifications/unread.json",
    "/u/{chair}",
    "/u/{member}",
    "/chat/",
    "/chat/api/channels",
    "/forums/",
)


@pytest.mark.parametrize("persona", PERSONAS)
def test_site_pages_and_json_show_no_council_content(app, client, world, persona):
    _sign(client, world["people"][persona])
    for path in SITE_PAGES:
        url = path.format(chair=world["chair"].username, member=world["member"].username)
        response = client.get(url)
        assert response.status_code < 500, (persona, url)
        _assert_clean(response.get_data(as_text=True), persona, url)


# --- path: search (a real reindex, then hits, counts, facets, snippets) -----------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_search_finds_nothing_of_the_council_after_a_full_reindex(app, client, world, persona):
    from app.search import rebuild

    _db.session.commit()
    rebuild.reindex(app)
    _sign(client, world["people"][persona])
    for word in _forbidden(persona):
        answer = client.get(f"/search.json?q={word}")
        if answer.status_code in (302, 401):  # search is for signed-in members only
            continue
        assert answer.status_code == 200, (persona, word)
        data = answer.get_json()
        assert data["total"] == 0 and data["hits"] == [], (persona, word, data)
        # The page echoes the query; it must say it found nothing (no hit, snippet or facet).
        page = client.get(f"/search?q={word}").get_data(as_text=True)
        assert 'class="search-empty"' in page and 'class="search-hit' not in page, (persona, word)


# --- path: notifications in-app and email ----------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS[1:])
def test_no_notification_or_email_carries_council_content_to_outsiders(app, client, world, persona):
    from app.notifications.services import list_notifications

    person = world["people"][persona]
    page = list_notifications(person)
    for note in page.items:
        _assert_clean(f"{note.message} {page.texts.get(note.id, '')}", persona, f"notification {note.kind}")
    for message in outbox_messages(app):
        if person.email in str(message["To"]):
            _assert_clean(str(message), persona, f"email {message['Subject']}")


def test_members_do_get_the_canaries_so_the_matrix_is_not_vacuous(app, client, world):
    """The positive control: the same paths do carry the content to a member."""
    _sign(client, world["member"])
    ids = world["ids"]
    pages = "".join(
        client.get(url).get_data(as_text=True)
        for url in (
            f"/councils/{ids['council_id']}/meetings/{ids['meeting_id']}",
            f"/councils/{ids['council_id']}/motions/{ids['motion_id']}",
            f"/councils/{ids['council_id']}/feedback/{ids['feedback_id']}",
            f"/councils/{ids['council_id']}/documents",
            f"/councils/{ids['council_id']}/documents/{ids['document_id']}",
            f"/chat/api/channels/{world['room'].id}/messages",
            "/notifications/",
        )
    )
    for word in (
        "meeting",
        "minutes",
        "motion",
        "feedback",
        "chat",
        "item",
        "document",
        "note title",
        "note",
    ):
        assert CANARIES[word] in pages, word


# --- path: chat over HTTP and Socket.IO --------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_chat_history_and_room_answer_404_as_for_a_missing_room(app, client, world, persona):
    _sign(client, world["people"][persona])
    room = world["room"].id
    missing = room + 100_000
    for path in ("/chat/api/channels/{}", "/chat/api/channels/{}/messages"):
        real, absent = client.get(path.format(room)), client.get(path.format(missing))
        assert real.status_code == absent.status_code and real.status_code in (302, 401, 404), (persona, path)
        _assert_clean(real.get_data(as_text=True), persona, path)
    joined = client.post(f"/chat/api/channels/{room}/join")
    assert joined.status_code in (302, 400, 401, 404), persona
    person = world["people"][persona]
    assert person is None or person.id not in member_ids(room), persona


def _socket(app, person):
    http = app.test_client()
    _sign(http, person)
    return socketio.test_client(app, namespace=NS, flask_test_client=http)


@pytest.mark.parametrize("persona", PERSONAS[1:])
def test_socket_join_is_refused_and_live_messages_never_arrive(app, world, persona):
    outsider = _socket(app, world["people"][persona])
    chair = _socket(app, world["chair"])
    try:
        assert outsider.is_connected(NS)
        room = world["room"].id
        answer = outsider.emit("join", {"channel_id": room}, namespace=NS, callback=True)
        assert not (isinstance(answer, dict) and answer.get("channel_id") == room), (persona, answer)
        _assert_clean(str(answer), persona, "socket join")
        history = outsider.emit("history", {"channel_id": room}, namespace=NS, callback=True)
        _assert_clean(str(history), persona, "socket history")
        outsider.get_received(NS)
        chair.emit("join", {"channel_id": room}, namespace=NS, callback=True)
        chair.emit("send", {"channel_id": room, "body": "Quokkachat live"}, namespace=NS, callback=True)
        _assert_clean(str(outsider.get_received(NS)), persona, "socket broadcast")
    finally:
        for client in (outsider, chair):
            if client.is_connected(NS):
                client.disconnect(NS)


def test_a_member_removed_while_connected_stops_receiving_the_room(app, db, world):
    member, chair = world["member"], world["chair"]
    listening, speaking = _socket(app, member), _socket(app, chair)
    room = world["room"].id
    try:
        assert listening.emit("join", {"channel_id": room}, namespace=NS, callback=True)["channel_id"] == room
        speaking.emit("join", {"channel_id": room}, namespace=NS, callback=True)
        listening.get_received(NS)
        services.end_membership(chair, services.membership_of(member, world["council"]))
        db.session.commit()
        speaking.emit("send", {"channel_id": room, "body": "Quokkachat after"}, namespace=NS, callback=True)
        assert "Quokkachat after" not in str(listening.get_received(NS))
    finally:
        for client in (listening, speaking):
            if client.is_connected(NS):
                client.disconnect(NS)


def test_a_member_whose_term_lapsed_while_connected_stops_receiving_the_room(app, db, world):
    member, chair = world["member"], world["chair"]
    listening, speaking = _socket(app, member), _socket(app, chair)
    room = world["room"].id
    try:
        assert listening.emit("join", {"channel_id": room}, namespace=NS, callback=True)["channel_id"] == room
        speaking.emit("join", {"channel_id": room}, namespace=NS, callback=True)
        listening.get_received(NS)
        services.membership_of(member, world["council"]).term_end = services.today()  # midnight passed
        db.session.commit()
        speaking.emit("send", {"channel_id": room, "body": "Quokkachat lapsed"}, namespace=NS, callback=True)
        received = listening.get_received(NS)
        assert "Quokkachat lapsed" not in str(received)
        # Chat re-asked the council before broadcasting and told the member's client.
        assert [e["args"] for e in received if e["name"] == "channel_removed"] == [[{"channel_id": room}]]
    finally:
        for client in (listening, speaking):
            if client.is_connected(NS):
                client.disconnect(NS)


# --- path: the page cache ---------------------------------------------------------------------


@pytest.mark.app_config(PAGE_CACHE_SECONDS=300)
@pytest.mark.parametrize("persona", PERSONAS)
def test_a_page_rendered_for_a_member_is_never_served_to_an_outsider(app, world, persona):
    ids = world["ids"]
    urls = [
        f"/councils/{ids['council_id']}",
        f"/councils/{ids['council_id']}/meetings/{ids['meeting_id']}",
        f"/councils/{ids['council_id']}/motions/{ids['motion_id']}",
        f"/councils/{ids['council_id']}/documents",
        f"/councils/{ids['council_id']}/documents/{ids['document_id']}",
        f"/chat/api/channels/{world['room'].id}/messages",
        "/forums/",
        "/councils/",
    ]
    member, outsider = app.test_client(), app.test_client()
    _sign(member, world["member"])
    _sign(outsider, world["people"][persona])
    for url in urls:
        with app.app_context():
            member.get(url)
            member.get(url)  # a second time: now it is cached if it ever will be
        with app.app_context():
            answer = outsider.get(url)
        assert answer.headers.get("X-Page-Cache") != "hit" or url in ("/forums/", "/councils/"), (
            persona,
            url,
        )
        _assert_clean(answer.get_data(as_text=True), persona, f"cached {url}")


# --- embargoed summaries ---------------------------------------------------------------------


def test_an_embargoed_summary_appears_after_its_date_and_alone(app, client, db, world, monkeypatch):
    council = world["council"]
    public = f"/councils/{council.id}/public"
    _sign(client, world["people"]["site member"])
    assert client.get(public).status_code == 404
    assert _page(client.get(public)) == _page(client.get(f"/councils/{council.id + 100_000}/public"))
    later = services.today() + timedelta(days=30)
    monkeypatch.setattr(services, "today", lambda: later)
    text = client.get(public).get_data(as_text=True)
    assert CANARIES["summary"] in text
    hidden = [CANARIES[k] for k in ("minutes", "location", "motion", "feedback", "chat", "action")]
    assert not [word for word in hidden if word in text]
    for persona in ("other council", "former", "removed"):
        _sign(client, world["people"][persona])
        assert CANARIES["minutes"] not in client.get(public).get_data(as_text=True)
    _sign(client, None)
    assert client.get(public).status_code in (302, 401)


# --- the private forum category (spaces hook) --------------------------------------------------


def test_the_council_owns_a_private_forum_category_only_its_members_may_read(app, world):
    from app.plugins import plugin_manager

    hook = plugin_manager(app).hook
    council = world["council"]
    spaces = [spec for answer in hook.forum_spaces() for spec in (answer or [])]
    assert ("council", council.id) in {(spec["scope_type"], spec["scope_id"]) for spec in spaces}

    def admitted(person) -> bool:
        answers = hook.forum_space_member(actor=person, scope_type="council", scope_id=council.id)
        return any(answer is True for answer in answers)

    assert admitted(world["member"])
    for persona, person in world["people"].items():
        assert not admitted(person), persona
