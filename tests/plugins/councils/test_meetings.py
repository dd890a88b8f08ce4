"""Meetings: time zones, agenda confidentiality, minutes, embargoed public summaries,
action items and their reminders, and the 404 every outsider gets."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.core.errors import Invalid, NotFound, PermissionDenied
from app.notifications.models import Notification
from app.notifications.services import list_notifications
from app.plugins.councils import actions, meeting_hooks, meetings, services
from app.plugins.councils.meeting_models import CouncilActionItem, CouncilAgendaItem, CouncilMeeting
from tests.factories import make_org, make_user
from tests.hostile import naughty_strings, page_script_vectors_in, script_vectors_in, xss_vectors


@pytest.fixture
def member(db, council, chair):
    user = make_user(organization=make_org())
    services.grant_seat(chair, council, user)
    services.accept_charter(user, council, council.charter_version)
    db.session.commit()
    return user


@pytest.fixture
def meeting(db, council, chair, member):
    meeting = meetings.create_meeting(
        chair, council, "Spring meeting", "2027-03-04T15:00", "Europe/Berlin", location="Berlin office"
    )
    db.session.commit()
    return meeting


def test_a_meeting_is_stored_in_utc_and_shown_in_its_zone(meeting):
    assert meeting.starts_at == datetime(2027, 3, 4, 14, 0)
    assert meetings.local_time(meeting).hour == 15 and meeting.timezone == "Europe/Berlin"


def test_members_are_notified_of_a_new_meeting(db, meeting, member):
    notes = db.session.scalars(
        sa.select(Notification).where(
            Notification.user_id == member.id, Notification.kind == "council_meeting"
        )
    ).all()
    assert len(notes) == 1
    assert "Spring meeting" in notes[0].message


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"starts_local": "next tuesday"}, "starts_at"),
        ({"location": "", "link": ""}, "location"),
        ({"location": "", "link": "javascript:alert(1)"}, "link"),
    ],
)
def test_bad_meetings_are_refused_and_nothing_is_written(db, council, chair, fields, field):
    values = {"starts_local": "2027-03-04T15:00", "timezone": "UTC", "location": "Room 1", "link": ""}
    values.update(fields)
    with pytest.raises(Invalid) as error:
        meetings.create_meeting(
            chair,
            council,
            "Meeting",
            values["starts_local"],
            values["timezone"],
            location=values["location"],
            link=values["link"],
        )
    assert error.value.field == field
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(CouncilMeeting.id))) == 0


def test_only_chairs_schedule_meetings(db, council, member):
    with pytest.raises(PermissionDenied):
        meetings.create_meeting(member, council, "M", "2027-01-01T10:00", "UTC", location="x")


def test_chairs_only_items_are_hidden_from_members(db, council, chair, member, meeting):
    meetings.add_agenda_item(chair, council, meeting, "Roadmap", "information")
    secret = meetings.add_agenda_item(chair, council, meeting, "Pricing", "decision", "chairs")
    db.session.commit()
    assert [i.title for i in meetings.visible_items(member, council, meeting)] == ["Roadmap"]
    assert [i.title for i in meetings.visible_items(chair, council, meeting)] == ["Roadmap", "Pricing"]
    with pytest.raises(NotFound):
        meetings.item_for(member, council, secret.id)


def test_minutes_reach_members_once_published(db, council, chair, member, meeting):
    item = meetings.add_agenda_item(chair, council, meeting, "Roadmap", "discussion")
    meetings.write_minutes(chair, council, item, "Draft **notes**")
    db.session.commit()
    assert meetings.visible_minutes(member, council, item) is None
    assert meetings.visible_minutes(chair, council, item).body == "Draft **notes**"
    meetings.write_minutes(chair, council, item, "Final notes", publish=True)
    db.session.commit()
    assert "Final notes" in meetings.visible_minutes(member, council, item).body_html
    with pytest.raises(PermissionDenied):
        meetings.write_minutes(member, council, item, "mine")


def test_an_embargoed_summary_appears_on_the_public_page_only_after_its_date(
    db, client, login_as, council, chair, meeting
):
    today = services.today()
    meetings.add_agenda_item(
        chair, council, meeting, "Partner pricing", "decision", summary="Prices **hold**.", public_after=today
    )
    meetings.add_agenda_item(
        chair,
        council,
        meeting,
        "Next year",
        "discussion",
        summary="Later summary",
        public_after=today + timedelta(days=1),
    )
    item = meetings.add_agenda_item(chair, council, meeting, "Secret detail", "discussion")
    meetings.write_minutes(chair, council, item, "Confidential minutes", publish=True)
    db.session.commit()
    assert [i.title for _, i in meetings.public_summaries(council.id)] == ["Partner pricing"]
    assert [i.title for _, i in meetings.public_summaries(council.id, on=today + timedelta(days=1))] == [
        "Partner pricing",
        "Next year",
    ]
    login_as(make_user(organization=make_org()))
    text = client.get(f"/councils/{council.id}/public").get_data(as_text=True)
    assert "Prices <strong>hold</strong>." in text
    for hidden in ("Later summary", "Confidential minutes", "Secret detail", "Berlin office"):
        assert hidden not in text


def test_a_council_with_nothing_public_answers_404_like_a_missing_one(db, client, login_as, council):
    login_as(make_user(organization=make_org()))
    assert client.get(f"/councils/{council.id}/public").status_code == 404
    assert client.get(f"/councils/{council.id + 50}/public").status_code == 404


def test_a_summary_needs_text_and_chairs_only_items_stay_private(db, council, chair, meeting):
    with pytest.raises(Invalid, match="summary"):
        meetings.add_agenda_item(chair, council, meeting, "X", public_after=date(2027, 1, 1))
    with pytest.raises(Invalid, match="chairs-only"):
        meetings.add_agenda_item(
            chair, council, meeting, "X", confidentiality="chairs", summary="s", public_after=date(2027, 1, 1)
        )
    with pytest.raises(Invalid):
        meetings.add_agenda_item(chair, council, meeting, "X", kind="gossip")
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(CouncilAgendaItem.id))) == 0


def test_action_items_have_an_owner_on_the_council_and_reminders_once_a_day(
    db, council, chair, member, meeting
):
    outsider = make_user(organization=make_org())
    with pytest.raises(Invalid, match="owner"):
        actions.add_action(chair, council, meeting, "Send numbers", outsider, "2027-01-10")
    item = actions.add_action(chair, council, meeting, "Send numbers", member, services.today())
    db.session.commit()
    assert actions.send_reminders() == 1
    assert actions.send_reminders() == 0  # once a day
    db.session.commit()
    actions.set_status(member, item, "done")
    db.session.commit()
    with pytest.raises(Invalid):
        actions.set_status(member, item, "forgotten")
    db.session.rollback()
    assert db.session.get(CouncilActionItem, item.id).status == "done"
    kinds = [
        n.kind for n in db.session.scalars(sa.select(Notification).where(Notification.user_id == member.id))
    ]
    assert "council_action" in kinds


def test_the_plugin_registers_its_periodic_jobs():
    names = {job["name"] for job in meeting_hooks.periodic_jobs()}
    assert {"councils.motions", "councils.action-reminders"} <= names


def test_a_removed_member_no_longer_reads_council_notifications(db, council, chair, member, meeting):
    services.end_membership(chair, services.membership_of(member, council))
    db.session.commit()
    page = list_notifications(member)
    assert page.items and "Spring meeting" not in page.texts.get(page.items[0].id, "Spring meeting")


OUTSIDER_ROUTES = [
    ("get", "/councils/{c}/meetings"),
    ("post", "/councils/{c}/meetings"),
    ("get", "/councils/{c}/meetings/{m}"),
    ("post", "/councils/{c}/meetings/{m}/items"),
    ("post", "/councils/{c}/meetings/{m}/actions"),
    ("post", "/councils/{c}/items/1/minutes"),
    ("post", "/councils/{c}/actions/1/status"),
    ("get", "/councils/{c}/feedback"),
    ("post", "/councils/{c}/feedback"),
    ("get", "/councils/{c}/feedback/1"),
    ("post", "/councils/{c}/feedback/1/respond"),
    ("get", "/councils/{c}/motions"),
    ("post", "/councils/{c}/motions"),
]


@pytest.mark.parametrize("who", ["site member", "other council", "removed", "former"])
def test_outsiders_get_the_same_404_as_for_a_missing_council(
    db, client, login_as, admin, council, chair, member, meeting, who
):
    item = meetings.add_agenda_item(chair, council, meeting, "Item", "information")
    actions.add_action(chair, council, meeting, "Act", member, "2027-01-10")
    db.session.commit()
    if who == "other council":
        other = services.create_council(admin, "Other", "Charter")
        person = make_user(organization=make_org())
        services.grant_seat(admin, other, person)
        services.accept_charter(person, other, other.charter_version)
    elif who in ("removed", "former"):
        person = member
        if who == "removed":
            services.end_membership(chair, services.membership_of(member, council))
        else:
            services.membership_of(member, council).term_end = services.today()
    else:
        person = make_user(organization=make_org())
    db.session.commit()
    login_as(person)
    for council_id in (council.id, council.id + 77):
        for method, path in OUTSIDER_ROUTES:
            url = path.format(c=council_id, m=meeting.id).replace("/items/1/", f"/items/{item.id}/")
            response = getattr(client, method)(url, data={"title": "x", "choice": "yes"})
            assert response.status_code == 404, (who, url)
            assert "Spring meeting" not in response.get_data(as_text=True)


def test_a_member_who_has_not_accepted_the_new_charter_is_sent_to_accept_it(
    db, client, login_as, council, chair, member, meeting
):
    services.publish_charter(chair, council, "Charter, version 2")
    db.session.commit()
    login_as(member)
    response = client.get(f"/councils/{council.id}/meetings/{meeting.id}")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/councils/{council.id}")


def test_meeting_pages_over_http(db, client, login_as, council, chair, member, meeting):
    login_as(chair)
    response = client.post(
        f"/councils/{council.id}/meetings/{meeting.id}/items",
        data={"title": "Roadmap", "kind": "decision", "confidentiality": "council", "public_after": "soon"},
    )
    assert response.status_code == 303
    assert db.session.scalar(sa.select(sa.func.count(CouncilAgendaItem.id))) == 0
    response = client.post(
        f"/councils/{council.id}/meetings/{meeting.id}/items",
        data={"title": "Roadmap", "kind": "decision", "confidentiality": "council"},
    )
    login_as(member)
    text = client.get(f"/councils/{council.id}/meetings/{meeting.id}").get_data(as_text=True)
    assert "Roadmap" in text and "Decision" in text and "Add an agenda item" not in text
    assert client.get(f"/councils/{council.id}/meetings").status_code == 200


def test_hostile_text_is_refused_or_sanitized(db, council, chair, meeting):
    for n, text in enumerate(xss_vectors(limit=40) + naughty_strings()[:40]):
        try:
            item = meetings.add_agenda_item(chair, council, meeting, f"{text[:150]} {n}", summary=text or "x")
            minutes = meetings.write_minutes(chair, council, item, text or "x", publish=True)
        except Invalid:
            db.session.rollback()
            continue
        assert script_vectors_in(item.summary_html) == []
        assert script_vectors_in(minutes.body_html) == []
        db.session.commit()


def test_hostile_titles_render_escaped(db, client, login_as, council, chair, meeting):
    for text in xss_vectors(limit=20):
        try:
            meetings.add_agenda_item(chair, council, meeting, text[:190])
            db.session.commit()
        except Invalid:
            db.session.rollback()
    login_as(chair)
    html = client.get(f"/councils/{council.id}/meetings/{meeting.id}").get_data(as_text=True)
    assert page_script_vectors_in(html) == []


def test_council_content_never_reaches_search(db, runner, admin, council, chair, member, meeting):
    from datetime import timedelta

    from app.core.db import utcnow
    from app.plugins.councils import feedback, motions
    from app.search import services as search

    meetings.add_agenda_item(
        chair, council, meeting, "Zephyrine pricing", summary="Zephyrine", public_after=None
    )
    motions.create_motion(
        chair, council, "Zephyrine motion", "Zephyrine", closes_at=utcnow() + timedelta(days=1)
    )
    feedback.raise_feedback(member, council, "Zephyrine feedback", "Zephyrine problem")
    db.session.commit()
    assert runner.invoke(args=["search", "reindex"]).exit_code == 0
    for person in (admin, chair, member, make_user(organization=make_org())):
        assert search.search(person, "Zephyrine").total == 0
