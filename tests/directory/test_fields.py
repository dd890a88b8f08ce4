"""Custom profile fields: the admin service's validation and the admin pages."""

from __future__ import annotations

import pytest

from app.accounts.services import CommandLineActor
from app.core.errors import Invalid, NotFound, PermissionDenied
from app.directory import fields
from app.directory.models import ProfileField, ProfileFieldValue
from app.extensions import db
from tests.directory.conftest import add_field, count, set_value

ROOT = CommandLineActor()
GOOD = {
    "key": "cloud",
    "label": "Cloud platforms",
    "kind": "multi",
    "choices": "AWS\nAzure\nGCP",
    "help_text": "Which clouds you deliver on",
    "visibility": "members",
    "in_directory": "y",
    "searchable": "y",
}


# --- service -----------------------------------------------------------------------------------


def test_create_field_cleans_and_positions(db):
    first = fields.create_field(
        ROOT, key="cloud", label="  Cloud   platforms ", kind="multi", choices=" AWS \n\nAzure"
    )
    second = fields.create_field(ROOT, key="motto", label="Motto", kind="text", choices="ignored")
    assert first.label == "Cloud platforms" and first.choices == ["AWS", "Azure"]
    assert second.choices == []
    assert (first.position, second.position) == (0, 1)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"key": "Bad Key"}, "Keys are"),
        ({"key": "1abc"}, "Keys are"),
        ({"key": ""}, "Keys are"),
        ({"key": "x" * 41}, "Keys are"),
        ({"label": "  "}, "label"),
        ({"label": "x" * 81}, "at most 80"),
        ({"kind": "date"}, "kind"),
        ({"visibility": "public"}, "who may see"),
        ({"choices": ""}, "at least one choice"),
        ({"choices": "AWS\naws"}, "listed twice"),
        ({"choices": "x" * 81}, "at most 80"),
        ({"choices": "\n".join(f"c{n}" for n in range(51))}, "at most 50"),
        ({"choices": "a\x07b"}, "control"),
        ({"help_text": "h" * 201}, "at most 200"),
    ],
)
def test_bad_definitions_are_refused(db, values, message):
    definition = {"key": "cloud", "label": "Cloud", "kind": "choice", "choices": "AWS", **values}
    with pytest.raises(Invalid, match=message):
        fields.create_field(ROOT, **definition)
    assert count(ProfileField) == 0


def test_duplicate_keys_are_refused(db):
    add_field("cloud")
    with pytest.raises(Invalid, match="already uses"):
        fields.create_field(ROOT, key="cloud", label="Again", kind="text")


def test_only_admins_manage_fields(db, moderator, member):
    for actor in (moderator, member):
        with pytest.raises(PermissionDenied):
            fields.create_field(actor, key="cloud", label="Cloud", kind="text")
    field = add_field("cloud")
    with pytest.raises(PermissionDenied):
        fields.delete_field(moderator, field)


def test_update_keeps_key_and_kind_and_ignores_removed_choices(db, alice):
    field = add_field("cloud", kind="multi")
    set_value(alice, field, ["AWS", "GCP"])
    fields.update_field(ROOT, field, label="Clouds", choices="AWS\nAzure", visibility="everyone")
    assert (field.key, field.kind, field.label) == ("cloud", "multi", "Clouds")
    stored = db.session.get(ProfileFieldValue, 1)
    assert fields.current_items(field, stored.value) == ["AWS"]


def test_delete_removes_every_value(db, alice):
    field = add_field("cloud", kind="multi")
    set_value(alice, field, ["AWS"])
    fields.delete_field(ROOT, field)
    db.session.commit()
    assert (count(ProfileField), count(ProfileFieldValue)) == (0, 0)


def test_move_reorders(db):
    a, b, c = add_field("a"), add_field("b"), add_field("c")
    fields.move_field(ROOT, c, "up")
    assert [f.key for f in fields.list_fields()] == ["a", "c", "b"]
    fields.move_field(ROOT, a, "up")  # already first: nothing moves
    fields.move_field(ROOT, b, "down")  # already last
    assert [f.key for f in fields.list_fields()] == ["a", "c", "b"]
    with pytest.raises(Invalid):
        fields.move_field(ROOT, a, "sideways")


@pytest.mark.parametrize(
    ("kind", "raw", "stored"),
    [
        ("text", "  Hello   world ", "Hello world"),
        ("text", "", None),
        ("url", "https://example.com/a?b=c", "https://example.com/a?b=c"),
        ("choice", "Azure", "Azure"),
        ("multi", ["GCP", "AWS", "GCP"], ["AWS", "GCP"]),
        ("multi", [], None),
    ],
)
def test_values_are_cleaned(db, kind, raw, stored):
    field = add_field("f", kind=kind)
    assert fields.clean_value(field, raw) == stored


@pytest.mark.parametrize(
    ("kind", "raw"),
    [
        ("url", "javascript:alert(1)"),
        ("url", "ftp://example.com"),
        ("url", "https://"),
        ("url", "https://exa mple.com"),
        ("url", "//example.com"),
        ("url", "https://example.com/" + "x" * 300),
        ("choice", "Oracle"),
        ("multi", ["AWS", "Oracle"]),
        ("text", "x" * 201),
    ],
)
def test_bad_values_are_refused(db, kind, raw):
    field = add_field("f", kind=kind)
    with pytest.raises(Invalid):
        fields.clean_value(field, raw)


def test_unknown_field_is_not_found(db):
    with pytest.raises(NotFound):
        fields.get_field(99)


# --- admin pages -------------------------------------------------------------------------------


@pytest.mark.parametrize("who", [None, "member", "moderator"])
def test_admin_pages_are_for_admins_only(client, sign_in, member, moderator, who):
    field = add_field("cloud")
    sign_in({"member": member, "moderator": moderator}.get(who))
    assert client.get("/admin/directory/fields").status_code == 403
    assert client.get("/admin/directory/fields/new").status_code == 403
    assert client.post("/admin/directory/fields/new", data=GOOD).status_code == 403
    assert client.get(f"/admin/directory/fields/{field.id}/edit").status_code == 403
    assert client.post(f"/admin/directory/fields/{field.id}/delete").status_code == 403
    assert count(ProfileField) == 1


def test_admin_creates_edits_moves_and_deletes_a_field(client, sign_in, admin):
    sign_in(admin)
    assert client.get("/admin/directory/fields").status_code == 200
    assert client.get("/admin/directory/fields/new").status_code == 200
    response = client.post("/admin/directory/fields/new", data=GOOD)
    assert response.status_code == 302
    field = db.session.query(ProfileField).one()
    assert (field.key, field.kind, field.choices, field.searchable, field.required) == (
        "cloud", "multi", ["AWS", "Azure", "GCP"], True, False,
    )  # fmt: skip
    page = client.get("/admin/directory/fields").get_data(as_text=True)
    assert "Cloud platforms" in page and "cloud" in page
    edit = client.post(
        f"/admin/directory/fields/{field.id}/edit",
        data={**GOOD, "label": "Clouds", "kind": "text", "key": "other", "visibility": "staff"},
    )
    assert edit.status_code == 302
    db.session.refresh(field)
    assert (field.label, field.key, field.kind, field.visibility) == ("Clouds", "cloud", "multi", "staff")
    other = add_field("other")
    assert (
        client.post(f"/admin/directory/fields/{other.id}/move", data={"direction": "up"}).status_code == 302
    )
    assert [f.key for f in fields.list_fields()] == ["other", "cloud"]
    assert client.post(f"/admin/directory/fields/{field.id}/delete").status_code == 302
    assert [f.key for f in fields.list_fields()] == ["other"]


@pytest.mark.parametrize(
    "changes",
    [
        {"key": "Bad Key"},
        {"key": "other"},  # duplicate
        {"choices": ""},
        {"choices": "A\na"},
        {"kind": "date"},
        {"visibility": "public"},
        {"label": ""},
        {"label": "x" * 81},
    ],
)
def test_bad_definitions_are_form_errors_and_write_nothing(client, sign_in, admin, changes):
    add_field("other")
    sign_in(admin)
    response = client.post("/admin/directory/fields/new", data={**GOOD, **changes})
    assert response.status_code == 400
    assert b'class="form-error"' in response.data or b"field-errors" in response.data
    assert [f.key for f in fields.list_fields()] == ["other"]


def test_editing_or_deleting_an_unknown_field_is_404(client, sign_in, admin):
    sign_in(admin)
    assert client.get("/admin/directory/fields/42/edit").status_code == 404
    assert client.post("/admin/directory/fields/42/delete").status_code == 404
    assert client.get("/admin/directory/fields/99999999999999999999/edit").status_code == 404
    assert client.post("/admin/directory/fields/2147483648/move", data={"direction": "up"}).status_code == 404


def test_hostile_labels_and_choices_are_escaped(client, sign_in, admin, hostile):
    from tests.hostile import page_script_vectors_in, xss_vectors

    sign_in(admin)
    vectors = [v for v in xss_vectors(40) if 0 < len(" ".join(v.split())) <= 80]
    for n, vector in enumerate(vectors[:15]):
        client.post(
            "/admin/directory/fields/new",
            data={**GOOD, "key": f"f{n}", "label": vector, "choices": vector, "help_text": vector[:200]},
        )
    html = client.get("/admin/directory/fields").get_data(as_text=True)
    assert page_script_vectors_in(html) == []
    assert page_script_vectors_in(client.get("/settings/directory").get_data(as_text=True)) == []
