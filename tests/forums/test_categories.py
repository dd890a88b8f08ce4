"""Categories: one level of nesting, validated policies, admin pages and the CLI."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.core.errors import Conflict, Invalid, PermissionDenied
from app.forums import services
from app.forums.models import Category
from tests.factories import make_category, make_topic


def test_admin_creates_a_category_with_normalised_policies(db, admin):
    cat = services.create_category(
        admin, "Partners", "partners", view_policy="admin, mentor", topic_policy="members"
    )
    assert cat.view_policy == "mentor,admin"
    assert cat.topic_policy == "members"


def test_members_cannot_manage_categories(db, member):
    with pytest.raises(PermissionDenied):
        services.create_category(member, "Nope", "nope")


def test_unknown_policy_is_refused(db, admin):
    with pytest.raises(Invalid) as info:
        services.create_category(admin, "X", "x", view_policy="wizards")
    assert info.value.field == "view_policy"


def test_child_of_a_child_is_refused(db, admin):
    top = services.create_category(admin, "Top", "top")
    child = services.create_category(admin, "Child", "child", parent=top)
    with pytest.raises(Invalid, match="one level"):
        services.create_category(admin, "Grandchild", "grandchild", parent=child)


def test_category_with_children_cannot_become_a_child(db, admin):
    top = services.create_category(admin, "Top", "top")
    services.create_category(admin, "Child", "child", parent=top)
    other = services.create_category(admin, "Other", "other")
    with pytest.raises(Invalid, match="subcategories"):
        services.update_category(admin, top, "Top", "top", parent=other)


def test_duplicate_slug_conflicts(db, admin, category):
    with pytest.raises(Conflict):
        services.create_category(admin, "Again", "general")


def test_bad_slug_is_refused(db, admin):
    with pytest.raises(Invalid):
        services.create_category(admin, "Bad", "Not A Slug!")


def test_category_tree_hides_restricted_categories(db, member, mentor, category, mentors_only):
    assert [top.slug for top, _ in services.category_tree(member)] == ["general"]
    assert {top.slug for top, _ in services.category_tree(mentor)} == {"general", "mentor-lounge"}


def test_children_of_a_hidden_parent_are_hidden(db, member, mentors_only):
    make_category(name="Inner", slug="inner", parent=mentors_only)
    assert "inner" not in {c.slug for c in services.visible_categories(member)}


def test_categories_page_lists_children_and_topic_counts(db, client, member, category):
    child = make_category(name="Child board", slug="child-board", parent=category)
    make_topic(category=category)
    make_topic(category=child)
    make_topic(category=child)
    db.session.commit()
    page = client.get("/categories").get_data(as_text=True)
    assert "Child board" in page
    assert "(2)" in page


def test_admin_pages_list_create_and_edit(db, client, sign_in, admin, category):
    sign_in(admin)
    assert client.get("/admin/categories").status_code == 200
    assert client.get("/admin/categories/new").status_code == 200
    response = client.post(
        "/admin/categories/new",
        data={
            "name": "Resellers",
            "slug": "resellers",
            "description": "",
            "parent": str(category.id),
            "position": "2",
            "view_policy": "members",
            "topic_policy": "members",
            "reply_policy": "members",
        },
    )
    assert response.status_code == 302
    created = db.session.scalar(sa.select(Category).where(Category.slug == "resellers"))
    assert created.parent_id == category.id
    assert client.get(f"/admin/categories/{created.id}/edit").status_code == 200
    response = client.post(
        f"/admin/categories/{created.id}/edit",
        data={
            "name": "Resellers EMEA",
            "slug": "resellers",
            "parent": "0",
            "position": "1",
            "view_policy": "everyone",
            "topic_policy": "members",
            "reply_policy": "members",
        },
    )
    assert response.status_code == 302
    db.session.refresh(created)
    assert created.name == "Resellers EMEA" and created.parent_id is None


def test_admin_form_shows_service_errors_and_writes_nothing(db, client, sign_in, admin, category):
    sign_in(admin)
    response = client.post(
        "/admin/categories/new",
        data={
            "name": "Dup",
            "slug": "general",
            "parent": "0",
            "view_policy": "wizards",
            "topic_policy": "members",
            "reply_policy": "members",
        },
    )
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Category)) == 1


def test_admin_pages_refuse_members(db, client, sign_in, member):
    sign_in(member)
    assert client.get("/admin/categories").status_code == 403
    assert client.post("/admin/categories/new", data={"name": "x", "slug": "x"}).status_code == 403


def test_cli_creates_a_nested_category(db, runner, category):
    result = runner.invoke(
        args=["category", "create", "Deep dives", "--parent", "general", "--view", "members"]
    )
    assert result.exit_code == 0, result.output
    created = db.session.scalar(sa.select(Category).where(Category.slug == "deep-dives"))
    assert created.parent_id == category.id and created.view_policy == "members"


def test_cli_reports_bad_policy_clearly(db, runner):
    result = runner.invoke(args=["category", "create", "Odd", "--view", "wizards"])
    assert result.exit_code != 0
    assert "access policy" in result.output


def test_visible_categories_are_one_query_and_a_private_parent_still_hides_its_child(db, member):
    """``all_categories`` loads every category in one statement; ``category.parent``
    then comes from the session, and a child of a hidden parent stays hidden."""
    from sqlalchemy import event

    from app.forums.categories import visible_categories

    parent = make_category(name="Staff room", view_policy="moderator,admin")
    child = make_category(name="Staff notes", parent=parent)
    open_one = make_category(name="Open")
    db.session.commit()
    db.session.expire_all()
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        visible = {c.id for c in visible_categories(member)}
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert open_one.id in visible and parent.id not in visible and child.id not in visible
    assert len([s for s in statements if "forum_category" in s]) == 1
