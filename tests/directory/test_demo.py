"""The demo data gives `make run` a useful directory: fields, facets with counts, and a
member who hides themselves."""

from __future__ import annotations

from app.directory.models import DirectoryProfile, ProfileField
from tests.directory.conftest import count


def test_seed_demo_fills_the_directory(runner, client, db):
    for _ in range(2):  # idempotent
        result = runner.invoke(args=["seed-demo"])
        assert result.exit_code == 0, result.output
    assert count(ProfileField) == 5 and count(DirectoryProfile) == 11
    data = client.get("/directory.json?per_page=100").get_json()
    names = {item["name"] for item in data["results"]}
    assert "Alice Martin" in names and "Ivan Petrov" not in names
    groups = {group["name"]: {v["value"]: v["count"] for v in group["values"]} for group in data["facets"]}
    assert groups["cf.cloud_platforms"]["Microsoft Azure"] >= 4
    assert groups["certification"]["CCNA"] == 1
    assert "cf.practice_size" not in groups  # members only
    assert client.get("/directory.json?cf.mentoring=Open%20to%20mentoring").get_json()["total"] == 4
