"""Member search documents respect directory settings: hidden members are readable by
themselves and staff only, and nothing hidden enters the document's text."""

from __future__ import annotations

from app.accounts.services import CommandLineActor
from app.directory import fields, profiles
from app.extensions import db
from app.search import services as search_service
from app.search.documents import STAFF, member_document
from app.search.rebuild import reindex
from tests.directory.conftest import add_field


def test_a_listed_member_is_public(app, alice):
    doc = member_document(alice)
    assert doc.principals == ["public"]
    assert "Partner Manager" in doc.body and "France" in doc.body


def test_a_hidden_member_is_readable_by_themselves_and_staff(app, alice):
    profiles.update_directory_settings(alice, alice, hidden=True)
    db.session.commit()
    doc = member_document(alice)
    assert doc.principals == [f"user:{alice.id}", *STAFF]


def test_hidden_fields_leave_the_body_and_meta(app, alice):
    profiles.update_directory_settings(
        alice,
        alice,
        hidden_fields=["job_title", "country", "languages"],
        certifications="CCNA",
        industries="retail",
    )
    db.session.commit()
    doc = member_document(alice)
    assert "Partner Manager" not in doc.body and doc.meta["job_title"] == ""
    assert "France" not in doc.body and "French" not in doc.body
    assert "CCNA" in doc.body and "retail" in doc.body and "EMEA" in doc.body


def test_only_searchable_everyone_fields_enter_the_public_body(app, alice):
    values = {}
    for key, searchable, visibility in (
        ("pub", True, "everyone"),
        ("mem", True, "members"),
        ("stf", True, "staff"),
        ("quiet", False, "everyone"),
    ):
        add_field(key, kind="text", searchable=searchable, visibility=visibility)
        values[key] = f"value-of-{key}"
    add_field("hid", kind="text", searchable=True, visibility="everyone")
    values["hid"] = "value-of-hid"
    profiles.update_directory_settings(alice, alice, values=values, hidden_values=["hid"])
    db.session.commit()
    body = member_document(alice).body
    assert "value-of-pub" in body
    for key in ("mem", "stf", "quiet", "hid"):
        assert f"value-of-{key}" not in body


def test_changing_a_field_reindexes_the_members_who_filled_it(app, alice):
    motto = add_field("motto", kind="text", searchable=True, visibility="everyone")
    profiles.update_directory_settings(alice, alice, values={"motto": "quokka"})
    db.session.commit()
    reindex(app)
    assert search_service.search(None, "quokka", kinds=["member"]).total == 1
    fields.update_field(CommandLineActor(), motto, label="Motto", visibility="staff", searchable=True)
    db.session.commit()
    assert search_service.search(None, "quokka", kinds=["member"]).total == 0
    fields.update_field(CommandLineActor(), motto, label="Motto", visibility="everyone", searchable=True)
    db.session.commit()
    assert search_service.search(None, "quokka", kinds=["member"]).total == 1
    fields.delete_field(CommandLineActor(), motto)
    db.session.commit()
    assert search_service.search(None, "quokka", kinds=["member"]).total == 0
