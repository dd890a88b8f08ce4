"""Privacy: what a member hides, and fields above the reader's visibility level, never
show in the listing, facets, counts, JSON, CSV or search, whoever reads them."""

from __future__ import annotations

import pytest

from app.directory import profiles
from app.extensions import db
from app.search import services as search_service
from app.search.rebuild import reindex
from tests.directory.conftest import add_field, get_json, refresh


@pytest.fixture
def secretive(world, acme):
    """Alice hides her country and certifications and a custom value; Harriet hides herself."""
    cloud = add_field("cloud", kind="choice", visibility="everyone", label="Cloud")
    profiles.update_directory_settings(
        world["alice"], world["alice"], hidden_fields=["country", "certifications", "job_title"],
        certifications="SECRETCERT", values={"cloud": "Azure"}, hidden_values=["cloud"],
    )  # fmt: skip
    profiles.update_directory_settings(
        world["hidden"], world["hidden"], hidden=True, certifications="HARRIETCERT", values={"cloud": "GCP"}
    )
    db.session.commit()
    return {**world, "cloud": cloud}


def everything_said(client, url_suffix: str = "") -> str:
    """The directory's page, JSON and (when allowed) CSV, concatenated."""
    parts = [
        client.get("/directory?per_page=100" + url_suffix).get_data(as_text=True),
        client.get("/directory.json?per_page=100" + url_suffix).get_data(as_text=True),
    ]
    csv = client.get("/directory/export.csv?per_page=100" + url_suffix)
    if csv.status_code == 200:
        parts.append(csv.get_data(as_text=True))
    return "\n".join(parts)


@pytest.mark.parametrize("who", [None, "member", "moderator", "admin", "alice"])
def test_hidden_member_and_hidden_fields_never_appear(
    client, sign_in, secretive, member, moderator, admin, who
):
    sign_in({"member": member, "moderator": moderator, "admin": admin, "alice": secretive["alice"]}.get(who))
    said = everything_said(client)
    for secret in (
        "Hidden Harriet",
        "HARRIETCERT",
        "France",
        "SECRETCERT",
        "Azure",
        "Partner Manager",
        "GCP",
    ):
        assert secret not in said, secret
    assert "Alice Archer" in said  # she is listed, only her hidden details are not


def test_hidden_values_are_not_counted(client, secretive, admin):
    status, data = get_json(client, "/directory.json")
    assert status == 200
    counted = {(g["name"], v["value"]) for g in data["facets"] for v in g["values"]}
    assert ("country", "France") not in counted
    assert ("cf.cloud", "Azure") not in counted and ("cf.cloud", "GCP") not in counted
    assert ("certification", "SECRETCERT") not in counted
    region = next(g for g in data["facets"] if g["name"] == "region")
    assert {v["value"]: v["count"] for v in region["values"]}["EMEA"] == 2  # Alice and Carol, not Harriet


def test_filtering_on_a_hidden_value_finds_nobody(client, secretive):
    status, data = get_json(client, "/directory.json?cf.cloud=Azure")
    assert (status, data["total"], data["results"]) == (200, 0, [])
    assert client.get("/directory.json?country=France").status_code == 400  # nobody lists it openly


def test_hidden_member_and_fields_are_not_found_by_free_text(client, secretive):
    for q in ("harriet", "france", "secretcert", "partner manager"):
        status, data = get_json(client, f"/directory.json?q={q}")
        assert (status, data["total"]) == (200, 0), q


def test_hidden_member_and_fields_stay_out_of_search(app, client, sign_in, secretive, member, admin):
    reindex(app)
    for reader in (None, member, admin):
        for q in ("Harriet", "SECRETCERT", "France", "Partner Manager"):
            keys = {hit.key for hit in search_service.search(reader, q, kinds=["member"]).hits}
            expected = {f"user:{secretive['hidden'].id}"} if (reader is admin and q == "Harriet") else set()
            assert keys == expected, (reader, q)
    # Harriet still finds herself; nobody finds Alice's hidden details, not even Alice.
    assert search_service.search(secretive["hidden"], "Harriet", kinds=["member"]).total == 1
    assert search_service.search(secretive["alice"], "SECRETCERT", kinds=["member"]).total == 0


def test_settings_changes_reach_the_search_index_after_commit(app, secretive):
    reindex(app)
    bob = secretive["bob"]
    assert search_service.search(None, "Baker", kinds=["member"]).total == 1
    profiles.update_directory_settings(bob, bob, hidden=True)
    db.session.commit()
    assert search_service.search(None, "Baker", kinds=["member"]).total == 0
    profiles.update_directory_settings(bob, bob, hidden=False, hidden_fields=["country"])
    db.session.commit()
    assert search_service.search(None, "Baker", kinds=["member"]).total == 1
    assert search_service.search(None, "Singapore", kinds=["member"]).total == 0


# --- visibility levels --------------------------------------------------------------------------------


@pytest.fixture
def levels(world):
    """One custom choice field per visibility level, with Bob's value for each."""
    made = {}
    for level in ("everyone", "members", "staff"):
        made[level] = add_field(f"f_{level}", kind="choice", choices=(f"{level}-value",), visibility=level)
        profiles.update_directory_settings(
            world["bob"], world["bob"], values={f"f_{key}": f"{key}-value" for key in made}
        )
    db.session.commit()
    return made


@pytest.mark.parametrize(
    ("who", "visible"),
    [
        (None, {"everyone"}),
        ("member", {"everyone", "members"}),
        ("moderator", {"everyone", "members", "staff"}),
        ("admin", {"everyone", "members", "staff"}),
    ],
)
def test_field_visibility_is_enforced_for_each_reader(
    client, sign_in, levels, member, moderator, admin, who, visible
):
    sign_in({"member": member, "moderator": moderator, "admin": admin}.get(who))
    said = everything_said(client)
    _, data = get_json(client, "/directory.json")
    facet_names = {group["name"] for group in data["facets"]}
    bob = next(item for item in data["results"] if item["username"] == "bob")
    for level in ("everyone", "members", "staff"):
        shown = level in visible
        assert (f"{level}-value" in said) is shown, level
        assert (f"cf.f_{level}" in facet_names) is shown, level
        assert (f"f_{level}" in bob["custom"]) is shown, level
        response = client.get(f"/directory.json?cf.f_{level}={level}-value")
        assert response.status_code == (200 if shown else 400), level
        if shown:
            assert [item["username"] for item in response.get_json()["results"]] == ["bob"]


def test_search_matches_custom_text_only_for_readers_who_may_see_it(
    client, sign_in, world, member, moderator
):
    public = add_field("motto", kind="text", searchable=True, visibility="everyone")
    staff = add_field("notes", kind="text", searchable=True, visibility="staff")
    unsearchable = add_field("quiet", kind="text", searchable=False, visibility="everyone")
    profiles.update_directory_settings(
        world["carol"], world["carol"],
        values={public.key: "zebrafish", staff.key: "okapi", unsearchable.key: "narwhal"},
    )  # fmt: skip
    db.session.commit()
    refresh()

    def found(q: str) -> list[str]:
        return [item["username"] for item in client.get(f"/directory.json?q={q}").get_json()["results"]]

    assert found("zebrafish") == ["carol"]
    assert found("okapi") == [] and found("narwhal") == []
    sign_in(member)
    assert found("okapi") == []
    sign_in(moderator)
    assert found("okapi") == ["carol"]
