"""CSV export: admins only, the current filtered result across all pages, hidden
details left out, and no spreadsheet formulas."""

from __future__ import annotations

import csv
import io

import pytest

from app.directory import profiles
from app.directory.export import safe_cell
from app.extensions import db
from tests.directory.conftest import add_field
from tests.factories import make_user


def rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


@pytest.mark.parametrize("who", [None, "member", "moderator"])
def test_only_admins_export(client, sign_in, world, member, moderator, who):
    sign_in({"member": member, "moderator": moderator}.get(who))
    assert client.get("/directory/export.csv").status_code == 403
    assert client.get("/directory/export.csv?tier=diamond").status_code == 403  # no hint about the query


def test_export_has_the_columns_and_every_page(client, sign_in, world, admin):
    cloud = add_field("cloud", kind="multi", visibility="staff", label="Cloud platforms")
    add_field("internal", kind="text", in_directory=False, label="Internal")
    profiles.update_directory_settings(
        world["alice"], world["alice"], certifications="CCNA, CCNP", values={cloud.key: ["AWS", "GCP"]}
    )
    db.session.commit()
    sign_in(admin)
    response = client.get("/directory/export.csv?per_page=1&page=1&region=EMEA")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    table = rows(response)
    assert table[0] == [
        "name", "username", "organization", "partner type", "tier", "region", "country", "languages",
        "specialisms", "certifications", "Cloud platforms",
    ]  # fmt: skip
    assert table[1] == [
        "Alice Archer", "alice", "Acme Networks", "Reseller", "gold", "EMEA", "France", "English; French",
        "networking; security", "CCNA; CCNP", "AWS; GCP",
    ]  # fmt: skip
    assert [row[0] for row in table[1:]] == ["Alice Archer", "Carol Cho"]  # both pages


def test_export_follows_filters_text_and_sort(client, sign_in, world, admin):
    sign_in(admin)
    assert [r[0] for r in rows(client.get("/directory/export.csv?specialism=cloud"))[1:]] == ["Bob Baker"]
    assert [r[0] for r in rows(client.get("/directory/export.csv?q=cho"))[1:]] == ["Carol Cho"]


def test_export_leaves_out_hidden_members_and_fields(client, sign_in, world, admin):
    cloud = add_field("cloud", kind="choice", visibility="everyone")
    profiles.update_directory_settings(
        world["bob"], world["bob"], hidden_fields=["country", "languages"], values={cloud.key: "GCP"},
        hidden_values=[cloud.key],
    )  # fmt: skip
    db.session.commit()
    sign_in(admin)
    text = client.get("/directory/export.csv?per_page=100").get_data(as_text=True)
    assert "Hidden Harriet" not in text and "Una Confirmed" not in text and "Sue Spended" not in text
    bob = next(row for row in csv.reader(io.StringIO(text)) if row[1] == "bob")
    assert bob[6:8] == ["", ""] and bob[-1] == ""
    assert "Singapore" not in text and "Mandarin" not in text and "GCP" not in text


def test_export_refuses_bad_queries_and_organizations(client, sign_in, world, admin):
    sign_in(admin)
    assert client.get("/directory/export.csv?tier=diamond").status_code == 400
    assert client.get("/directory/export.csv?show=orgs").status_code == 400


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("plain", "plain"),
        ("", ""),
        (None, ""),
    ],
)
def test_formula_cells_are_defused(value, expected):
    assert safe_cell(value) == expected


def test_member_supplied_formulas_are_defused_in_the_file(client, sign_in, db, admin):
    make_user(display_name="=cmd|' /C calc'!A0", job_title="x", region="@SUM(1)", languages=["+33"])
    db.session.commit()
    from tests.directory.conftest import refresh

    refresh()
    sign_in(admin)
    table = rows(client.get("/directory/export.csv?per_page=100"))
    evil = next(row for row in table if row[0].startswith("'="))
    assert evil[0] == "'=cmd|' /C calc'!A0" and evil[5] == "'@SUM(1)" and evil[7] == "'+33"
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for row in table for cell in row)
