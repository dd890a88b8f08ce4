"""DirectoryFacet upkeep: the rows follow every change through the domain events, and
a rebuild from the tables gives exactly the incrementally maintained rows."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.accounts import organizations, services
from app.accounts.services import CommandLineActor
from app.core.db import utcnow
from app.directory import facets, fields, profiles
from app.directory.models import DirectoryFacet
from app.extensions import db
from app.moderation import services as moderation
from tests.directory.conftest import add_field, refresh
from tests.factories import make_user

ROOT = CommandLineActor()


def rows_of(user) -> set[tuple[str, str, str]]:
    return {
        (row.facet, row.value, row.visibility)
        for row in db.session.scalars(
            sa.select(DirectoryFacet).where(
                DirectoryFacet.subject_type == "user", DirectoryFacet.subject_id == user.id
            )
        )
    }


def facet_values(user, name: str) -> set[str]:
    return {value for facet, value, _ in rows_of(user) if facet == name}


def register(name="Nora New", email="nora@example.com"):
    user = services.create_user(email, name, "a long enough password", confirmed=True)
    db.session.commit()
    return user


def test_a_confirmed_registration_gets_rows_and_an_unconfirmed_one_none(db):
    confirmed = register()
    unconfirmed = services.create_user("una@example.com", "Una Unsure", "a long enough password")
    db.session.commit()
    assert rows_of(confirmed) == set()  # nothing listed about her yet, but she is eligible
    services.update_profile(confirmed, confirmed, display_name="Nora New", region="EMEA", languages="Welsh")
    db.session.commit()
    assert rows_of(confirmed) == {("region", "EMEA", "everyone"), ("language", "Welsh", "everyone")}
    services.update_profile(unconfirmed, unconfirmed, display_name="Una Unsure", region="EMEA")
    db.session.commit()
    assert rows_of(unconfirmed) == set()
    services.mark_confirmed(unconfirmed)
    db.session.commit()
    assert rows_of(unconfirmed) == {("region", "EMEA", "everyone")}


def test_profile_updates_rewrite_the_rows(db):
    user = register()
    services.update_profile(
        user, user, display_name="Nora New", specialisms="SD-WAN, security", country="Wales"
    )
    services.update_profile(user, user, display_name="Nora New", specialisms="security")
    db.session.commit()
    assert facet_values(user, "specialism") == {"security"}
    assert facet_values(user, "country") == set()


def test_organization_changes_reach_its_members(db):
    org = organizations.create_organization(ROOT, "Gamma Group", "msp", "silver", industries="energy")
    user = register()
    organizations.add_member(ROOT, org, user)
    db.session.commit()
    assert facet_values(user, "tier") == {"silver"} and facet_values(user, "industry") == {"energy"}
    organizations.update_organization(
        ROOT, org, name="Gamma Group", partner_type="isv", tier="platinum", industries="mining"
    )
    db.session.commit()
    assert facet_values(user, "partner_type") == {"isv"}
    assert facet_values(user, "tier") == {"platinum"}
    assert facet_values(user, "industry") == {"mining"}
    org_rows = {
        (row.facet, row.value)
        for row in db.session.scalars(sa.select(DirectoryFacet).where(DirectoryFacet.subject_type == "org"))
    }
    assert org_rows == {("partner_type", "isv"), ("tier", "platinum"), ("industry", "mining")}


def test_role_changes_update_the_role_facet(db):
    user = register()
    services.set_role(ROOT, user, "mentor")
    db.session.commit()
    assert facet_values(user, "role") == {"mentor"}
    services.set_role(ROOT, user, "member")
    db.session.commit()
    assert facet_values(user, "role") == set()


def test_hiding_removes_every_row_and_hidden_fields_remove_theirs(db):
    user = register()
    services.update_profile(user, user, display_name="Nora New", region="EMEA", country="Wales")
    profiles.update_directory_settings(user, user, hidden_fields=["country"], certifications="CCNA")
    db.session.commit()
    assert facet_values(user, "country") == set()
    assert facet_values(user, "region") == {"EMEA"}
    assert facet_values(user, "certification") == {"CCNA"}
    profiles.update_directory_settings(user, user, hidden=True)
    db.session.commit()
    assert rows_of(user) == set()


def test_custom_field_rows_follow_definition_changes(db):
    user = register()
    cloud = add_field("cloud", kind="multi", visibility="members")
    profiles.update_directory_settings(user, user, values={"cloud": ["AWS", "GCP"]})
    db.session.commit()
    assert {(f, v, vis) for f, v, vis in rows_of(user) if f == "cf.cloud"} == {
        ("cf.cloud", "AWS", "members"),
        ("cf.cloud", "GCP", "members"),
    }
    fields.update_field(ROOT, cloud, label="Cloud", choices="AWS\nAzure", visibility="staff")
    db.session.commit()
    assert {(f, v, vis) for f, v, vis in rows_of(user) if f == "cf.cloud"} == {("cf.cloud", "AWS", "staff")}
    fields.update_field(ROOT, cloud, label="Cloud", choices="AWS\nAzure", in_directory=False)
    db.session.commit()
    assert facet_values(user, "cf.cloud") == set()
    fields.update_field(ROOT, cloud, label="Cloud", choices="AWS\nAzure", in_directory=True)
    db.session.commit()
    assert facet_values(user, "cf.cloud") == {"AWS"}
    fields.delete_field(ROOT, cloud)
    db.session.commit()
    assert facet_values(user, "cf.cloud") == set()


def test_hidden_custom_values_have_no_rows(db):
    user = register()
    add_field("cloud", kind="choice", visibility="everyone")
    profiles.update_directory_settings(user, user, values={"cloud": "AWS"}, hidden_values=["cloud"])
    db.session.commit()
    assert facet_values(user, "cf.cloud") == set()


def test_text_fields_are_not_facets(db):
    user = register()
    add_field("motto", kind="text", visibility="everyone")
    profiles.update_directory_settings(user, user, values={"motto": "Ship it"})
    db.session.commit()
    assert facet_values(user, "cf.motto") == set()


def test_long_values_are_clipped_to_the_column(db):
    user = make_user(specialisms=["x" * 200])
    refresh()
    assert facet_values(user, "specialism") == {"x" * 120}


def test_rebuild_equals_incremental_state(db):
    """Drive a community through the services, then compare with a rebuild."""
    org = organizations.create_organization(
        ROOT, "Delta", "reseller", "gold", regions="EMEA", industries="retail"
    )
    other = organizations.create_organization(ROOT, "Epsilon", "isv", "silver", specialisms="APIs")
    cloud = add_field("cloud", kind="multi", visibility="members")
    level = add_field("level", kind="choice", choices=("Junior", "Senior"), visibility="staff")
    add_field("motto", kind="text", searchable=True, visibility="everyone")
    people = [register(f"Person {n}", f"p{n}@example.com") for n in range(4)]
    for n, user in enumerate(people):
        services.update_profile(
            user, user, display_name=f"Person {n}", region=["EMEA", "APAC"][n % 2], country=f"Country {n}",
            languages="English, French" if n % 2 else "German", specialisms="networking, security",
        )  # fmt: skip
        organizations.add_member(ROOT, org if n < 2 else other, user)
    profiles.update_directory_settings(
        people[0], people[0], certifications="CCNA", industries="health",
        values={"cloud": ["AWS"], "level": "Senior", "motto": "hi"},
    )  # fmt: skip
    profiles.update_directory_settings(
        people[1], people[1], hidden_fields=["languages"], values={"cloud": ["GCP"]}
    )
    profiles.update_directory_settings(people[2], people[2], hidden=True, values={"cloud": ["Azure"]})
    profiles.update_directory_settings(
        people[3], people[3], values={"cloud": ["AWS", "Azure"]}, hidden_values=["cloud"]
    )
    services.set_role(ROOT, people[1], "mentor")
    moderation.suspend_user(ROOT, people[3], utcnow() + timedelta(days=2), "spam")
    organizations.update_organization(ROOT, org, name="Delta", partner_type="msp", tier="platinum")
    fields.update_field(ROOT, cloud, label="Cloud", choices="AWS\nGCP", visibility="everyone")
    fields.delete_field(ROOT, level)
    db.session.commit()

    incremental = facets.snapshot()
    assert incremental  # the scenario produced rows
    facets.rebuild_all()
    db.session.commit()
    assert facets.snapshot() == incremental


def test_rebuild_facets_command(runner, db):
    make_user(region="EMEA")
    db.session.commit()
    assert facets.snapshot() == set()
    result = runner.invoke(args=["directory", "rebuild-facets"])
    assert result.exit_code == 0, result.output
    assert "1 member rows" in result.output
    assert {(row[2], row[3]) for row in facets.snapshot()} == {("region", "EMEA")}
