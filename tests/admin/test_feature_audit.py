"""Admin changes made on other features' admin pages land in the audit log too, through
their domain events (app/admin/hooks.py), and the log names them."""

from __future__ import annotations

import sqlalchemy as sa

from app.forums.models import Category
from app.moderation.models import AuditEntry
from tests.factories import make_category

CATEGORY_FORM = {
    "name": "Pricing",
    "slug": "pricing",
    "description": "",
    "parent": "0",
    "position": "3",
    "view_policy": "everyone",
    "topic_policy": "members",
    "reply_policy": "members",
}


def entries(db) -> list[tuple[str, str, int]]:
    return list(
        db.session.execute(sa.select(AuditEntry.action, AuditEntry.target_type, AuditEntry.target_id))
    )


def test_creating_and_editing_a_category_is_audited_and_named_in_the_log(db, login_as, admin):
    client = login_as(admin)
    assert client.post("/admin/categories/new", data=CATEGORY_FORM).status_code == 302
    category = db.session.scalar(sa.select(Category).where(Category.slug == "pricing"))
    edited = CATEGORY_FORM | {"name": "Pricing and deals"}
    assert client.post(f"/admin/categories/{category.id}/edit", data=edited).status_code == 302
    assert entries(db) == [
        ("category.create", "category", category.id),
        ("category.update", "category", category.id),
    ]
    html = client.get("/admin/audit").get_data(as_text=True)
    assert f'href="/admin/categories/{category.id}/edit">Category “Pricing and deals”</a>' in html


def test_a_category_made_without_a_person_is_not_audited(db):
    from app.accounts.services import CommandLineActor
    from app.forums.categories import create_category

    create_category(CommandLineActor(), "Seeded", "seeded")
    assert entries(db) == []
    make_category()
    assert entries(db) == []


def test_adding_a_directory_field_is_audited(db, login_as, admin):
    client = login_as(admin)
    response = client.post(
        "/admin/directory/fields/new",
        data={"key": "certs", "label": "Certifications", "kind": "text", "visibility": "members"},
    )
    assert response.status_code == 302
    ((action, target_type, _),) = entries(db)
    assert (action, target_type) == ("directory_field.update", "directory_field")
    assert "Profile field “Certifications”" in client.get("/admin/audit").get_data(as_text=True)


def test_changing_qa_settings_is_audited_with_old_and_new_values(db, login_as, admin):
    from app.qa.settings import DEFAULTS

    form = {key: str(value) for key, value in DEFAULTS.items()} | {"threshold_downvote": "20"}
    assert login_as(admin).post("/qa/admin/settings", data=form).status_code == 302
    entry = db.session.scalar(sa.select(AuditEntry))
    assert entry.action == "qa_settings.update"
    assert entry.details == {"threshold_downvote": {"from": 15, "to": 20}}
    # Saving the same values again changes nothing and logs nothing.
    login_as(admin).post("/qa/admin/settings", data=form)
    assert len(entries(db)) == 1
